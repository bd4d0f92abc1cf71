package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of SMTPConfig.
const (
	TLSStartTLS = "starttls" // RFC 3207; the server must offer it
	TLSImplicit = "tls"      // RFC 8314 section 3.3, usually port 465
	TLSNone     = "none"     // clear text, only to a relay on this machine
)

// DefaultSMTPTimeout bounds one delivery (connect, TLS, AUTH, the message).
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig says how to reach the mail server that campus hands mail to.
type SMTPConfig struct {
	Host string
	Port int // 0: 587 for starttls, 465 for tls, 25 for none

	// Username and Password enable SMTP AUTH (RFC 4954); empty: no AUTH.
	Username, Password string

	// TLS is TLSStartTLS (the default), TLSImplicit or TLSNone. With
	// starttls, a server that does not offer STARTTLS gets no mail rather
	// than mail in clear text.
	TLS string

	From string // the sender, e.g. "Campus <noreply@uni.example>"
	HELO string // the name campus gives in EHLO; default: the host name

	CAFile             string // PEM roots for the server certificate; default: the system's
	InsecureSkipVerify bool   // for tests only: accept any server certificate

	Timeout time.Duration // default DefaultSMTPTimeout
}

// String shows the configuration without the password, so that logging a
// config never leaks it.
func (c SMTPConfig) String() string {
	pw := ""
	if c.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{Host:%s Port:%d Username:%s Password:%s TLS:%s From:%s HELO:%s CAFile:%s InsecureSkipVerify:%t Timeout:%s}",
		c.Host, c.Port, c.Username, pw, c.TLS, c.From, c.HELO, c.CAFile, c.InsecureSkipVerify, c.Timeout)
}

// Validate reports every problem with c at once, in words an operator can act
// on. It reads CAFile.
func (c SMTPConfig) Validate() []string {
	var p []string
	host := strings.TrimSpace(c.Host)
	switch {
	case host == "":
		p = append(p, "smtp host is required")
	case host != c.Host || strings.ContainsAny(host, " \t\r\n/"):
		p = append(p, fmt.Sprintf("smtp host %q must be a bare host name or IP address", c.Host))
	case strings.Contains(host, ":") && net.ParseIP(host) == nil:
		p = append(p, fmt.Sprintf("smtp host %q must not include a port; set the port separately", c.Host))
	}
	if c.Port < 0 || c.Port > 65535 {
		p = append(p, fmt.Sprintf("smtp port %d is out of range (1-65535, or 0 for the default of the TLS mode)", c.Port))
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if host != "" && !isLoopback(host) {
			p = append(p, fmt.Sprintf("smtp tls %q sends mail and passwords in clear text, so it is only allowed for a relay on this machine (localhost, 127.0.0.1, ::1), not %q", TLSNone, c.Host))
		}
	default:
		p = append(p, fmt.Sprintf("smtp tls %q is not one of %q, %q or %q", c.TLS, TLSStartTLS, TLSImplicit, TLSNone))
	}
	if c.Username == "" && c.Password != "" {
		p = append(p, "smtp password is set but the username is empty")
	}
	if c.Username != "" && c.Password == "" {
		p = append(p, "smtp username is set but the password is empty")
	}
	if strings.TrimSpace(c.From) == "" {
		p = append(p, `smtp from (the sender address, e.g. "Campus <noreply@uni.example>") is required`)
	} else if _, err := netmail.ParseAddress(c.From); err != nil {
		p = append(p, fmt.Sprintf("smtp from %q is not a valid address: %v", c.From, err))
	}
	if strings.ContainsAny(c.HELO, " \t\r\n") {
		p = append(p, fmt.Sprintf("smtp helo %q must be a single host name", c.HELO))
	}
	if c.CAFile != "" {
		if _, err := loadCAFile(c.CAFile); err != nil {
			p = append(p, "smtp cafile: "+err.Error())
		}
	}
	if c.Timeout < 0 {
		p = append(p, fmt.Sprintf("smtp timeout %s must not be negative", c.Timeout))
	}
	return p
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loadCAFile(name string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", name)
	}
	return pool, nil
}

// SMTP delivers mail to one SMTP server, one connection per message: the
// outbox sends rarely, and a fresh connection cannot be a stale one.
type SMTP struct {
	c      SMTPConfig // with defaults filled in
	from   *netmail.Address
	domain string // for Message-IDs
	tls    *tls.Config
	now    func() time.Time
}

var _ Sender = (*SMTP)(nil)

// NewSMTP checks c and prepares a sender. It does not connect: the mail
// server may be down when campus starts, and the outbox retries.
func NewSMTP(c SMTPConfig) (*SMTP, error) {
	if p := c.Validate(); len(p) > 0 {
		return nil, fmt.Errorf("smtp configuration: %s", strings.Join(p, "; "))
	}
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		c.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[c.TLS]
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultSMTPTimeout
	}
	from, _ := netmail.ParseAddress(c.From) // checked by Validate
	s := &SMTP{
		c:      c,
		from:   from,
		domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		tls: &tls.Config{
			ServerName:         c.Host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: c.InsecureSkipVerify, // tests only, as documented
		},
		now: time.Now,
	}
	if c.CAFile != "" {
		pool, err := loadCAFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp cafile: %w", err)
		}
		s.tls.RootCAs = pool
	}
	if _, err := s.client(c.Timeout); err != nil {
		return nil, err
	}
	return s, nil
}

// client builds a go-mail client. timeout is per call so that a context
// deadline sooner than the configured timeout bounds the whole exchange, not
// only the dial (go-mail uses the context for dialling only).
func (s *SMTP) client(timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.c.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(s.tls),
	}
	switch s.c.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.c.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.c.HELO))
	}
	if s.c.Username != "" {
		// Over TLS, let go-mail pick the strongest mechanism the server
		// offers. Without TLS the host is a loopback relay (Validate), where
		// PLAIN never leaves the machine.
		auth := gomail.SMTPAuthAutoDiscover
		if s.c.TLS == TLSNone {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.c.Username), gomail.WithPassword(s.c.Password))
	}
	c, err := gomail.NewClient(s.c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return c, nil
}

// Send delivers m. It returns an error wrapping ErrPermanent when the server
// rejects the recipient or the content with a 5xx reply, or m is unusable;
// any other error (server down, TLS or AUTH failure, 4xx) is worth retrying.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout := s.c.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
		if timeout <= 0 {
			return context.DeadlineExceeded
		}
	}
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	client, err := s.client(timeout)
	if err != nil {
		return err
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("smtp %s: %w", net.JoinHostPort(s.c.Host, strconv.Itoa(s.c.Port)), err)
		if permanent(err) {
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		return err
	}
	return nil
}

// build makes the MIME message: multipart/alternative with the text first
// and the HTML last, as RFC 2046 section 5.1.4 orders them, plainest first.
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: recipient %q: %v", ErrPermanent, m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.now())
	// The Message-ID names the sender's domain rather than this machine's
	// host name (go-mail's default), which says nothing to the recipient
	// and may be internal.
	var id [16]byte
	_, _ = rand.Read(id[:])
	msg.SetMessageIDWithValue(hex.EncodeToString(id[:]) + "@" + s.domain)
	// RFC 3834 section 5: keeps vacation responders from answering a
	// no-reply address.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// permanent reports whether the server refused the message itself: a 5xx
// reply (RFC 5321 section 4.2.1) to RCPT or to the content. A 5xx reply to
// AUTH or MAIL FROM is not: that is the configuration of campus, which an
// operator can fix while the message waits.
func permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() <= 599
	}
	return false
}
