package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// loginWindow is identity's login window (api/identity.yaml LoginWindow):
// sign-in every day from Earliest to Latest (HH:MM, identity's local
// time; across midnight when Latest is earlier), optionally only from
// FirstDate to LastDate (YYYY-MM-DD).
type loginWindow struct {
	Earliest  string `json:"earliest"`
	Latest    string `json:"latest"`
	FirstDate string `json:"first_date,omitempty"`
	LastDate  string `json:"last_date,omitempty"`
}

// windowText says a window in words; nil is "none".
func windowText(lang Lang, w *loginWindow) string {
	if w == nil {
		return T(lang, "admin.window.none")
	}
	parts := []string{T(lang, "admin.window.daily", w.Earliest, w.Latest)}
	if w.FirstDate != "" {
		parts = append(parts, T(lang, "admin.window.from", w.FirstDate))
	}
	if w.LastDate != "" {
		parts = append(parts, T(lang, "admin.window.until", w.LastDate))
	}
	return strings.Join(parts, ", ")
}

// windowForm is the four fields of a login window as typed.
type windowForm struct {
	Earliest, Latest, FirstDate, LastDate string
}

func windowFormOf(w *loginWindow) windowForm {
	if w == nil {
		return windowForm{}
	}
	return windowForm{w.Earliest, w.Latest, w.FirstDate, w.LastDate}
}

func readWindowForm(form url.Values) windowForm {
	return windowForm{Earliest: strings.TrimSpace(form.Get("earliest")), Latest: strings.TrimSpace(form.Get("latest")),
		FirstDate: strings.TrimSpace(form.Get("first_date")), LastDate: strings.TrimSpace(form.Get("last_date"))}
}

// window checks the form as identity would, field by field so that each
// message stands beside its field: nil and no errors is "no window" (every
// field empty).
func (f windowForm) window(lang Lang) (*loginWindow, map[string]string) {
	errs := map[string]string{}
	if f == (windowForm{}) {
		return nil, errs
	}
	for name, v := range map[string]string{"earliest": f.Earliest, "latest": f.Latest} {
		switch {
		case v == "":
			errs[name] = T(lang, "admin.window.needtime")
		case !validTime(v):
			errs[name] = T(lang, "admin.window.badtime")
		}
	}
	var first, last time.Time
	var err error
	if f.FirstDate != "" {
		if first, err = time.Parse(time.DateOnly, f.FirstDate); err != nil {
			errs["first_date"] = T(lang, "admin.window.baddate")
		}
	}
	if f.LastDate != "" {
		if last, err = time.Parse(time.DateOnly, f.LastDate); err != nil {
			errs["last_date"] = T(lang, "admin.window.baddate")
		}
	}
	if !first.IsZero() && !last.IsZero() && last.Before(first) {
		errs["last_date"] = T(lang, "admin.window.order")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &loginWindow{Earliest: f.Earliest, Latest: f.Latest, FirstDate: f.FirstDate, LastDate: f.LastDate}, errs
}

// validTime is HH:MM (or H:MM) on a 24-hour clock, as identity takes it.
func validTime(s string) bool {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || strings.ContainsAny(s, "+- ") {
		return false
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	return err1 == nil && err2 == nil && hour >= 0 && hour < 24 && minute >= 0 && minute < 60
}

// windowFields are identity's field errors about a login window, put
// where the page shows them.
func windowFields(prob apiProblem, errs map[string]string) {
	for field, msg := range prob.fields() {
		switch {
		case field == "login_window" || strings.HasPrefix(field, "login_window."):
			errs["window"] = msg
		case field == "allowed_clients" || strings.HasPrefix(field, "allowed_clients["):
			errs["apps"] = msg
		default:
			errs["form"] = strings.TrimSpace(errs["form"] + " " + msg)
		}
	}
	if len(errs) == 0 {
		errs["form"] = prob.Detail
	}
}

// SetUserWindow sets (or, nil, removes) an account's own login window,
// against version.
func (c identityClient) SetUserWindow(ctx context.Context, sess *session, id string, version int, w *loginWindow) error {
	return c.do(ctx, sess, call{method: http.MethodPatch, path: "/users/" + esc(id), ifMatch: versionTag(version),
		body: map[string]any{"login_window": w}}, nil)
}

func (c identityClient) Role(ctx context.Context, sess *session, name string) (role, error) {
	var r role
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/roles/" + esc(name)}, &r)
	return r, err
}

// SetRoleRules sets a role's allowed applications and login window,
// against version.
func (c identityClient) SetRoleRules(ctx context.Context, sess *session, name string, version int, apps []string, w *loginWindow) error {
	if apps == nil {
		apps = []string{}
	}
	return c.do(ctx, sess, call{method: http.MethodPatch, path: "/roles/" + esc(name), ifMatch: versionTag(version),
		body: map[string]any{"allowed_clients": apps, "login_window": w}}, nil)
}

// application is a client people sign in to (GET /api/v1/clients).
type application struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (c identityClient) Applications(ctx context.Context, sess *session) ([]application, error) {
	var list listPage[application]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/clients"}, &list)
	return list.Items, err
}

// saveUserWindow is the user page's login window form.
func (s *server) saveUserWindow(w http.ResponseWriter, r *http.Request, sess *session, id string, version int) {
	lang := langOf(r)
	form := readWindowForm(r.PostForm)
	win, errs := form.window(lang)
	if len(errs) == 0 {
		err := s.identity.SetUserWindow(r.Context(), sess, id, version, win)
		switch st := statusOf(err); {
		case err == nil:
			http.Redirect(w, r, s.d.Base+"/admin/users/"+url.PathEscape(id)+"?done=window", http.StatusSeeOther)
			return
		case errors.Is(err, errStale):
			s.userPage(w, r, sess, http.StatusConflict, userView{Error: T(lang, "admin.stale")})
			return
		case st == http.StatusForbidden || st == http.StatusConflict || st == http.StatusUnprocessableEntity || st == http.StatusBadRequest:
			windowFields(problemOf(err), errs)
		default:
			s.apiFailed(w, r, err)
			return
		}
	}
	s.userPage(w, r, sess, http.StatusUnprocessableEntity, userView{Window: &form, WindowErrors: errs})
}

// roleView is the page of one role: its allowed applications and login
// window, editable by those with roles:write.
type roleView struct {
	Role     role
	Apps     []application // the registered applications, then unknown ones the role lists
	Chosen   []string
	Window   windowForm
	Text     string // the window in words
	Errors   map[string]string
	Notice   string
	Error    string
	CanWrite bool
}

func (s *server) rolePage(w http.ResponseWriter, r *http.Request, sess *session, status int, v roleView, keep bool) {
	lang := langOf(r)
	ro, err := s.identity.Role(r.Context(), sess, r.PathValue("name"))
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(lang, "admin.role.none"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	apps, err := s.identity.Applications(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v.Role, v.Text, v.CanWrite = ro, windowText(lang, ro.LoginWindow), slices.Contains(sess.Scopes, "roles:write")
	if !keep {
		v.Chosen, v.Window = ro.AllowedClients, windowFormOf(ro.LoginWindow)
	}
	for _, id := range append(slices.Clone(ro.AllowedClients), v.Chosen...) {
		if !slices.ContainsFunc(apps, func(a application) bool { return a.ID == id }) {
			apps = append(apps, application{ID: id, Name: T(lang, "admin.role.apps.unknown")})
		}
	}
	v.Apps = apps
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	s.render(w, status, "role", s.page(r, "admin.roles", v))
}

func (s *server) roleShow(w http.ResponseWriter, r *http.Request, sess *session) {
	v := roleView{}
	if r.URL.Query().Get("saved") != "" {
		v.Notice = T(langOf(r), "admin.role.saved", r.PathValue("name"))
	}
	s.rolePage(w, r, sess, http.StatusOK, v, false)
}

// roleSave changes a role's allowed applications and login window at
// identity, against the version the page was made from.
func (s *server) roleSave(w http.ResponseWriter, r *http.Request, sess *session) {
	lang := langOf(r)
	if !slices.Contains(sess.Scopes, "roles:write") {
		s.fail(w, r, http.StatusForbidden, T(lang, "admin.forbidden"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	name := r.PathValue("name")
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	v := roleView{Chosen: r.PostForm["app"], Window: readWindowForm(r.PostForm)}
	if v.Chosen == nil {
		v.Chosen = []string{}
	}
	win, errs := v.Window.window(lang)
	v.Errors = errs
	if len(errs) == 0 {
		err := s.identity.SetRoleRules(r.Context(), sess, name, version, v.Chosen, win)
		switch st := statusOf(err); {
		case err == nil:
			http.Redirect(w, r, s.d.Base+"/admin/roles/"+url.PathEscape(name)+"?saved=1", http.StatusSeeOther)
			return
		case errors.Is(err, errStale):
			s.rolePage(w, r, sess, http.StatusConflict, roleView{Error: T(lang, "admin.role.stale")}, false)
			return
		case st == http.StatusForbidden || st == http.StatusConflict || st == http.StatusUnprocessableEntity || st == http.StatusBadRequest:
			windowFields(problemOf(err), v.Errors)
		default:
			s.apiFailed(w, r, err)
			return
		}
	}
	s.rolePage(w, r, sess, http.StatusUnprocessableEntity, v, true)
}
