package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVariants: a string setting with Variants takes a mapping in the file
// that sets it and its siblings; a plain value, flags and variables work
// as for any setting; mistakes name their line.
func TestVariants(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, yaml string
		args       []string
		env        map[string]string
		wantEN     string
		wantDE     string
		problem    string
		sourceOfDE string
	}{
		{name: "mapping", yaml: "identity:\n  welcome_text:\n    en: Welcome\n    de: Willkommen\n", wantEN: "Welcome", wantDE: "Willkommen", sourceOfDE: "file"},
		{name: "only German", yaml: "identity:\n  welcome_text: {de: Willkommen}\n", wantEN: "Sign in.", wantDE: "Willkommen", sourceOfDE: "file"},
		{name: "plain value", yaml: "identity:\n  welcome_text: Welcome\n", wantEN: "Welcome", wantDE: "Melden Sie sich an.", sourceOfDE: "default"},
		{name: "flat keys", yaml: "identity:\n  welcome_text: Welcome\n  welcome_text_de: Willkommen\n", wantEN: "Welcome", wantDE: "Willkommen", sourceOfDE: "file"},
		{name: "flag beats the mapping", yaml: "identity:\n  welcome_text: {en: Welcome, de: Willkommen}\n", args: []string{"--welcome-text-de", "Hallo"},
			wantEN: "Welcome", wantDE: "Hallo", sourceOfDE: "flag"},
		{name: "variable beats the mapping", yaml: "identity:\n  welcome_text: {de: Willkommen}\n", env: map[string]string{"CAMPUS_WELCOME_TEXT_DE": "Servus"},
			wantEN: "Sign in.", wantDE: "Servus", sourceOfDE: "env"},
		{name: "unknown language", yaml: "identity:\n  welcome_text:\n    en: Welcome\n    fr: Bienvenue\n", problem: "line 4: identity.welcome_text: unknown key fr; want de or en"},
		{name: "given twice", yaml: "identity:\n  welcome_text: {de: Willkommen}\n  welcome_text_de: Hallo\n", problem: "line 3: key identity.welcome_text_de already set on line 2"},
		{name: "not a string", yaml: "identity:\n  welcome_text: {de: [a, b]}\n", problem: "identity.welcome_text_de must be a string, found a sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			var en, de string
			s := NewSet("serve", "")
			s.String(&en, "identity.welcome_text", "welcome-text", "CAMPUS_WELCOME_TEXT", "Sign in.", "",
				Variants(map[string]string{"en": "", "de": "identity.welcome_text_de"}))
			s.String(&de, "identity.welcome_text_de", "welcome-text-de", "CAMPUS_WELCOME_TEXT_DE", "Melden Sie sich an.", "")
			err := s.Load(append([]string{"--config", path}, tt.args...), func(k string) string { return tt.env[k] })
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err = %v, want %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if en != tt.wantEN || de != tt.wantDE {
				t.Errorf("en %q de %q, want %q %q", en, de, tt.wantEN, tt.wantDE)
			}
			if got := s.Source("identity.welcome_text_de"); got != tt.sourceOfDE {
				t.Errorf("source of the German text = %s, want %s", got, tt.sourceOfDE)
			}
		})
	}
}
