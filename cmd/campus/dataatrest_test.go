package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	identityservice "campus/internal/identity/service"
)

// TestPersonalDataAtRest: a running campus whose people sign in, are
// listed, searched and audited keeps no username, address or name in
// identity's database files (WAL included); `campus keys rotate
// --data-key` re-encrypts everything while campus runs, and sign-in and
// search keep working through and after it.
func TestPersonalDataAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	people := []string{"zelda.quintero", "yusuf.okonkwo", "xaver.lindqvist"}
	for _, u := range people {
		p.addUser(t, u, "correct-horse-"+u, "student")
	}
	signIn := func(who string) {
		t.Helper()
		b := p.browser(t)
		pg := submitLogin(t, p, b, getPage(t, b, p.url+"/admin/users?q=zelda"), "admin", adminPassword)
		if pg.status != http.StatusOK || !strings.Contains(pg.body, ">Zelda.quintero</a>") {
			t.Fatalf("%s: the administrator's search: %d\n%s", who, pg.status, pg.body)
		}
	}
	signIn("before the rotation")

	out, err := campusCmd(t, "keys", "rotate", "--data-key", "--data", dir)
	if err != nil || !regexp.MustCompile(`Made data key v2`).MatchString(out) || !strings.Contains(out, "Re-encrypted") {
		t.Fatalf("keys rotate --data-key: %v\n%s", err, out)
	}
	// The running server learns version 2 from the first value sealed with it.
	signIn("after the rotation")
	out, err = campusCmd(t, "keys", "list", "--data", dir)
	if err != nil || !regexp.MustCompile(`v1\s+\S+\s+done`).MatchString(out) || !regexp.MustCompile(`v2\s+\S+\s+done`).MatchString(out) {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
	// Without the key-encryption key, or with another, nothing is read or
	// written.
	db := "sqlite:" + filepath.Join(dir, "identity.db")
	if out, err := campusCmd(t, "keys", "list", "--data", t.TempDir(), "--identity-db", db); err == nil ||
		!strings.Contains(out, "needs identity's key-encryption key") {
		t.Fatalf("no key-encryption key: %v\n%s", err, out)
	}
	other := t.TempDir()
	if _, err := identityservice.Secret(other, "", slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if out, err := campusCmd(t, "keys", "list", "--data", other, "--identity-db", db); err == nil ||
		!strings.Contains(out, "key-encryption key is not the one") {
		t.Fatalf("another key-encryption key: %v\n%s", err, out)
	}

	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, f := range []string{"identity.db", "identity.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, bytes.ToLower(b)...)
	}
	if len(raw) == 0 {
		t.Fatal("no database bytes read")
	}
	for _, plain := range append(people, "quintero", "okonkwo", "lindqvist", "uni.example", "admin@localhost") {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("identity's database files hold %q in plain text", plain)
		}
	}
}
