package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity/password"
)

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// running is the real program started in-process.
type running struct {
	url            string
	stdout, stderr *syncBuffer
	stop           func() error
}

// startCampus runs `campus args...` and waits until it serves. stop ends it
// as Ctrl-C would and returns run's error.
func startCampus(t testing.TB, environ map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	if _, set := environ["CAMPUS_MFA_ROLES"]; !set {
		// The tests of other things sign the administrator in with the
		// password alone; the tests of second factors set the roles.
		environ = maps.Clone(environ)
		if environ == nil {
			environ = map[string]string{}
		}
		environ["CAMPUS_MFA_ROLES"] = "none"
	}
	e := env{getenv: envMap(environ), stdout: r.stdout, stderr: r.stderr, ready: func(u string) { ready <- u }}
	go func() { done <- runWith(ctx, e, args) }()
	select {
	case r.url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("campus %v exited before serving: %v\nstderr:\n%s", args, err, r.stderr)
	case <-time.After(90 * time.Second): // generous: CI runs it under -race beside the durability tests
		cancel()
		t.Fatalf("campus %v did not start in time\nstderr:\n%s", args, r.stderr)
	}
	var once sync.Once
	var stopErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = errors.New("campus did not stop within 20s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// tlsClient trusts exactly the certificate in certFile.
func tlsClient(t testing.TB, certFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", certFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type response struct {
	status int
	header http.Header
	body   string
	cert   *x509.Certificate
}

func get(t testing.TB, c *http.Client, url string) response {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.cert = resp.TLS.PeerCertificates[0]
	}
	return r
}

var generatedPassword = regexp.MustCompile(`password: ([A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){5})`)

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}

	first := startCampus(t, nil, args...)
	if !strings.HasPrefix(first.url, "https://127.0.0.1:") {
		t.Fatalf("public URL %q, want https://127.0.0.1:PORT", first.url)
	}
	client := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))

	mounts := []struct {
		path, wantType, wantBody string
	}{
		{"/healthz", "application/json", `"service":"campus"`},
		{"/readyz", "application/json", `"status":"ready"`},
		{"/idp/healthz", "application/json", `"service":"identity"`},
		{"/idp/readyz", "application/json", `"database":"ok"`},
		{"/idp/", "application/json", `"issuer":"` + first.url + `/idp"`},
		{"/study/healthz", "application/json", `"service":"study"`},
		{"/study/readyz", "application/json", `"identity":"ok"`},
		{"/study/", "application/json", `"service":"study"`},
		{"/", "text/html", "Welcome to campus"},
		{"/static/campus.css", "text/css", "--accent"},
	}
	var firstCert *x509.Certificate
	for _, m := range mounts {
		r := get(t, client, first.url+m.path)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), m.wantType) || !strings.Contains(r.body, m.wantBody) {
			t.Errorf("GET %s = %d %s %q; want 200 %s containing %s", m.path, r.status, r.header.Get("Content-Type"), r.body, m.wantType, m.wantBody)
		}
		if r.header.Get("Strict-Transport-Security") == "" || r.header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s lacks HSTS or X-Request-Id: %v", m.path, r.header)
		}
		firstCert = r.cert
	}
	if r := get(t, client, first.url+"/idp/no-such-thing"); r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown identity path = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := get(t, client, first.url+"/"); !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("portal page CSP = %q", r.header.Get("Content-Security-Policy"))
	}

	m := generatedPassword.FindStringSubmatch(first.stdout.String())
	if m == nil {
		t.Fatalf("first start did not print a generated administrator password:\n%s", first.stdout)
	}
	adminPassword := m[1]
	if strings.Contains(first.stderr.String(), adminPassword) {
		t.Fatal("the administrator password reached the log")
	}
	if !strings.Contains(first.stderr.String(), "path=/readyz") || !strings.Contains(first.stderr.String(), "service=study") {
		t.Errorf("no request log lines naming path and service:\n%s", first.stderr)
	}
	if err := first.stop(); err != nil {
		t.Fatalf("campus stopped with %v, want a clean exit", err)
	}
	hash := adminHash(t, dir)
	if ok, _, err := password.Verify(adminPassword, hash, password.Default); !ok || err != nil {
		t.Fatalf("printed password does not match the stored administrator: %v", err)
	}

	// A restart reuses everything: no new administrator, no new password
	// (not even when one is configured now), the same certificate.
	second := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": "a-new-password-that-must-be-ignored"}, args...)
	r := get(t, client, second.url+"/readyz")
	if r.status != http.StatusOK {
		t.Fatalf("readyz after restart = %d %s", r.status, r.body)
	}
	if !r.cert.Equal(firstCert) {
		t.Error("restart served a new certificate")
	}
	if strings.Contains(second.stdout.String(), "password") {
		t.Errorf("restart printed a password:\n%s", second.stdout)
	}
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
	if adminHash(t, dir) != hash {
		t.Fatal("restart changed the administrator's password")
	}
	for _, f := range []string{"identity.db", "study.db", "portal.db", "tls/key.pem"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, err %v; want private to campus", f, fi.Mode().Perm(), err)
		}
	}
}

func adminHash(t testing.TB, dir string) string {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("accounts: %d, %v; want exactly the administrator", n, err)
	}
	_, hash, err := identityStore(t, d, dir).AccountByLogin(context.Background(), "admin@localhost")
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

func TestServeOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{
		"CAMPUS_IDENTITY_DB":    dbtest.PostgresURL(t),
		"CAMPUS_STUDY_DB":       dbtest.PostgresURL(t),
		"CAMPUS_PORTAL_DB":      dbtest.PostgresURL(t),
		"CAMPUS_MESSAGES_DB":    dbtest.PostgresURL(t),
		"CAMPUS_ADMIN_PASSWORD": "correct-horse-battery",
	}, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	client := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))
	if res := get(t, client, r.url+"/readyz"); res.status != http.StatusOK {
		t.Fatalf("readyz on PostgreSQL = %d %s", res.status, res.body)
	}
	if !strings.Contains(r.stdout.String(), "the one in CAMPUS_ADMIN_PASSWORD") {
		t.Errorf("configured administrator password not acknowledged:\n%s", r.stdout)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.db")); len(matches) != 0 {
		t.Errorf("SQLite files created although every service is on PostgreSQL: %v", matches)
	}
}

func TestServicesRunApart(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	id := startCampus(t, nil, "identity", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, "identity"))
	idCert := filepath.Join(base, "identity", "tls", "cert.pem")

	study := startCampus(t, nil, "study", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, "study"),
		"--issuer", id.url, "--ca-file", idCert)
	// The portal trusts both services' self-signed certificates.
	bundle := filepath.Join(base, "bundle.pem")
	a, _ := os.ReadFile(idCert)
	b, _ := os.ReadFile(filepath.Join(base, "study", "tls", "cert.pem"))
	os.WriteFile(bundle, append(a, b...), 0o600)
	portal := startCampus(t, map[string]string{"CAMPUS_PORTAL_CLIENT_SECRET": "not-used-until-sign-in",
		"CAMPUS_PORTAL_SESSION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}, "portal", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, "portal"),
		"--issuer", id.url, "--study-url", study.url, "--ca-file", bundle)

	checks := []struct {
		name, url, cert, want string
	}{
		{"identity", id.url + "/readyz", idCert, `"database":"ok"`},
		{"identity index", id.url + "/", idCert, `"issuer":"` + id.url + `"`},
		{"study", study.url + "/readyz", filepath.Join(base, "study", "tls", "cert.pem"), `"identity":"ok"`},
		{"portal", portal.url + "/readyz", filepath.Join(base, "portal", "tls", "cert.pem"), `"study":"ok"`},
	}
	for _, c := range checks {
		r := get(t, tlsClient(t, c.cert), c.url)
		if r.status != http.StatusOK || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: GET %s = %d %s; want 200 with %s", c.name, c.url, r.status, r.body, c.want)
		}
	}

	// With identity gone, the services depending on it are degraded, not
	// out of the balancer: they still serve what needs no identity.
	if err := id.stop(); err != nil {
		t.Fatal(err)
	}
	r := get(t, tlsClient(t, filepath.Join(base, "portal", "tls", "cert.pem")), portal.url+"/readyz")
	if r.status != http.StatusOK || !strings.Contains(r.body, `"identity":"failing"`) || !strings.Contains(r.body, `"status":"degraded"`) {
		t.Errorf("portal readyz without identity = %d %s; want 200, degraded, naming identity", r.status, r.body)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	tmp := t.TempDir()
	aFile := filepath.Join(tmp, "a-file")
	os.WriteFile(aFile, nil, 0o600)

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{
			name:     "every usage problem at once",
			args:     []string{"serve", "--adr", ":1", "--log-format", "xml", "--shutdown-grace", "5x", "--tls-cert", "c.pem", "--nope"},
			wantCode: 2,
			want:     []string{"5 problems", "--adr (did you mean --addr?)", "--log-format", "--shutdown-grace", "--tls-key", "--nope"},
		},
		{
			name:     "invalid environment values",
			args:     []string{"serve"},
			env:      map[string]string{"CAMPUS_ADDR": "nonsense", "CAMPUS_IDENTITY_DB": "mysql://x", "CAMPUS_ADMIN_PASSWORD": "short"},
			wantCode: 2,
			want:     []string{"3 problems", "--addr", "identity database", "CAMPUS_ADMIN_PASSWORD is too short"},
		},
		{
			name: "mail and directory settings",
			args: []string{"serve", "--smtp-host", "mail.uni.example", "--smtp-tls", "clear", "--ldap-url", "http://dc", "--ldap-new-accounts", "magic",
				"--email-confirmation-ttl", "10s"},
			wantCode: 2,
			want:     []string{"7 problems", `smtp tls "clear"`, "smtp from", "ldap url must start with ldap://", "--ldap-new-accounts", "--email-confirmation-ttl"},
		},
		{
			name:     "a directory sync without a directory",
			args:     []string{"directory", "sync", "--data", tmp},
			wantCode: 2,
			want:     []string{"--ldap-url (CAMPUS_LDAP_URL): no directory is configured"},
		},
		{
			name:     "unknown command",
			args:     []string{"srve"},
			wantCode: 2,
			want:     []string{`unknown command "srve"`},
		},
		{
			name:     "standalone study without issuer",
			args:     []string{"study", "--issuer", "http://id.example.edu"},
			wantCode: 2,
			want:     []string{"--issuer", "must be https://"},
		},
		{
			name:     "unwritable data dir",
			args:     []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(aFile, "data")},
			wantCode: 1,
			want:     []string{"cannot create data directory " + filepath.Join(aFile, "data")},
		},
		{
			name:     "port in use",
			args:     []string{"serve", "--addr", busy.Addr().String(), "--data", filepath.Join(tmp, "port")},
			wantCode: 1,
			want:     []string{"cannot listen on " + busy.Addr().String(), "already in use"},
		},
		{
			name:     "unreadable certificate",
			args:     []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(tmp, "cert"), "--tls-cert", filepath.Join(tmp, "missing.pem"), "--tls-key", aFile},
			wantCode: 1,
			want:     []string{filepath.Join(tmp, "missing.pem")},
		},
		{
			name:     "unreachable database",
			args:     []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(tmp, "db"), "--identity-db", "postgres://campus:s3cret@127.0.0.1:1/campus?sslmode=disable&connect_timeout=2"},
			wantCode: 1,
			want:     []string{"identity database", "127.0.0.1:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, envMap(tt.env), &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			msg := stderr.String()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "s3cret") || strings.Contains(msg, "short\"") {
				t.Errorf("message shows a secret:\n%s", msg)
			}
			if tt.wantCode == 2 {
				if _, err := os.Stat("campus-data"); err == nil {
					t.Error("a usage error created ./campus-data")
				}
			}
		})
	}
}

func TestUsageErrorCreatesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	err := run(context.Background(), []string{"serve", "--data", dir, "--log-level", "loud"}, envMap(nil), io.Discard, io.Discard)
	var ue *config.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("data directory exists after a usage error: %v", err)
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"serve", "identity", "study", "portal", "migrate", "config", "version"}},
		{[]string{"serve", "--help"}, []string{"--addr", "CAMPUS_ADDR", ":8443", "--data", "CAMPUS_DATA", "--identity-db", "CAMPUS_IDENTITY_DB", "CAMPUS_ADMIN_PASSWORD", "--tls-cert", "--acme-domain", "--plain-http", "--public-url", "--log-format"}},
		{[]string{"study", "--help"}, []string{"--issuer", "CAMPUS_ISSUER", "--ca-file", "--db", "CAMPUS_STUDY_DB"}},
		{[]string{"portal", "--help"}, []string{"--study-url", "CAMPUS_STUDY_URL", "campus clients add --portal PUBLIC-URL", "CAMPUS_PORTAL_CLIENT_SECRET", "--ca-file"}},
		{[]string{"identity", "--help"}, []string{"--ca-file", "CAMPUS_CA_FILE", "back-channel logout"}},
		{[]string{"clients", "add", "--help"}, []string{"--portal", "--study", "auth/backchannel-logout", "grades:read"}},
		{[]string{"help", "migrate"}, []string{"--service"}},
		{[]string{"version"}, []string{"campus dev"}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if err := run(context.Background(), tt.args, envMap(nil), &out, io.Discard); err != nil {
			t.Errorf("campus %v: %v", tt.args, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("campus %v output lacks %q:\n%s", tt.args, w, out.String())
			}
		}
	}
}

func TestConfigCommandRedactsSecrets(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"config", "--addr", ":9000"}, envMap(map[string]string{
		"CAMPUS_ADMIN_PASSWORD": "very-secret-admin-password",
	}), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "very-secret-admin-password") {
		t.Fatalf("config printed the secret:\n%s", s)
	}
	for _, w := range []string{"addr: :9000 # flag --addr", "password: <redacted> # env CAMPUS_ADMIN_PASSWORD", "db: sqlite:{data}/identity.db # default"} {
		if !strings.Contains(s, w) {
			t.Errorf("config output lacks %q:\n%s", w, s)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for range 2 {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "--data", dir}, envMap(nil), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"identity", "study", "portal", "schema version 1"} {
			if !strings.Contains(out.String(), w) {
				t.Errorf("migrate output lacks %q:\n%s", w, out.String())
			}
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--data", filepath.Join(dir, "only"), "--service", "study"}, envMap(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "identity") {
		t.Errorf("--service study migrated identity too:\n%s", out.String())
	}
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  serverOptions
		bound net.Addr
		want  string
	}{
		{"default address", serverOptions{Addr: ":8443"}, &net.TCPAddr{Port: 8443}, "https://localhost:8443"},
		{"loopback address", serverOptions{Addr: "127.0.0.1:9000"}, &net.TCPAddr{Port: 9000}, "https://127.0.0.1:9000"},
		{"IPv6 loopback", serverOptions{Addr: "[::1]:9000"}, &net.TCPAddr{Port: 9000}, "https://[::1]:9000"},
		{"port 0 takes the bound port", serverOptions{Addr: "127.0.0.1:0"}, &net.TCPAddr{Port: 41234}, "https://127.0.0.1:41234"},
		{"standard port", serverOptions{Addr: "0.0.0.0:443"}, &net.TCPAddr{Port: 443}, "https://localhost"},
		{"plain http", serverOptions{Addr: ":8080", PlainHTTP: true}, &net.TCPAddr{Port: 8080}, "http://localhost:8080"},
		{"configured", serverOptions{Addr: ":8443", PublicURL: "https://campus.example.edu/"}, &net.TCPAddr{Port: 8443}, "https://campus.example.edu"},
	}
	for _, tt := range tests {
		if got := tt.opts.publicURL(tt.bound); got != tt.want {
			t.Errorf("%s: publicURL = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestReadyzJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json")
	res := get(t, tlsClient(t, filepath.Join(dir, "tls", "cert.pem")), r.url+"/readyz")
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Status != "ready" || len(body.Checks) != 4 || body.Checks["messages"] != "ok" {
		t.Fatalf("readyz = %s (%v)", res.body, err)
	}
	// --log-format json: every log line is a JSON object.
	r.stop()
	for _, line := range strings.Split(strings.TrimSpace(r.stderr.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
}

func TestServeWithProvidedCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// An operator's certificate: any PEM pair for the address works.
	certDir := filepath.Join(dir, "provided")
	if _, _, err := certs.SelfSigned(certDir, []string{"127.0.0.1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")

	data := filepath.Join(dir, "data")
	r := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", data, "--tls-cert", certFile, "--tls-key", keyFile)
	res := get(t, tlsClient(t, certFile), r.url+"/readyz")
	if res.status != http.StatusOK {
		t.Fatalf("readyz with provided certificate = %d", res.status)
	}
	if _, err := os.Stat(filepath.Join(data, "tls")); !os.IsNotExist(err) {
		t.Errorf("a self-signed certificate was made although one was provided: %v", err)
	}
}

func TestServePlainHTTPBehindProxy(t *testing.T) {
	t.Parallel()
	r := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--plain-http")
	if !strings.HasPrefix(r.url, "http://127.0.0.1:") {
		t.Fatalf("public URL %q, want http://", r.url)
	}
	res := get(t, &http.Client{Timeout: 5 * time.Second}, r.url+"/readyz")
	if res.status != http.StatusOK || res.header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain readyz = %d, HSTS %q", res.status, res.header.Get("Strict-Transport-Security"))
	}
	if !strings.Contains(r.stderr.String(), "plain HTTP") {
		t.Errorf("no warning about plain HTTP in the log:\n%s", r.stderr)
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "campus.yaml")
	os.WriteFile(good, []byte("addr: 127.0.0.1:0\nadmin:\n  email: it@uni.example\nlog:\n  format: json\n"), 0o600)
	r := startCampus(t, map[string]string{"CAMPUS_DATA": filepath.Join(dir, "data")}, "serve", "--config", good)
	if !strings.Contains(r.stdout.String(), "it@uni.example") {
		t.Errorf("administrator e-mail from the file not used:\n%s", r.stdout)
	}
	if !strings.HasPrefix(strings.TrimSpace(r.stderr.String()), "{") {
		t.Errorf("log format from the file not used:\n%s", r.stderr)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("adress: :9000\nlog:\n  format: [1, 2]\n"), 0o600)
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--config", bad, "--data", filepath.Join(dir, "never")}, envMap(nil), io.Discard, &stderr)
	if code := exitCode(err, &stderr); code != 2 {
		t.Fatalf("bad config file: exit %d, want 2", code)
	}
	for _, w := range []string{"adress", bad, "log.format"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("message lacks %q:\n%s", w, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); !os.IsNotExist(err) {
		t.Error("a bad config file still created the data directory")
	}
}

func TestUnexpectedArgument(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "extra"}, envMap(nil), io.Discard, &stderr)
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), `unexpected argument "extra"`) {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}
