package main

import (
	"context"
	"html"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/db"
)

// execIdentity changes identity's database directly, as an administrator
// would through the admin API.
func execIdentity(t testing.TB, p *idp, query string, args ...any) {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(p.dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

func TestSignInRules(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	lms := p.addClient(t, "--id", "lms", "--first-party", "--redirect-uri", "https://lms.uni.example/cb")
	exam := p.addClient(t, "--id", "exam", "--name", "Exam Office", "--first-party", "--redirect-uri", "https://exam.uni.example/cb")
	p.addUser(t, "stud", "student-password-1", "student")
	p.addUser(t, "night", "night-password-12", "staff")

	// Students may use the learning platform only; staff only outside the
	// current hour.
	execIdentity(t, p, `UPDATE roles SET allowed_clients = $1 WHERE name = 'student'`, `["lms"]`)
	now := time.Now().UTC()
	from, to := now.Add(2*time.Hour).Format("15:04"), now.Add(3*time.Hour).Format("15:04")
	execIdentity(t, p, `UPDATE roles SET login_window = $1 WHERE name = 'staff'`, `{"earliest":"`+from+`","latest":"`+to+`"}`)

	tryLogin := func(c clientView, user, pw string) page {
		b := p.browser(t)
		r := newRP(t, p, c, oidc.ScopeOpenID)
		start := getPage(t, b, r.config.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		return submitLogin(t, p, b, start, user, pw)
	}
	tests := []struct {
		name   string
		client clientView
		user   string
		pw     string
		status int
		want   string
	}{
		{"student to the allowed application", lms, "stud", "student-password-1", http.StatusSeeOther, ""},
		{"student to another application", exam, "stud", "student-password-1", http.StatusForbidden, `Your role "student" does not give access to Exam Office.`},
		{"staff outside the window", lms, "night", "night-password-12", http.StatusForbidden, "Sign-in is allowed only " + from + "–" + to + " (UTC)"},
		{"wrong password stays the generic answer", exam, "stud", "wrong-password", http.StatusUnauthorized, "not right"},
	}
	for _, tt := range tests {
		pg := tryLogin(tt.client, tt.user, tt.pw)
		if tt.status == http.StatusSeeOther {
			if pg.location == nil || pg.location.Query().Get("code") == "" {
				t.Errorf("%s: no code (status %d)", tt.name, pg.status)
			}
			continue
		}
		if pg.status != tt.status || !strings.Contains(html.UnescapeString(pg.body), tt.want) {
			t.Errorf("%s: status %d, want %d with %q", tt.name, pg.status, tt.status, tt.want)
		}
	}
}
