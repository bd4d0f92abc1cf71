package web

import (
	"net/http"
	"testing"

	"campus/internal/rest/resttest"
)

// identityInputs are the request bodies of identity's API, each decoded
// with decode (rest.Decode, read-only fields refused with their reason);
// new returns a fresh one to decode into.
var identityInputs = []func() any{
	func() any { return new(registration) },
	func() any { return new(roleCreate) },
	func() any { return new(rolePatch) },
	func() any { return new(profilePatch) },
	func() any { return new(selfPatch) },
	func() any { return new(rolesBody) },
	func() any { return new(passwordBody) },
}

// FuzzIdentityDecode: any body, under any content type, into any of
// identity's API inputs: decode either accepts it, writing nothing, or
// answers a problem (415, 413, 400 or 422 with the fields) by itself. It
// accepts only a JSON object of the input's own fields, and it agrees
// with encoding/json: a body of those fields that json.Unmarshal takes is
// accepted, into the same value (a field given as null is set and null).
func FuzzIdentityDecode(f *testing.F) {
	for _, s := range []string{
		`{"username":"ana","email":"ana@example.org","password":"correct horse battery","given_name":"Ana","family_name":"Lima","programme_id":"p1"}`,
		`{"name":"tutor","description":"Tutors","permissions":["grades:read"],"allowed_clients":["portal"],"login_window":{"from":"08:00","to":"18:00"}}`,
		`{"description":null,"permissions":[]}`, `{"semester":"3"}`, `{"semester":3.5}`, `{"login_window":{"days":[1,2]}}`,
		`{"roles":["student","teacher"]}`, `{"roles":null}`, `{"current_password":"a","new_password":"b"}`,
		`{"id":"x","status":"disabled","email_verified":true}`, `{"Email":"x"}`, `null`, `[]`, `{`, ``, `{"a":1} {}`,
		`{"username":"\ud800"}`,
	} {
		for i := range identityInputs {
			f.Add([]byte(s), "application/json", i)
		}
	}
	f.Add([]byte(`{"display_name":"Ana"}`), "application/merge-patch+json", 4)
	f.Add([]byte(`{}`), "application/x-www-form-urlencoded", 0)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, which int) {
		if which < 0 {
			which = -which
		}
		resttest.CheckDecode(t, func(w http.ResponseWriter, r *http.Request, dst any) bool {
			return decode(w, r, dst, nil)
		}, body, contentType, identityInputs[which%len(identityInputs)])
	})
}
