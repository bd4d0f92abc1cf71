package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/db"
	"campus/internal/identity"
)

// campusCmd runs a campus command in-process and returns its output.
func campusCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, envMap(nil), &out, &errOut)
	if err != nil {
		errOut.WriteString(err.Error()) // as exitCode prints it
	}
	return out.String() + errOut.String(), err
}

// TestBackupRestore: data written, backed up while campus runs, more
// written; the restore is refused while campus runs, then brings the
// first state back, and campus starts on it and signs in. A token of
// before the restore is dead after it: what was revoked since the backup
// must not live again.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	// The same address before and after, so that the issuer is the same
	// and an old token is refused for its revocation alone.
	dir, addr := t.TempDir(), freePort(t)
	start := func() *idp {
		r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000"},
			"serve", "--addr", addr, "--data", dir)
		return &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	}
	p := start()
	t.Cleanup(func() { p.stop() })
	app := p.addClient(t, "--id", "wiki", "--first-party", "--redirect-uri", "https://wiki.uni.example/callback", "--scope", "openid")
	p.addUser(t, "ada", "ada-Passwort-2026")
	rp := newRP(t, p, app, oidc.ScopeOpenID)
	old, _ := rp.signIn(t, p, p.browser(t), "ada", "ada-Passwort-2026")
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(old)); err != nil {
		t.Fatalf("userinfo before the restore: %v", err)
	}

	out, err := campusCmd(t, "backup", "--data", p.dir)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	name := regexp.MustCompile(`Backup (campus-\d{8}T\d{6}Z) made and checked`).FindStringSubmatch(out)
	if name == nil || !strings.Contains(out, "identity-secret.key") || !strings.Contains(out, "messages.db") {
		t.Fatalf("backup said:\n%s", out)
	}
	fi, err := os.Stat(filepath.Join(p.dir, "backups", name[1], "identity.db"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", err, fi)
	}
	p.addUser(t, "bea", "bea-Passwort-2026") // after the backup

	out, err = campusCmd(t, "backup", "list", "--data", p.dir)
	if err != nil || !strings.Contains(out, name[1]) || !strings.Contains(out, "identity (v") {
		t.Fatalf("backup list: %v\n%s", err, out)
	}
	// The state with bea, as one file elsewhere.
	archive := filepath.Join(t.TempDir(), "campus.tar")
	out, err = campusCmd(t, "backup", "--data", p.dir, "--to", archive)
	if fi, serr := os.Stat(archive); err != nil || serr != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(out, "written to "+archive) {
		t.Fatalf("backup --to %s: %v %v\n%s", archive, err, serr, out)
	}
	out, err = campusCmd(t, "restore", name[1], "--data", p.dir)
	if err == nil || !strings.Contains(out, "a campus process uses the data directory") || !strings.Contains(out, "--stop") {
		t.Fatalf("restore beside a running campus: %v\n%s", err, out)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	out, err = campusCmd(t, "restore", name[1], "--data", p.dir)
	if err != nil || !strings.Contains(out, "Restored "+name[1]) {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	aside, _ := filepath.Glob(filepath.Join(p.dir, "replaced-*", "identity.db"))
	if len(aside) != 1 {
		t.Fatalf("the replaced database was not kept: %v", aside)
	}
	if account(t, p.dir, "bea") || !account(t, p.dir, "ada") {
		t.Fatal("the restored database is not the backup's: bea, written after it, is there, or ada is not")
	}

	if !strings.Contains(out, "Every session and token of the backup's") {
		t.Fatalf("restore did not end the backup's sign-ins:\n%s", out)
	}

	// campus starts on the restored data and signs people in; the token
	// of before is dead.
	p2 := start()
	t.Cleanup(func() { p2.stop() })
	r := p2.running
	rp = newRP(t, p2, app, oidc.ScopeOpenID)
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(old)); err == nil {
		t.Fatal("a token of before the restore still works after it")
	}
	if tok, _ := rp.signIn(t, p2, p2.browser(t), "ada", "ada-Passwort-2026"); tok.AccessToken == "" {
		t.Fatal("no access token after the restore")
	}
	out, err = campusCmd(t, "backup", "list", "--data", p.dir)
	if err != nil || strings.Count(out, "campus-") != 1 {
		t.Fatalf("a start within the hour of a backup made another one, or the list failed: %v\n%s", err, out)
	}

	// The archive restores as well (bea is back), over a state written
	// since (cleo), once campus has stopped.
	p2.addUser(t, "cleo", "cleo-Passwort-2026")
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	out, err = campusCmd(t, "restore", archive, "--data", p.dir)
	if err != nil || !strings.Contains(out, "Restored campus-") {
		t.Fatalf("restore %s: %v\n%s", archive, err, out)
	}
	if !account(t, p.dir, "bea") || account(t, p.dir, "cleo") {
		t.Fatal("the archive did not bring back the backed-up state")
	}
	if left, _ := filepath.Glob(filepath.Join(p.dir, ".unpack-*")); len(left) != 0 {
		t.Fatalf("the unpacked archive was left behind: %v", left)
	}
}

// account reports whether identity's database holds username.
func account(t *testing.T, dir, username string) bool {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, _, err = identityStore(t, d, dir).AccountByLogin(context.Background(), username)
	if errors.Is(err, identity.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// TestBackupRefusesPostgres: backups of PostgreSQL databases are
// PostgreSQL's (pg_dump), and campus says so.
func TestBackupRefusesPostgres(t *testing.T) {
	t.Parallel()
	out, err := campusCmd(t, "backup", "--data", t.TempDir(), "--study-db", "postgres://campus@db.uni.example:5432/study")
	if err == nil || !strings.Contains(out, "pg_dump") || !strings.Contains(out, "study on PostgreSQL") {
		t.Fatalf("backup of a PostgreSQL database: %v\n%s", err, out)
	}
}

// TestRestoreStopsCampus: restore --stop ends the campus process that uses
// the data directory (SIGTERM, its graceful shutdown) and restores once it
// is gone; the real binary, as shipped, in a process of its own.
func TestRestoreStopsCampus(t *testing.T) {
	t.Parallel()
	bin := buildCampus(t)
	dir := t.TempDir()
	args := []string{"serve", "--addr", freePort(t), "--data", dir, "--log-level", "info"}
	p := startProc(t, bin, nil, "", args)
	out, err := campusCmd(t, "backup", "--data", dir)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	name := regexp.MustCompile(`campus-\d{8}T\d{6}Z`).FindString(out)
	out, err = campusCmd(t, "restore", name, "--data", dir, "--stop")
	if err != nil || !strings.Contains(out, "Asked campus (process ") || !strings.Contains(out, "Restored "+name) {
		t.Fatalf("restore --stop: %v\n%s", err, out)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("campus still runs after the restore")
	}
}

// TestHealthcheck: the container's probe says ready for a running campus
// (its self-signed certificate on loopback) and fails for none.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	if out, err := campusCmd(t, "healthcheck", "--url", p.url+"/readyz"); err != nil || strings.TrimSpace(out) != "ready" {
		t.Fatalf("healthcheck of a running campus: %v\n%s", err, out)
	}
	if out, err := campusCmd(t, "healthcheck", "--url", "https://"+freePort(t)+"/readyz", "--timeout", "2s"); err == nil || !strings.Contains(out, "not ready") {
		t.Fatalf("healthcheck of nothing: %v\n%s", err, out)
	}
	if _, err := campusCmd(t, "healthcheck", "--url", "ftp://x"); err == nil {
		t.Fatal("a URL that is not http(s) was accepted")
	}
}

// TestRestoreUnknownBackup: a name that is no backup is refused before
// anything else happens, also beside a running campus.
func TestRestoreUnknownBackup(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	out, err := campusCmd(t, "restore", "campus-20000101T000000Z", "--data", p.dir, "--stop")
	if err == nil || !strings.Contains(out, "no backup") {
		t.Fatalf("restore of no backup: %v\n%s", err, out)
	}
	if out, err := campusCmd(t, "healthcheck", "--url", p.url+"/readyz"); err != nil {
		t.Fatalf("campus was stopped for a backup that does not exist: %v\n%s", err, out)
	}
}
