package portal

import (
	"errors"
	"net/http"
	"slices"
)

// The administrators' page of the messaging rules: who (by role) may
// start a conversation with whom, and who may create groups; saved with
// If-Match, so that two administrators never overwrite each other.

// reaches are the choices of a pair of roles, narrowest first.
var reaches = []string{"none", "programme", "anyone"}

type rulesView struct {
	Roles    []string
	Reaches  []string
	Rules    reachRules
	Notice   string
	Errors   map[string]string
	Disabled bool
}

// Reach is the rule of a pair of roles ("none" when unset).
func (v rulesView) Reach(from, to string) string {
	if r := v.Rules.Reach[from][to]; r != "" {
		return r
	}
	return "none"
}

// Creator tells whether people of role may create groups.
func (v rulesView) Creator(role string) bool { return slices.Contains(v.Rules.GroupCreators, role) }

func (s *server) messagingRules(w http.ResponseWriter, r *http.Request, sess *session) {
	v := rulesView{Errors: map[string]string{}}
	if r.URL.Query().Get("done") == "saved" {
		v.Notice = T(langOf(r), "msgadmin.saved")
	}
	s.rulesPage(w, r, sess, http.StatusOK, v)
}

func (s *server) rulesPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v rulesView) {
	rules, err := s.messages.Rules(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	if v.Rules.Reach == nil { // not what the form sent
		v.Rules = rules
	}
	v.Rules.Version = rules.Version
	v.Roles = s.ruleRoles(r, sess, rules)
	v.Reaches = reaches
	s.render(w, status, "adminmessaging", s.page(r, "msgadmin.title", v))
}

// ruleRoles are the roles the table has a row and a column for: those
// identity knows (when it answers) and those the rules name.
func (s *server) ruleRoles(r *http.Request, sess *session, rules reachRules) []string {
	roles := []string{"student", "staff", "admin"}
	if list, err := s.identity.Roles(r.Context(), sess); err == nil {
		for _, x := range list {
			roles = append(roles, x.Name)
		}
	}
	for from, tos := range rules.Reach {
		roles = append(roles, from)
		for to := range tos {
			roles = append(roles, to)
		}
	}
	roles = append(roles, rules.GroupCreators...)
	seen := map[string]bool{}
	out := roles[:0]
	for _, x := range roles {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	// The built-in three first, then the others by name.
	slices.SortStableFunc(out[3:], func(a, b string) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return out
}

// saveMessagingRules sends the whole table: a pair set to "none" is left
// out (the API's default for a pair not listed).
func (s *server) saveMessagingRules(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	lang := langOf(r)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	f := r.PostForm
	roles := f["role"]
	rules := reachRules{Reach: map[string]map[string]string{}, GroupCreators: []string{}}
	for _, from := range roles {
		for _, to := range roles {
			v := f.Get("reach:" + from + ":" + to)
			if v == "" || v == "none" {
				continue
			}
			if !slices.Contains(reaches, v) {
				s.rulesPage(w, r, sess, http.StatusUnprocessableEntity, rulesView{Rules: rules, Errors: map[string]string{"form": T(lang, "error.badform")}})
				return
			}
			if rules.Reach[from] == nil {
				rules.Reach[from] = map[string]string{}
			}
			rules.Reach[from][to] = v
		}
	}
	for _, c := range f["creator"] {
		if slices.Contains(roles, c) {
			rules.GroupCreators = append(rules.GroupCreators, c)
		}
	}
	err := s.messages.SetRules(r.Context(), sess, version(f.Get("version")), rules)
	switch st := statusOf(err); {
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin/messaging?done=saved", http.StatusSeeOther)
	case errors.Is(err, errStale):
		// Someone saved meanwhile: show what is saved now, with the note.
		s.rulesPage(w, r, sess, http.StatusConflict, rulesView{Errors: map[string]string{"form": T(lang, "msgadmin.stale")}})
	case st == http.StatusForbidden:
		s.fail(w, r, http.StatusForbidden, T(lang, "admin.forbidden"))
	case st == http.StatusUnprocessableEntity || st == http.StatusBadRequest:
		s.rulesPage(w, r, sess, http.StatusUnprocessableEntity, rulesView{Rules: rules, Errors: fieldErrors(problemOf(err))})
	default:
		s.apiFailed(w, r, err)
	}
}

// hidePresence keeps the person's presence from others, or shows it again
// (the profile page's form).
func (s *server) hidePresence(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	err := s.messages.HidePresence(r.Context(), sess, r.PostFormValue("hidden") == "true")
	if s.apiFailed(w, r, err) {
		return
	}
	http.Redirect(w, r, s.d.Base+"/profile?done=presence", http.StatusSeeOther)
}
