package portal

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// keyURL is one ready-to-use address of the study API.
type keyURL struct {
	What, URL, WithKey string
}

type apiAccessView struct {
	Keys    []apiKey
	New     *apiKey // just made: its secret, shown this once
	URLs    []keyURL
	Name    string
	Days    string
	Errors  map[string]string
	Notice  string
	Example string // the key in the examples: the new one, or a placeholder
}

// keyURLs lists what a key reads at the study API, as plain URLs (for
// Authorization: Bearer) and with ?key= for tools that take only a URL.
func (s *server) keyURLs(lang Lang, key string) []keyURL {
	var out []keyURL
	for _, u := range []struct{ what, path string }{
		{"apikeys.url.programmes", "/v1/programmes"},
		{"apikeys.url.enrolments", "/v1/me/enrolments"},
		{"apikeys.url.grades", "/v1/me/grades"},
		{"apikeys.url.overview", "/v1/me/overview"},
	} {
		full := s.d.StudyURL + u.path
		sep := "?"
		if strings.Contains(full, "?") {
			sep = "&"
		}
		out = append(out, keyURL{What: T(lang, u.what), URL: full, WithKey: full + sep + "key=" + url.QueryEscape(key)})
	}
	return out
}

func (s *server) apiAccessPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v apiAccessView) {
	var list struct {
		Items []apiKey `json:"items"`
	}
	st, err := s.apiGet(r.Context(), sess, s.d.IdentityURL+"/api/v1/me/api-keys", &list)
	if s.apiFailed(w, r, st, err) {
		return
	}
	v.Keys = list.Items
	if v.Example == "" {
		v.Example = "YOUR_KEY"
	}
	v.URLs = s.keyURLs(langOf(r), v.Example)
	s.render(w, status, "apikeys", s.page(r, "apikeys.title", v))
}

func (s *server) apiAccess(w http.ResponseWriter, r *http.Request, sess *session) {
	v := apiAccessView{Days: "365"}
	if r.URL.Query().Get("done") == "revoked" {
		v.Notice = T(langOf(r), "apikeys.revoked")
	}
	s.apiAccessPage(w, r, sess, http.StatusOK, v)
}

// createKey makes a key and shows it once. The answer is the page itself,
// not a redirect: the secret must not travel in a URL or be stored to show
// it after one.
func (s *server) createKey(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	lang := langOf(r)
	v := apiAccessView{Name: strings.TrimSpace(r.PostFormValue("name")), Days: r.PostFormValue("days"), Errors: map[string]string{}}
	body := map[string]any{"name": v.Name}
	if v.Name == "" {
		v.Errors["name"] = T(lang, "register.missing")
	}
	if v.Days != "" && v.Days != "0" {
		n, err := strconv.Atoi(v.Days)
		if err != nil || n < 1 || n > 3650 {
			v.Errors["days"] = T(lang, "apikeys.days.invalid")
		} else {
			body["expires_at"] = s.d.Now().Add(time.Duration(n) * 24 * time.Hour).UTC().Format(time.RFC3339)
		}
	}
	if len(v.Errors) > 0 {
		s.apiAccessPage(w, r, sess, http.StatusUnprocessableEntity, v)
		return
	}
	var made struct {
		apiKey
		apiProblem
	}
	status, err := s.apiSend(r.Context(), sess, http.MethodPost, s.d.IdentityURL+"/api/v1/me/api-keys", body, &made)
	switch {
	case err == nil && status == http.StatusCreated:
		k := made.apiKey
		s.apiAccessPage(w, r, sess, http.StatusCreated, apiAccessView{New: &k, Example: k.Key, Days: "365"})
	case err == nil && status/100 == 4 && status != http.StatusUnauthorized:
		v.Errors = fieldErrors(made.apiProblem)
		if d, ok := v.Errors["expires_at"]; ok {
			v.Errors["days"] = d
		}
		s.apiAccessPage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, status, err)
	}
}

func (s *server) revokeKey(w http.ResponseWriter, r *http.Request, sess *session) {
	status, err := s.apiSend(r.Context(), sess, http.MethodDelete, s.d.IdentityURL+"/api/v1/me/api-keys/"+url.PathEscape(r.PathValue("id")), nil, nil)
	if err == nil && (status == http.StatusNoContent || status == http.StatusNotFound) {
		http.Redirect(w, r, s.d.Base+"/api-access?done=revoked", http.StatusSeeOther)
		return
	}
	s.apiFailed(w, r, status, err)
}
