package portal

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// stepUpChallenge is the study service's answer to a change whose token
// lacks a second factor (--study-require-mfa; RFC 9470 section 3).
const stepUpChallenge = `Bearer realm="campus", error="insufficient_user_authentication", error_description="this change needs a sign-in with a second factor", acr_values="urn:campus:acr:mfa"`

// onStepUp answers key with the study service's step-up 401.
func (p *portalTest) onStepUp(key string) {
	p.api.onRaw(key, http.StatusUnauthorized, http.Header{"Content-Type": {"application/problem+json"}, "Www-Authenticate": {stepUpChallenge}},
		`{"title":"Second factor needed","status":401,"detail":"This change needs a sign-in with a second factor (a passkey or an authenticator app). Sign in again with one, then repeat the change."}`)
}

// stepUpMessage is the page's message in lang, as the page shows it.
func stepUpMessage(lang Lang) string {
	return `<p class="field-error" role="alert">` + template.HTMLEscapeString(T(lang, "stepup.needed")) +
		` <a href="/profile#security-h">` + template.HTMLEscapeString(T(lang, "stepup.link")) + `</a></p>`
}

// TestStepUpOnCatalogueChanges: a catalogue change the study service
// refuses for want of a second factor says so on the page, in the
// person's language, with what was typed; the person stays signed in and
// editing stays unlocked.
func TestStepUpOnCatalogueChanges(t *testing.T) {
	t.Parallel()
	for _, lang := range []Lang{English, German} {
		t.Run(string(lang), func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.catalogueAPI()
			p.onStepUp("PATCH /study/v1/programmes/p1")
			p.onStepUp("PATCH /study/v1/modules/m1")
			p.onStepUp("POST /study/v1/programmes")
			cookie := p.signIn(unlocked(admin()))
			post := func(target string, form url.Values) result {
				r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				r.Header.Set("Accept-Language", string(lang))
				return p.do(cookie, r)
			}
			r := post("/admin/programmes/p1", editForm())
			r.want(t, http.StatusForbidden, stepUpMessage(lang), `name="title" value="Computer Science and AI"`, `name="semesters" value="7"`)
			r.lacks(t, template.HTMLEscapeString(T(lang, "catalogue.locked")))
			wantHeader(t, p.api.only(t, "PATCH /study/v1/programmes/p1"), "Authorization", "Bearer study-token")

			post("/admin/modules/m1", moduleForm()).want(t, http.StatusForbidden, stepUpMessage(lang), `name="title" value="Programming 1"`)
			post("/admin/programmes", programmeForm()).want(t, http.StatusForbidden, stepUpMessage(lang), `name="title" value="Data Science"`)

			// Still signed in, still unlocked: the session is untouched.
			p.get(cookie, "/admin/programmes").want(t, http.StatusOK)
			p.get(cookie, "/admin/programmes").lacks(t, msg("catalogue.lockednote"))
		})
	}
	// The study token revoked (a 401 without the step-up) is still locked.
	p := newPortal(t)
	p.catalogueAPI()
	p.api.onRaw("PATCH /study/v1/programmes/p1", http.StatusUnauthorized, http.Header{"Content-Type": {"application/problem+json"},
		"Www-Authenticate": {`Bearer realm="campus", error="invalid_token", error_description="this change needs a sign-in with a second factor"`}}, `{"detail":"revoked"}`)
	p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm()).want(t, http.StatusForbidden, msg("catalogue.locked"))
}

// TestStepUpOnGrades: grades refused for want of a second factor keep
// the choices, say so, and do not send the person to sign in (which
// would not help: the same sign-in gets the same token).
func TestStepUpOnGrades(t *testing.T) {
	t.Parallel()
	for _, lang := range []Lang{English, German} {
		t.Run(string(lang), func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.lectureAPI()
			p.onStepUp(dryRunKey)
			cookie := p.signIn(staff())
			r := httptest.NewRequest(http.MethodPost, "/grading/l1", strings.NewReader(url.Values{"grade:s1": {"1.3"}, "grade:s2": {"2.0"}, "final": {"on"}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.Header.Set("Accept-Language", string(lang))
			res := p.do(cookie, r)
			res.want(t, http.StatusForbidden, stepUpMessage(lang), `<option selected>1.3</option>`, `<option selected>2.0</option>`,
				`<input type="checkbox" id="final" name="final" checked>`)
			if got := p.api.sent(uploadKey); len(got) != 1 {
				t.Errorf("uploads %d, want the refused dry run only", len(got))
			}
			// A file: the lecture page with the message.
			p.onStepUp(realRunKey)
			p.post(cookie, "/grading/l1/upload", url.Values{"csv": {"subject,grade\ns1,1.3\n"}, "confirm": {"1"}}).
				want(t, http.StatusForbidden, stepUpMessage(English))
		})
	}
	// Any other 401 is a session that ended: sign in again.
	p := newPortal(t)
	p.lectureAPI()
	p.api.onRaw(dryRunKey, http.StatusUnauthorized, http.Header{"Content-Type": {"application/problem+json"},
		"Www-Authenticate": {`Bearer realm="campus", error="invalid_token"`}}, `{"detail":"expired"}`)
	res := p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}})
	if res.code != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "/auth/login") {
		t.Errorf("a plain 401: %d %q, want a sign-in", res.code, res.header.Get("Location"))
	}
}

// TestStepUpElsewhere: a page without a place for the message shows it
// as the page, with the link to the profile's sign-in security section.
// (The study service leaves enrolments open to a password sign-in; a
// service that did not would be answered so.)
func TestStepUpElsewhere(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.onStepUp("POST /study/v1/me/enrolments")
	r := p.post(p.signIn(student()), "/my/enrol", url.Values{"programme_id": {"p1"}})
	r.want(t, http.StatusForbidden, msg("stepup.needed"), `<a href="/profile#security-h">`+msg("stepup.link")+"</a>")
}
