package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The catalogue's administration: changes need the study token that
// "Unlock editing" gets (a fresh password entry at identity); the pages
// show how long it lasts and, while editing is locked, what is needed.

// editing is what every catalogue page shows about the study token.
type editing struct {
	Unlocked bool
	Minutes  int // whole minutes left, rounded up
	Until    string
}

func (s *server) editingOf(sess *session) editing {
	_, left := s.rp.studyToken(sess)
	if left <= 0 {
		return editing{}
	}
	return editing{Unlocked: true, Minutes: int((left + time.Minute - 1) / time.Minute), Until: sess.StudyExpiry.Format("15:04")}
}

type catalogueAdminView struct {
	Editing    editing
	Programmes []programme
	Form       map[string]string
	Errors     map[string]string
	Notice     string
	Error      string
	StepUp     bool // the change needed a sign-in with a second factor
}

func (s *server) adminProgrammes(w http.ResponseWriter, r *http.Request, sess *session) {
	v := catalogueAdminView{Form: map[string]string{"semesters": "6", "credits_required": "180", "status": "draft"}}
	s.programmesPage(w, r, sess, http.StatusOK, v)
}

func (s *server) programmesPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v catalogueAdminView) {
	list, err := s.study.Programmes(r.Context(), sess, listQuery{Limit: 200})
	if s.apiFailed(w, r, err) {
		return
	}
	v.Programmes, v.Editing = list.Items, s.editingOf(sess)
	if v.Notice == "" {
		v.Notice = s.doneNotice(r)
	}
	s.render(w, status, "adminprogrammes", s.page(r, "catalogue.admin", v))
}

// doneNotice confirms a change after the redirect that followed it.
func (s *server) doneNotice(r *http.Request) string {
	switch d := r.URL.Query().Get("done"); d {
	case "unlocked", "locked", "created", "saved", "linked", "unlinked":
		return T(langOf(r), "catalogue.done."+d)
	}
	return ""
}

// unlock starts the step-up at identity; lock forgets the study token.
func (s *server) unlock(w http.ResponseWriter, r *http.Request, sess *session) {
	back := r.PostFormValue("return")
	if back == "" || !strings.HasPrefix(back, "/admin/") {
		back = "/admin/programmes"
	}
	back += sep(back) + "done=unlocked"
	// The step-up is a sign-in at identity: as for signing in, say so here
	// when identity does not answer.
	if err := s.rp.reachable(r.Context()); err != nil {
		s.d.Logger.WarnContext(r.Context(), "start step-up: identity cannot be reached", "err", err)
		s.unavailable(w, r, "error.identity.down", nil)
		return
	}
	if err := s.rp.startStepUp(w, r, sess, back); err != nil {
		s.d.Logger.ErrorContext(r.Context(), "start step-up", "err", err)
		s.unavailable(w, r, "error.identity.down", nil)
	}
}

func (s *server) lock(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := s.rp.lockEditing(r, sess); err != nil {
		s.d.Logger.ErrorContext(r.Context(), "lock editing", "err", err)
	}
	http.Redirect(w, r, s.d.Base+"/admin/programmes?done=locked", http.StatusSeeOther)
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func formValues(r *http.Request, keys ...string) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	return m
}

// numbers converts the named form fields to integers, noting those that
// are not.
func numbers(lang Lang, form map[string]string, errs map[string]string, keys ...string) map[string]int {
	out := map[string]int{}
	for _, k := range keys {
		n, err := strconv.Atoi(form[k])
		if err != nil {
			errs[k] = T(lang, "catalogue.number")
			continue
		}
		out[k] = n
	}
	return out
}

// fieldErrors turns the study service's problem into messages per field.
func fieldErrors(prob apiProblem) map[string]string {
	errs := prob.fields()
	if len(errs) == 0 {
		errs["form"] = prob.Detail
	}
	return errs
}

var programmeFields = []string{"title", "degree", "semesters", "credits_required", "language", "status", "description"}

func programmeBody(lang Lang, form map[string]string, errs map[string]string) map[string]any {
	n := numbers(lang, form, errs, "semesters", "credits_required")
	return map[string]any{"title": form["title"], "degree": form["degree"], "semesters": n["semesters"],
		"credits_required": n["credits_required"], "language": form["language"], "status": form["status"], "description": form["description"]}
}

func (s *server) createProgramme(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	lang := langOf(r)
	v := catalogueAdminView{Form: formValues(r, programmeFields...), Errors: map[string]string{}}
	body := programmeBody(lang, v.Form, v.Errors)
	if len(v.Errors) > 0 {
		s.programmesPage(w, r, sess, http.StatusUnprocessableEntity, v)
		return
	}
	id, err := s.study.CreateProgramme(r.Context(), sess, body)
	switch {
	case errors.Is(err, errLocked):
		v.Error = T(lang, "catalogue.locked")
		s.programmesPage(w, r, sess, http.StatusForbidden, v)
	case errors.Is(err, errStepUp):
		v.StepUp = true
		s.programmesPage(w, r, sess, http.StatusForbidden, v)
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin/programmes/"+url.PathEscape(id)+"?done=created", http.StatusSeeOther)
	case statusOf(err)/100 == 4:
		v.Errors = fieldErrors(problemOf(err))
		s.programmesPage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}

type programmeAdminView struct {
	Editing     editing
	P           programme
	AllModules  []module
	AllLectures []lecture
	Form        map[string]string // the edit form, as typed
	Errors      map[string]string // the edit form's
	Other       map[string]string // the other forms'
	ErrorsFor   string            // which form Other belongs to
	Conflict    *programme
	Typed       map[string]string // what was typed in an add form that failed
	Notice      string
	Error       string
	StepUp      bool // the change needed a sign-in with a second factor
}

func (s *server) adminProgramme(w http.ResponseWriter, r *http.Request, sess *session) {
	s.programmePage(w, r, sess, http.StatusOK, programmeAdminView{Notice: s.doneNotice(r)})
}

func (s *server) programmePage(w http.ResponseWriter, r *http.Request, sess *session, status int, v programmeAdminView) {
	ctx := r.Context()
	p, err := s.study.Programme(ctx, sess, r.PathValue("id"))
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "catalogue.noprogramme"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	mods, err := s.study.Modules(ctx, sess, listQuery{Limit: 200})
	if s.apiFailed(w, r, err) {
		return
	}
	lecs, err := s.study.Lectures(ctx, sess, listQuery{Limit: 200})
	if s.apiFailed(w, r, err) {
		return
	}
	if v.Conflict != nil && v.ErrorsFor == "edit" && v.Form != nil {
		v.Conflict = &p
		v.Form["version"] = strconv.Itoa(p.Version) // saving again overwrites knowingly
	} else {
		v.Conflict = nil
	}
	v.P, v.AllModules, v.AllLectures, v.Editing = p, mods.Items, lecs.Items, s.editingOf(sess)
	if v.Form == nil || v.ErrorsFor != "edit" {
		if v.ErrorsFor != "edit" && v.Form != nil {
			v.Typed = v.Form
		}
		v.Form = map[string]string{"title": p.Title, "degree": p.Degree, "semesters": strconv.Itoa(p.Semesters),
			"credits_required": strconv.Itoa(p.CreditsRequired), "language": p.Language, "status": p.Status,
			"description": p.Description, "version": strconv.Itoa(p.Version)}
	}
	s.render(w, status, "adminprogramme", s.page(r, "catalogue.admin", v))
}

// changeProgramme runs the programme page's forms: edit the programme,
// add a module (new or existing), add a lecture to a module (new or
// existing), or remove a link.
func (s *server) changeProgramme(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	ctx, lang, pid := r.Context(), langOf(r), r.PathValue("id")
	action := r.PostForm.Get("action")
	v := programmeAdminView{Errors: map[string]string{}, Other: map[string]string{}, ErrorsFor: action}
	var (
		err  error
		done string
	)
	switch action {
	case "edit":
		v.Form = formValues(r, append(programmeFields, "version")...)
		body := programmeBody(lang, v.Form, v.Errors)
		if len(v.Errors) > 0 {
			s.programmePage(w, r, sess, http.StatusUnprocessableEntity, v)
			return
		}
		err, done = s.study.PatchProgramme(ctx, sess, pid, v.Form["version"], body), "saved"
	case "add-module":
		form := formValues(r, "module_id", "code", "title", "credits", "recommended_semester")
		v.Form = form
		n := numbers(lang, form, v.Other, "recommended_semester")
		link := map[string]any{"compulsory": r.PostForm.Get("compulsory") == "on", "recommended_semester": n["recommended_semester"]}
		mid := form["module_id"]
		if mid == "" { // a new module first
			c := numbers(lang, form, v.Other, "credits")
			// The study API refuses a semester after the programme's last
			// only at the link; asked first, so that a refused link leaves
			// no new module behind.
			if sem, ok := n["recommended_semester"]; ok {
				if msg := s.semesterAfterLast(ctx, sess, lang, pid, sem); msg != "" {
					v.Other["recommended_semester"] = msg
				}
			}
			if len(v.Other) > 0 {
				s.programmePage(w, r, sess, http.StatusUnprocessableEntity, v)
				return
			}
			if mid, err = s.study.CreateModule(ctx, sess, map[string]any{"code": form["code"], "title": form["title"], "credits": c["credits"]}); err != nil {
				break
			}
		}
		if len(v.Other) > 0 {
			s.programmePage(w, r, sess, http.StatusUnprocessableEntity, v)
			return
		}
		err, done = s.study.LinkModule(ctx, sess, pid, mid, link), "linked"
	case "add-lecture":
		form := formValues(r, "module", "lecture_id", "code", "title")
		v.Form = form
		v.ErrorsFor = "add-lecture:" + form["module"]
		lid := form["lecture_id"]
		if lid == "" {
			if lid, err = s.study.CreateLecture(ctx, sess, map[string]any{"code": form["code"], "title": form["title"]}); err != nil {
				break
			}
		}
		err, done = s.study.LinkLecture(ctx, sess, form["module"], lid), "linked"
	case "unlink-module":
		err, done = s.study.UnlinkModule(ctx, sess, pid, r.PostForm.Get("module")), "unlinked"
	case "unlink-lecture":
		err, done = s.study.UnlinkLecture(ctx, sess, r.PostForm.Get("module"), r.PostForm.Get("lecture")), "unlinked"
	default:
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	switch st := statusOf(err); {
	case errors.Is(err, errLocked):
		v.Error = T(lang, "catalogue.locked")
		s.programmePage(w, r, sess, http.StatusForbidden, v)
	case errors.Is(err, errStepUp):
		v.StepUp = true
		s.programmePage(w, r, sess, http.StatusForbidden, v)
	case err == nil:
		http.Redirect(w, r, fmt.Sprintf("%s/admin/programmes/%s?done=%s", s.d.Base, url.PathEscape(pid), done), http.StatusSeeOther)
	case errors.Is(err, errStale):
		v.Conflict = &programme{}
		v.Error = T(lang, "catalogue.conflict")
		s.programmePage(w, r, sess, http.StatusConflict, v)
	case st/100 == 4 && action == "edit":
		v.Errors = fieldErrors(problemOf(err))
		s.programmePage(w, r, sess, http.StatusUnprocessableEntity, v)
	case st/100 == 4:
		v.Other = fieldErrors(problemOf(err))
		s.programmePage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}

// A module or a lecture is edited on a page of its own: the same form
// handling, each with its fields.

func (m module) form() map[string]string {
	return map[string]string{"code": m.Code, "title": m.Title, "credits": strconv.Itoa(m.Credits), "responsible": m.Responsible,
		"examination_form": m.ExaminationForm, "description": m.Description, "version": strconv.Itoa(m.Version)}
}

func (m module) version() int { return m.Version }

func (l lecture) form() map[string]string {
	return map[string]string{"code": l.Code, "title": l.Title, "semester": l.Semester, "responsible": l.Responsible,
		"hours_per_week": strconv.Itoa(l.HoursPerWeek), "description": l.Description, "version": strconv.Itoa(l.Version)}
}

func (l lecture) version() int { return l.Version }

// catalogueItem is what the item editor needs of a module or a lecture.
type catalogueItem interface {
	module | lecture
	form() map[string]string
	version() int
}

// itemView is an item's edit page.
type itemView[I catalogueItem] struct {
	Editing   editing
	Item      I
	Form      map[string]string
	Errors    map[string]string
	Conflict  *I
	Notice    string
	Error     string
	StepUp    bool   // the change needed a sign-in with a second factor
	Programme string // where to go back to
}

// itemEditor edits one kind of item: how the study API reads and changes
// it, its page, its form fields (numeric ones checked here) and the JSON
// to send.
type itemEditor[I catalogueItem] struct {
	s        *server
	path     string // "modules" or "lectures", the page's
	get      func(ctx context.Context, sess *session, id string) (I, error)
	patch    func(ctx context.Context, sess *session, id, version string, patch map[string]any) error
	page     string
	notFound string
	fields   []string
	numeric  []string
	body     func(form map[string]string, n map[string]int) map[string]any
}

func (e itemEditor[I]) show(w http.ResponseWriter, r *http.Request, sess *session) {
	e.render(w, r, sess, http.StatusOK, itemView[I]{Notice: e.s.doneNotice(r)})
}

func (e itemEditor[I]) render(w http.ResponseWriter, r *http.Request, sess *session, status int, v itemView[I]) {
	s := e.s
	it, err := e.get(r.Context(), sess, r.PathValue("id"))
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), e.notFound))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	if v.Conflict != nil {
		v.Conflict = &it
		v.Form["version"] = strconv.Itoa(it.version()) // saving again overwrites knowingly
	}
	v.Item, v.Editing = it, s.editingOf(sess)
	if v.Programme == "" {
		v.Programme = r.URL.Query().Get("programme")
	}
	if v.Form == nil {
		v.Form = it.form()
	}
	s.render(w, status, e.page, s.page(r, "catalogue.admin", v))
}

// save sends the form as a change against the version it was made from.
func (e itemEditor[I]) save(w http.ResponseWriter, r *http.Request, sess *session) {
	s := e.s
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	lang := langOf(r)
	v := itemView[I]{Form: formValues(r, append(e.fields, "version")...), Errors: map[string]string{}, Programme: r.PostFormValue("programme")}
	n := numbers(lang, v.Form, v.Errors, e.numeric...)
	if len(v.Errors) > 0 {
		e.render(w, r, sess, http.StatusUnprocessableEntity, v)
		return
	}
	id := r.PathValue("id")
	err := e.patch(r.Context(), sess, id, v.Form["version"], e.body(v.Form, n))
	switch {
	case errors.Is(err, errLocked):
		v.Error = T(lang, "catalogue.locked")
		e.render(w, r, sess, http.StatusForbidden, v)
	case errors.Is(err, errStepUp):
		v.StepUp = true
		e.render(w, r, sess, http.StatusForbidden, v)
	case err == nil:
		q := url.Values{"done": {"saved"}}
		if v.Programme != "" {
			q.Set("programme", v.Programme)
		}
		http.Redirect(w, r, s.d.Base+"/admin/"+e.path+"/"+url.PathEscape(id)+"?"+q.Encode(), http.StatusSeeOther)
	case errors.Is(err, errStale):
		v.Conflict = new(I)
		v.Error = T(lang, "catalogue.conflict")
		e.render(w, r, sess, http.StatusConflict, v)
	case statusOf(err)/100 == 4:
		v.Errors = fieldErrors(problemOf(err))
		e.render(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}

func (s *server) moduleEditor() itemEditor[module] {
	return itemEditor[module]{s: s, path: "modules", get: s.study.Module, patch: s.study.PatchModule, page: "adminmodule", notFound: "catalogue.nomodule",
		fields: []string{"code", "title", "credits", "responsible", "examination_form", "description"}, numeric: []string{"credits"},
		body: func(f map[string]string, n map[string]int) map[string]any {
			return map[string]any{"code": f["code"], "title": f["title"], "credits": n["credits"], "responsible": f["responsible"],
				"examination_form": f["examination_form"], "description": f["description"]}
		}}
}

func (s *server) lectureEditor() itemEditor[lecture] {
	return itemEditor[lecture]{s: s, path: "lectures", get: s.study.Lecture, patch: s.study.PatchLecture, page: "adminlecture", notFound: "grading.nolecture",
		fields: []string{"code", "title", "semester", "responsible", "hours_per_week", "description"}, numeric: []string{"hours_per_week"},
		body: func(f map[string]string, n map[string]int) map[string]any {
			return map[string]any{"code": f["code"], "title": f["title"], "semester": f["semester"], "responsible": f["responsible"],
				"hours_per_week": n["hours_per_week"], "description": f["description"]}
		}}
}
