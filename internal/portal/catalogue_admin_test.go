package portal

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ---- administration: the study catalogue

// needUnlock is a form button while editing is locked.
func needUnlock(label string) string {
	return `<button type="submit" disabled>` + msg(label) + " – " + msg("catalogue.needunlock") + "</button>"
}

func TestCatalogueEditingLocked(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	cookie := p.signIn(admin()) // no study token
	r := p.get(cookie, "/admin/programmes")
	r.want(t, http.StatusOK, "<h1>"+msg("catalogue.admin")+"</h1>", msg("catalogue.lockednote"),
		`<form method="post" action="/admin/unlock"><input type="hidden" name="return" value="/admin/programmes">`,
		`<a href="/admin/programmes/p1">B.Sc. Computer Science</a>`, "<td>"+msg("catalogue.status.published")+"</td>",
		needUnlock("catalogue.add.programme"), `name="semesters" value="6"`, `name="credits_required" value="180"`,
		`<option value="draft" selected>`)
	r.lacks(t, msg("catalogue.lock"))
	wantHeader(t, p.api.only(t, "GET /study/v1/programmes"), "Authorization", "Bearer access-token")

	pg := p.get(cookie, "/admin/programmes/p1")
	pg.want(t, http.StatusOK, needUnlock("catalogue.unlink.module"), needUnlock("catalogue.unlink.lecture"),
		needUnlock("catalogue.add.lecture"), needUnlock("catalogue.add.module"), needUnlock("catalogue.save"))
	pg.lacks(t, `<button type="submit">`+msg("catalogue.save"))
	p.get(cookie, "/admin/modules/m1").want(t, http.StatusOK, needUnlock("catalogue.save"))

	locked := msg("catalogue.locked")
	p.post(cookie, "/admin/programmes", programmeForm()).want(t, http.StatusForbidden, `role="alert">`+locked, `name="title" value="Data Science"`)
	p.post(cookie, "/admin/programmes/p1", editForm()).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {"m7"}, "recommended_semester": {"2"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {"l7"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"unlink-module"}, "module": {"m1"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/programmes/p1", url.Values{"action": {"unlink-lecture"}, "module": {"m1"}, "lecture": {"l1"}}).want(t, http.StatusForbidden, locked)
	p.post(cookie, "/admin/modules/m1", moduleForm()).want(t, http.StatusForbidden, locked)
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("locked, the portal still sent %v", got)
	}

	// A study token about to end counts as none.
	ending := admin()
	ending.Study, ending.StudyExpiry = "study-token", testNow.Add(3*time.Second)
	p.post(p.signIn(ending), "/admin/programmes", programmeForm()).want(t, http.StatusForbidden, locked)
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("with an ending study token, the portal still sent %v", got)
	}
}

func TestCatalogueStudyTokenRevoked(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	p.api.on("POST /study/v1/programmes", 401, `{"detail":"token revoked"}`)
	p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm()).want(t, http.StatusForbidden, msg("catalogue.locked"))
}

func TestLockEditing(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	cookie := p.signIn(unlocked(admin()))
	p.get(cookie, "/admin/programmes").want(t, http.StatusOK, msg("catalogue.unlocked", 15, "10:15"), msg("catalogue.lock"))
	p.post(cookie, "/admin/lock", nil).redirects(t, "/admin/programmes?done=locked")
	r := p.get(cookie, "/admin/programmes?done=locked")
	r.want(t, http.StatusOK, msg("catalogue.done.locked"), msg("catalogue.lockednote"), needUnlock("catalogue.add.programme"))
	r.lacks(t, msg("catalogue.unlocked", 15, "10:15"))
}

// programmeForm is the add-programme form, filled in.
func programmeForm(changes ...string) url.Values {
	f := url.Values{"title": {"Data Science"}, "degree": {"M.Sc."}, "semesters": {"4"}, "credits_required": {"120"},
		"language": {"en"}, "status": {"draft"}, "description": {"All about data."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestCreateProgramme(t *testing.T) {
	t.Parallel()
	t.Run("unlocked page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.get(p.signIn(unlocked(admin())), "/admin/programmes?done=unlocked")
		r.want(t, http.StatusOK, msg("catalogue.done.unlocked"), msg("catalogue.unlocked", 15, "10:15"),
			`<button type="submit">`+msg("catalogue.add.programme")+"</button>")
		r.lacks(t, msg("catalogue.needunlock"), msg("catalogue.lockednote"))
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm("semesters", "four"))
		r.want(t, http.StatusUnprocessableEntity, `name="semesters" value="four" autocomplete="off" aria-invalid="true" aria-describedby="semesters-error"`,
			`<p class="field-error" id="semesters-error">`+msg("catalogue.number")+"</p>",
			`name="title" value="Data Science"`, `name="degree" value="M.Sc."`, `name="credits_required" value="120"`,
			">All about data.</textarea>")
		r.lacks(t, `id="credits_required-error"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("created", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/programmes", 201, `{"id":"p9"}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm("title", "  Data Science ")).redirects(t, "/admin/programmes/p9?done=created")
		req := p.api.only(t, "POST /study/v1/programmes")
		wantJSON(t, req, `{"title":"Data Science","degree":"M.Sc.","semesters":4,"credits_required":120,"language":"en","status":"draft","description":"All about data."}`)
		wantHeader(t, req, "Authorization", "Bearer study-token")
		p.get(p.signIn(unlocked(admin())), "/admin/programmes/p1?done=created").want(t, http.StatusOK, `<p class="notice" role="status">`+msg("catalogue.done.created")+"</p>")
	})
	t.Run("field refused by the study service", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/programmes", 422, `{"status":422,"errors":[{"field":"language","detail":"Use a language tag such as de or en."}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm("language", "English")).want(t, http.StatusUnprocessableEntity,
			`name="language" value="English" autocomplete="off" aria-invalid="true"`, `<p class="field-error" id="language-error">Use a language tag such as de or en.</p>`,
			`name="title" value="Data Science"`)
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/programmes", 500, `{"detail":"boom"}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes", programmeForm()).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestAdminProgrammePage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	p.api.on("GET /study/v1/programmes/nope", 404, `{"detail":"not found"}`)
	cookie := p.signIn(unlocked(admin()))
	r := p.get(cookie, "/admin/programmes/p1")
	r.want(t, http.StatusOK, "<h1>B.Sc. Computer Science</h1>", msg("catalogue.unlocked", 15, "10:15"),
		`<span class="code">INF-101</span> Programming <span class="meta">`+msg("catalogue.module.meta", 10, 1)+"</span>",
		msg("catalogue.module.meta", 5, 3)+", "+msg("programme.elective"),
		`<a href="/admin/modules/m1?programme=p1">`+msg("catalogue.edit.module")+"</a>",
		`<span class="code">INF-101-V</span> Programming lecture`, msg("catalogue.nolectures"),
		`<option value="m7">MAT-100 Analysis</option>`, `<option value="l7">MAT-100-V Analysis lecture</option>`,
		`<input type="hidden" name="action" value="edit">`, `<input type="hidden" name="version" value="4">`,
		`name="title" value="Computer Science"`, `name="semesters" value="6"`, `<option value="published" selected>`,
		`<button type="submit">`+msg("catalogue.save")+"</button>")
	r.lacks(t, msg("catalogue.needunlock"), `aria-invalid`, "<details open>")
	for _, u := range []string{"GET /study/v1/modules", "GET /study/v1/lectures"} {
		if q, _ := url.ParseQuery(p.api.only(t, u).Query); q.Get("limit") != "200" {
			t.Errorf("%s query %v", u, q)
		}
	}
	p.get(cookie, "/admin/programmes/nope").want(t, http.StatusNotFound, msg("catalogue.noprogramme"))
}

// editForm is the edit-programme form, made from version 4.
func editForm(changes ...string) url.Values {
	f := url.Values{"action": {"edit"}, "version": {"4"}, "title": {"Computer Science and AI"}, "degree": {"B.Sc."}, "semesters": {"7"},
		"credits_required": {"210"}, "language": {"en"}, "status": {"published"}, "description": {"Now with AI."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestEditProgramme(t *testing.T) {
	t.Parallel()
	t.Run("saved", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/programmes/p1", 200, programmeJSON)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm()).redirects(t, "/admin/programmes/p1?done=saved")
		req := p.api.only(t, "PATCH /study/v1/programmes/p1")
		wantHeader(t, req, "If-Match", `"4"`) // the study API's ETags have no v
		wantHeader(t, req, "Authorization", "Bearer study-token")
		wantJSON(t, req, `{"title":"Computer Science and AI","degree":"B.Sc.","semesters":7,"credits_required":210,"language":"en","status":"published","description":"Now with AI."}`)
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("credits_required", "lots"))
		r.want(t, http.StatusUnprocessableEntity, `name="credits_required" value="lots" autocomplete="off" aria-invalid="true"`,
			msg("catalogue.number"), `name="title" value="Computer Science and AI"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI() // the programme is at version 4 now
		p.api.on("PATCH /study/v1/programmes/p1", 412, `{"status":412,"detail":"It was changed meanwhile."}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("version", "3"))
		r.want(t, http.StatusConflict, `<p class="field-error" role="alert">`+msg("catalogue.conflict")+"</p>", msg("profile.conflict.title"),
			"<td>Computer Science</td><td>Computer Science and AI</td>", "<td>6</td><td>7</td>", "<td>180</td><td>210</td>",
			"<td>Programming, systems and theory.</td><td>Now with AI.</td>",
			// The form keeps what was typed, against the version now stored.
			`name="title" value="Computer Science and AI"`, `<input type="hidden" name="version" value="4">`)
		wantHeader(t, p.api.only(t, "PATCH /study/v1/programmes/p1"), "If-Match", `"3"`)
	})
	t.Run("field refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/programmes/p1", 422, `{"status":422,"errors":[{"field":"status","detail":"A published programme cannot go back to draft."}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", editForm("status", "draft")).want(t, http.StatusUnprocessableEntity,
			`<select id="status" name="status" aria-invalid="true">`, "A published programme cannot go back to draft.", `<option value="draft" selected>`)
	})
}

func TestAddModule(t *testing.T) {
	t.Parallel()
	t.Run("new module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/modules", 201, `{"id":"m9"}`)
		p.api.on("PUT /study/v1/programmes/p1/modules/m9", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-999"}, "title": {"Ethics"}, "credits": {"5"}, "recommended_semester": {"2"}, "compulsory": {"on"}}).
			redirects(t, "/admin/programmes/p1?done=linked")
		made := p.api.only(t, "POST /study/v1/modules")
		wantJSON(t, made, `{"code":"INF-999","title":"Ethics","credits":5}`)
		wantHeader(t, made, "Authorization", "Bearer study-token")
		link := p.api.only(t, "PUT /study/v1/programmes/p1/modules/m9")
		wantJSON(t, link, `{"compulsory":true,"recommended_semester":2}`)
		wantHeader(t, link, "Authorization", "Bearer study-token")
		if got := p.api.changes(); !reflect.DeepEqual(got, []string{"POST /study/v1/modules", "PUT /study/v1/programmes/p1/modules/m9"}) {
			t.Errorf("changes %v", got)
		}
	})
	t.Run("existing module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PUT /study/v1/programmes/p1/modules/m7", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {"m7"},
			"credits": {"5"}, "recommended_semester": {"4"}}).redirects(t, "/admin/programmes/p1?done=linked")
		wantJSON(t, p.api.only(t, "PUT /study/v1/programmes/p1/modules/m7"), `{"compulsory":false,"recommended_semester":4}`)
		p.api.none(t, "POST /study/v1/modules")
	})
	t.Run("not a number keeps the input", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-999"}, "title": {"Ethics"}, "credits": {"five"}, "recommended_semester": {"2"}})
		r.want(t, http.StatusUnprocessableEntity, `name="credits" value="five" autocomplete="off" aria-invalid="true"`,
			`<p class="field-error" id="credits-error">`+msg("catalogue.number")+"</p>",
			`id="mcode" name="code" value="INF-999"`, `id="mtitle" name="title" value="Ethics"`, `name="recommended_semester" value="2"`,
			// the edit form still shows the programme
			`name="title" value="Computer Science"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("module refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/modules", 409, `{"status":409,"errors":[{"field":"code","detail":"The code INF-101 is taken."}]}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-module"}, "module_id": {""},
			"code": {"INF-101"}, "title": {"Again"}, "credits": {"5"}, "recommended_semester": {"1"}})
		r.want(t, http.StatusUnprocessableEntity, `id="mcode" name="code" value="INF-101" autocomplete="off" aria-invalid="true" aria-describedby="mcode-error"`,
			`<p class="field-error" id="mcode-error">The code INF-101 is taken.</p>`)
		p.api.none(t, "PUT /study/v1/programmes/p1/modules/")
		if got := p.api.changes(); len(got) != 1 {
			t.Errorf("changes %v, want only the refused module", got)
		}
	})
}

func TestAddLecture(t *testing.T) {
	t.Parallel()
	t.Run("new lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/lectures", 201, `{"id":"l9"}`)
		p.api.on("PUT /study/v1/modules/m1/lectures/l9", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {""},
			"code": {"INF-101-U"}, "title": {"Programming tutorial"}}).redirects(t, "/admin/programmes/p1?done=linked")
		made := p.api.only(t, "POST /study/v1/lectures")
		wantJSON(t, made, `{"code":"INF-101-U","title":"Programming tutorial"}`)
		wantHeader(t, made, "Authorization", "Bearer study-token")
		wantHeader(t, p.api.only(t, "PUT /study/v1/modules/m1/lectures/l9"), "Authorization", "Bearer study-token")
	})
	t.Run("existing lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PUT /study/v1/modules/m1/lectures/l7", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {"l7"}}).
			redirects(t, "/admin/programmes/p1?done=linked")
		if got := p.api.changes(); !reflect.DeepEqual(got, []string{"PUT /study/v1/modules/m1/lectures/l7"}) {
			t.Errorf("changes %v", got)
		}
	})
	t.Run("lecture refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("POST /study/v1/lectures", 422, `{"status":422,"errors":[{"field":"title","detail":"Enter a title."}]}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"add-lecture"}, "module": {"m1"}, "lecture_id": {""},
			"code": {"INF-101-U"}, "title": {""}})
		// The module's add form is open, with the input and the reason.
		r.want(t, http.StatusUnprocessableEntity, "<details open>", `<input id="lcode-m1" name="code" value="INF-101-U">`,
			`<p class="field-error" role="alert">title: Enter a title.</p>`)
		if strings.Count(r.body, "<details open>") != 1 {
			t.Error("more than one add-lecture form is open")
		}
		p.api.none(t, "PUT /study/v1/modules/m1/lectures/")
	})
}

func TestUnlink(t *testing.T) {
	t.Parallel()
	t.Run("module", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("DELETE /study/v1/programmes/p1/modules/m2", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"unlink-module"}, "module": {"m2"}}).
			redirects(t, "/admin/programmes/p1?done=unlinked")
		wantHeader(t, p.api.only(t, "DELETE /study/v1/programmes/p1/modules/m2"), "Authorization", "Bearer study-token")
		p.get(p.signIn(admin()), "/admin/programmes/p1?done=unlinked").want(t, http.StatusOK, msg("catalogue.done.unlinked"))
	})
	t.Run("lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("DELETE /study/v1/modules/m1/lectures/l1", 204, "")
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"unlink-lecture"}, "module": {"m1"}, "lecture": {"l1"}}).
			redirects(t, "/admin/programmes/p1?done=unlinked")
		if got := p.api.changes(); !reflect.DeepEqual(got, []string{"DELETE /study/v1/modules/m1/lectures/l1"}) {
			t.Errorf("changes %v", got)
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("DELETE /study/v1/programmes/p1/modules/m1", 409, `{"status":409,"detail":"Students hold grades in this module."}`)
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"unlink-module"}, "module": {"m1"}}).
			want(t, http.StatusUnprocessableEntity, `<p class="field-error" role="alert">Students hold grades in this module.</p>`)
	})
	t.Run("unknown action", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.post(p.signIn(unlocked(admin())), "/admin/programmes/p1", url.Values{"action": {"delete"}}).want(t, http.StatusBadRequest, msg("error.badform"))
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
}

// moduleForm is the module form, made from version 3.
func moduleForm(changes ...string) url.Values {
	f := url.Values{"version": {"3"}, "programme": {"p1"}, "code": {"INF-101"}, "title": {"Programming 1"}, "credits": {"6"},
		"responsible": {"Prof. Hopper"}, "examination_form": {"project"}, "description": {"Learn to program well."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestEditModule(t *testing.T) {
	t.Parallel()
	t.Run("page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("GET /study/v1/modules/nope", 404, `{"detail":"not found"}`)
		cookie := p.signIn(unlocked(admin()))
		r := p.get(cookie, "/admin/modules/m1?programme=p1&done=saved")
		r.want(t, http.StatusOK, `<a href="/admin/programmes/p1">`+msg("catalogue.back.programme")+"</a>",
			`<h1><span class="code">INF-101</span> Programming</h1>`, msg("catalogue.done.saved"),
			`<input type="hidden" name="version" value="3">`, `<input type="hidden" name="programme" value="p1">`,
			`name="credits" value="10"`, `name="responsible" value="Prof. Lovelace"`, ">Learn to program.</textarea>")
		p.get(cookie, "/admin/modules/m1").want(t, http.StatusOK, `<a href="/admin/programmes">`+msg("catalogue.admin")+"</a>")
		p.get(cookie, "/admin/modules/nope").want(t, http.StatusNotFound, msg("catalogue.nomodule"))
	})
	t.Run("saved", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/modules/m1", 200, moduleJSON)
		p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm()).redirects(t, "/admin/modules/m1?done=saved&programme=p1")
		req := p.api.only(t, "PATCH /study/v1/modules/m1")
		wantHeader(t, req, "If-Match", `"3"`)
		wantHeader(t, req, "Authorization", "Bearer study-token")
		wantJSON(t, req, `{"code":"INF-101","title":"Programming 1","credits":6,"responsible":"Prof. Hopper","examination_form":"project","description":"Learn to program well."}`)
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm("credits", "6.5")).want(t, http.StatusUnprocessableEntity,
			`name="credits" value="6.5" autocomplete="off" aria-invalid="true"`, msg("catalogue.number"), `name="title" value="Programming 1"`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI() // the module is at version 3 now
		p.api.on("PATCH /study/v1/modules/m1", 412, `{"status":412,"detail":"It was changed meanwhile."}`)
		r := p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm("version", "2"))
		r.want(t, http.StatusConflict, msg("catalogue.conflict"), msg("profile.conflict.title"),
			"<td>Programming</td><td>Programming 1</td>", "<td>10</td><td>6</td>", "<td>Prof. Lovelace</td><td>Prof. Hopper</td>",
			`name="title" value="Programming 1"`, `<input type="hidden" name="version" value="3">`)
		wantHeader(t, p.api.only(t, "PATCH /study/v1/modules/m1"), "If-Match", `"2"`)
	})
	t.Run("field refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.catalogueAPI()
		p.api.on("PATCH /study/v1/modules/m1", 422, `{"status":422,"errors":[{"field":"credits","detail":"Credits are 1 to 60."}]}`)
		p.post(p.signIn(unlocked(admin())), "/admin/modules/m1", moduleForm("credits", "0")).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" id="credits-error">Credits are 1 to 60.</p>`, `name="credits" value="0"`)
	})
}
