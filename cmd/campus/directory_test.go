package main

import (
	"bytes"
	"campus/internal/identity/datakeys"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/directory/ldaptest"
	identitystore "campus/internal/identity/store"
)

// ldapEnv are the CAMPUS_LDAP_* settings of a test directory.
func ldapEnv(srv *ldaptest.Server) map[string]string {
	c := srv.Config()
	return map[string]string{
		"CAMPUS_LDAP_URL": c.URL, "CAMPUS_LDAP_BIND_DN": c.BindDN, "CAMPUS_LDAP_BIND_PASSWORD": c.BindPassword,
		"CAMPUS_LDAP_BASE_DN": c.BaseDN, "CAMPUS_LDAP_GROUP_DN": c.GroupDN, "CAMPUS_LDAP_USER_FILTER": c.UserFilter,
		"CAMPUS_LDAP_ATTR_USERNAME": "uid", "CAMPUS_LDAP_TIMEOUT": "3s", "CAMPUS_LDAP_SYNC_INTERVAL": "0s",
	}
}

func members(n int) []ldaptest.User {
	users := make([]ldaptest.User, n)
	for i := range users {
		uid := fmt.Sprintf("u%04d", i)
		users[i] = ldaptest.User{UID: uid, Email: uid + "@dir.example", GivenName: "Given" + uid, FamilyName: "Family", Password: "dir-pass-" + uid}
	}
	return users
}

// directorySync runs `campus directory sync` and returns its output.
func directorySync(t *testing.T, dir string, env map[string]string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"directory", "sync", "--data", dir}, envMap(env), &out, &errOut)
	return out.String() + errOut.String(), err
}

// countRows runs a COUNT query on identity's database.
func countRows(t *testing.T, dir, query string) int {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// accountsState is every account's id, status and version: what a sync
// changes.
func accountsState(t *testing.T, dir string) string {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Usernames and addresses are stored encrypted: the store reads them.
	st := identityStore(t, d, dir)
	rows, err := d.QueryContext(context.Background(), `SELECT id, status, version FROM accounts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, s string
		var v int
		if err := rows.Scan(&id, &s, &v); err != nil {
			t.Fatal(err)
		}
		a, err := st.Account(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, id, a.Username, a.Email, s, v)
	}
	return b.String()
}

func TestDirectoryEndToEnd(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(1000), true)
	srv.AddUsers(t, []ldaptest.User{{UID: "outsider", Email: "outsider@dir.example", Password: "outsider-pass-1"}}, false)

	env := ldapEnv(srv)
	env["CAMPUS_ADMIN_PASSWORD"], env["CAMPUS_SIGN_INS_PER_IP_MINUTE"] = adminPassword, "6000"
	dir := t.TempDir()
	r := startCampus(t, env, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	p.addUser(t, "u0999", "local-password-1") // a local account with a member's username
	console := p.addClient(t, "--id", "console", "--name", "Admin console", "--first-party",
		"--redirect-uri", "https://console.uni.example/cb", "--scope", "openid", "--scope", "users:read", "--scope", "users:write")
	e := &apiEnv{p: p, console: console, rp: newRP(t, p, console, oidc.ScopeOpenID, "users:read", "users:write")}

	// The first sync: 999 accounts, the clash reported, nothing else.
	out, err := directorySync(t, dir, env)
	if err != nil || !strings.Contains(out, "1000 members: 999 created, 0 updated, 0 enabled again, 0 disabled, 0 unchanged, 1 skipped") ||
		!strings.Contains(out, "u0999: no account made, the username is taken by a local account") {
		t.Fatalf("first sync: %v\n%s", err, out)
	}
	admin := e.token(t, "admin", adminPassword)
	u := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=u0001", admin, nil).body["items"].([]any)[0].(map[string]any)
	if u["email"] != "u0001@dir.example" || u["given_name"] != "Givenu0001" || u["directory"] != true || u["email_verified"] != true ||
		fmt.Sprint(u["roles"]) != "[student]" {
		t.Fatalf("imported account: %v", u)
	}

	// Members sign in with their directory password (an LDAP bind).
	e.token(t, "u0001", "dir-pass-u0001")
	b := p.browser(t)
	start := getPage(t, b, e.rp.config.AuthCodeURL("s"))
	for _, tc := range []struct{ user, pw string }{{"u0001", "wrong-password"}, {"u0001", ""}, {"outsider", "outsider-pass-1"}, {"u*", "dir-pass-u0001"}} {
		if pg := submitLogin(t, p, b, start, tc.user, tc.pw); pg.status != http.StatusUnauthorized {
			t.Errorf("%s with %q: %d", tc.user, tc.pw, pg.status)
		}
	}
	e.token(t, "u0999", "local-password-1") // the local account is untouched

	leaver := p.browser(t)
	e.rp.signIn(t, p, leaver, "u0003", "dir-pass-u0003")

	// Changes in the directory follow at the next sync (here: the API).
	srv.Modify(t, "u0002", map[string]string{"mail": "new.u0002@dir.example", "sn": "Married"})
	srv.RemoveFromGroup(t, "u0003")
	rep := e.must(t, http.StatusOK, "POST", "/api/v1/directory/sync", admin, nil)
	if rep.body["updated"] != float64(1) || rep.body["disabled"] != float64(1) || rep.body["unchanged"] != float64(997) {
		t.Fatalf("second sync: %s", rep)
	}
	u = e.must(t, http.StatusOK, "GET", "/api/v1/users?q=u0002", admin, nil).body["items"].([]any)[0].(map[string]any)
	if u["email"] != "new.u0002@dir.example" || u["family_name"] != "Married" {
		t.Fatalf("updated account: %v", u)
	}
	// Whoever left the group is disabled, and cannot bind meanwhile.
	if u := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=u0003", admin, nil).body["items"].([]any)[0].(map[string]any); u["status"] != "disabled" {
		t.Fatalf("a member who left: %v", u)
	}
	if pg := submitLogin(t, p, b, getPage(t, b, e.rp.config.AuthCodeURL("s")), "u0003", "dir-pass-u0003"); pg.status != http.StatusUnauthorized {
		t.Fatalf("a member who left signs in: %d", pg.status)
	}
	// Their session and refresh tokens ended with the sync.
	if pg := getPage(t, leaver, e.rp.config.AuthCodeURL("s")); pg.location != nil {
		t.Fatalf("the leaver's session still signs in: %d %v", pg.status, pg.location)
	}
	if n := countRows(t, dir, `SELECT COUNT(*) FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'u0003' AND s.ended_at IS NULL`); n != 0 {
		t.Fatalf("%d open sessions of the leaver", n)
	}
	srv.AddToGroup(t, "u0003")
	if rep := e.must(t, http.StatusOK, "POST", "/api/v1/directory/sync", admin, nil); rep.body["enabled"] != float64(1) {
		t.Fatalf("third sync: %s", rep)
	}
	e.token(t, "u0003", "dir-pass-u0003")
	if st := e.must(t, http.StatusOK, "GET", "/api/v1/directory", admin, nil); st.body["running"] != false || st.body["last_report"] == nil {
		t.Fatalf("directory status: %s", st)
	}

	// The directory goes down: its accounts hear why, local ones sign in,
	// and a sync changes nothing and says so.
	srv.Stop()
	before := accountsState(t, dir)
	if pg := submitLogin(t, p, b, getPage(t, b, e.rp.config.AuthCodeURL("s")), "u0001", "dir-pass-u0001"); pg.status != http.StatusServiceUnavailable ||
		!strings.Contains(pg.body, "university directory cannot be reached") {
		t.Fatalf("directory down: %d\n%s", pg.status, pg.body)
	}
	e.token(t, "admin", adminPassword)
	if r := e.call(t, "POST", "/api/v1/directory/sync", admin, nil); r.status != http.StatusBadGateway {
		t.Fatalf("sync while down: %s", r)
	}
	if out, err := directorySync(t, dir, env); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("campus directory sync while down: %v\n%s", err, out)
	}
	if after := accountsState(t, dir); after != before {
		t.Fatal("a failed sync changed accounts")
	}
}

// TestDirectoryStopsMidSync stops the directory after the first page of
// members: the sync fails and no account changes.
func TestDirectoryStopsMidSync(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(300), true)
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, identitystore.Migrations); err != nil {
		t.Fatal(err)
	}
	st := identitystore.New(d, time.Now, datakeys.Test())
	cfg := srv.Config()
	cfg.PageSize = 100
	client, err := directory.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := directory.NewSyncer(client, st, identitystore.DirectoryOptions{DisableMissing: true, Role: identity.RoleStudent}, 0, slog.New(slog.DiscardHandler), time.Now)
	if rep, err := s.Sync(ctx); err != nil || rep.Created != 300 {
		t.Fatalf("first sync: %v %+v", err, rep)
	}
	srv.Modify(t, "u0001", map[string]string{"mail": "changed@dir.example"})
	srv.RemoveFromGroup(t, "u0002")
	count := func() (n int) {
		// Addresses are stored encrypted: counted as the store reads them.
		q := identitystore.AccountQuery{Status: identity.StatusActive, Limit: 200}
		for {
			page, err := st.ListAccounts(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Accounts {
				if strings.HasSuffix(a.Email, "@dir.example") && a.Email != "changed@dir.example" {
					n++
				}
			}
			if page.Next == "" {
				return n
			}
			q.After = page.Next
		}
	}
	s.Progress = func(phase string, done, _ int) {
		if phase == "read" && done >= 100 {
			srv.Stop()
		}
	}
	if _, err := s.Sync(ctx); err == nil || !strings.Contains(err.Error(), "directory unavailable") {
		t.Fatalf("sync with the directory stopping: %v", err)
	}
	if n := count(); n != 300 {
		t.Fatalf("%d unchanged active accounts after the failed sync, want 300", n)
	}
	if st, err := s.Status(ctx); err != nil || st.LastError == "" || st.Running {
		t.Fatalf("status after the failure: %+v, %v", st, err)
	}
}
