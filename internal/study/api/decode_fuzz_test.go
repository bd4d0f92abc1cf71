package api

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

// studyInputs are the request bodies of the study API, each decoded with
// rest.Decode; new returns a fresh one to decode into.
var studyInputs = []func() any{
	func() any { return new(programmeInput) },
	func() any { return new(moduleInput) },
	func() any { return new(lectureInput) },
	func() any { return new(linkInput) },
	func() any { return new(myEnrolmentInput) },
	func() any { return new(enrolmentPatch) },
	func() any { return new(enrolmentInput) },
	func() any { return new(gradeInput) },
	func() any { return new(gradePatch) },
}

// FuzzStudyDecode: any body, under any content type, into any of the
// study API's inputs: rest.Decode either accepts it, writing nothing, or
// answers a problem (415, 413, 400 or 422 with the fields) by itself.
// It accepts only a JSON object of the input's own fields, and it agrees
// with encoding/json: a body of those fields that json.Unmarshal takes is
// accepted, into the same value.
func FuzzStudyDecode(f *testing.F) {
	for _, s := range []string{
		`{"subject":"0190f3a4-8b1c-7d2e-9f00-000000000001","grade":"1.3","attempt":1,"graded_on":"2026-02-14","status":"final"}`,
		`{"title":"Computer Science","degree":"BSc","semesters":6,"credits_required":180,"language":"en","status":"active"}`,
		`{"code":"INF-101","title":"Programming","credits":5}`,
		`{"programme_id":"p1","semester":1}`,
		`{"grade":1.3}`, `{"attempt":"2"}`, `{"status":null}`, `{"Subject":"x"}`, `{"subject":"a","subject":"b"}`,
		`{"id":"x","created_at":"2026"}`, `null`, `[]`, `{`, ``, `{"a":1} {}`, `"\ud800"`, `{"title":"\ud800"}`,
	} {
		for i := range studyInputs {
			f.Add([]byte(s), "application/json", i)
		}
	}
	f.Add([]byte(`{"status":"final"}`), "application/merge-patch+json", 8)
	f.Add([]byte(`{}`), "text/plain", 0)
	f.Add([]byte(`{}`), "application/json; charset=utf-8", 1)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, which int) {
		if which < 0 {
			which = -which
		}
		checkDecode(t, body, contentType, studyInputs[which%len(studyInputs)])
	})
}

// checkDecode runs rest.Decode on one request and checks its answer.
func checkDecode(t *testing.T, body []byte, contentType string, fresh func() any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	dst := fresh()
	ok := rest.Decode(w, r, dst, map[string]string{"id": "is read-only"})
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
