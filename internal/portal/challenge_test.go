package portal

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	t.Parallel()
	type ch = authChallenge
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		fields []string
		want   []authChallenge
	}{
		{"none", nil, nil},
		{"realm only", []string{`Bearer realm="campus"`}, []ch{{Scheme: "Bearer", Params: p("realm", "campus")}}},
		{"scheme only", []string{`Bearer`}, []ch{{Scheme: "Bearer"}}},
		{"study's step-up", []string{`Bearer realm="campus", error="insufficient_user_authentication", error_description="this change needs a sign-in with a second factor", acr_values="urn:campus:acr:mfa"`},
			[]ch{{Scheme: "Bearer", Params: p("realm", "campus", "error", "insufficient_user_authentication",
				"error_description", "this change needs a sign-in with a second factor", "acr_values", "urn:campus:acr:mfa")}}},
		{"token values, names in any case, BWS", []string{`bearer Error = insufficient_user_authentication ,ACR_Values=mfa`},
			[]ch{{Scheme: "bearer", Params: p("error", "insufficient_user_authentication", "acr_values", "mfa")}}},
		// A colon is no tchar: such a value must be quoted.
		{"unquoted URN", []string{`Bearer acr_values=urn:x`}, nil},
		// RFC 9110 section 11.6.1's example: two challenges in one field,
		// a quoted-pair in a value.
		{"two challenges, quoted-pair", []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			[]ch{{Scheme: "Newauth", Params: p("realm", "apps", "type", "1", "title", `Login to "apps"`)}, {Scheme: "Basic", Params: p("realm", "simple")}}},
		{"a comma and an equals sign inside quotes", []string{`Bearer error_description="a, b=c", error="invalid_token"`},
			[]ch{{Scheme: "Bearer", Params: p("error_description", "a, b=c", "error", "invalid_token")}}},
		{"token68", []string{`Negotiate YIIC+/x==, Bearer realm="campus"`},
			[]ch{{Scheme: "Negotiate", Token68: "YIIC+/x=="}, {Scheme: "Bearer", Params: p("realm", "campus")}}},
		{"empty list elements", []string{` , Basic, , Bearer error="x",, `}, []ch{{Scheme: "Basic"}, {Scheme: "Bearer", Params: p("error", "x")}}},
		{"two fields", []string{`Basic realm="a"`, `Bearer error="insufficient_user_authentication"`},
			[]ch{{Scheme: "Basic", Params: p("realm", "a")}, {Scheme: "Bearer", Params: p("error", "insufficient_user_authentication")}}},
		{"first value of a repeated name", []string{`Bearer error="a", error="b"`}, []ch{{Scheme: "Bearer", Params: p("error", "a")}}},
		{"unterminated quote ends the field", []string{`Basic realm="a", Bearer error="insufficient_user_authentication`}, []ch{{Scheme: "Basic", Params: p("realm", "a")}}},
		{"missing value", []string{`Bearer realm="x", error=`}, nil},
		// "name=" followed by a comma is a token68 with its padding.
		{"token68, not an empty parameter", []string{`Bearer error=, Basic`}, []ch{{Scheme: "Bearer", Token68: "error="}, {Scheme: "Basic"}}},
		{"neither token68 nor parameter", []string{`Bearer abc def`}, nil},
		{"no space after the scheme", []string{`Bearer"x"`}, nil},
		{"control character in quotes", []string{"Bearer error=\"a\x01b\""}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, f := range tc.fields {
				h.Add("WWW-Authenticate", f)
			}
			if got := parseChallenges(h); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseChallenges(%q)\n got %#v\nwant %#v", tc.fields, got, tc.want)
			}
		})
	}
}

func TestStepUpOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		field  string
		want   bool
		acr    string
		detail string
	}{
		{"study's challenge", `Bearer realm="campus", error="insufficient_user_authentication", error_description="needs a second factor", acr_values="urn:campus:acr:mfa"`,
			true, "urn:campus:acr:mfa", "needs a second factor"},
		{"scheme in lower case, token value", `bearer error=insufficient_user_authentication`, true, "", ""},
		{"after another challenge", `Basic realm="x", Bearer error="insufficient_user_authentication", acr_values="a b"`, true, "a b", ""},
		{"an invalid token", `Bearer realm="campus", error="invalid_token", error_description="expired"`, false, "", ""},
		{"no error", `Bearer realm="campus"`, false, "", ""},
		// A substring is not a challenge: the words in a description, or
		// another scheme's parameter.
		{"only in the description", `Bearer error="invalid_token", error_description="not insufficient_user_authentication"`, false, "", ""},
		{"another scheme", `DPoP error="insufficient_user_authentication"`, false, "", ""},
		{"another parameter", `Bearer xerror="insufficient_user_authentication"`, false, "", ""},
		{"broken before it", `Bearer error="invalid_token, Bearer error="insufficient_user_authentication"`, false, "", ""},
		{"none", ``, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.field != "" {
				h.Set("WWW-Authenticate", tc.field)
			}
			su, ok := stepUpOf(h)
			if ok != tc.want || su.ACRValues != tc.acr || su.Description != tc.detail {
				t.Errorf("stepUpOf(%q) = %+v, %v; want acr %q, description %q, %v", tc.field, su, ok, tc.acr, tc.detail, tc.want)
			}
		})
	}
}

// TestStepUpIsNotSignedOut: a 401 with the step-up challenge is errStepUp
// and not errSignedOut; any other 401 is signed out.
func TestStepUpIsNotSignedOut(t *testing.T) {
	t.Parallel()
	stepped := &apiError{Status: http.StatusUnauthorized, StepUp: &stepUp{ACRValues: "urn:campus:acr:mfa"}}
	if !errors.Is(stepped, errStepUp) || errors.Is(stepped, errSignedOut) {
		t.Errorf("a step-up 401: errStepUp %v, errSignedOut %v", errors.Is(stepped, errStepUp), errors.Is(stepped, errSignedOut))
	}
	plain := &apiError{Status: http.StatusUnauthorized}
	if errors.Is(plain, errStepUp) || !errors.Is(plain, errSignedOut) {
		t.Errorf("a plain 401: errStepUp %v, errSignedOut %v", errors.Is(plain, errStepUp), errors.Is(plain, errSignedOut))
	}
}
