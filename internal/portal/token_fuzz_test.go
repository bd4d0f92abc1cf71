package portal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadAccessToken: the portal reads roles and scopes from the access
// token identity issued (the signature is the APIs' to check). Any string
// is read or refused without a panic; what is read came from a JSON
// object in the middle part, and claims put in a token read back as
// themselves.
func FuzzReadAccessToken(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	f.Add("eyJhbGciOiJFUzI1NiJ9."+enc(`{"jti":"t1","sub":"u1","iat":1795000000,"scope":"openid grades:read","roles":["student"]}`)+".sig", "u1", "openid", "teacher")
	f.Add("a.b.c", "", "", "")
	f.Add("a."+enc(`{"roles":null}`)+".c", "x", "", "")
	f.Add("a."+enc(`{"iat":"x"}`)+".c", "x", "read write", "r")
	f.Add("campus_0123456789", "s", "s", "s")
	f.Fuzz(func(t *testing.T, raw, sub, scope, role string) {
		c, ok := readAccessToken(raw)
		if ok {
			parts := strings.Split(raw, ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			if p := bytes.TrimLeft(payload, " \t\r\n"); len(p) == 0 || p[0] != '{' {
				t.Fatalf("%q read as %+v from %q, not an object", raw, c, payload)
			}
		} else if c.Subject != "" || c.Roles != nil || c.Scope != "" {
			t.Fatalf("%q refused, yet %+v", raw, c)
		}
		if !utf8.ValidString(sub) || !utf8.ValidString(scope) || !utf8.ValidString(role) {
			return
		}
		want := accessClaims{ID: "t", Subject: sub, IssuedAt: 1795000000, Scope: scope, Roles: []string{role}}
		b, _ := json.Marshal(want)
		got, ok := readAccessToken("e30." + base64.RawURLEncoding.EncodeToString(b) + ".sig")
		if !ok || got.Subject != sub || got.Scope != scope || !slices.Equal(got.Roles, want.Roles) || got.IssuedAt != want.IssuedAt {
			t.Fatalf("%+v read back as %+v, %v", want, got, ok)
		}
	})
}
