package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"campus/internal/config"
)

// TestWelcomeTextSettings: the sign-in page's welcome texts per language
// come from flags, variables or the config file (as a mapping too), the
// clients' texts from the file; each is checked as plain text.
func TestWelcomeTextSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	loadServe := func(t *testing.T, yaml string, env map[string]string, args ...string) (*serveConfig, []error, error) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "campus.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, s := newServeConfig()
		err := s.Load(append([]string{"--config", path, "--data", dir}, args...), envMap(env))
		return c, c.validate(), err
	}
	t.Run("mapping", func(t *testing.T) {
		t.Parallel()
		c, errs, err := loadServe(t, "identity:\n  welcome_text:\n    en: Welcome to the election.\n    de: Willkommen zur Wahl.\n", nil)
		if err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		if c.identity.Welcome != "Welcome to the election." || c.identity.WelcomeDE != "Willkommen zur Wahl." {
			t.Errorf("welcome texts %q, %q", c.identity.Welcome, c.identity.WelcomeDE)
		}
	})
	t.Run("flag and variable", func(t *testing.T) {
		t.Parallel()
		c, errs, err := loadServe(t, "identity:\n  welcome_text: {de: Aus der Datei}\n",
			map[string]string{"CAMPUS_WELCOME_TEXT": "From the environment"}, "--welcome-text-de", "Vom Schalter")
		if err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		if c.identity.Welcome != "From the environment" || c.identity.WelcomeDE != "Vom Schalter" {
			t.Errorf("welcome texts %q, %q", c.identity.Welcome, c.identity.WelcomeDE)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		c, errs, err := loadServe(t, "", nil)
		if err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		// An empty German text means the built-in German one (signInTexts).
		if c.identity.Welcome != "Sign in with your university account." || c.identity.WelcomeDE != "" {
			t.Errorf("defaults %q, %q", c.identity.Welcome, c.identity.WelcomeDE)
		}
	})
	t.Run("unknown language", func(t *testing.T) {
		t.Parallel()
		_, _, err := loadServe(t, "identity:\n  welcome_text: {fr: Bienvenue}\n", nil)
		var ue *config.UsageError
		if err == nil || !strings.Contains(err.Error(), "unknown key fr; want de or en") || !errors.As(err, &ue) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("HTML and length", func(t *testing.T) {
		t.Parallel()
		_, errs, _ := loadServe(t, "", nil, "--welcome-text", "<b>Welcome</b>", "--welcome-text-de", strings.Repeat("ä", 1001))
		got := joinErrs(errs)
		if !strings.Contains(got, "--welcome-text: is plain text") || !strings.Contains(got, "--welcome-text-de: may be at most 1000 characters") {
			t.Errorf("problems:\n%s", got)
		}
	})
	t.Run("clients' texts", func(t *testing.T) {
		t.Parallel()
		c, errs, err := loadServe(t, `identity:
  clients:
    - id: wahl
      name: Election 2026
      redirect_uris: [https://wahl.uni.example/cb]
      display_name: {de: Wahl 2026}
      welcome_text:
        en: Vote with your university account.
        de: Wählen Sie mit Ihrem Hochschulkonto.
`, nil)
		if err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		cl := c.identity.Clients[0]
		if cl.DisplayName.In("de") != "Wahl 2026" || cl.WelcomeText.In("en") != "Vote with your university account." || cl.WelcomeText.In("de") == "" {
			t.Errorf("client texts %+v", cl)
		}
		_, errs, err = loadServe(t, `identity:
  clients:
    - id: bad
      redirect_uris: [https://bad.uni.example/cb]
      display_name: {fr: Élection}
      welcome_text: {de: "<script>alert(1)</script>"}
`, nil)
		got := joinErrs(errs)
		if err != nil || !strings.Contains(got, `identity.clients[0] (bad)`) || !strings.Contains(got, `display_name: language "fr"`) ||
			!strings.Contains(got, "welcome_text (de): is plain text") {
			t.Errorf("err %v, problems:\n%s", err, got)
		}
	})
}

// TestClientsAddTexts: `campus clients add` stores a client's sign-in
// texts, which list and show print, and refuses HTML.
func TestClientsAddTexts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"clients", "add", "--data", dir, "--json", "--id", "wahl", "--name", "Election 2026",
		"--public", "--redirect-uri", "https://wahl.uni.example/cb", "--display-name-de", "Wahl 2026",
		"--welcome-text", "Vote now.", "--welcome-text-de", "Jetzt wählen."}, envMap(nil), &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var v clientView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.DisplayNames.In("de") != "Wahl 2026" || v.WelcomeTexts.In("en") != "Vote now." || v.WelcomeTexts.In("de") != "Jetzt wählen." {
		t.Errorf("added: %+v", v)
	}
	out.Reset()
	if err := run(context.Background(), []string{"clients", "show", "--data", dir, "wahl"}, envMap(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"name (de):      Wahl 2026", "welcome (en):   Vote now.", "welcome (de):   Jetzt wählen."} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("show lacks %q:\n%s", w, out.String())
		}
	}
	errOut.Reset()
	err = run(context.Background(), []string{"clients", "add", "--data", dir, "--id", "bad", "--public", "--redirect-uri", "https://b.example/cb",
		"--welcome-text", "<a href=x>here</a>"}, envMap(nil), io.Discard, &errOut)
	if code := exitCode(err, &errOut); code != 2 || !strings.Contains(errOut.String(), "welcome_text (en): is plain text") {
		t.Errorf("exit %d:\n%s", code, errOut.String())
	}
}

func joinErrs(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}
