package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func addr(s *Server) string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

func trust(t *testing.T, s *Server) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CertPEM()) {
		t.Fatal("CertPEM holds no certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: s.Host()}
}

// send sends data in clear text (go-smtp's SendMail insists on STARTTLS).
func send(t *testing.T, s *Server, to []string, data string) error {
	t.Helper()
	return sendFrom(addr(s), "sender@campus.example", to, strings.ReplaceAll(data, "\n", "\r\n"))
}

func sendFrom(addr, from string, to []string, data string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader(data)); err != nil {
		return err
	}
	return c.Quit()
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data          string
		subject, text, html string
	}{
		{
			name:    "plain text, no content type",
			data:    "Subject: Hello\n\nJust text.\n",
			subject: "Hello", text: "Just text.\n",
		},
		{
			name: "alternative, quoted-printable and base64",
			data: `Subject: =?UTF-8?q?Best=C3=A4tigen_Sie?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Link: https://campus.example/confirm?token=3Dabc&lang=3D=
de
--b1
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: base64

PHA+SMOkbGxvPC9w
Pg==
--b1--
`,
			subject: "Bestätigen Sie",
			text:    "Link: https://campus.example/confirm?token=abc&lang=de",
			html:    "<p>Hällo</p>",
		},
		{
			name: "nested in mixed",
			data: `Subject: nested
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain

inner text
--inner
Content-Type: text/html

<p>inner html</p>
--inner--
--outer
Content-Type: text/plain
Content-Disposition: attachment; filename=a.txt

attachment, not the text
--outer--
`,
			subject: "nested", text: "inner text", html: "<p>inner html</p>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			if err := send(t, s, []string{"ada@uni.example"}, tt.data); err != nil {
				t.Fatal(err)
			}
			m := s.Wait(t, 1, 10*time.Second)[0]
			if m.ParseError != nil {
				t.Fatal(m.ParseError)
			}
			if m.From != "sender@campus.example" || len(m.To) != 1 || m.To[0] != "ada@uni.example" {
				t.Errorf("envelope %q -> %q", m.From, m.To)
			}
			if m.Subject != tt.subject || m.Text != tt.text || m.HTML != tt.html {
				t.Errorf("parsed subject %q, text %q, html %q; want %q, %q, %q",
					m.Subject, m.Text, m.HTML, tt.subject, tt.text, tt.html)
			}
		})
	}
}

func TestStartTLSAndAuth(t *testing.T) {
	t.Parallel()
	s := Start(t, WithTLS(), WithAuth("u", "p"))
	c, err := smtp.Dial(addr(s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS")
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c, err = smtp.DialStartTLS(addr(s), trust(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@campus.example", nil); err == nil {
		t.Error("MAIL accepted without AUTH")
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "wrong")); err == nil {
		t.Error("wrong password accepted")
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@campus.example", []string{"b@uni.example"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := s.AuthAttempts(); got != 2 {
		t.Errorf("AuthAttempts = %d, want 2", got)
	}
	s.Wait(t, 1, 10*time.Second)
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	s := Start(t, ImplicitTLS())
	c, err := smtp.DialTLS(addr(s), trust(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@campus.example", []string{"b@uni.example"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	s.Wait(t, 1, 10*time.Second)
}

func TestRejectRecipient(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.RejectRecipient("Gone@Uni.Example")
	err := send(t, s, []string{"gone@uni.example"}, "Subject: x\n\nhi\n")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("err = %v, want a 550 reply", err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages kept", n)
	}
}

func TestStopRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	port := s.Port()
	if err := send(t, s, []string{"a@uni.example"}, "Subject: 1\n\none\n"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s.Stop() // harmless
	if err := send(t, s, []string{"a@uni.example"}, "Subject: 2\n\ntwo\n"); err == nil {
		t.Fatal("a stopped server took a message")
	}
	s.Restart(t)
	if s.Port() != port {
		t.Errorf("port %d after restart, want %d", s.Port(), port)
	}
	if err := send(t, s, []string{"a@uni.example"}, "Subject: 3\n\nthree\n"); err != nil {
		t.Fatal(err)
	}
	got := s.Wait(t, 2, 10*time.Second)
	if got[0].Subject != "1" || got[1].Subject != "3" {
		t.Errorf("subjects %q, %q", got[0].Subject, got[1].Subject)
	}
}

func TestMessagesAreCopies(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if err := send(t, s, []string{"a@uni.example"}, "Subject: x\n\nhi\n"); err != nil {
		t.Fatal(err)
	}
	m := s.Wait(t, 1, 10*time.Second)
	m[0].To[0], m[0].Data[0] = "changed", 'X'
	m[0].Header["Subject"][0] = "changed"
	again := s.Messages()[0]
	if again.To[0] != "a@uni.example" || again.Data[0] == 'X' || again.Header.Get("Subject") != "x" {
		t.Errorf("the server's copy changed: %+v", again)
	}
}

// Wait waits for messages that arrive later, from another goroutine.
func TestWaitConcurrent(t *testing.T) {
	t.Parallel()
	s := Start(t)
	errc := make(chan error, 3)
	for i := range 3 {
		go func() {
			errc <- sendFrom(addr(s), "a@campus.example", []string{"b@uni.example"},
				fmt.Sprintf("Subject: %d\r\n\r\nhi\r\n", i))
		}()
	}
	if got := s.Wait(t, 3, 10*time.Second); len(got) != 3 {
		t.Errorf("Wait returned %d messages", len(got))
	}
	for range 3 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// fatalTB records a Fatalf instead of ending the goroutine.
type fatalTB struct {
	testing.TB
	failed string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	s := Start(t)
	tb := &fatalTB{TB: t}
	start := time.Now()
	if got := s.Wait(tb, 1, 50*time.Millisecond); got != nil {
		t.Errorf("Wait returned %v", got)
	}
	if !strings.Contains(tb.failed, "0 message(s) arrived") {
		t.Errorf("Wait failed with %q", tb.failed)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("Wait gave up after %s", d)
	}
}
