package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type clientSpec struct {
	ID           string   `yaml:"id"`
	RedirectURIs []string `yaml:"redirect_uris"`
	Public       bool     `yaml:"public"`
}

func TestFileSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		yaml    string
		want    []clientSpec
		problem string
	}{
		{"absent", "addr: x\n", nil, ""},
		{"list of mappings", "addr: x\nidentity:\n  clients:\n    - id: wiki\n      redirect_uris: [https://wiki/cb]\n    - id: app\n      public: true\n",
			[]clientSpec{{ID: "wiki", RedirectURIs: []string{"https://wiki/cb"}}, {ID: "app", Public: true}}, ""},
		{"unknown field names its line", "addr: x\nidentity:\n  clients:\n    - id: wiki\n      redirect_uri: https://wiki/cb\n", nil,
			"line 5: field redirect_uri not found"},
		{"wrong shape", "identity:\n  clients: just-a-string\n", nil, "identity.clients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			os.WriteFile(path, []byte(tt.yaml), 0o600)
			var addr string
			var clients []clientSpec
			s := NewSet("serve", "")
			s.String(&addr, "addr", "addr", "CAMPUS_ADDR", "", "")
			s.File(&clients, "identity.clients", "applications")
			err := s.Load([]string{"--config", path}, nil)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err = %v, want %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(clients) != len(tt.want) {
				t.Fatalf("clients = %+v, want %+v", clients, tt.want)
			}
			for i := range clients {
				if clients[i].ID != tt.want[i].ID || clients[i].Public != tt.want[i].Public || len(clients[i].RedirectURIs) != len(tt.want[i].RedirectURIs) {
					t.Fatalf("clients[%d] = %+v, want %+v", i, clients[i], tt.want[i])
				}
			}
			var out bytes.Buffer
			s.Print(&out)
			if len(tt.want) > 0 && (!strings.Contains(out.String(), "- id: wiki") || s.Source("identity.clients") != "file") {
				t.Fatalf("Print:\n%s", out.String())
			}
			var help bytes.Buffer
			s.Usage(&help)
			if !strings.Contains(help.String(), "file: identity.clients") || !strings.Contains(help.String(), "(config file only)") {
				t.Fatalf("Usage:\n%s", help.String())
			}
		})
	}
}
