package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// fixture is a command config with one setting of every type.
type fixture struct {
	set   *Set
	url   string
	on    bool
	num   int
	dur   time.Duration
	hosts []string
	pw    string
}

func newFixture() *fixture {
	f := &fixture{set: NewSet("test", "Test the config package.")}
	f.set.String(&f.url, "db.url", "db-url", "T_DB_URL", "sqlite:default.db", "Database URL")
	f.set.Bool(&f.on, "log.verbose", "verbose", "T_VERBOSE", "false", "Log more")
	f.set.Int(&f.num, "workers", "workers", "T_WORKERS", "4", "Number of workers")
	f.set.Duration(&f.dur, "http.read-timeout", "read-timeout", "T_READ_TIMEOUT", "15s", "Read timeout")
	f.set.StringList(&f.hosts, "http.hosts", "host", "T_HOSTS", "a,b", "Allowed hosts")
	f.set.String(&f.pw, "db.password", "", "T_DB_PASSWORD", "", "Database password", Secret(), EnvOnly())
	return f
}

var fixtureKeys = []string{"db.url", "log.verbose", "workers", "http.read-timeout", "http.hosts", "db.password"}

// values is what a fixture holds after Load, in comparable form.
type values struct {
	url   string
	on    bool
	num   int
	dur   time.Duration
	hosts string
	pw    string
}

func (f *fixture) values() values {
	return values{f.url, f.on, f.num, f.dur, strings.Join(f.hosts, "|"), f.pw}
}

func (f *fixture) sources() []string {
	var s []string
	for _, k := range fixtureKeys {
		s = append(s, f.set.Source(k))
	}
	return s
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "campus.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// withConfig returns env with CAMPUS_CONFIG naming a file with content,
// unless content is empty.
func withConfig(t *testing.T, env map[string]string, content string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	if content != "" {
		out["CAMPUS_CONFIG"] = writeFile(t, content)
	}
	return out
}

const fullFile = `
db:
  url: postgres://file
  password: file-pw
log:
  verbose: yes
workers: 7
http:
  read-timeout: 1m
  hosts: [c, d]
`

var fullEnv = map[string]string{
	"T_DB_URL":       "postgres://env",
	"T_VERBOSE":      "0",
	"T_WORKERS":      "8",
	"T_READ_TIMEOUT": "2m",
	"T_HOSTS":        "e, f",
	"T_DB_PASSWORD":  "env-pw",
}

var fullArgs = []string{"--db-url", "postgres://flag", "--verbose", "--workers=9", "--read-timeout", "3m", "--host", "g"}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		want    values
		sources []string
	}{
		{
			name:    "defaults",
			want:    values{"sqlite:default.db", false, 4, 15 * time.Second, "a|b", ""},
			sources: []string{"default", "default", "default", "default", "default", "default"},
		},
		{
			name:    "file over default",
			file:    fullFile,
			want:    values{"postgres://file", true, 7, time.Minute, "c|d", "file-pw"},
			sources: []string{"file", "file", "file", "file", "file", "file"},
		},
		{
			name:    "env over file",
			file:    fullFile,
			env:     fullEnv,
			want:    values{"postgres://env", false, 8, 2 * time.Minute, "e|f", "env-pw"},
			sources: []string{"env", "env", "env", "env", "env", "env"},
		},
		{
			name:    "flag over env",
			file:    fullFile,
			env:     fullEnv,
			args:    fullArgs,
			want:    values{"postgres://flag", true, 9, 3 * time.Minute, "g", "env-pw"},
			sources: []string{"flag", "flag", "flag", "flag", "flag", "env"},
		},
		{
			name:    "flag over default",
			args:    fullArgs,
			want:    values{"postgres://flag", true, 9, 3 * time.Minute, "g", ""},
			sources: []string{"flag", "flag", "flag", "flag", "flag", "default"},
		},
		{
			name:    "each setting from its highest source",
			file:    "workers: 7\nlog: {verbose: true}\n",
			env:     map[string]string{"T_VERBOSE": "no", "T_HOSTS": "x"},
			args:    []string{"--db-url=flag"},
			want:    values{"flag", false, 7, 15 * time.Second, "x", ""},
			sources: []string{"flag", "env", "file", "default", "env", "default"},
		},
		{
			name:    "empty environment variable counts as unset",
			file:    "workers: 7\n",
			env:     map[string]string{"T_WORKERS": "", "T_DB_URL": ""},
			want:    values{"sqlite:default.db", false, 7, 15 * time.Second, "a|b", ""},
			sources: []string{"default", "default", "file", "default", "default", "default"},
		},
		{
			name:    "null in file counts as unset",
			file:    "workers: null\ndb:\n  url: ~\nhttp:\n",
			want:    values{"sqlite:default.db", false, 4, 15 * time.Second, "a|b", ""},
			sources: []string{"default", "default", "default", "default", "default", "default"},
		},
		{
			name:    "empty string in file is a value",
			file:    "db:\n  url: \"\"\n",
			want:    values{"", false, 4, 15 * time.Second, "a|b", ""},
			sources: []string{"file", "default", "default", "default", "default", "default"},
		},
		{
			name:    "file values are taken as text, not YAML types",
			file:    "db:\n  url: 0123\nworkers: 010\nhttp:\n  read-timeout: 0\n",
			want:    values{"0123", false, 10, 0, "a|b", ""},
			sources: []string{"file", "default", "file", "file", "default", "default"},
		},
		{
			name:    "flat dotted keys and aliases in file",
			file:    "db.url: &u shared\nhttp:\n  hosts: [*u]\n",
			want:    values{"shared", false, 4, 15 * time.Second, "shared", ""},
			sources: []string{"file", "default", "default", "default", "file", "default"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			if err := f.set.Load(tt.args, envFunc(withConfig(t, tt.env, tt.file))); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := f.values(); got != tt.want {
				t.Errorf("values:\n got %+v\nwant %+v", got, tt.want)
			}
			if got := f.sources(); !slices.Equal(got, tt.sources) {
				t.Errorf("sources: got %v, want %v", got, tt.sources)
			}
		})
	}
}

func TestConfigFileSelection(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "workers: 7\n")
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{name: "env", env: map[string]string{"CAMPUS_CONFIG": file}, want: 7},
		{name: "flag", args: []string{"--config", file}, want: 7},
		{name: "flag with equals", args: []string{"-config=" + file}, want: 7},
		{name: "flag over env", args: []string{"--config", file}, env: map[string]string{"CAMPUS_CONFIG": missing}, want: 7},
		{name: "empty flag disables env", args: []string{"--config="}, env: map[string]string{"CAMPUS_CONFIG": file}, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			if err := f.set.Load(tt.args, envFunc(tt.env)); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if f.num != tt.want {
				t.Errorf("workers = %d, want %d", f.num, tt.want)
			}
		})
	}
}

func TestFlagForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantURL  string
		wantOn   bool
		wantNum  int
		wantArgs []string
	}{
		{name: "double dash with space", args: []string{"--db-url", "x"}, wantURL: "x", wantNum: 4},
		{name: "double dash with equals", args: []string{"--db-url=x=y"}, wantURL: "x=y", wantNum: 4},
		{name: "single dash with space", args: []string{"-db-url", "x"}, wantURL: "x", wantNum: 4},
		{name: "single dash with equals", args: []string{"-db-url=x"}, wantURL: "x", wantNum: 4},
		{name: "empty value", args: []string{"--db-url="}, wantURL: "", wantNum: 4},
		{name: "value starting with dash", args: []string{"--workers", "-5"}, wantURL: "sqlite:default.db", wantNum: -5},
		{name: "last of repeated flag wins", args: []string{"--workers=1", "--workers", "2"}, wantURL: "sqlite:default.db", wantNum: 2},
		{name: "bool alone", args: []string{"--verbose"}, wantURL: "sqlite:default.db", wantOn: true, wantNum: 4},
		{name: "bool single dash", args: []string{"-verbose"}, wantURL: "sqlite:default.db", wantOn: true, wantNum: 4},
		{name: "bool true", args: []string{"--verbose=true"}, wantURL: "sqlite:default.db", wantOn: true, wantNum: 4},
		{name: "bool false", args: []string{"--verbose", "--verbose=false"}, wantURL: "sqlite:default.db", wantNum: 4},
		{
			name: "bool does not consume next argument", args: []string{"--verbose", "false"},
			wantURL: "sqlite:default.db", wantOn: true, wantNum: 4, wantArgs: []string{"false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			if err := f.set.Load(tt.args, nil); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if f.url != tt.wantURL || f.on != tt.wantOn || f.num != tt.wantNum {
				t.Errorf("got url %q verbose %v workers %d, want %q %v %d", f.url, f.on, f.num, tt.wantURL, tt.wantOn, tt.wantNum)
			}
			if got := f.set.Args(); !slices.Equal(got, tt.wantArgs) {
				t.Errorf("Args() = %q, want %q", got, tt.wantArgs)
			}
		})
	}
}

func TestBoolSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{name: "true", raw: "true", want: true},
		{name: "TRUE", raw: "TRUE", want: true},
		{name: "1", raw: "1", want: true},
		{name: "yes", raw: "yes", want: true},
		{name: "false", raw: "false"},
		{name: "0", raw: "0"},
		{name: "No", raw: "No"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, src := range []string{"env", "file"} {
				f := newFixture()
				var err error
				if src == "env" {
					err = f.set.Load(nil, envFunc(map[string]string{"T_VERBOSE": tt.raw}))
				} else {
					err = f.set.Load([]string{"--config", writeFile(t, "log:\n  verbose: "+tt.raw+"\n")}, nil)
				}
				if err != nil {
					t.Fatalf("%s: Load: %v", src, err)
				}
				if f.on != tt.want {
					t.Errorf("%s: verbose = %v, want %v", src, f.on, tt.want)
				}
			}
		})
	}
}

func TestStringListReplaces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		file   string
		want   []string
		source string
	}{
		{name: "default is comma-separated", want: []string{"a", "b"}, source: "default"},
		{name: "file sequence replaces default", file: "http: {hosts: [c]}", want: []string{"c"}, source: "file"},
		{name: "file scalar is comma-separated", file: "http: {hosts: 'c, d'}", want: []string{"c", "d"}, source: "file"},
		{name: "file sequence items keep commas", file: "http:\n  hosts:\n    - c,d\n    - e\n", want: []string{"c,d", "e"}, source: "file"},
		{name: "file empty sequence clears", file: "http: {hosts: []}", want: []string{}, source: "file"},
		{
			name: "env replaces file", file: "http: {hosts: [c]}", env: map[string]string{"T_HOSTS": "d,,e "},
			want: []string{"d", "e"}, source: "env",
		},
		{
			name: "repeated flags replace env", env: map[string]string{"T_HOSTS": "d"},
			args: []string{"--host", "f", "--host=g,h", "-host", "i"}, want: []string{"f", "g", "h", "i"}, source: "flag",
		},
		{name: "empty flag clears", args: []string{"--host="}, want: []string{}, source: "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			if err := f.set.Load(tt.args, envFunc(withConfig(t, tt.env, tt.file))); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !slices.Equal(f.hosts, tt.want) {
				t.Errorf("hosts = %q, want %q", f.hosts, tt.want)
			}
			if got := f.set.Source("http.hosts"); got != tt.source {
				t.Errorf("Source = %q, want %q", got, tt.source)
			}
		})
	}
}

func TestListDoesNotAliasDefault(t *testing.T) {
	t.Parallel()
	f := newFixture()
	if err := f.set.Load(nil, nil); err != nil {
		t.Fatal(err)
	}
	f.hosts[0] = "changed"
	if err := f.set.Load(nil, nil); err != nil {
		t.Fatal(err)
	}
	if f.hosts[0] != "a" {
		t.Errorf("default changed through the target: %q", f.hosts)
	}
}

func usageError(t *testing.T, err error) *UsageError {
	t.Helper()
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v (%T), want *UsageError", err, err)
	}
	return ue
}

func TestProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string // content of a config file named by CAMPUS_CONFIG, if not empty
		want []string
	}{
		{
			name: "two unknown flags, bad duration and bad env value",
			args: []string{"--wrkers=3", "--bogus", "--read-timeout", "soon"},
			env:  map[string]string{"T_WORKERS": "many"},
			want: []string{
				"unknown flag --wrkers (did you mean --workers?)",
				"unknown flag --bogus",
				`invalid value "soon" for flag --read-timeout: expected a duration`,
				`invalid value "many" for environment variable T_WORKERS: expected an integer`,
			},
		},
		{
			name: "missing value at end",
			args: []string{"--db-url"},
			want: []string{"missing value for flag --db-url"},
		},
		{
			name: "missing value before another flag",
			args: []string{"--db-url", "--verbose", "--config"},
			want: []string{"missing value for flag --db-url", "missing value for flag --config"},
		},
		{
			name: "invalid bool and int flags",
			args: []string{"--verbose=maybe", "--workers", "1.5"},
			want: []string{
				`invalid value "maybe" for flag --verbose: expected true or false`,
				`invalid value "1.5" for flag --workers: expected an integer`,
			},
		},
		{
			name: "invalid flag syntax",
			args: []string{"---x", "--=1"},
			want: []string{`invalid flag syntax "---x"`, `invalid flag syntax "--"`},
		},
		{
			name: "unreadable file",
			env:  map[string]string{"CAMPUS_CONFIG": filepath.Join(dir, "missing.yaml")},
			want: []string{"cannot read config file " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
		},
		{
			name: "directory as file",
			env:  map[string]string{"CAMPUS_CONFIG": dir},
			want: []string{"cannot read config file " + dir + ":"},
		},
		{
			name: "invalid YAML",
			file: "workers: 3\nhttp: [\n",
			want: []string{"invalid YAML: line 2"},
		},
		{
			name: "top level is not a mapping",
			file: "- workers\n",
			want: []string{"line 1: expected a mapping of settings, found a sequence"},
		},
		{
			name: "several documents",
			file: "workers: 3\n---\nworkers: 4\n",
			want: []string{"more than one YAML document"},
		},
		{
			name: "unknown keys",
			file: "http:\n  host: [a]\nbogus: 1\ntls:\n  cert: x\n",
			want: []string{
				"line 2: unknown key http.host (did you mean http.hosts?)",
				"line 3: unknown key bogus",
				"line 4: unknown key tls",
			},
		},
		{
			name: "wrong YAML types",
			file: "db:\n  url: {a: b}\nworkers: [1]\nhttp: 3\nlog:\n  verbose: [true]\n",
			want: []string{
				"line 2: db.url must be a string, found a mapping",
				"line 3: workers must be an integer, found a sequence",
				"line 4: key http must be a mapping, found a scalar",
				"line 6: log.verbose must be a boolean, found a sequence",
			},
		},
		{
			name: "bad list items",
			file: "http:\n  hosts:\n    - a\n    - [b]\n",
			want: []string{"line 4: items of http.hosts must be strings, found a sequence"},
		},
		{
			name: "invalid values in file",
			file: "workers: many\nhttp:\n  read-timeout: 30\n",
			want: []string{
				`line 1: invalid value "many" for workers: expected an integer`,
				`line 3: invalid value "30" for http.read-timeout: expected a duration`,
			},
		},
		{
			name: "duplicate keys",
			file: "workers: 1\nworkers: 2\ndb.url: x\ndb:\n  url: y\n",
			want: []string{"line 2: key workers already set on line 1", "line 5: key db.url already set on line 3"},
		},
		{
			name: "flags, then file, then environment",
			args: []string{"--bogus", "--workers"},
			env:  map[string]string{"T_READ_TIMEOUT": "soon", "T_VERBOSE": "maybe"},
			file: "bogus: 1\nworkers: x\n",
			want: []string{
				"unknown flag --bogus",
				"missing value for flag --workers",
				"line 1: unknown key bogus",
				`line 2: invalid value "x" for workers`,
				`invalid value "maybe" for environment variable T_VERBOSE`,
				`invalid value "soon" for environment variable T_READ_TIMEOUT`,
			},
		},
		{
			name: "identical problems are reported once",
			args: []string{"--bogus", "--bogus=1"},
			want: []string{"unknown flag --bogus"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			env := withConfig(t, tt.env, tt.file)
			ue := usageError(t, f.set.Load(tt.args, envFunc(env)))
			if len(ue.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ue.Problems), len(tt.want), ue)
			}
			for i, want := range tt.want {
				if !strings.Contains(ue.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ue.Problems[i], want)
				}
			}
			// File problems must say which file.
			if path := env["CAMPUS_CONFIG"]; path != "" {
				for _, p := range ue.Problems {
					if strings.Contains(p, "line ") && !strings.Contains(p, path) {
						t.Errorf("problem %q does not name file %s", p, path)
					}
				}
			}
			if got := f.set.Problems(); got == nil || got.Error() != ue.Error() {
				t.Errorf("Problems() = %v, want the error of Load", got)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		arg  string
		want string // suggestion, or "" for none
	}{
		{name: "transposition", arg: "--wokrers", want: "--workers"},
		{name: "missing letter", arg: "--hst", want: "--host"},
		{name: "extra letter single dash", arg: "-verbosee", want: "--verbose"},
		{name: "built-in flag", arg: "--conifg=x", want: "--config"},
		{name: "too far", arg: "--timeout", want: ""},
		{name: "too short to guess", arg: "-x", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			ue := usageError(t, f.set.Load([]string{tt.arg}, nil))
			p := ue.Problems[0]
			if !strings.HasPrefix(p, "unknown flag ") {
				t.Fatalf("problem = %q, want an unknown flag", p)
			}
			switch {
			case tt.want == "" && strings.Contains(p, "did you mean"):
				t.Errorf("problem = %q, want no suggestion", p)
			case tt.want != "" && !strings.Contains(p, "(did you mean "+tt.want+"?)"):
				t.Errorf("problem = %q, want suggestion %s", p, tt.want)
			}
		})
	}
}

func TestEnvOnlyRejectedAsFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "named after the key, no flag registered",
			args: []string{"--db-password", "hunter2"},
			want: "unknown flag --db-password: db.password can only be set with environment variable T_DB_PASSWORD or in the config file",
		},
		{
			name: "registered flag name",
			args: []string{"-pin=hunter2"},
			want: "unknown flag -pin: pin can only be set with environment variable T_PIN or in the config file",
		},
		{
			name: "no environment variable",
			args: []string{"--file-only"},
			want: "unknown flag --file-only: file.only can only be set in the config file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			var pin int
			var fileOnly string
			f.set.Int(&pin, "pin", "pin", "T_PIN", "0", "PIN", EnvOnly(), Secret())
			f.set.String(&fileOnly, "file.only", "", "", "", "File only", EnvOnly())
			ue := usageError(t, f.set.Load(tt.args, nil))
			if len(ue.Problems) != 1 || ue.Problems[0] != tt.want {
				t.Errorf("problems = %q, want [%q]", ue.Problems, tt.want)
			}
			if strings.Contains(ue.Error(), "hunter2") {
				t.Errorf("error shows the value: %v", ue)
			}
			if f.pw != "" || pin != 0 {
				t.Errorf("env-only settings were set from flags: %q %d", f.pw, pin)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	const secret = "hunter2"
	newSet := func() (*Set, *string, *int, *[]string) {
		s := NewSet("secret", "")
		var token string
		var pin int
		var keys []string
		s.String(&token, "token", "token", "T_TOKEN", "", "API token", Secret())
		s.Int(&pin, "pin", "", "T_PIN", "0", "PIN", Secret(), EnvOnly())
		s.StringList(&keys, "keys", "key", "T_KEYS", "", "Keys", Secret())
		return s, &token, &pin, &keys
	}

	t.Run("errors never show secret values", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			args []string
			env  map[string]string
			file string
		}{
			{name: "invalid env value", env: map[string]string{"T_PIN": secret}},
			{name: "invalid file value", file: "pin: " + secret + "\n"},
			{name: "misspelt flag with value", args: []string{"--tokn=" + secret}},
			{name: "env-only as flag", args: []string{"--pin=" + secret}},
			{name: "wrong type under unknown key", file: "tokn: " + secret + "\nroot: [" + secret + "]\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				s, _, _, _ := newSet()
				err := s.Load(tt.args, envFunc(withConfig(t, tt.env, tt.file)))
				if err == nil {
					t.Fatal("Load succeeded, want an error")
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows the secret:\n%v", err)
				}
			})
		}
	})

	t.Run("print redacts set secrets", func(t *testing.T) {
		t.Parallel()
		s, token, pin, keys := newSet()
		err := s.Load([]string{"--token", secret, "--key", secret}, envFunc(map[string]string{"T_PIN": "1234"}))
		if err != nil {
			t.Fatal(err)
		}
		if *token != secret || *pin != 1234 || !slices.Equal(*keys, []string{secret}) {
			t.Fatalf("values not loaded: %q %d %q", *token, *pin, *keys)
		}
		var b strings.Builder
		s.Print(&b)
		out := b.String()
		if strings.Contains(out, secret) || strings.Contains(out, "1234") {
			t.Errorf("Print shows a secret:\n%s", out)
		}
		if n := strings.Count(out, redacted); n != 3 {
			t.Errorf("Print shows %d redactions, want 3:\n%s", n, out)
		}
	})

	t.Run("print shows empty secrets", func(t *testing.T) {
		t.Parallel()
		s, _, _, _ := newSet()
		var b strings.Builder
		s.Print(&b)
		want := "token: \"\" # default\npin: <redacted> # default\nkeys: [] # default\n"
		if b.String() != want {
			t.Errorf("Print:\n%s\nwant:\n%s", b.String(), want)
		}
	})

	t.Run("usage redacts secret defaults", func(t *testing.T) {
		t.Parallel()
		s := NewSet("secret", "")
		var token string
		s.String(&token, "token", "token", "", secret, "Token", Secret())
		var b strings.Builder
		s.Usage(&b)
		if strings.Contains(b.String(), secret) || !strings.Contains(b.String(), "default "+redacted) {
			t.Errorf("Usage:\n%s", b.String())
		}
	})
}

func TestPrint(t *testing.T) {
	t.Parallel()

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		f := newFixture()
		var b strings.Builder
		f.set.Print(&b)
		want := `db:
  url: sqlite:default.db # default
  password: "" # default
log:
  verbose: false # default
workers: 4 # default
http:
  read-timeout: 15s # default
  hosts: [a, b] # default
`
		if b.String() != want {
			t.Errorf("Print:\n%s\nwant:\n%s", b.String(), want)
		}
	})

	t.Run("round trip through a file", func(t *testing.T) {
		t.Parallel()
		f := newFixture()
		path := writeFile(t, "http:\n  hosts: ['a b', 'c,d', 'true', '# not a comment']\n")
		args := []string{"--config", path, "--db-url", "yes: no # x", "--read-timeout=1h2m3s"}
		if err := f.set.Load(args, envFunc(map[string]string{"T_VERBOSE": "true", "T_WORKERS": "-3"})); err != nil {
			t.Fatal(err)
		}
		want := f.values()

		var b strings.Builder
		f.set.Print(&b)
		out := b.String()
		for _, origin := range []string{"# flag --db-url", "# flag --read-timeout", "# env T_VERBOSE", "# env T_WORKERS", "# file " + path, "# default"} {
			if !strings.Contains(out, origin) {
				t.Errorf("Print does not show origin %q:\n%s", origin, out)
			}
		}
		var parsed map[string]any
		if err := yaml.Unmarshal([]byte(out), &parsed); err != nil {
			t.Fatalf("Print output is not YAML: %v\n%s", err, out)
		}
		if got := parsed["db"].(map[string]any)["url"]; got != "yes: no # x" {
			t.Errorf("db.url parsed as %#v", got)
		}

		g := newFixture()
		if err := g.set.Load([]string{"--config", writeFile(t, out)}, nil); err != nil {
			t.Fatalf("loading Print output: %v\n%s", err, out)
		}
		if got := g.values(); got != want {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
		for _, k := range fixtureKeys {
			if got := g.set.Source(k); got != "file" {
				t.Errorf("Source(%q) = %q, want file", k, got)
			}
		}
	})
}

func TestUsage(t *testing.T) {
	t.Parallel()
	f := newFixture()
	var b strings.Builder
	f.set.Usage(&b)
	out := b.String()
	for _, want := range []string{
		"Usage: campus test [flags]",
		"Test the config package.",
		"  --db-url string   ",
		"--verbose ", "--workers int", "--read-timeout duration", "--host list",
		"T_DB_URL", "T_VERBOSE", "T_WORKERS", "T_READ_TIMEOUT", "T_HOSTS", "T_DB_PASSWORD",
		"file: db.url", "file: log.verbose", "file: workers", "file: http.read-timeout", "file: http.hosts", "file: db.password",
		`default "sqlite:default.db"`, "default false", "default 4", "default 15s", `default "a,b"`,
		"Database URL", "Database password",
		"(environment or config file only)",
		"--config path", "CAMPUS_CONFIG", "-h, --help",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Usage does not contain %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--db-password") {
		t.Errorf("Usage offers a flag for an env-only setting:\n%s", out)
	}
	// Settings appear in registration order.
	last := -1
	for _, s := range []string{"--db-url", "--verbose", "--workers", "--read-timeout", "--host", "T_DB_PASSWORD ", "--config"} {
		i := strings.Index(out, s)
		if i < last {
			t.Errorf("%s is out of registration order", s)
		}
		last = i
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantHelp bool
		wantArgs []string
	}{
		{name: "long", args: []string{"--help"}, wantHelp: true},
		{name: "short", args: []string{"-h"}, wantHelp: true},
		{name: "single dash long", args: []string{"-help"}, wantHelp: true},
		{name: "wins over problems", args: []string{"--bogus", "--workers=x", "pos", "-h"}, wantHelp: true},
		{name: "explicit false", args: []string{"--help=false"}},
		{name: "after double dash", args: []string{"--", "--help"}, wantArgs: []string{"--help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			err := f.set.Load(tt.args, envFunc(map[string]string{"T_WORKERS": "x"}))
			if got := errors.Is(err, ErrHelp); got != tt.wantHelp {
				t.Fatalf("Load = %v, want ErrHelp: %v", err, tt.wantHelp)
			}
			if !tt.wantHelp {
				// The bad T_WORKERS is still reported.
				if ue := usageError(t, err); len(ue.Problems) != 1 {
					t.Errorf("problems = %q", ue.Problems)
				}
				if got := f.set.Args(); !slices.Equal(got, tt.wantArgs) {
					t.Errorf("Args() = %q, want %q", got, tt.wantArgs)
				}
			}
		})
	}
}

func TestArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "none", args: []string{"--workers", "3"}},
		{name: "interleaved", args: []string{"a", "--workers", "3", "b", "--verbose", "c"}, want: []string{"a", "b", "c"}},
		{name: "after double dash", args: []string{"a", "--", "--workers", "-x", "--"}, want: []string{"a", "--workers", "-x", "--"}},
		{name: "lone dash", args: []string{"-", "--verbose"}, want: []string{"-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			if err := f.set.Load(tt.args, nil); err != nil {
				t.Fatal(err)
			}
			if got := f.set.Args(); !slices.Equal(got, tt.want) {
				t.Errorf("Args() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProblemsHelper(t *testing.T) {
	t.Parallel()
	errA, errB := errors.New("a is wrong"), errors.New("b is wrong")
	tests := []struct {
		name  string
		args  []string
		extra []error
		want  []string // nil: Problems returns nil
	}{
		{name: "nothing"},
		{name: "only nil errors", extra: []error{nil, nil}},
		{name: "one error", extra: []error{nil, errA}, want: []string{"a is wrong"}},
		{name: "joined errors are split", extra: []error{errors.Join(errA, nil, errB)}, want: []string{"a is wrong", "b is wrong"}},
		{name: "lines are split", extra: []error{errors.New("one\n\ntwo\n")}, want: []string{"one", "two"}},
		{
			name:  "wrapped errors keep their context",
			extra: []error{fmt.Errorf("tls: %w and %w", errA, errB)},
			want:  []string{"tls: a is wrong and b is wrong"},
		},
		{name: "load problems first", args: []string{"--bogus"}, extra: []error{errA}, want: []string{"unknown flag --bogus", "a is wrong"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			_ = f.set.Load(tt.args, nil)
			err := f.set.Problems(tt.extra...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Problems() = %v, want nil", err)
				}
				return
			}
			ue := usageError(t, err)
			if ue.Command != "test" || !slices.Equal(ue.Problems, tt.want) {
				t.Errorf("got %q %q, want test %q", ue.Command, ue.Problems, tt.want)
			}
		})
	}

	t.Run("load error passed back is not repeated", func(t *testing.T) {
		t.Parallel()
		f := newFixture()
		err := f.set.Load([]string{"--bogus"}, nil)
		ue := usageError(t, f.set.Problems(err, errA))
		if want := []string{"unknown flag --bogus", "a is wrong"}; !slices.Equal(ue.Problems, want) {
			t.Errorf("problems = %q, want %q", ue.Problems, want)
		}
	})
}

func TestUsageErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *UsageError
		want string
	}{
		{
			name: "one problem",
			err:  &UsageError{Command: "serve", Problems: []string{"unknown flag --x"}},
			want: "campus serve: unknown flag --x\nRun 'campus serve --help' for usage.",
		},
		{
			name: "several problems",
			err:  &UsageError{Command: "identity", Problems: []string{"p1", "p2"}},
			want: "campus identity: 2 problems:\n  - p1\n  - p2\nRun 'campus identity --help' for usage.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSource(t *testing.T) {
	t.Parallel()
	f := newFixture()
	if got := f.set.Source("workers"); got != "default" {
		t.Errorf("before Load: Source = %q, want default", got)
	}
	if f.num != 4 {
		t.Errorf("before Load: workers = %d, want the default 4", f.num)
	}
	if got := f.set.Source("no.such.key"); got != "" {
		t.Errorf("unknown key: Source = %q, want empty", got)
	}
	// A second Load starts afresh.
	if err := f.set.Load([]string{"--workers=5"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.set.Load(nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.set.Source("workers"); got != "default" || f.num != 4 {
		t.Errorf("after reload: Source = %q, workers = %d", got, f.num)
	}
}

func TestRegistrationPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		register func(s *Set)
	}{
		{name: "duplicate key", register: func(s *Set) { s.String(new(string), "db.url", "other", "T_OTHER", "", "") }},
		{name: "duplicate flag", register: func(s *Set) { s.String(new(string), "other", "db-url", "T_OTHER", "", "") }},
		{name: "duplicate env", register: func(s *Set) { s.String(new(string), "other", "other", "T_DB_URL", "", "") }},
		{name: "env of env-only setting", register: func(s *Set) { s.String(new(string), "other", "", "T_DB_PASSWORD", "", "", EnvOnly()) }},
		{name: "key below a value", register: func(s *Set) { s.String(new(string), "workers.max", "max", "", "", "") }},
		{name: "key above values", register: func(s *Set) { s.String(new(string), "http", "http", "", "", "") }},
		{name: "built-in flag config", register: func(s *Set) { s.String(new(string), "other", "config", "", "", "") }},
		{name: "built-in flag h", register: func(s *Set) { s.Bool(new(bool), "other", "h", "", "false", "") }},
		{name: "built-in env", register: func(s *Set) { s.String(new(string), "other", "other", "CAMPUS_CONFIG", "", "") }},
		{name: "bad default", register: func(s *Set) { s.Int(new(int), "other", "other", "", "four", "") }},
		{name: "bad duration default", register: func(s *Set) { s.Duration(new(time.Duration), "other", "other", "", "5", "") }},
		{name: "no flag without EnvOnly", register: func(s *Set) { s.String(new(string), "other", "", "T_OTHER", "", "") }},
		{name: "flag with dashes", register: func(s *Set) { s.String(new(string), "other", "--other", "", "", "") }},
		{name: "invalid key", register: func(s *Set) { s.String(new(string), "a..b", "other", "", "", "") }},
		{name: "nil pointer", register: func(s *Set) { s.String(nil, "other", "other", "", "", "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			defer func() {
				if recover() == nil {
					t.Error("registration did not panic")
				}
			}()
			tt.register(f.set)
		})
	}
}

// TestEnvFile: NAME_FILE reads a setting's value from a file (a Docker or
// Kubernetes secret), trailing newline dropped, below flags like NAME;
// both at once, an unreadable or empty file, or an invalid value are
// problems, and a secret's value is never shown.
func TestEnvFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pw, url, bad := write("pw", "s3cret-from-file\n"), write("url", "postgres://db/x\r\n"), write("bad", "many")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	f := newFixture()
	if err := f.set.Load(nil, env(map[string]string{"T_DB_PASSWORD_FILE": pw, "T_DB_URL_FILE": url})); err != nil {
		t.Fatal(err)
	}
	if f.pw != "s3cret-from-file" || f.url != "postgres://db/x" {
		t.Fatalf("from files: pw %q url %q", f.pw, f.url)
	}
	f = newFixture()
	if err := f.set.Load([]string{"--db-url", "sqlite:flag.db"}, env(map[string]string{"T_DB_URL_FILE": url})); err != nil || f.url != "sqlite:flag.db" {
		t.Fatalf("a flag beats NAME_FILE: %v %q", err, f.url)
	}
	for name, m := range map[string]map[string]string{
		"both":    {"T_DB_URL": "sqlite:x.db", "T_DB_URL_FILE": url},
		"missing": {"T_DB_URL_FILE": filepath.Join(dir, "nope")},
		"empty":   {"T_DB_URL_FILE": write("empty", "\n")},
		"invalid": {"T_WORKERS_FILE": bad},
		"secret":  {"T_DB_PASSWORD_FILE": pw, "T_WORKERS_FILE": bad},
	} {
		f := newFixture()
		err := f.set.Load(nil, env(m))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the secret is in the message: %v", name, err)
		}
		if name == "invalid" && !strings.Contains(err.Error(), bad) {
			t.Errorf("invalid: the message does not name the file: %v", err)
		}
	}
}
