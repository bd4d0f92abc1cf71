package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"campus/internal/rest"
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
		checkDecode(t, body, contentType, identityInputs[which%len(identityInputs)])
	})
}

// checkDecode runs decode on one request and checks its answer.
func checkDecode(t *testing.T, body []byte, contentType string, fresh func() any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	dst := fresh()
	ok := decode(w, r, dst, nil)
	fields := jsonTags(dst)
	var obj map[string]json.RawMessage
	isObj := json.Unmarshal(body, &obj) == nil && obj != nil
	if ok {
		if w.Body.Len() != 0 || len(w.Header()) != 0 {
			t.Fatalf("accepted %q, yet answered %d %s", body, w.Code, w.Body)
		}
		if !isObj {
			t.Fatalf("accepted %q, which is not a JSON object", body)
		}
		for k := range obj {
			if !slices.Contains(fields, k) {
				t.Fatalf("accepted %q with field %q, not one of %v", body, k, fields)
			}
		}
	} else {
		var p struct {
			Status int `json:"status"`
			Errors []struct {
				Field  string `json:"field"`
				Detail string `json:"detail"`
			} `json:"errors"`
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("refused %q with %d and content type %q", body, w.Code, ct)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code {
			t.Fatalf("refused %q with %d, not a problem: %s", body, w.Code, w.Body)
		}
		switch w.Code {
		case http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge, http.StatusBadRequest:
		case http.StatusUnprocessableEntity:
			if len(p.Errors) == 0 {
				t.Fatalf("422 for %q names no field: %s", body, w.Body)
			}
			for _, e := range p.Errors {
				if _, named := obj[e.Field]; !named || e.Detail == "" {
					t.Fatalf("422 for %q: field %q is not in the body or has no reason", body, e.Field)
				}
			}
		default:
			t.Fatalf("refused %q with %d", body, w.Code)
		}
	}
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if (mt != "application/json" && mt != "application/merge-patch+json") || !isObj || len(body) > rest.MaxBody {
		return
	}
	for k := range obj {
		if !slices.Contains(fields, k) {
			return
		}
	}
	want := fresh()
	if json.Unmarshal(body, want) != nil {
		return
	}
	if !ok {
		t.Fatalf("json.Unmarshal takes %q, rest.Decode does not: %d %s", body, w.Code, w.Body)
	}
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("%q: rest.Decode gives %+v, json.Unmarshal %+v", body, dst, want)
	}
}

// jsonTags lists the JSON names of dst's fields.
func jsonTags(dst any) []string {
	var out []string
	t := reflect.TypeOf(dst).Elem()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
