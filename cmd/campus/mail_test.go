package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"campus/internal/identity/directory/ldaptest"
	"campus/internal/mail/mailtest"
)

// smtpCampus runs campus serve sending its mail through a real SMTP
// exchange: STARTTLS with the test server's certificate, and AUTH.
func smtpCampus(t *testing.T, extra map[string]string) (*apiEnv, *mailtest.Server, map[string]string) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.WithTLS(), mailtest.WithAuth("campus", "smtp-secret"))
	ca := filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(ca, smtp.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000",
		"CAMPUS_SMTP_HOST": smtp.Host(), "CAMPUS_SMTP_PORT": strconv.Itoa(smtp.Port()), "CAMPUS_SMTP_USERNAME": "campus",
		"CAMPUS_SMTP_PASSWORD": "smtp-secret", "CAMPUS_SMTP_FROM": "Campus <noreply@uni.example>", "CAMPUS_SMTP_CA_FILE": ca,
		"CAMPUS_MAIL_RETRY_BASE": "200ms"}
	for k, v := range extra {
		env[k] = v
	}
	dir := t.TempDir()
	r := startCampus(t, env, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	console := p.addClient(t, "--id", "console", "--name", "Admin console", "--first-party",
		"--redirect-uri", "https://console.uni.example/cb", "--scope", "openid", "--scope", "users:read", "--scope", "users:write")
	return &apiEnv{p: p, console: console, rp: newRP(t, p, console, oidc.ScopeOpenID, "users:read", "users:write")}, smtp, env
}

// received waits for the next mail to addr.
func received(t *testing.T, smtp *mailtest.Server, n int, addr string) mailtest.Received {
	t.Helper()
	msgs := smtp.Wait(t, n, 10*time.Second)
	m := msgs[n-1]
	if len(m.To) != 1 || !strings.EqualFold(m.To[0], addr) || m.From != "noreply@uni.example" || m.ParseError != nil {
		t.Fatalf("mail %d: from %s to %v (%v), want to %s", n, m.From, m.To, m.ParseError, addr)
	}
	return m
}

// formOf reads a form's hidden fields from a page.
func formOf(t *testing.T, pg page, names ...string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, n := range names {
		m := regexp.MustCompile(`name="` + n + `" value="([^"]*)"`).FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("no field %s on the page (%d):\n%s", n, pg.status, pg.body)
		}
		v.Set(n, m[1])
	}
	return v
}

func postPage(t *testing.T, b *http.Client, u string, form url.Values) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

func TestMailConfirmationAndResetOverSMTP(t *testing.T) {
	t.Parallel()
	e, smtp, _ := smtpCampus(t, nil)
	p := e.p

	// Registration mails the confirmation link, in the browser's language.
	reg := map[string]any{"username": "lena", "email": "lena@uni.example", "password": "a-fine-passphrase", "given_name": "Lena", "family_name": "Lang"}
	e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", reg, "Accept-Language", "de-DE,de;q=0.9")
	m := received(t, smtp, 1, "lena@uni.example")
	if !strings.Contains(m.Subject, "Bestätigen") || !strings.Contains(m.HTML, `lang="de"`) || !mailLink.MatchString(m.Text) {
		t.Fatalf("confirmation mail: %q\n%s", m.Subject, m.Text)
	}
	b := p.browser(t)
	pg := getPage(t, b, mailLink.FindString(m.Text))
	if done := postPage(t, b, p.issuer+"/confirm", formOf(t, pg, "token", "csrf")); done.status != http.StatusOK || !strings.Contains(done.body, "is confirmed") {
		t.Fatalf("confirm: %d\n%s", done.status, done.body)
	}
	// The link is single-use.
	if again := getPage(t, b, mailLink.FindString(m.Text)); again.status != http.StatusBadRequest || !strings.Contains(again.body, "not valid any more") {
		t.Fatalf("the link again: %d\n%s", again.status, again.body)
	}
	// With SMTP configured there is no developer mailbox.
	if pg := getPage(t, b, p.issuer+"/dev/mail"); pg.status != http.StatusNotFound {
		t.Fatalf("developer mailbox with SMTP: %d", pg.status)
	}

	// Forgot password: the same answer for an account and for nobody, a
	// mail only for the account.
	signedIn := p.browser(t)
	e.rp.signIn(t, p, signedIn, "lena", "a-fine-passphrase")
	forgot := getPage(t, b, p.issuer+"/password/forgot")
	var answers []string
	for _, who := range []string{"nobody@uni.example", "LENA@uni.example"} {
		f := formOf(t, forgot, "csrf")
		f.Set("login", who)
		pg := postPage(t, b, p.issuer+"/password/forgot", f)
		if pg.status != http.StatusOK {
			t.Fatalf("forgot for %s: %d", who, pg.status)
		}
		answers = append(answers, strings.ReplaceAll(regexp.MustCompile(`value="[^"]*"`).ReplaceAllString(pg.body, ""), who, ""))
	}
	if answers[0] != answers[1] {
		t.Fatalf("the answers differ:\n%s\n---\n%s", answers[0], answers[1])
	}
	// Lena registered on a German page: her mails are German from now on,
	// whatever the browser that asks for them (issue 13).
	m = received(t, smtp, 2, "lena@uni.example")
	if len(smtp.Messages()) != 2 || !strings.Contains(m.Subject, "Passwort") {
		t.Fatalf("reset mail: %q, %d mails", m.Subject, len(smtp.Messages()))
	}
	link := mailLink.FindString(m.Text)
	reset := getPage(t, b, link)
	f := formOf(t, reset, "token", "csrf")
	f.Set("password", "short")
	f.Set("password_confirm", "short")
	if pg := postPage(t, b, p.issuer+"/password/reset", f); pg.status != http.StatusUnprocessableEntity || !strings.Contains(pg.body, `id="password-error"`) {
		t.Fatalf("weak password: %d\n%s", pg.status, pg.body)
	}
	f.Set("password", "a-brand-new-passphrase")
	f.Set("password_confirm", "a-brand-new-passphrase")
	if pg := postPage(t, b, p.issuer+"/password/reset", f); pg.status != http.StatusOK || !strings.Contains(pg.body, "every session of your account was signed out") {
		t.Fatalf("reset: %d\n%s", pg.status, pg.body)
	}
	if pg := postPage(t, b, p.issuer+"/password/reset", f); pg.status != http.StatusBadRequest {
		t.Fatalf("the reset link twice: %d", pg.status)
	}
	if notice := received(t, smtp, 3, "lena@uni.example"); !strings.Contains(notice.Subject, "geändert") {
		t.Fatalf("notice: %q", notice.Subject)
	}
	// The old password is gone, the new one works, the old session ended.
	if pg := submitLogin(t, p, b, getPage(t, b, e.rp.config.AuthCodeURL("s")), "lena", "a-fine-passphrase"); pg.status != http.StatusUnauthorized {
		t.Fatalf("old password: %d", pg.status)
	}
	e.token(t, "lena", "a-brand-new-passphrase")
	if pg := getPage(t, signedIn, e.rp.config.AuthCodeURL("s")); pg.location != nil || !strings.Contains(pg.body, `name="password"`) {
		t.Fatalf("the session from before the reset still signs in: %d %v", pg.status, pg.location)
	}
}

func TestMailOutboxRetriesAfterTheServerWasDown(t *testing.T) {
	t.Parallel()
	e, smtp, env := smtpCampus(t, nil)
	smtp.Stop()
	reg := map[string]any{"username": "otto", "email": "otto@uni.example", "password": "a-fine-passphrase", "given_name": "Otto", "family_name": "Ohm"}
	e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", reg)
	// The mail waits in the outbox; administrators see it retried.
	admin := e.token(t, "admin", adminPassword)
	deadline := time.Now().Add(10 * time.Second)
	for {
		q := e.must(t, http.StatusOK, "GET", "/api/v1/mail?status=pending", admin, nil)
		items := q.body["items"].([]any)
		if len(items) == 1 && items[0].(map[string]any)["attempts"].(float64) >= 1 {
			if items[0].(map[string]any)["last_error"] == "" || items[0].(map[string]any)["kind"] != "confirm_email" {
				t.Fatalf("pending mail: %s", q)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt recorded: %s", q)
		}
		time.Sleep(50 * time.Millisecond) // the worker retries every 200ms doubling
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"mail", "status", "--data", e.p.dir}, envMap(env), &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "Pending: 1 (1 being retried)") || !strings.Contains(out.String(), "confirm_email") {
		t.Fatalf("campus mail status: %v\n%s%s", err, out.String(), errOut.String())
	}
	smtp.Restart(t)
	m := received(t, smtp, 1, "otto@uni.example")
	if !mailLink.MatchString(m.Text) {
		t.Fatalf("the mail after the outage: %s", m.Text)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		st := e.must(t, http.StatusOK, "GET", "/api/v1/mail", admin, nil).body["status"].(map[string]any)
		if st["pending"] == float64(0) && st["sent_last_24h"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox after delivery: %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDirectoryWelcomeMail(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(2), true)
	extra := ldapEnv(srv)
	extra["CAMPUS_LDAP_NEW_ACCOUNTS"] = "password"
	e, smtp, env := smtpCampus(t, extra)
	if out, err := directorySync(t, e.p.dir, env); err != nil || !strings.Contains(out, "2 created") {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	// The sync queued the mails in the database; the server sends them.
	msgs := smtp.Wait(t, 2, 15*time.Second)
	var welcome mailtest.Received
	for _, m := range msgs {
		if m.To[0] == "u0001@dir.example" {
			welcome = m
		}
	}
	pw := regexp.MustCompile(`(?m)^\s*Password: (\S+)`).FindStringSubmatch(welcome.Text)
	if pw == nil || !strings.Contains(welcome.Text, "u0001") || !strings.Contains(strings.ToLower(welcome.Text), "change") {
		t.Fatalf("welcome mail: %q\n%s", welcome.Subject, welcome.Text)
	}
	e.token(t, "u0001", pw[1]) // the generated password signs in
}
