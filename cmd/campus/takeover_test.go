package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"campus/internal/certs"
	"campus/internal/db/dbtest"
	"campus/internal/identity/directory/ldaptest"
)

// TestJobTakenOverAfterHolderKilled: two identity replicas on one
// PostgreSQL database. A directory sync runs on replica A (the directory
// hangs, so it stays running, renewing its lease) when A is killed with
// SIGKILL. Replica B cannot sync while A's lease lasts, and syncs once it
// lapsed, within the lease length (--job-lease, 3 s here) and a little.
// Both replicas (A restarted) then report the same status.
//
// Not parallel: the replicas are separate processes that read their
// settings from the environment (t.Setenv).
func TestJobTakenOverAfterHolderKilled(t *testing.T) {
	const lease = 3 * time.Second
	dsn := dbtest.PostgresURL(t)
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(300), true)

	for k, v := range ldapEnv(srv) {
		t.Setenv(k, v)
	}
	// Long enough that A's sync waits on the paused directory until A is
	// killed, rather than failing.
	t.Setenv("CAMPUS_LDAP_TIMEOUT", "60s")
	t.Setenv("CAMPUS_JOB_LEASE", lease.String())
	t.Setenv("CAMPUS_KEY_ENCRYPTION_KEY", randomKey(t))

	tlsDir := t.TempDir()
	cert, _, err := certs.SelfSigned(tlsDir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, cert)
	bin := buildCampus(t)
	start := func(addr string) *proc {
		return startProc(t, bin, nil, "", []string{"identity", "--public-url", px.url, "--data", t.TempDir(), "--db", dsn,
			"--addr", addr, "--plain-http", "--trusted-proxies", "127.0.0.1"})
	}
	addrA, addrB := freePort(t), freePort(t)
	a := start(addrA) // migrates and creates the administrator
	start(addrB)
	px.setBackends(addrA, addrB)
	urlA, urlB := "http://"+addrA, "http://"+addrB

	p := &idp{running: &running{url: px.url}, issuer: px.url, http: tlsClient(t, filepath.Join(tlsDir, "cert.pem"))}
	console := addClientDB(t, dsn, "--id", "console", "--first-party", "--redirect-uri", "https://console.uni.example/cb",
		"--scope", "openid", "--scope", "users:read", "--scope", "users:write")
	tok, _ := newRP(t, p, console, oidc.ScopeOpenID, "users:read", "users:write").signIn(t, p, p.browser(t), "admin", adminPassword)
	admin := tok.AccessToken
	c := &http.Client{Timeout: 15 * time.Second}
	status := func(base string) map[string]any {
		t.Helper()
		code, _, body := jsonCall(t, c, "GET", base+"/api/v1/directory", admin, nil)
		var st map[string]any
		if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil {
			t.Fatalf("GET %s/api/v1/directory: %d %s", base, code, body)
		}
		return st
	}

	// The directory hangs; a sync starts on A and waits for it. B sees it
	// running.
	srv.Pause(t)
	go func() {
		req, _ := http.NewRequest("POST", urlA+"/api/v1/directory/sync", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		if resp, err := http.DefaultClient.Do(req); err == nil { // fails when A is killed
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for status(urlB)["running"] != true {
		if time.Now().After(deadline) {
			t.Fatalf("the sync on A never showed as running on B: %v\nA's log:\n%s", status(urlB), a.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A renews its lease while it waits: after more than a lease, the sync
	// still runs and B still cannot start one.
	time.Sleep(lease + lease/2)
	if st := status(urlB); st["running"] != true {
		t.Fatalf("A's sync stopped counting as running while A was alive: %v", st)
	}
	if code, _, body := jsonCall(t, c, "POST", urlB+"/api/v1/directory/sync", admin, nil); code != http.StatusConflict {
		t.Fatalf("sync on B while A's runs: %d %s, want 409", code, body)
	}

	a.kill(t)
	killed := time.Now()
	srv.Resume(t)

	// B takes over once A's lease lapsed: the next sync on B runs and
	// succeeds.
	var rep map[string]any
	conflicts := 0
	for {
		code, _, body := jsonCall(t, c, "POST", urlB+"/api/v1/directory/sync", admin, nil)
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatal(err)
			}
			break
		}
		if code != http.StatusConflict {
			t.Fatalf("sync on B after A was killed: %d %s", code, body)
		}
		conflicts++
		if time.Since(killed) > lease+10*time.Second {
			t.Fatalf("B could not sync %s after A was killed (lease %s): %d %s", time.Since(killed), lease, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(killed)
	t.Logf("B synced %s after A was killed (lease %s)", took.Round(time.Millisecond), lease)
	if rep["created"] != float64(300) {
		t.Fatalf("B's sync: %v", rep)
	}
	// Right after the kill A's lease still held (it was renewed at most a
	// third of a lease before): B had to wait for it to lapse.
	if conflicts == 0 {
		t.Fatal("B synced at once: A's lease did not hold after the kill")
	}

	// A, restarted on the same database, reports what B does: not
	// running, the last run B's, and its report.
	start(addrA)
	stA, stB := status(urlA), status(urlB)
	if !reflect.DeepEqual(stA, stB) {
		t.Fatalf("the replicas disagree:\nA: %v\nB: %v", stA, stB)
	}
	lastReport, _ := stB["last_report"].(map[string]any)
	if stB["running"] != false || stB["last_error"] != nil && stB["last_error"] != "" || lastReport["created"] != float64(300) {
		t.Fatalf("status after the takeover: %v", stB)
	}
	if s, _ := stB["last_start"].(string); !startedAfter(s, killed) {
		t.Fatalf("the last start is not B's run after the kill: %v", stB)
	}
}

// startedAfter tells whether the RFC 3339 time s is after t.
func startedAfter(s string, t time.Time) bool {
	v, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && v.After(t)
}
