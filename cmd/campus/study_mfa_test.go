package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"campus/internal/config"
	studyservice "campus/internal/study/service"
)

// TestStudyRequireMFAOption: --study-require-mfa is read from the flag,
// then CAMPUS_STUDY_REQUIRE_MFA, then the file's study.require_mfa, for
// serve and study alike; it is off by default, and a value that is not a
// boolean is refused.
func TestStudyRequireMFAOption(t *testing.T) {
	t.Parallel()
	commands := map[string]func() (*studyservice.Config, *config.Set){
		"serve": func() (*studyservice.Config, *config.Set) { c, s := newServeConfig(); return &c.study, s },
		"study": func() (*studyservice.Config, *config.Set) { c, s := newStudyConfig(); return &c.study, s },
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		want    bool
		source  string
		refused bool
	}{
		{name: "default", want: false, source: "default"},
		{name: "flag", args: []string{"--study-require-mfa"}, want: true, source: "flag"},
		{name: "environment", env: map[string]string{"CAMPUS_STUDY_REQUIRE_MFA": "true"}, want: true, source: "env"},
		{name: "file", file: "study:\n  require_mfa: true\n", want: true, source: "file"},
		{name: "the flag before the environment", args: []string{"--study-require-mfa=false"}, env: map[string]string{"CAMPUS_STUDY_REQUIRE_MFA": "true"}, want: false, source: "flag"},
		{name: "the environment before the file", env: map[string]string{"CAMPUS_STUDY_REQUIRE_MFA": "false"}, file: "study:\n  require_mfa: true\n", want: false, source: "env"},
		{name: "not a boolean", env: map[string]string{"CAMPUS_STUDY_REQUIRE_MFA": "sometimes"}, refused: true},
	}
	for name, newConfig := range commands {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				args := tt.args
				if tt.file != "" {
					path := filepath.Join(t.TempDir(), "campus.yaml")
					if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
						t.Fatal(err)
					}
					args = append([]string{"--config", path}, args...)
				}
				c, s := newConfig()
				err := s.Load(args, envMap(tt.env))
				if tt.refused {
					if err == nil || !strings.Contains(err.Error(), "CAMPUS_STUDY_REQUIRE_MFA") {
						t.Fatalf("Load = %v, want a problem naming CAMPUS_STUDY_REQUIRE_MFA", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if c.RequireMFA != tt.want || s.Source("study.require_mfa") != tt.source {
					t.Errorf("RequireMFA = %v from %q, want %v from %q", c.RequireMFA, s.Source("study.require_mfa"), tt.want, tt.source)
				}
			})
		}
	}
}
