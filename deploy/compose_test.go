package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestComposeFile loads deploy/compose.yaml with compose-go (the library
// docker compose itself loads files with, schema included, as `docker
// compose config` does) and checks what issue 15 asks of it: campus with
// PostgreSQL, one service per container, only the web entry published,
// the services non-root on a read-only root without capabilities, and
// their secrets read from files.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"}, cli.WithWorkingDirectory("."), cli.WithName("campus"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range project.Services {
			if !yield(n) {
				return
			}
		}
	})
	want := []string{"identity", "messages", "migrate", "portal", "postgres", "study", "web"}
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	for name, s := range project.Services {
		if len(s.Ports) > 0 && name != "web" {
			t.Errorf("%s publishes %v: only the web entry may", name, s.Ports)
		}
		if name == "postgres" {
			continue
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: want read_only, cap_drop ALL and no-new-privileges", name)
		}
		if name == "web" {
			if len(s.Ports) != 1 || s.Ports[0].Published != "8443" {
				t.Errorf("web publishes %v, want 8443 only", s.Ports)
			}
			continue
		}
		if s.User != "65532:65532" {
			t.Errorf("%s runs as %q, want 65532:65532", name, s.User)
		}
		if len(s.Command) == 0 || (name != "migrate" && s.Command[0] != name) {
			t.Errorf("%s: command %v", name, s.Command)
		}
		if m := s.Environment["CAMPUS_METRICS_ADDR"]; name != "migrate" && (m == nil || *m != ":9090") {
			t.Errorf("%s: metrics not served on :9090 (CAMPUS_METRICS_ADDR)", name)
		}
		if len(s.Ports) != 0 {
			t.Errorf("%s publishes %v; only the web entry may", name, s.Ports)
		}
		for k, v := range s.Environment {
			secretish := strings.HasSuffix(k, "_DB") || strings.Contains(k, "SECRET") || strings.Contains(k, "PASSWORD") || strings.HasSuffix(k, "_KEY")
			if secretish && !strings.HasSuffix(k, "_FILE") {
				t.Errorf("%s: %s set as a value (%v), not through a secret file", name, k, v != nil)
			}
			if strings.HasSuffix(k, "_FILE") && k != "CAMPUS_CA_FILE" {
				file := strings.TrimPrefix(*v, "/run/secrets/")
				if !slices.ContainsFunc(s.Secrets, func(r types.ServiceSecretConfig) bool { return r.Source == file }) {
					t.Errorf("%s: %s names %s, which is not one of its secrets", name, k, *v)
				}
			}
		}
	}
	for name, sec := range project.Secrets {
		if sec.File == "" {
			t.Errorf("secret %s is not a file", name)
		}
	}
}
