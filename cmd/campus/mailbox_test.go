package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"campus/internal/mail"
)

// mailTo waits until the developer mailbox of a running campus holds a
// mail to addr whose subject contains subject, and returns the newest.
func (p *idp) mailTo(t testing.TB, addr, subject string) mail.Stored {
	t.Helper()
	mb, err := mail.NewMailbox(filepath.Join(p.dir, mailboxDir))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		all, err := mb.List(1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range all {
			if strings.EqualFold(m.To, addr) && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s about %q in the developer mailbox; it holds %d mails", addr, subject, len(all))
		}
		time.Sleep(20 * time.Millisecond) // the outbox worker sends within milliseconds of a wake-up
	}
}

var mailLink = regexp.MustCompile(`https://\S+\?token=[A-Za-z0-9_-]+`)

// linkIn returns the single-use link of a mail.
func linkIn(t testing.TB, m mail.Stored) string {
	t.Helper()
	l := mailLink.FindString(m.Text)
	if l == "" {
		t.Fatalf("no link in the mail %q:\n%s", m.Subject, m.Text)
	}
	return l
}

// confirmEmail opens the confirmation link mailed to addr and presses
// the button, as the person would.
func (p *idp) confirmEmail(t testing.TB, addr string) page {
	t.Helper()
	b := p.browser(t)
	pg := getPage(t, b, linkIn(t, p.mailTo(t, addr, "onfirm")))
	if pg.status != http.StatusOK {
		t.Fatalf("confirmation page: %d %s", pg.status, pg.body)
	}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(pg.body)
	csrf := formCSRF.FindStringSubmatch(pg.body)
	if token == nil || csrf == nil {
		t.Fatalf("no confirmation form: %s", pg.body)
	}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/confirm", strings.NewReader(url.Values{"token": {token[1]}, "csrf": {csrf[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

func TestDeveloperMailbox(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	e := &apiEnv{p: p}
	e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "",
		map[string]any{"username": "dora", "email": "dora@uni.example", "password": "a-fine-passphrase", "given_name": "Dora", "family_name": "Dev"})
	m := p.mailTo(t, "dora@uni.example", "")
	b := p.browser(t)
	list := getPage(t, b, p.issuer+"/dev/mail")
	if list.status != http.StatusOK || !strings.Contains(list.body, "Developer mailbox.") || !strings.Contains(list.body, "dora@uni.example") ||
		!strings.Contains(list.body, "/dev/mail/"+m.ID) {
		t.Fatalf("mailbox: %d\n%s", list.status, list.body)
	}
	one := getPage(t, b, p.issuer+"/dev/mail/"+m.ID)
	if one.status != http.StatusOK || !strings.Contains(one.body, `<a href="`+p.issuer+`/confirm?token=`) {
		t.Fatalf("mail: %d\n%s", one.status, one.body)
	}
	if pg := getPage(t, b, p.issuer+"/dev/mail/..%2f..%2fidentity.db"); pg.status != http.StatusNotFound {
		t.Fatalf("a path for an id: %d", pg.status)
	}
	// Through a proxy (even one on this machine) it is not shown.
	req, _ := http.NewRequest(http.MethodGet, p.issuer+"/dev/mail", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if pg := visit(t, b, req); pg.status != http.StatusForbidden || strings.Contains(pg.body, "dora@") {
		t.Fatalf("through a proxy: %d", pg.status)
	}
}
