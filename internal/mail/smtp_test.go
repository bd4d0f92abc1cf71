package mail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"campus/internal/mail/mailtest"
)

const (
	testUser = "campus"
	testPass = "s3cret-smtp-pw"
)

// caFile writes the server's certificate where SMTPConfig.CAFile can read it.
func caFile(t *testing.T, srv *mailtest.Server) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(name, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func newSMTP(t *testing.T, c SMTPConfig) *SMTP {
	t.Helper()
	if c.From == "" {
		c.From = "Campus <noreply@uni.example>"
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	s, err := NewSMTP(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rendered(t *testing.T, to string) Message {
	t.Helper()
	m, err := newTemplates(t).Render(KindPasswordReset, "de", to, full())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPStartTLSAuth(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS(), mailtest.WithAuth(testUser, testPass))
	s := newSMTP(t, SMTPConfig{
		Host: srv.Host(), Port: srv.Port(), Username: testUser, Password: testPass,
		CAFile: caFile(t, srv), HELO: "campus.uni.example",
	})
	m := rendered(t, "ada@uni.example")
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 10*time.Second)[0]
	if got.ParseError != nil {
		t.Fatalf("parse: %v\n%s", got.ParseError, got.Data)
	}
	if got.From != "noreply@uni.example" || !slices.Equal(got.To, []string{"ada@uni.example"}) {
		t.Errorf("envelope from %q to %q", got.From, got.To)
	}
	if h := got.Header.Get("From"); h != `"Campus" <noreply@uni.example>` && h != "Campus <noreply@uni.example>" {
		t.Errorf("From: %q", h)
	}
	if h := got.Header.Get("To"); !strings.Contains(h, "<ada@uni.example>") && h != "ada@uni.example" {
		t.Errorf("To: %q", h)
	}
	if got.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if id := got.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@uni.example>") {
		t.Errorf("Message-ID = %q, want one in the sender's domain", id)
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if got.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got.Header.Get("Auto-Submitted"))
	}
	if ua := got.Header.Get("User-Agent") + got.Header.Get("X-Mailer"); ua != "" {
		t.Errorf("mail names its software: %q", ua)
	}
	if got.Text != m.Text {
		t.Errorf("text part changed in transit:\n%q\nwant\n%q", got.Text, m.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("HTML part changed in transit:\n%q\nwant\n%q", got.HTML, m.HTML)
	}
	if !strings.Contains(got.Text, full().Link) {
		t.Errorf("text part lacks the link")
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.ImplicitTLS(), mailtest.WithAuth(testUser, testPass))
	s := newSMTP(t, SMTPConfig{
		Host: srv.Host(), Port: srv.Port(), Username: testUser, Password: testPass,
		TLS: TLSImplicit, InsecureSkipVerify: true,
	})
	if err := s.Send(t.Context(), rendered(t, "ada@uni.example")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Wait(t, 1, 10*time.Second)[0]; !strings.Contains(got.Text, full().Link) {
		t.Errorf("text part lacks the link:\n%s", got.Text)
	}
}

// Clear text is allowed to a relay on this machine, with or without AUTH.
func TestSMTPNoTLSToLocalRelay(t *testing.T) {
	t.Parallel()
	for _, auth := range []bool{false, true} {
		var opts []mailtest.Option
		c := SMTPConfig{TLS: TLSNone}
		if auth {
			opts = append(opts, mailtest.WithAuth(testUser, testPass))
			c.Username, c.Password = testUser, testPass
		}
		srv := mailtest.Start(t, opts...)
		c.Host, c.Port = srv.Host(), srv.Port()
		if err := newSMTP(t, c).Send(t.Context(), rendered(t, "ada@uni.example")); err != nil {
			t.Fatalf("auth %v: %v", auth, err)
		}
		srv.Wait(t, 1, 10*time.Second)
	}
}

// A wrong password fails every message alike: it is the operator's to fix,
// and the messages must wait for that, not be dropped as ErrPermanent.
func TestSMTPWrongPassword(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS(), mailtest.WithAuth(testUser, testPass))
	wrong := "wrong-" + testPass
	s := newSMTP(t, SMTPConfig{
		Host: srv.Host(), Port: srv.Port(), Username: testUser, Password: wrong, CAFile: caFile(t, srv),
	})
	err := s.Send(t.Context(), rendered(t, "ada@uni.example"))
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if errors.Is(err, ErrPermanent) {
		t.Errorf("err = %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error shows the password: %v", err)
	}
	if srv.AuthAttempts() == 0 {
		t.Errorf("no AUTH attempt reached the server; err = %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

// A server that is down is the case the outbox retries for: the same
// sender delivers once it is back.
func TestSMTPServerDown(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS())
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port(), CAFile: caFile(t, srv)})
	m := rendered(t, "ada@uni.example")
	srv.Stop()
	err := s.Send(t.Context(), m)
	if err == nil {
		t.Fatal("sent to a stopped server")
	}
	if errors.Is(err, ErrPermanent) {
		t.Errorf("err = %v, want a temporary error", err)
	}
	srv.Restart(t)
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	srv.Wait(t, 1, 10*time.Second)
}

func TestSMTPRejectedRecipient(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS(), mailtest.WithAuth(testUser, testPass))
	srv.RejectRecipient("gone@uni.example")
	s := newSMTP(t, SMTPConfig{
		Host: srv.Host(), Port: srv.Port(), Username: testUser, Password: testPass, CAFile: caFile(t, srv),
	})
	err := s.Send(t.Context(), rendered(t, "gone@uni.example"))
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("err = %v, want ErrPermanent", err)
	}
	if !strings.Contains(err.Error(), "550") {
		t.Errorf("err = %v, want the server's reply in it", err)
	}
	// The connection is not left in a state that breaks the next message.
	if err := s.Send(t.Context(), rendered(t, "ada@uni.example")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Wait(t, 1, 10*time.Second); len(got) != 1 || got[0].To[0] != "ada@uni.example" {
		t.Errorf("server got %+v", got)
	}
}

// With starttls, a server that does not offer STARTTLS (or an attacker who
// strips it) gets nothing, least of all the password.
func TestSMTPStartTLSRequired(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithAuth(testUser, testPass))
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port(), Username: testUser, Password: testPass})
	err := s.Send(t.Context(), rendered(t, "ada@uni.example"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a refusal naming STARTTLS", err)
	}
	if errors.Is(err, ErrPermanent) {
		t.Errorf("err = %v, want a temporary error (a configuration to fix)", err)
	}
	if srv.AuthAttempts() != 0 || len(srv.Messages()) != 0 {
		t.Errorf("server got %d AUTH attempts and %d messages in clear text", srv.AuthAttempts(), len(srv.Messages()))
	}
}

// The server certificate is verified unless told otherwise.
func TestSMTPUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS())
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port()})
	err := s.Send(t.Context(), rendered(t, "ada@uni.example"))
	if err == nil || errors.Is(err, ErrPermanent) {
		t.Fatalf("err = %v, want a temporary certificate error", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("server got the message")
	}
}

func TestSMTPContext(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS())
	s := newSMTP(t, SMTPConfig{Host: srv.Host(), Port: srv.Port(), CAFile: caFile(t, srv)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Send(ctx, rendered(t, "ada@uni.example")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("server got the message")
	}
}

func TestSMTPBadMessage(t *testing.T) {
	t.Parallel()
	// Nothing listens here: a bad message must fail before connecting.
	s := newSMTP(t, SMTPConfig{Host: "127.0.0.1", Port: 1})
	for _, m := range []Message{
		{To: "", Subject: "s", Text: "t"},
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "a@uni.example", Subject: "s\r\nBcc: b@uni.example", Text: "t"},
		{To: "a@uni.example", Subject: "s", HTML: "<p>only html</p>"},
	} {
		if err := s.Send(t.Context(), m); !errors.Is(err, ErrPermanent) {
			t.Errorf("Send(%+v) = %v, want ErrPermanent", m, err)
		}
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "not-a-cert.pem")
	if err := os.WriteFile(ca, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := SMTPConfig{Host: "smtp.uni.example", From: "Campus <noreply@uni.example>"}
	tests := []struct {
		name   string
		change func(*SMTPConfig)
		want   []string // substrings, one per expected problem
	}{
		{"minimal", func(*SMTPConfig) {}, nil},
		{"full", func(c *SMTPConfig) {
			c.Port, c.Username, c.Password, c.TLS, c.HELO, c.Timeout = 465, "u", "p", TLSImplicit, "campus.uni.example", time.Minute
		}, nil},
		{"ipv6 host", func(c *SMTPConfig) { c.Host = "::1" }, nil},
		{"none on localhost", func(c *SMTPConfig) { c.Host, c.TLS = "localhost", TLSNone }, nil},
		{"none on 127.0.0.1", func(c *SMTPConfig) { c.Host, c.TLS = "127.0.0.1", TLSNone }, nil},
		{"empty", func(c *SMTPConfig) { *c = SMTPConfig{} }, []string{"host is required", "from"}},
		{"host with port", func(c *SMTPConfig) { c.Host = "smtp.uni.example:587" }, []string{"must not include a port"}},
		{"host with space", func(c *SMTPConfig) { c.Host = "smtp uni" }, []string{"bare host name"}},
		{"url as host", func(c *SMTPConfig) { c.Host = "smtp://smtp.uni.example" }, []string{"smtp.uni.example"}},
		{"port", func(c *SMTPConfig) { c.Port = 70000 }, []string{"port 70000"}},
		{"tls mode", func(c *SMTPConfig) { c.TLS = "ssl" }, []string{`"ssl"`}},
		{"clear text off the machine", func(c *SMTPConfig) { c.TLS = TLSNone }, []string{"clear text"}},
		{"password without user", func(c *SMTPConfig) { c.Password = "p" }, []string{"username is empty"}},
		{"user without password", func(c *SMTPConfig) { c.Username = "u" }, []string{"password is empty"}},
		{"bad from", func(c *SMTPConfig) { c.From = "Campus noreply" }, []string{"not a valid address"}},
		{"helo", func(c *SMTPConfig) { c.HELO = "a b" }, []string{"helo"}},
		{"cafile missing", func(c *SMTPConfig) { c.CAFile = "/nonexistent/ca.pem" }, []string{"cafile"}},
		{"cafile no pem", func(c *SMTPConfig) { c.CAFile = ca }, []string{"no PEM certificate"}},
		{"timeout", func(c *SMTPConfig) { c.Timeout = -time.Second }, []string{"timeout"}},
		{"all at once", func(c *SMTPConfig) {
			*c = SMTPConfig{Port: -1, TLS: "x", Password: "p", Timeout: -1}
		}, []string{"host", "port", "tls", "username", "from", "timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid
			tt.change(&c)
			got := c.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("Validate() = %q, want %d problems", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
			_, err := NewSMTP(c)
			if (err == nil) != (len(tt.want) == 0) {
				t.Errorf("NewSMTP: %v", err)
			}
		})
	}
}

func TestSMTPConfigStringHidesPassword(t *testing.T) {
	t.Parallel()
	c := SMTPConfig{Host: "smtp.uni.example", Username: "u", Password: "hunter2-pw"}
	if s := c.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "smtp.uni.example") {
		t.Errorf("String() = %s", s)
	}
}

// One SMTP serves the outbox's workers at once.
func TestSMTPConcurrent(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithTLS(), mailtest.WithAuth(testUser, testPass))
	s := newSMTP(t, SMTPConfig{
		Host: srv.Host(), Port: srv.Port(), Username: testUser, Password: testPass, CAFile: caFile(t, srv),
	})
	const n = 5
	errc := make(chan error, n)
	for i := range n {
		m := rendered(t, fmt.Sprintf("user%d@uni.example", i))
		go func() { errc <- s.Send(t.Context(), m) }()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	got := srv.Wait(t, n, 10*time.Second)
	seen := map[string]bool{}
	for _, m := range got {
		seen[m.To[0]] = true
	}
	if len(seen) != n {
		t.Errorf("recipients %v, want %d different", seen, n)
	}
}
