package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

var (
	// ErrUnavailable means the directory could not be reached or did not
	// answer in time: network error, timeout, server down or busy, and
	// also a TLS handshake that fails (go-ldap reports it as a network
	// error).
	ErrUnavailable = errors.New("directory unavailable")
	// ErrInvalidCredentials means wrong password or unknown user; callers
	// must not tell the user which.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrServiceAccount means the directory rejected the configured bind DN
	// and password. It is distinct from ErrInvalidCredentials so that a
	// broken service account is never taken for a user's wrong password.
	ErrServiceAccount = errors.New("directory rejected the service account")
)

// Entry is one member of the group as campus needs it.
type Entry struct {
	DN, Username, Email, GivenName, FamilyName string
}

// Client talks to one directory. It holds no connection between calls and
// is safe for concurrent use.
type Client struct {
	cfg Config
	tls *tls.Config
}

// New checks cfg and returns a Client for it; it does not connect.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if problems := cfg.Validate(); len(problems) > 0 {
		return nil, fmt.Errorf("directory config: %s", strings.Join(problems, "; "))
	}
	u, _ := url.Parse(cfg.URL) // Validate parsed it
	tc := &tls.Config{
		ServerName:         u.Hostname(), // StartTLS needs it set; DialURL would infer it only for ldaps://
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory config: ca file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory config: ca file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	return &Client{cfg: cfg, tls: tc}, nil
}

// Members calls fn for every entry under BaseDN that matches
// (&UserFilter(AttrMemberOf=GroupDN)), reading PageSize entries per request
// with the paged results control (RFC 2696) so that groups of tens of
// thousands work. progress, if not nil, is called after each page with the
// number of entries passed to fn so far. Entries without a username are
// skipped and counted in skipped. An error of fn stops the reading and is
// returned as is. A connection error or timeout returns an error wrapping
// ErrUnavailable; when ctx ends, the connection is closed and the error
// wraps ctx.Err().
func (c *Client) Members(ctx context.Context, fn func(Entry) error, progress func(n int)) (skipped int, err error) {
	conn, err := c.connect(ctx, true)
	if err != nil {
		return 0, err
	}
	defer conn.close()

	paging := ldap.NewControlPaging(c.cfg.PageSize)
	req := c.searchRequest(c.memberFilter(), 0, paging)
	n := 0
	for {
		res, err := conn.Search(req)
		if err != nil {
			return skipped, conn.fail("read group members", err)
		}
		for _, e := range res.Entries {
			entry := c.entry(e)
			if entry.Username == "" {
				skipped++
				continue
			}
			if err := fn(entry); err != nil {
				return skipped, err
			}
			n++
		}
		if progress != nil {
			progress(n)
		}
		// RFC 2696 section 3: the server returns an empty cookie with the
		// last page; a server without paging support returns no control
		// and everything at once.
		resp, _ := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if resp == nil || len(resp.Cookie) == 0 {
			return skipped, nil
		}
		if err := ctx.Err(); err != nil {
			return skipped, conn.fail("read group members", err)
		}
		paging.SetCookie(resp.Cookie)
	}
}

// Authenticate returns the group member whose username attribute equals
// username if password is theirs. It finds the entry with the service
// account, then binds as the entry's DN on a fresh connection, so that the
// service connection never runs as a user. Unknown user, user outside the
// group, ambiguous username, empty password and wrong password all return
// ErrInvalidCredentials itself, so callers cannot tell them apart. Network
// errors and timeouts wrap ErrUnavailable.
func (c *Client) Authenticate(ctx context.Context, username, password string) (Entry, error) {
	// RFC 4513 section 5.1.2: a simple bind with a DN and an empty password
	// is an unauthenticated bind, which many servers answer with success.
	if password == "" || username == "" {
		return Entry{}, ErrInvalidCredentials
	}
	entry, err := c.find(ctx, username)
	if err != nil {
		return Entry{}, err
	}

	conn, err := c.connect(ctx, false)
	if err != nil {
		return Entry{}, err
	}
	defer conn.close()
	if err := conn.Bind(entry.DN, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return Entry{}, ErrInvalidCredentials
		}
		return Entry{}, conn.fail("bind as the user", err)
	}
	return entry, nil
}

// find returns the only group member with the username.
func (c *Client) find(ctx context.Context, username string) (Entry, error) {
	conn, err := c.connect(ctx, true)
	if err != nil {
		return Entry{}, err
	}
	defer conn.close()

	// RFC 4515 section 3: escaping keeps the username a value, so "*" or
	// "x)(uid=*" can never widen the filter to other entries.
	filter := fmt.Sprintf("(&%s(%s=%s))", c.memberFilter(), c.cfg.AttrUsername, ldap.EscapeFilter(username))
	// A size limit of 2 is enough to see that the username is ambiguous.
	res, err := conn.Search(c.searchRequest(filter, 2))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		return Entry{}, ErrInvalidCredentials
	case err != nil:
		return Entry{}, conn.fail("find the user", err)
	case len(res.Entries) != 1 || res.Entries[0].DN == "":
		return Entry{}, ErrInvalidCredentials
	}
	return c.entry(res.Entries[0]), nil
}

// Ping connects and binds as the service account, then reads the base
// entry, which shows that the server answers and that BaseDN exists.
func (c *Client) Ping(ctx context.Context) error {
	conn, err := c.connect(ctx, true)
	if err != nil {
		return err
	}
	defer conn.close()
	req := ldap.NewSearchRequest(c.cfg.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, 0, false, "(objectClass=*)", []string{"1.1"}, nil) // 1.1: no attributes (RFC 4511 section 4.5.1.8)
	if _, err := conn.Search(req); err != nil {
		return conn.fail(fmt.Sprintf("read the base dn %q", c.cfg.BaseDN), err)
	}
	return nil
}

func (c *Client) memberFilter() string {
	return fmt.Sprintf("(&%s(%s=%s))", c.cfg.UserFilter, c.cfg.AttrMemberOf, ldap.EscapeFilter(c.cfg.GroupDN))
}

func (c *Client) searchRequest(filter string, sizeLimit int, controls ...ldap.Control) *ldap.SearchRequest {
	attrs := []string{c.cfg.AttrUsername, c.cfg.AttrEmail, c.cfg.AttrGivenName, c.cfg.AttrFamilyName}
	return ldap.NewSearchRequest(c.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		sizeLimit, 0, false, filter, attrs, controls)
}

// entry maps e with the configured attribute names, which directories
// compare without regard to case.
func (c *Client) entry(e *ldap.Entry) Entry {
	return Entry{
		DN:         e.DN,
		Username:   e.GetEqualFoldAttributeValue(c.cfg.AttrUsername),
		Email:      e.GetEqualFoldAttributeValue(c.cfg.AttrEmail),
		GivenName:  e.GetEqualFoldAttributeValue(c.cfg.AttrGivenName),
		FamilyName: e.GetEqualFoldAttributeValue(c.cfg.AttrFamilyName),
	}
}

// conn is one connection tied to the context of the call that opened it.
type conn struct {
	*ldap.Conn
	ctx  context.Context
	stop func() bool
}

// connect dials the directory, upgrades with StartTLS when configured, and
// binds as the service account when asService. The ldap client has no
// context support: the connection is closed when ctx ends, which fails the
// operation in flight, and fail reports ctx.Err() then.
func (c *Client) connect(ctx context.Context, asService bool) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, failure(ctx, nil, "connect", err)
	}
	d := &net.Dialer{Timeout: c.cfg.Timeout}
	d.Deadline, _ = ctx.Deadline()
	lc, err := ldap.DialURL(c.cfg.URL, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(c.tls))
	if err != nil {
		return nil, failure(ctx, nil, "connect", err)
	}
	lc.SetTimeout(c.cfg.Timeout)
	cn := &conn{Conn: lc, ctx: ctx, stop: context.AfterFunc(ctx, func() { lc.Close() })}

	if c.cfg.StartTLS {
		// The request timeout covers the StartTLS exchange but not the TLS
		// handshake that follows it: bound that by closing the connection.
		t := time.AfterFunc(c.cfg.Timeout, func() { lc.Close() })
		err := lc.StartTLS(c.tls)
		t.Stop()
		if err != nil {
			err = cn.fail("starttls", err) // before close, which would make any error look like a network one
			cn.close()
			return nil, err
		}
	}
	if asService && c.cfg.BindDN != "" {
		if err := lc.Bind(c.cfg.BindDN, c.cfg.BindPassword); err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				err = fmt.Errorf("directory: bind as %s: %w", c.cfg.BindDN, ErrServiceAccount)
			} else {
				err = cn.fail("bind as the service account", err)
			}
			cn.close()
			return nil, err
		}
	}
	return cn, nil
}

func (cn *conn) close() {
	cn.stop()
	cn.Close()
}

// fail wraps err of operation op with what the caller can act on.
func (cn *conn) fail(op string, err error) error {
	return failure(cn.ctx, cn.Conn, op, err)
}

func failure(ctx context.Context, lc *ldap.Conn, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		// The error is our own closing of the connection; say why. A
		// deadline means the directory did not answer in the time the
		// caller had, which is unavailability for that caller.
		if errors.Is(cerr, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, cerr)
		}
		return fmt.Errorf("directory: %s: %w", op, cerr)
	}
	// A connection that is closing after an error was closed by the other
	// side or the network; go-ldap then reports plain errors such as
	// "unable to read LDAP response packet: EOF".
	if unavailable(err) || (lc != nil && lc.IsClosing()) {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
	}
	return fmt.Errorf("directory: %s: %w", op, err)
}

// unavailable reports whether err says the directory cannot serve now, as
// opposed to a refusal that a retry would meet again.
func unavailable(err error) bool {
	if ldap.IsErrorAnyOf(err,
		ldap.ErrorNetwork, // go-ldap's code for dial, read, write and request timeout errors
		ldap.LDAPResultBusy,
		ldap.LDAPResultUnavailable,
		ldap.LDAPResultTimeLimitExceeded,
		ldap.LDAPResultServerDown,
		ldap.LDAPResultTimeout,
		ldap.LDAPResultConnectError,
	) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
