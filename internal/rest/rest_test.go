package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"campus/internal/problem"
)

// answer is a problem document as a client reads it.
type answer struct {
	problem.Details
}

func read(t *testing.T, w *httptest.ResponseRecorder) answer {
	t.Helper()
	var a answer
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer %q: %v", w.Body, err)
		}
	}
	return a
}

func fieldsOf(a answer) map[string]string {
	m := map[string]string{}
	for _, f := range a.Errors {
		m[f.Field] = f.Detail
	}
	return m
}

type nick struct {
	Set   bool
	Value string
}

func (n *nick) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == `"root"` {
		return FieldProblem("is reserved")
	}
	return json.Unmarshal(b, &n.Value)
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type body struct {
		Name    string   `json:"name"`
		Count   *int     `json:"count"`
		Nick    nick     `json:"nick"`
		Windows []string `json:"windows"`
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int               // 0: accepted
		fields      map[string]string // field: part of its detail
		check       func(t *testing.T, b body)
	}{
		{name: "fields set and absent", contentType: "application/json", body: `{"name":"x","count":2}`,
			check: func(t *testing.T, b body) {
				if b.Name != "x" || b.Count == nil || *b.Count != 2 || b.Nick.Set {
					t.Fatalf("decoded %+v", b)
				}
			}},
		{name: "merge patch", contentType: "application/merge-patch+json; charset=utf-8", body: `{"nick":"n"}`,
			check: func(t *testing.T, b body) {
				if !b.Nick.Set || b.Nick.Value != "n" {
					t.Fatalf("decoded %+v", b)
				}
			}},
		{name: "wrong content type", contentType: "text/plain", body: `{}`, status: http.StatusUnsupportedMediaType},
		{name: "no content type", body: `{}`, status: http.StatusUnsupportedMediaType},
		{name: "not JSON", contentType: "application/json", body: `{"name":`, status: http.StatusBadRequest},
		{name: "empty", contentType: "application/json", body: ``, status: http.StatusBadRequest},
		{name: "not an object", contentType: "application/json", body: `[1]`, status: http.StatusBadRequest},
		{name: "null body", contentType: "application/json", body: `null`, status: http.StatusBadRequest},
		{name: "two objects", contentType: "application/json", body: `{} {}`, status: http.StatusBadRequest},
		{name: "every unknown and mistyped field at once", contentType: "application/json",
			body: `{"name":1,"count":"2","roles":[],"colour":"red","windows":"x","nick":"root"}`, status: http.StatusUnprocessableEntity,
			fields: map[string]string{"colour": "allowed: name, count, nick, windows", "roles": "change roles elsewhere",
				"name": "must be a string, not a JSON number", "count": "must be a whole number, not a JSON string",
				"windows": "must be a list", "nick": "is reserved"}},
		{name: "too large", contentType: "application/json", body: `{"name":"` + strings.Repeat("x", MaxBody) + `"}`, status: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			var b body
			ok := Decode(w, r, &b, map[string]string{"roles": "change roles elsewhere"})
			if ok != (tc.status == 0) || (!ok && w.Code != tc.status) {
				t.Fatalf("ok %v, status %d %s; want %d", ok, w.Code, w.Body, tc.status)
			}
			if !ok && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
			}
			got := fieldsOf(read(t, w))
			if len(got) != len(tc.fields) {
				t.Errorf("field errors %v, want one for each of %v", got, tc.fields)
			}
			for f, want := range tc.fields {
				if !strings.Contains(got[f], want) {
					t.Errorf("field %s: %q, want it to say %q", f, got[f], want)
				}
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

func TestReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		version      int
		cacheControl string // set by the handler before
		wantETag     string
		wantCache    string
	}{
		{"a resource", 3, "", `"3"`, "no-store"},
		{"a list", 0, "", "", "no-store"},
		{"the handler's caching kept", 1, "max-age=60", `"1"`, "max-age=60"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			if tc.cacheControl != "" {
				w.Header().Set("Cache-Control", tc.cacheControl)
			}
			Reply(w, http.StatusCreated, tc.version, map[string]string{"a": "<b>"})
			if w.Code != http.StatusCreated || w.Header().Get("Content-Type") != "application/json" ||
				w.Header().Get("ETag") != tc.wantETag || w.Header().Get("Cache-Control") != tc.wantCache {
				t.Fatalf("%d %v", w.Code, w.Header())
			}
			if w.Body.String() != `{"a":"<b>"}`+"\n" {
				t.Fatalf("body %q (HTML is not escaped in JSON answers)", w.Body)
			}
		})
	}
}

func TestETag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tag  string
		want int // 0: not a tag of ours
	}{
		{`"3"`, 3},
		{`"12"`, 12},
		{`W/"3"`, 0},
		{`"v3"`, 0},
		{`3`, 0},
		{`"0"`, 0},
		{`"03"`, 0},
		{`"-3"`, 0},
		{`"+3"`, 0},
		{`""`, 0},
		{`"`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.tag, func(t *testing.T) {
			t.Parallel()
			v, ok := ParseETag(tc.tag)
			if ok != (tc.want > 0) || v != tc.want {
				t.Fatalf("ParseETag(%s) = %d, %v; want %d", tc.tag, v, ok, tc.want)
			}
			if ok && ETag(v) != tc.tag {
				t.Fatalf("ETag(%d) = %s", v, ETag(v))
			}
		})
	}
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	current := func() (int, error) { return 7, nil }
	legacy := func(tag string) (int, bool) {
		if v, ok := strings.CutPrefix(tag, `"v`); ok {
			return ParseETag(`"` + v)
		}
		return 0, false
	}
	tests := []struct {
		name, header string
		m            Match
		want         int
		status       int // 0: go on
	}{
		{"missing where required", "", Match{Required: true, Current: current}, 0, http.StatusPreconditionRequired},
		{"missing where optional", "", Match{Current: current}, AnyVersion, 0},
		{"any", "*", Match{Required: true, Current: current}, AnyVersion, 0},
		{"one", `"3"`, Match{Required: true, Current: current}, 3, 0},
		{"one, with space", ` "3" `, Match{Required: true}, 3, 0},
		{"weak never matches", `W/"7"`, Match{Required: true, Current: current}, 0, http.StatusPreconditionFailed},
		{"weak never matches, also in a list", `W/"7", "2"`, Match{Required: true, Current: current}, 2, 0},
		{"not a tag of ours", `"v3"`, Match{Required: true, Current: current}, 0, http.StatusPreconditionFailed},
		{"an alias the service accepts", `"v3"`, Match{Required: true, Alias: legacy}, 3, 0},
		{"an alias is strong too", `W/"v3"`, Match{Required: true, Alias: legacy}, 0, http.StatusPreconditionFailed},
		{"garbage", `abc`, Match{Required: true, Current: current}, 0, http.StatusPreconditionFailed},
		{"a list with the current one", `"2", "7"`, Match{Required: true, Current: current}, 7, 0},
		{"a list without it", `"2", "3"`, Match{Required: true, Current: current}, 0, http.StatusPreconditionFailed},
		{"a list, the version unreadable", `"2", "7"`, Match{Required: true, Current: func() (int, error) { return 0, errors.New("gone") }}, 0, http.StatusPreconditionFailed},
		{"a list, no way to read the version", `"2", "7"`, Match{Required: true}, 0, http.StatusPreconditionFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPatch, "/", nil)
			if tc.header != "" {
				r.Header.Set("If-Match", tc.header)
			}
			w := httptest.NewRecorder()
			v, ok := IfMatch(w, r, tc.m)
			if ok != (tc.status == 0) || v != tc.want || (!ok && w.Code != tc.status) {
				t.Fatalf("IfMatch = %d, %v (status %d); want %d, status %d", v, ok, w.Code, tc.want, tc.status)
			}
			if !ok && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code, description, scope string
		want                           string
	}{
		{"no credentials: no error code (RFC 6750 section 3.1)", "", "", "", `Bearer realm="campus"`},
		{"no credentials: no error information either", "", "no bearer token", "x", `Bearer realm="campus"`},
		{"invalid token", InvalidToken, "the token has expired", "", `Bearer realm="campus", error="invalid_token", error_description="the token has expired"`},
		{"invalid request", InvalidRequest, "token in the URL", "", `Bearer realm="campus", error="invalid_request", error_description="token in the URL"`},
		{"insufficient scope", InsufficientScope, "needs studies:write", "studies:write",
			`Bearer realm="campus", error="insufficient_scope", error_description="needs studies:write", scope="studies:write"`},
		{"a description keeps to the allowed characters", InvalidToken, "bad \"quote\" \\ and ümlaut\n", "",
			`Bearer realm="campus", error="invalid_token", error_description="bad quote  and mlaut"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Challenge(tc.code, tc.description, tc.scope); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("step-up (RFC 9470 section 3)", func(t *testing.T) {
		t.Parallel()
		want := `Bearer realm="campus", error="insufficient_user_authentication", error_description="needs a second factor", acr_values="urn:campus:acr:mfa"`
		if got := StepUpChallenge("needs a second factor", "urn:campus:acr:mfa"); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		if got := StepUpChallenge("x", `a"b`); !strings.HasSuffix(got, `acr_values="ab"`) {
			t.Fatalf("acr_values not kept to the allowed characters: %s", got)
		}
	})
	t.Run("answers", func(t *testing.T) {
		t.Parallel()
		w := httptest.NewRecorder()
		Unauthorized(w, "", "", "Sign in.")
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Bearer realm="campus"` || read(t, w).Detail != "Sign in." {
			t.Fatalf("Unauthorized: %d %v %s", w.Code, w.Header(), w.Body)
		}
		w = httptest.NewRecorder()
		Forbidden(w, "users:read", "Ask an administrator.")
		if w.Code != http.StatusForbidden || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`) ||
			!strings.HasSuffix(w.Header().Get("WWW-Authenticate"), `scope="users:read"`) || read(t, w).Title != "Insufficient scope" {
			t.Fatalf("Forbidden: %d %v %s", w.Code, w.Header(), w.Body)
		}
	})
}

func TestQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		query      string
		wantLimit  int
		wantCursor string
		fields     []string // with an error, in order
	}{
		{"defaults", "", 50, "", nil},
		{"given", "limit=200&cursor=abc_-.~=", 200, "abc_-.~=", nil},
		{"limit not a number", "limit=ten", 50, "", []string{"limit"}},
		{"limit zero", "limit=0", 50, "", []string{"limit"}},
		{"limit too high", "limit=201", 50, "", []string{"limit"}},
		{"cursor too long", "cursor=" + strings.Repeat("a", MaxCursor+1), 50, "", []string{"cursor"}},
		{"cursor with a space", "cursor=a%20b", 50, "", []string{"cursor"}},
		{"every problem at once", "limit=-1&cursor=%00&colour=red&sort=x", 50, "", []string{"colour", "limit", "cursor"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := NewQuery(httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil))
			q.Only("limit", "cursor", "sort")
			limit, cursor := q.Limit(50, 200), q.Cursor()
			if limit != tc.wantLimit || cursor != tc.wantCursor {
				t.Errorf("limit %d, cursor %q; want %d, %q", limit, cursor, tc.wantLimit, tc.wantCursor)
			}
			w := httptest.NewRecorder()
			if q.Answer(w) != (tc.fields != nil) {
				t.Fatalf("answered %v with %v", w.Code != 200, q.Errors)
			}
			if tc.fields == nil {
				return
			}
			a := read(t, w)
			if w.Code != http.StatusBadRequest || len(a.Errors) != len(tc.fields) {
				t.Fatalf("%d %s; want 400 with errors for %v", w.Code, w.Body, tc.fields)
			}
			for i, f := range tc.fields {
				if a.Errors[i].Field != f || a.Errors[i].Detail == "" {
					t.Errorf("error %d: %+v, want one for %s", i, a.Errors[i], f)
				}
			}
		})
	}
}
