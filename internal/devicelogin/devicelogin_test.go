package devicelogin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCredentialsFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cfg", "campus", "credentials.json")
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	o := Options{URL: "https://a.example/", Path: path, Now: func() time.Time { return now }}

	if _, err := Token(context.Background(), o, false); err == nil || !strings.Contains(err.Error(), "campus login") {
		t.Fatalf("no credentials: %v", err)
	}
	for _, u := range []string{"https://a.example", "https://b.example"} {
		c := Credentials{AccessToken: "tok-" + u, Expiry: now.Add(5 * time.Minute), Write: true}
		if err := update(path, func(f *file) { f.Sites[Key(u)] = c }); err != nil {
			t.Fatal(err)
		}
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want %o", p, fi, err, want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	// A live token is handed out as it is, the URL's trailing slash aside.
	if tok, err := Token(context.Background(), o, false); err != nil || tok != "tok-https://a.example" {
		t.Fatalf("live token: %q, %v", tok, err)
	}
	// Several campuses: the URL is needed.
	if _, err := Token(context.Background(), Options{Path: path, Now: o.Now}, false); err == nil || !strings.Contains(err.Error(), "give the URL") {
		t.Fatalf("two campuses, no URL: %v", err)
	}
	// Within a minute of its end the study token is gone for good.
	now = now.Add(4*time.Minute + 30*time.Second)
	if _, err := Token(context.Background(), o, false); !errors.Is(err, ErrStepUpGone) || !strings.Contains(err.Error(), "campus login --write https://a.example") {
		t.Fatalf("expiring study token: %v", err)
	}
	if _, err := Token(context.Background(), o, true); err == nil || !strings.Contains(err.Error(), "no refresh token") {
		t.Fatalf("read-only without a refresh token: %v", err)
	}
}

func TestLoginRefusesPlainHTTP(t *testing.T) {
	t.Parallel()
	_, err := Login(context.Background(), Options{URL: "http://campus.example", Path: filepath.Join(t.TempDir(), "c.json")}, false)
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("plain http to another host: %v", err)
	}
}
