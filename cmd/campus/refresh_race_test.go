package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Parallel portal requests of one person after the access token expired
// (two tabs, a page and its download) all succeed, and the person stays
// signed in: the portal refreshes once for them (its session lease), and
// identity takes an immediate retry of a refresh for what it is.
func TestRefreshRaceKeepsThePersonSignedIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const ttl = 2 * time.Second // --access-token-ttl must be positive; the portal refreshes a token within a minute of its end
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--access-token-ttl", ttl.String())
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	p.addUser(t, "carla", "carla-password-1", "student")
	b := p.browser(t)
	list := submitLogin(t, p, b, getPage(t, b, p.url+"/admin/users?q=carla"), "admin", adminPassword)
	if list.status != http.StatusOK || !strings.Contains(list.body, ">Carla</a>") {
		t.Fatalf("after sign-in: %d\n%s", list.status, list.body)
	}
	time.Sleep(ttl + 500*time.Millisecond) // the access token has expired

	const n = 8
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := b.Get(p.url + "/admin/users?q=carla")
			if err != nil {
				results[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), ">Carla</a>") {
				results[i] = fmt.Sprintf("status %d, signed in %v", resp.StatusCode, strings.Contains(html.UnescapeString(string(body)), "Signed in as"))
			}
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res != "" {
			t.Errorf("parallel request %d: %s", i, res)
		}
	}
	if pg := getPage(t, b, p.url+"/admin/users?q=carla"); pg.status != http.StatusOK || !strings.Contains(pg.body, ">Carla</a>") {
		t.Fatalf("after the parallel requests the person is signed out: %d\n%s", pg.status, pg.body)
	}
}
