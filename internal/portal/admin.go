package portal

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// permissions are identity's permissions, in the order the role form
// offers them.
var permissions = []string{"users:read", "users:write", "roles:write", "studies:write", "grades:read", "grades:write"}

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

func (s *server) roles(r *http.Request, sess *session) ([]role, int, error) {
	var list struct {
		Items []role `json:"items"`
	}
	status, err := s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/roles", &list)
	return list.Items, status, err
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
	var dir directoryStatus
	if st, err := s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/directory", &dir); err == nil && st == http.StatusOK {
		v.Directory = &dir
	}
	var queue struct {
		Status mailStatus `json:"status"`
	}
	if st, err := s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/mail?limit=1", &queue); err == nil && st == http.StatusOK {
		v.Mail = &queue.Status
	}
	if r.URL.Query().Get("done") == "synced" && v.Notice == "" {
		v.Notice = T(langOf(r), "admin.directory.synced")
	}
	s.render(w, status, "admin", s.page(r, "admin.title", v))
}

// syncDirectory runs identity's directory sync now (users:write).
func (s *server) syncDirectory(w http.ResponseWriter, r *http.Request, sess *session) {
	var prob apiProblem
	status, err := s.apiSend(r.Context(), sess, http.MethodPost, s.d.IdentityURL+"/api/v1/directory/sync", nil, &prob)
	switch {
	case err == nil && status == http.StatusOK:
		http.Redirect(w, r, s.d.Base+"/admin?done=synced", http.StatusSeeOther)
	case err == nil && (status == http.StatusConflict || status == http.StatusBadGateway):
		key := "admin.directory.running"
		if status == http.StatusBadGateway {
			key = "admin.directory.down"
		}
		s.adminPage(w, r, sess, status, adminView{Error: T(langOf(r), key)})
	default:
		s.apiFailed(w, r, status, err)
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
	roles, status, err := s.roles(r, sess)
	if s.apiFailed(w, r, status, err) {
		return
	}
	v.Roles = roles
	q := url.Values{"limit": {"50"}}
	for k, val := range map[string]string{"q": v.Q, "role": v.Role, "status": v.Status, "cursor": qs.Get("cursor")} {
		if val != "" {
			q.Set(k, val)
		}
	}
	var list struct {
		Items      []account `json:"items"`
		NextCursor string    `json:"next_cursor"`
	}
	status, err = s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/users?"+q.Encode(), &list)
	if status == http.StatusBadRequest { // a stale cursor or an unknown role: start over
		http.Redirect(w, r, s.d.Base+"/admin/users", http.StatusSeeOther)
		return
	}
	if s.apiFailed(w, r, status, err) {
		return
	}
	v.Users = list.Items
	if list.NextCursor != "" {
		q.Set("cursor", list.NextCursor)
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
}

func (s *server) userPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v userView) {
	var u account
	st, err := s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/users/"+url.PathEscape(r.PathValue("id")), &u)
	if st == http.StatusNotFound || st == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "admin.nouser"))
		return
	}
	if s.apiFailed(w, r, st, err) {
		return
	}
	roles, st, err := s.roles(r, sess)
	if s.apiFailed(w, r, st, err) {
		return
	}
	v.User, v.Roles = u, roles
	if v.Others != nil {
		v.User.Roles = v.Others
	}
	s.render(w, status, "user", s.page(r, "admin.user", v))
}

func (s *server) user(w http.ResponseWriter, r *http.Request, sess *session) {
	v := userView{}
	if done := r.URL.Query().Get("done"); done != "" && slices.Contains([]string{"roles", "disabled", "enabled", "unlocked"}, done) {
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
	id := url.PathEscape(r.PathValue("id"))
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	ifMatch := `"v` + strconv.Itoa(version) + `"`
	base := s.d.IdentityURL + "/api/v1/users/" + id
	var (
		method, target, done string
		body                 any
	)
	switch r.PostForm.Get("action") {
	case "roles":
		chosen := r.PostForm["role"]
		if chosen == nil {
			chosen = []string{}
		}
		method, target, done, body = http.MethodPut, base+"/roles", "roles", map[string][]string{"roles": chosen}
	case "disable":
		method, target, done = http.MethodPost, base+"/disable", "disabled"
	case "enable":
		method, target, done = http.MethodPost, base+"/enable", "enabled"
	case "unlock":
		method, target, done = http.MethodPost, base+"/unlock", "unlocked"
	default:
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	var prob apiProblem
	status, err := s.apiCall(r.Context(), sess, method, target, ifMatch, body, &prob)
	switch {
	case err == nil && status/100 == 2:
		http.Redirect(w, r, s.d.Base+"/admin/users/"+id+"?done="+done, http.StatusSeeOther)
	case err == nil && status == http.StatusPreconditionFailed:
		s.userPage(w, r, sess, http.StatusConflict, userView{Error: T(langOf(r), "admin.stale")})
	case err == nil && (status == http.StatusForbidden || status == http.StatusConflict || status == http.StatusUnprocessableEntity || status == http.StatusBadRequest):
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
		s.apiFailed(w, r, status, err)
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
	roles, st, err := s.roles(r, sess)
	if s.apiFailed(w, r, st, err) {
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
	chosen := v.Chosen
	if chosen == nil {
		chosen = []string{}
	}
	var prob apiProblem
	status, err := s.apiCall(r.Context(), sess, http.MethodPost, s.d.IdentityURL+"/api/v1/roles", "",
		map[string]any{"name": v.Name, "description": v.Desc, "permissions": chosen}, &prob)
	switch {
	case err == nil && status/100 == 2:
		http.Redirect(w, r, s.d.Base+"/admin/roles?added="+url.QueryEscape(v.Name), http.StatusSeeOther)
	case err == nil && status/100 == 4 && status != http.StatusUnauthorized:
		v.Errors = prob.fields()
		if msg, ok := v.Errors["permissions"]; ok {
			v.Errors["permission"] = msg
		}
		if len(v.Errors) == 0 {
			v.Errors["form"] = prob.Detail
		}
		s.rolesPage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, status, err)
	}
}
