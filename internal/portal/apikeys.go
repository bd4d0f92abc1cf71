package portal

import (
	"errors"
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
	for _, u := range s.study.readURLs() {
		full := u[1]
		sep := "?"
		if strings.Contains(full, "?") {
			sep = "&"
		}
		out = append(out, keyURL{What: T(lang, u[0]), URL: full, WithKey: full + sep + "key=" + url.QueryEscape(key)})
	}
	return out
}

func (s *server) apiAccessPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v apiAccessView) {
	keys, err := s.identity.APIKeys(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v.Keys = keys
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
	k, err := s.identity.CreateAPIKey(r.Context(), sess, body)
	switch st := statusOf(err); {
	case err == nil:
		s.apiAccessPage(w, r, sess, http.StatusCreated, apiAccessView{New: &k, Example: k.Key, Days: "365"})
	case st/100 == 4 && st != http.StatusUnauthorized:
		v.Errors = fieldErrors(problemOf(err))
		if d, ok := v.Errors["expires_at"]; ok {
			v.Errors["days"] = d
		}
		s.apiAccessPage(w, r, sess, http.StatusUnprocessableEntity, v)
	default:
		s.apiFailed(w, r, err)
	}
}

func (s *server) revokeKey(w http.ResponseWriter, r *http.Request, sess *session) {
	err := s.identity.RevokeAPIKey(r.Context(), sess, r.PathValue("id"))
	if err == nil || errors.Is(err, errNotFound) {
		http.Redirect(w, r, s.d.Base+"/api-access?done=revoked", http.StatusSeeOther)
		return
	}
	s.apiFailed(w, r, err)
}
