package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRecommendedSemesterRefusedBesideTheField: the study API's refusal of
// a recommended semester after the programme's last, and of a standard
// period shorter than a module's semester, appear next to the field that
// caused them, with what was typed kept.
func TestRecommendedSemesterRefusedBesideTheField(t *testing.T) {
	t.Parallel()
	t.Run("link", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		const detail = "This programme has 6 semesters; choose a semester from 1 to 6."
		p.api.on("PUT /study/v1/programmes/p1/modules/m7", 422, `{"status":422,"errors":[{"field":"recommended_semester","detail":"`+detail+`"}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {"m7"},
			"credits": {"5"}, "recommended_semester": {"9"}}).want(t, http.StatusUnprocessableEntity,
			`name="recommended_semester" value="9" autocomplete="off" aria-invalid="true" aria-describedby="recommended_semester-error"`,
			`<p class="field-error" id="recommended_semester-error">`+detail+`</p>`)
	})
	t.Run("new module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI() // a programme of 6 semesters
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-999"}, "title": {"Ethics"}, "credits": {"5"}, "recommended_semester": {"9"}}).want(t, http.StatusUnprocessableEntity,
			`name="recommended_semester" value="9" autocomplete="off" aria-invalid="true" aria-describedby="recommended_semester-error"`,
			`<p class="field-error" id="recommended_semester-error">`+T(English, "catalogue.recommended.after", 6, 6)+`</p>`,
			`id="mcode" name="code" value="INF-999"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v: a refused link must leave no new module behind", got)
		}
	})
	t.Run("semesters", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		const detail = "1 module of this programme is recommended for semester 6; move it to an earlier semester first, or keep at least 6 semesters."
		p.api.on("PATCH /study/v1/programmes/p1", 422, `{"status":422,"errors":[{"field":"semesters","detail":"`+detail+`"}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("semesters", "5")).want(t, http.StatusUnprocessableEntity,
			`name="semesters" value="5" autocomplete="off" aria-invalid="true" aria-describedby="semesters-error"`,
			`<p class="field-error" id="semesters-error">`+detail+`</p>`)
	})
}

// TestUnlockedOneMinute: one minute of editing left reads "1 more minute",
// not "1 more minutes".
func TestUnlockedOneMinute(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	tok := unlocked(admin())
	tok.StudyExpiry = testNow.Add(time.Minute)
	r := p.get(p.signIn(tok), "/admin/programmes")
	r.want(t, http.StatusOK, "Editing is unlocked for 1 more minute (until 10:01).")
	r.lacks(t, "1 more minutes")
	if T(German, "catalogue.unlocked.one", "10:01") != "Die Bearbeitung ist noch 1 Minute freigegeben (bis 10:01)." {
		t.Errorf("German: %s", T(German, "catalogue.unlocked.one", "10:01"))
	}
}

// TestCrossSiteAnswersInTheRightFormat: a refused cross-site POST answers
// a page with the portal's message page in the person's language, and the
// API gateway with problem+json, both 403 (it was net/http's plain text).
func TestCrossSiteAnswersInTheRightFormat(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	cookie := p.signIn(student())
	send := func(path, contentType, body string, headers ...string) result {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		return p.do(cookie, r)
	}
	form := url.Values{"username": {"ada"}, "version": {"3"}}.Encode()
	page := send("/profile", "application/x-www-form-urlencoded", form)
	page.want(t, http.StatusForbidden, `<html lang="en"`, T(English, "error.crossorigin"))
	if ct := page.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("page: %s", ct)
	}
	de := send("/profile", "application/x-www-form-urlencoded", form, "Accept-Language", "de-DE,de;q=0.9")
	de.want(t, http.StatusForbidden, `<html lang="de"`, T(German, "error.crossorigin"))
	api := send("/api/study/v1/me/enrolments", "application/json", `{}`)
	if api.code != http.StatusForbidden || api.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(api.body, `"detail":"This request came from another website`) {
		t.Errorf("API: %d %s %s", api.code, api.header.Get("Content-Type"), api.body)
	}
	if got := p.api.changes(); len(got) != 0 {
		t.Fatalf("a cross-site request reached the API: %v", got)
	}
}
