package service

import (
	"strings"
	"testing"

	"campus/internal/identity/policy"
)

func TestAdminPasswordMeetsThePolicy(t *testing.T) {
	tests := []struct {
		name     string
		password string
		policy   policy.PasswordPolicy
		want     string // "" when accepted
	}{
		{name: "generated", password: "", policy: policy.PasswordPolicy{MinLength: 10}},
		{name: "strong", password: "correct-horse-battery-staple", policy: policy.PasswordPolicy{MinLength: 10, RefuseCommon: true}},
		{name: "too short", password: "short", policy: policy.PasswordPolicy{MinLength: 10}, want: "too short: at least 10"},
		{name: "shorter than the configured minimum", password: "correct-horse-battery", policy: policy.PasswordPolicy{MinLength: 24},
			want: "too short: at least 24"},
		{name: "never below the domain's minimum", password: "abcdefghi", policy: policy.PasswordPolicy{MinLength: 8}, want: "too short: at least 10"},
		{name: "common", password: "password1234", policy: policy.PasswordPolicy{MinLength: 10, RefuseCommon: true},
			want: "does not meet the password policy"},
		{name: "weak", password: "aaaaaaaaaaaa", policy: policy.PasswordPolicy{MinLength: 10}, want: "does not meet the password policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &AdminConfig{Email: "admin@localhost", Password: tt.password}
			errs := a.Validate(tt.policy)
			if len(errs) == 0 {
				if err := a.CheckPassword(tt.policy); err != nil {
					errs = append(errs, err)
				}
			}
			switch {
			case tt.want == "" && len(errs) > 0:
				t.Fatalf("refused: %v", errs)
			case tt.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want)):
				t.Fatalf("got %v, want one problem containing %q", errs, tt.want)
			}
		})
	}
}
