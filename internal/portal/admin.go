package portal

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// permissions are identity's permissions, in the order the role form
// offers them.
var permissions = []string{"users:read", "users:write", "roles:write", "studies:write", "grades:read", "grades:write", "events:write"}

// requireAdmin is requireSession for the administration pages: the person
// must be able to read accounts (users:read); others get 403.
func (s *server) requireAdmin(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return s.requireSession(func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !slices.Contains(sess.Scopes, "users:read") {
			s.fail(w, r, http.StatusForbidden, T(langOf(r), "admin.forbidden"))
			return
		}
		h(w, r, sess)
	})
}

type adminView struct {
	Catalogue bool
	Directory *directoryStatus // nil: identity has no directory
	Mail      *mailStatus      // nil: not readable now
	Notice    string
	Error     string
}

func (s *server) admin(w http.ResponseWriter, r *http.Request, sess *session) {
	s.adminPage(w, r, sess, http.StatusOK, adminView{})
}

// adminPage shows the administration overview with the state of the
// directory sync and of the mail queue, as far as identity tells them.
func (s *server) adminPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v adminView) {
	// Catalogue editing is unlocked on its own page (a step-up at identity,
	// which grants studies:write only to those whose roles hold it).
	v.Catalogue = true
	if dir, err := s.identity.Directory(r.Context(), sess); err == nil {
		v.Directory = &dir
	}
	if mail, err := s.identity.MailStatus(r.Context(), sess); err == nil {
		v.Mail = &mail
	}
	if r.URL.Query().Get("done") == "synced" && v.Notice == "" {
		v.Notice = T(langOf(r), "admin.directory.synced")
	}
	s.render(w, status, "admin", s.page(r, "admin.title", v))
}

// syncDirectory runs identity's directory sync now (users:write).
func (s *server) syncDirectory(w http.ResponseWriter, r *http.Request, sess *session) {
	err := s.identity.SyncDirectory(r.Context(), sess)
	switch st := statusOf(err); {
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin?done=synced", http.StatusSeeOther)
	case st == http.StatusConflict || st == http.StatusBadGateway:
		key := "admin.directory.running"
		if st == http.StatusBadGateway {
			key = "admin.directory.down"
		}
		s.adminPage(w, r, sess, st, adminView{Error: T(langOf(r), key)})
	default:
		s.apiFailed(w, r, err)
	}
}

type usersView struct {
	Q, Role, Status string
	Roles           []role
	Users           []account
	Next            template.URL // the next page's query, encoded here
	First           bool
}

// users lists accounts a page at a time, searched and filtered by
// identity (keyset paging, so page 2,000 costs what page 1 does).
func (s *server) users(w http.ResponseWriter, r *http.Request, sess *session) {
	qs := r.URL.Query()
	v := usersView{Q: strings.TrimSpace(qs.Get("q")), Role: qs.Get("role"), Status: qs.Get("status"), First: qs.Get("cursor") == ""}
	if v.Status != "active" && v.Status != "disabled" {
		v.Status = ""
	}
	roles, err := s.identity.Roles(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v.Roles = roles
	uq := userQuery{Q: v.Q, Role: v.Role, Status: v.Status, Cursor: qs.Get("cursor")}
	list, err := s.identity.Users(r.Context(), sess, uq)
	if statusOf(err) == http.StatusBadRequest { // a stale cursor or an unknown role: start over
		http.Redirect(w, r, s.d.Base+"/admin/users", http.StatusSeeOther)
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	v.Users = list.Items
	if list.NextCursor != "" {
		uq.Cursor = list.NextCursor
		q := uq.values()
		q.Del("limit")
		v.Next = template.URL(q.Encode())
	}
	s.render(w, http.StatusOK, "users", s.page(r, "admin.users", v))
}

type userView struct {
	User   account
	Roles  []role
	Notice string
	Error  string
	Others []string // roles chosen in a form that was refused
	// Window is the login window form as typed (nil: the account's),
	// WindowErrors its messages by field; WindowText the window in words.
	Window       *windowForm
	WindowErrors map[string]string
	WindowText   string
	// Sessions are the account's live sessions (SessionsKnown: identity
	// told them); CanEnd offers to end them (users:write).
	Sessions      []sessionRow
	SessionsKnown bool
	CanEnd        bool
	// Factors are the account's second factors (nil: identity did not
	// tell them); CanEnd also offers their reset.
	Factors *factorsView
}

func (s *server) userPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v userView) {
	u, err := s.identity.User(r.Context(), sess, r.PathValue("id"))
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "admin.nouser"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	roles, err := s.identity.Roles(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v.User, v.Roles = u, roles
	v.WindowText = windowText(langOf(r), u.LoginWindow)
	if v.Window == nil {
		f := windowFormOf(u.LoginWindow)
		v.Window = &f
	}
	if v.WindowErrors == nil {
		v.WindowErrors = map[string]string{}
	}
	if v.Others != nil {
		v.User.Roles = v.Others
	}
	if list, err := s.identity.UserSessions(r.Context(), sess, u.ID); err == nil {
		v.Sessions, v.SessionsKnown = sessionRows(langOf(r), list), true
	} else {
		s.d.Logger.WarnContext(r.Context(), "user page: sessions", "err", err)
	}
	if f, err := s.identity.UserFactors(r.Context(), sess, u.ID); err == nil {
		v.Factors = factorsOf(langOf(r), f)
	} else {
		s.d.Logger.WarnContext(r.Context(), "user page: second factors", "err", err)
	}
	v.CanEnd = slices.Contains(sess.Scopes, "users:write")
	s.render(w, status, "user", s.page(r, "admin.user", v))
}

func (s *server) user(w http.ResponseWriter, r *http.Request, sess *session) {
	v := userView{}
	if done := r.URL.Query().Get("done"); done != "" && slices.Contains([]string{"roles", "disabled", "enabled", "unlocked", "window", "session_ended", "sessions_ended", "factors_reset"}, done) {
		v.Notice = T(langOf(r), "admin.done."+done)
	}
	s.userPage(w, r, sess, http.StatusOK, v)
}

// changeUser runs one of the user page's actions against identity, with
// the version the page was made from, so a change made meanwhile is not
// overwritten.
func (s *server) changeUser(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	id := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	var err error
	action, done := r.PostForm.Get("action"), ""
	switch action {
	case "roles":
		err, done = s.identity.SetRoles(r.Context(), sess, id, version, r.PostForm["role"]), "roles"
	case "disable":
		err, done = s.identity.Disable(r.Context(), sess, id, version), "disabled"
	case "enable":
		err, done = s.identity.Enable(r.Context(), sess, id, version), "enabled"
	case "unlock":
		err, done = s.identity.Unlock(r.Context(), sess, id, version), "unlocked"
	case "window":
		s.saveUserWindow(w, r, sess, id, version)
		return
	case "end_session", "end_sessions":
		s.endUserSessions(w, r, sess, id)
		return
	case "reset_factors":
		s.resetUserFactors(w, r, sess, id)
		return
	default:
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	switch st := statusOf(err); {
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin/users/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
	case errors.Is(err, errStale):
		s.userPage(w, r, sess, http.StatusConflict, userView{Error: T(langOf(r), "admin.stale")})
	case st == http.StatusForbidden || st == http.StatusConflict || st == http.StatusUnprocessableEntity || st == http.StatusBadRequest:
		prob := problemOf(err)
		msg := prob.Detail
		for _, e := range prob.Errors {
			msg += " " + e.Detail
		}
		v := userView{Error: T(langOf(r), "admin.refused", strings.TrimSpace(msg))}
		if done == "roles" {
			v.Others = r.PostForm["role"]
			if v.Others == nil {
				v.Others = []string{}
			}
		}
		s.userPage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}

type rolesView struct {
	Roles       []role
	Permissions []string
	CanWrite    bool
	Notice      string
	Errors      map[string]string
	Name, Desc  string
	Chosen      []string
}

func (s *server) rolesPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v rolesView) {
	roles, err := s.identity.Roles(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v.Roles, v.Permissions, v.CanWrite = roles, permissions, slices.Contains(sess.Scopes, "roles:write")
	s.render(w, status, "roles", s.page(r, "admin.roles", v))
}

func (s *server) rolesList(w http.ResponseWriter, r *http.Request, sess *session) {
	v := rolesView{}
	if added := r.URL.Query().Get("added"); added != "" {
		v.Notice = T(langOf(r), "admin.role.added", added)
	}
	s.rolesPage(w, r, sess, http.StatusOK, v)
}

// addRole makes a role at identity; identity checks the name and that the
// administrator holds every permission the role grants.
func (s *server) addRole(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	v := rolesView{Name: strings.TrimSpace(r.PostForm.Get("name")), Desc: strings.TrimSpace(r.PostForm.Get("description")),
		Chosen: r.PostForm["permission"], Errors: map[string]string{}}
	if v.Name == "" {
		v.Errors["name"] = T(langOf(r), "admin.role.name.missing")
		s.rolesPage(w, r, sess, http.StatusUnprocessableEntity, v)
		return
	}
	err := s.identity.AddRole(r.Context(), sess, v.Name, v.Desc, v.Chosen)
	switch st := statusOf(err); {
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin/roles?added="+url.QueryEscape(v.Name), http.StatusSeeOther)
	case st/100 == 4 && st != http.StatusUnauthorized:
		prob := problemOf(err)
		v.Errors = prob.fields()
		if msg, ok := v.Errors["permissions"]; ok {
			v.Errors["permission"] = msg
		}
		if len(v.Errors) == 0 {
			v.Errors["form"] = prob.Detail
		}
		s.rolesPage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}
