package api

import (
	"net/http"
	"testing"

	"campus/internal/rest"
	"campus/internal/rest/resttest"
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
		resttest.CheckDecode(t, func(w http.ResponseWriter, r *http.Request, dst any) bool {
			return rest.Decode(w, r, dst, map[string]string{"id": "is read-only"})
		}, body, contentType, studyInputs[which%len(studyInputs)])
	})
}
