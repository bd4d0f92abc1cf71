package directory_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"campus/internal/identity/directory"
)

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	got := directory.Config{}.WithDefaults()
	want := directory.Config{
		UserFilter:     "(objectClass=user)",
		AttrUsername:   "sAMAccountName",
		AttrEmail:      "mail",
		AttrGivenName:  "givenName",
		AttrFamilyName: "sn",
		AttrMemberOf:   "memberOf",
		Timeout:        10 * time.Second,
		PageSize:       500,
	}
	if got != want {
		t.Errorf("Config{}.WithDefaults() = %+v, want %+v", got, want)
	}

	set := directory.Config{
		UserFilter:     "(objectClass=inetOrgPerson)",
		AttrUsername:   "uid",
		AttrEmail:      "email",
		AttrGivenName:  "gn",
		AttrFamilyName: "surname",
		AttrMemberOf:   "isMemberOf",
		Timeout:        time.Second,
		PageSize:       100,
	}
	if got := set.WithDefaults(); got != set {
		t.Errorf("WithDefaults changed set values: %+v, want %+v", got, set)
	}
}

// valid is a complete, correct Config for the table below to break.
func valid() directory.Config {
	return directory.Config{
		URL:          "ldaps://dc1.uni.example:636",
		BindDN:       "CN=svc-campus,OU=Service,DC=uni,DC=example",
		BindPassword: "s3cret",
		BaseDN:       "DC=uni,DC=example",
		GroupDN:      "CN=Students,OU=Groups,DC=uni,DC=example",
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *directory.Config)
		want   []string
	}{
		{"valid", func(c *directory.Config) {}, nil},
		{"valid ldap with starttls and ca", func(c *directory.Config) {
			c.URL, c.StartTLS, c.CAFile = "ldap://dc1.uni.example", true, "/etc/ssl/uni.pem"
		}, nil},
		{"valid anonymous", func(c *directory.Config) { c.BindDN, c.BindPassword = "", "" }, nil},
		{"empty", func(c *directory.Config) { *c = directory.Config{} }, []string{
			"ldap url is required",
			"base dn is required",
			"group dn is required",
		}},
		{"http url", func(c *directory.Config) { c.URL = "https://dc1.uni.example" }, []string{
			"ldap url must start with ldap:// or ldaps://",
		}},
		{"host without scheme", func(c *directory.Config) { c.URL = "dc1.uni.example:389" }, []string{
			"ldap url must start with ldap:// or ldaps://",
		}},
		{"unparsable url", func(c *directory.Config) { c.URL = "ldap://dc1 uni:389" }, []string{
			"ldap url cannot be parsed",
		}},
		{"url without host, with user and path", func(c *directory.Config) { c.URL = "ldap://admin:pw@/dc=uni" }, []string{
			"ldap url must not contain a user or password; use the bind dn and bind password",
			"ldap url must name a host",
			"ldap url must not have a path or query; put the search base in the base dn",
		}},
		{"starttls on ldaps", func(c *directory.Config) { c.StartTLS = true }, []string{
			"starttls applies to ldap:// only; ldaps:// is already encrypted",
		}},
		{"tls settings without tls", func(c *directory.Config) {
			c.URL, c.CAFile, c.InsecureSkipVerify = "ldap://dc1.uni.example", "/etc/ssl/uni.pem", true
		}, []string{
			"a ca file is set but the connection is not encrypted: use ldaps:// or starttls",
			"insecure skip verify is set but the connection is not encrypted: use ldaps:// or starttls",
		}},
		{"bind dn without password", func(c *directory.Config) { c.BindPassword = "" }, []string{
			`bind dn "CN=svc-campus,OU=Service,DC=uni,DC=example" has no bind password`,
		}},
		{"password without bind dn", func(c *directory.Config) { c.BindDN = "" }, []string{
			"a bind password is set without a bind dn",
		}},
		{"bad dns", func(c *directory.Config) { c.BindDN, c.BaseDN, c.GroupDN = "svc-campus", "uni.example", "Students" }, []string{
			`bind dn "svc-campus" is not a valid dn`,
			`base dn "uni.example" is not a valid dn`,
			`group dn "Students" is not a valid dn`,
		}},
		{"filter without parentheses", func(c *directory.Config) { c.UserFilter = "objectClass=user" }, []string{
			`user filter "objectClass=user" is not a valid ldap filter in parentheses`,
		}},
		{"unbalanced filter", func(c *directory.Config) { c.UserFilter = "(&(objectClass=user)" }, []string{
			`user filter "(&(objectClass=user)" is not a valid ldap filter in parentheses`,
		}},
		{"bad attribute names", func(c *directory.Config) {
			c.AttrUsername, c.AttrEmail, c.AttrGivenName, c.AttrFamilyName, c.AttrMemberOf = "user name", "1mail", "given)", "sn=", "memberOf;x"
		}, []string{
			`username attribute "user name" is not a valid attribute name`,
			`email attribute "1mail" is not a valid attribute name`,
			`given name attribute "given)" is not a valid attribute name`,
			`family name attribute "sn=" is not a valid attribute name`,
			`member of attribute "memberOf;x" is not a valid attribute name`,
		}},
		{"numeric oid attribute", func(c *directory.Config) { c.AttrEmail = "0.9.2342.19200300.100.1.3" }, nil},
		{"negative timeout", func(c *directory.Config) { c.Timeout = -time.Second }, []string{
			"timeout must not be negative",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.change(&c)
			got := c.Validate()
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate() =\n\t%q\nwant\n\t%q", got, tt.want)
			}
			for _, p := range got {
				if c.BindPassword != "" && strings.Contains(p, c.BindPassword) {
					t.Errorf("problem %q shows the bind password", p)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  func(c *directory.Config)
		wantErr string // "" for success
	}{
		{"valid", func(c *directory.Config) {}, ""},
		{"invalid", func(c *directory.Config) { c.URL, c.BaseDN = "", "" }, "directory config: ldap url is required; base dn is required"},
		{"missing ca file", func(c *directory.Config) { c.CAFile = filepath.Join(dir, "missing.pem") }, "no such file"},
		{"ca file without certificate", func(c *directory.Config) { c.CAFile = notPEM }, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.change(&c)
			_, err := directory.New(c)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New: error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
