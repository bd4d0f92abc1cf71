package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzFile is a structured setting, as the services keep their lists of
// clients or rules in the file.
type fuzzFile struct {
	Name  string   `yaml:"name"`
	Ports []int    `yaml:"ports"`
	Tags  []string `yaml:"tags"`
}

// fuzzLoad loads the fixture (and a structured setting) from a file with
// the given text, a flag and an environment variable; it returns the
// fixture, the structured value and Load's error.
func fuzzLoad(t *testing.T, file []byte, flag, env string) (*fixture, fuzzFile, error) {
	path := filepath.Join(t.TempDir(), "campus.yaml")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture()
	var ff fuzzFile
	f.set.File(&ff, "rules", "Rules")
	args := []string{"--config", path}
	if flag != "" {
		args = append(args, flag)
	}
	err := f.set.Load(args, func(k string) string {
		if k == "T_READ_TIMEOUT" {
			return env
		}
		return ""
	})
	return f, ff, err
}

// FuzzConfigLoad: a config file with any text, any flag and any value in
// the environment either loads or is a *UsageError naming the problems,
// never a panic or ErrHelp without asking for it; what loaded prints as
// a config file that loads to the same values.
func FuzzConfigLoad(f *testing.F) {
	f.Add([]byte("db:\n  url: postgres://x\nworkers: 8\nhttp:\n  hosts: [a, b]\n  read-timeout: 1m\nrules:\n  name: x\n  ports: [1, 2]\n"), "--workers=3", "20s")
	f.Add([]byte("log: {verbose: yes}\n"), "--verbose", "")
	f.Add([]byte("workers: many\nunknown: 1\n"), "--workerz=1", "soon")
	f.Add([]byte("a: &x {b: *x}\n"), "--host=", "-1s")
	f.Add([]byte("---\nworkers: 1\n---\nworkers: 2\n"), "positional", "1h1h")
	f.Add([]byte("rules:\n  name: [1]\n  extra: 2\n"), "--db-url", "")
	f.Add([]byte("- 1\n- 2\n"), "-h", "")
	f.Add([]byte("\t"), "", "")
	f.Fuzz(func(t *testing.T, file []byte, flag, env string) {
		fx, ff, err := fuzzLoad(t, file, flag, env)
		if errors.Is(err, ErrHelp) {
			return
		}
		var ue *UsageError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("%T %v, not a *UsageError", err, err)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a problem without words")
			}
			return
		}
		var out bytes.Buffer
		fx.set.Print(&out)
		again, ff2, err := fuzzLoad(t, out.Bytes(), "", "")
		if err != nil {
			t.Fatalf("the printed configuration does not load: %v\n%s", err, out.String())
		}
		if got, want := again.values(), fx.values(); got != want {
			t.Fatalf("printed and loaded again: %+v, was %+v\n%s", got, want, out.String())
		}
		// An empty list may print as [] and come back empty, not nil.
		if fmt.Sprintf("%#v", ff2) != fmt.Sprintf("%#v", ff) && fmt.Sprint(ff2) != fmt.Sprint(ff) {
			t.Fatalf("printed and loaded again: %+v, was %+v\n%s", ff2, ff, out.String())
		}
	})
}
