package directory

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-ldap/ldap/v3"

	"campus/internal/lazyregexp"
)

// Defaults applied by WithDefaults; the attribute names are those of
// Active Directory.
const (
	DefaultUserFilter     = "(objectClass=user)"
	DefaultAttrUsername   = "sAMAccountName"
	DefaultAttrEmail      = "mail"
	DefaultAttrGivenName  = "givenName"
	DefaultAttrFamilyName = "sn"
	DefaultAttrMemberOf   = "memberOf"
	DefaultTimeout        = 10 * time.Second
	DefaultPageSize       = 500
)

// Config of the directory connection. Zero values mean the defaults above.
type Config struct {
	URL      string // ldap://host:port or ldaps://host:port; required
	StartTLS bool   // upgrade an ldap:// connection with StartTLS
	CAFile   string // PEM CA bundle for ldaps:// or StartTLS; empty: the system roots
	// InsecureSkipVerify accepts any server certificate. For tests only: it
	// lets anyone on the path read the passwords sent in binds.
	InsecureSkipVerify bool

	BindDN       string // service account; empty: anonymous
	BindPassword string

	BaseDN  string // where users are searched (whole subtree); required
	GroupDN string // the group whose direct members get accounts; required
	// UserFilter says what a user entry is; default (objectClass=user). In
	// Active Directory, (&(objectCategory=person)(objectClass=user)) also
	// leaves out computer accounts, and adding
	// (!(userAccountControl:1.2.840.113556.1.4.803:=2)) disabled ones.
	UserFilter string

	AttrUsername   string // default sAMAccountName
	AttrEmail      string // default mail
	AttrGivenName  string // default givenName
	AttrFamilyName string // default sn
	AttrMemberOf   string // default memberOf

	Timeout  time.Duration // per operation (dial, bind, one search page); default 10s
	PageSize uint32        // entries per page of the paged search; default 500
}

// WithDefaults returns c with every zero setting replaced by its default.
func (c Config) WithDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.UserFilter, DefaultUserFilter)
	def(&c.AttrUsername, DefaultAttrUsername)
	def(&c.AttrEmail, DefaultAttrEmail)
	def(&c.AttrGivenName, DefaultAttrGivenName)
	def(&c.AttrFamilyName, DefaultAttrFamilyName)
	def(&c.AttrMemberOf, DefaultAttrMemberOf)
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	return c
}

// attrName is an attribute description without options: a name (RFC 4512
// section 1.4, descr) or a numeric OID.
var attrName = lazyregexp.New(`^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$`)

// Validate returns every problem of c (after defaults), or nil. The
// messages never quote the URL or the password, which may hold secrets.
func (c Config) Validate() []string {
	c = c.WithDefaults()
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	tls := false
	switch u, err := url.Parse(c.URL); {
	case c.URL == "":
		add("ldap url is required")
	case err != nil:
		add("ldap url cannot be parsed")
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		add("ldap url must start with ldap:// or ldaps://")
	default:
		tls = u.Scheme == "ldaps" || c.StartTLS
		if u.User != nil {
			add("ldap url must not contain a user or password; use the bind dn and bind password")
		}
		if u.Hostname() == "" {
			add("ldap url must name a host")
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			add("ldap url must not have a path or query; put the search base in the base dn")
		}
		if u.Scheme == "ldaps" && c.StartTLS {
			add("starttls applies to ldap:// only; ldaps:// is already encrypted")
		}
	}
	if !tls && c.CAFile != "" {
		add("a ca file is set but the connection is not encrypted: use ldaps:// or starttls")
	}
	if !tls && c.InsecureSkipVerify {
		add("insecure skip verify is set but the connection is not encrypted: use ldaps:// or starttls")
	}

	// RFC 4513 section 5.1.2: a DN with an empty password is an
	// unauthenticated bind, which servers may accept as anonymous.
	switch {
	case c.BindDN == "" && c.BindPassword != "":
		add("a bind password is set without a bind dn")
	case c.BindDN != "" && c.BindPassword == "":
		add("bind dn %q has no bind password", c.BindDN)
	}

	checkDN := func(what, dn string, required bool) {
		if dn == "" {
			if required {
				add("%s is required", what)
			}
			return
		}
		if _, err := ldap.ParseDN(dn); err != nil {
			add("%s %q is not a valid dn", what, dn)
		}
	}
	checkDN("bind dn", c.BindDN, false)
	checkDN("base dn", c.BaseDN, true)
	checkDN("group dn", c.GroupDN, true)

	if _, err := ldap.CompileFilter(c.UserFilter); err != nil {
		add("user filter %q is not a valid ldap filter in parentheses", c.UserFilter)
	}
	for _, a := range []struct{ what, name string }{
		{"username attribute", c.AttrUsername},
		{"email attribute", c.AttrEmail},
		{"given name attribute", c.AttrGivenName},
		{"family name attribute", c.AttrFamilyName},
		{"member of attribute", c.AttrMemberOf},
	} {
		if !attrName.MatchString(a.name) {
			add("%s %q is not a valid attribute name", a.what, a.name)
		}
	}
	if c.Timeout < 0 {
		add("timeout must not be negative")
	}
	return problems
}
