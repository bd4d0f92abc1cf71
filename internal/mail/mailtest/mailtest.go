// Package mailtest is an SMTP server for tests: it listens on a loopback
// port, keeps every message it receives and parses its MIME parts, so that a
// test can check what campus really sent, follow the link in a mail, or make
// the server fail in the ways a real one does (down, rejecting a recipient,
// refusing a password, no STARTTLS).
//
// It is not a mail server for anything but tests: it delivers nothing and
// keeps everything in memory.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Option changes how Start sets up the server.
type Option func(*options)

type options struct {
	starttls, implicitTLS bool
	user, pass            string
}

// WithTLS offers STARTTLS (RFC 3207) with a self-signed certificate for
// 127.0.0.1, ::1 and localhost (see CertPEM). AUTH is then offered only
// after STARTTLS, as real servers do.
func WithTLS() Option { return func(o *options) { o.starttls = true } }

// ImplicitTLS makes the listener speak TLS from the first byte (RFC 8314),
// with the same certificate as WithTLS.
func ImplicitTLS() Option { return func(o *options) { o.implicitTLS = true } }

// WithAuth requires AUTH PLAIN (RFC 4616) with this user and password before
// MAIL FROM. Without TLS the server offers AUTH in clear text.
func WithAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// Received is one message as the server got it.
type Received struct {
	From string   // the envelope sender (MAIL FROM)
	To   []string // the envelope recipients (RCPT TO)
	Data []byte   // the message as sent, headers and body

	// Parsed from Data: the decoded subject, header and text/plain and
	// text/html parts, with transfer encodings undone and line ends as
	// "\n". Empty when Data does not parse (ParseError says why).
	Header     mail.Header
	Subject    string
	Text, HTML string
	ParseError error
}

// Server is an SMTP server on 127.0.0.1. Its methods are safe for concurrent
// use; those taking a testing.TB must be called from the test's goroutine.
type Server struct {
	opts options
	tls  *tls.Config
	cert []byte // PEM
	port int
	tb   testing.TB

	mu       sync.Mutex
	srv      *smtp.Server // nil while stopped
	ln       net.Listener
	served   chan struct{}
	msgs     []Received
	arrived  chan struct{} // closed and replaced when a message arrives
	rejected map[string]bool
	auths    int
	ended    bool // the test is over: log nothing more
}

// Start starts a server on a free port of 127.0.0.1. It is stopped when the
// test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{tb: tb, arrived: make(chan struct{}), rejected: map[string]bool{}}
	for _, o := range opts {
		o(&s.opts)
	}
	if s.opts.starttls || s.opts.implicitTLS {
		cert, certPEM, err := selfSigned()
		if err != nil {
			tb.Fatalf("mailtest: certificate: %v", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.cert = certPEM
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: listen: %v", err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	tb.Cleanup(func() {
		s.Stop()
		s.mu.Lock()
		s.ended = true
		s.mu.Unlock()
	})
	return s
}

// Host is the address to connect to: "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the port the server listens on; it stays the same across Restart.
func (s *Server) Port() int { return s.port }

// CertPEM is the server's self-signed certificate, for a client's trusted
// roots; nil without TLS.
func (s *Server) CertPEM() []byte { return s.cert }

// AuthAttempts counts AUTH commands the server got, successful or not, so
// that a test can check a password was not sent.
func (s *Server) AuthAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

// Messages returns a copy of the messages received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.msgs)
}

// Wait returns the messages once at least n have arrived, and fails the test
// if they have not within timeout.
func (s *Server) Wait(tb testing.TB, n int, timeout time.Duration) []Received {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := cloneAll(s.msgs)
			s.mu.Unlock()
			return msgs
		}
		arrived, got := s.arrived, len(s.msgs)
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			tb.Fatalf("mailtest: %d message(s) arrived within %s, want %d", got, timeout, n)
			return nil
		}
	}
}

// RejectRecipient makes the server answer RCPT TO for addr (compared without
// regard to case) with 550, a permanent failure.
func (s *Server) RejectRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[strings.ToLower(addr)] = true
}

// Stop closes the listener and every connection, as a server going down
// does. Messages received so far are kept. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, served := s.srv, s.ln, s.served
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	// go-smtp's Close misses a listener that Serve has not registered yet,
	// as right after Start.
	_ = ln.Close()
	<-served
}

// Restart listens again on the same port after Stop.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		tb.Fatalf("mailtest: Restart without Stop")
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
	if err != nil {
		tb.Fatalf("mailtest: listen again on port %d: %v", s.port, err)
	}
	s.serve(ln)
}

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(logWriter{s}, "mailtest: ", 0)
	if s.opts.implicitTLS {
		ln = tls.NewListener(ln, s.tls)
	} else if s.opts.starttls {
		srv.TLSConfig = s.tls
	}
	// Without TLS there is no other way to offer AUTH.
	srv.AllowInsecureAuth = !s.opts.starttls && !s.opts.implicitTLS
	served := make(chan struct{})
	s.mu.Lock()
	s.srv, s.ln, s.served = srv, ln, served
	s.mu.Unlock()
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
}

// logWriter sends the SMTP server's error log to the test log while the
// test runs; testing panics on a log after the test has ended.
type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if !w.s.ended {
		w.s.tb.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	ss.s.auths++
	ss.s.mu.Unlock()
	if ss.s.opts.user == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		okUser := subtle.ConstantTimeCompare([]byte(user), []byte(ss.s.opts.user)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(ss.s.opts.pass)) == 1
		if (identity != "" && identity != user) || !okUser || !okPass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	rejected := ss.s.rejected[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Received{From: ss.from, To: ss.to, Data: data}
	m.ParseError = parse(&m)
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	close(ss.s.arrived)
	ss.s.arrived = make(chan struct{})
	ss.s.mu.Unlock()
	ss.to = nil
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// parse fills the parsed fields of m from m.Data.
func parse(m *Received) error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return err
	}
	m.Header = msg.Header
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	return walk(m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

// walk descends into multipart bodies (RFC 2046 section 5.1) and keeps the
// first text/plain and text/html parts.
func walk(m *Received, contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain" // RFC 2045 section 5.2
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart, not NextPart, which undoes quoted-printable
			// itself but not base64; decode treats both alike.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	b, err := io.ReadAll(decode(encoding, body))
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = text
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r) // skips line ends
	}
	return r
}

func cloneAll(msgs []Received) []Received {
	out := make([]Received, len(msgs))
	for i, m := range msgs {
		m.To = append([]string(nil), m.To...)
		m.Data = append([]byte(nil), m.Data...)
		if m.Header != nil {
			h := make(mail.Header, len(m.Header))
			for k, v := range m.Header {
				h[k] = append([]string(nil), v...)
			}
			m.Header = h
		}
		out[i] = m
	}
	return out
}

// selfSigned makes a certificate for the loopback addresses, valid for a
// day, in memory.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so that it can be its own trusted root
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
