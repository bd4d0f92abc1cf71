// Package resttest checks campus's REST entry points against the
// properties internal/rest promises, for the services' own tests.
package resttest

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

// Decoder is rest.Decode as a service calls it (with its read-only
// fields): it decodes r's body into dst or answers a problem itself.
type Decoder func(w http.ResponseWriter, r *http.Request, dst any) bool

// CheckDecode runs decode on one request whose body and content type a
// fuzz target chose, into a fresh input, and checks the property every
// JSON entry point of campus keeps: decode either accepts the body,
// writing nothing, or answers a problem (415, 413, 400, or 422 naming
// fields of the body) by itself. It accepts only a JSON object of the
// input's own fields, and it agrees with encoding/json: a body of those
// fields that json.Unmarshal takes is accepted, into the same value.
func CheckDecode(t testing.TB, decode Decoder, body []byte, contentType string, fresh func() any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	dst := fresh()
	ok := decode(w, r, dst)
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
