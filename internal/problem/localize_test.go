package problem_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"campus/internal/i18n"
	"campus/internal/problem"
)

func serve(t *testing.T, h http.Handler, lang string) (*httptest.ResponseRecorder, problem.Details) {
	t.Helper()
	r := httptest.NewRequest("GET", "/x", nil)
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	w := httptest.NewRecorder()
	problem.Localize(h).ServeHTTP(w, r)
	var p problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("%q: %v", w.Body, err)
	}
	return w, p
}

// TestLocalizedStatusTitles: a problem without its own title gets the
// status text, in German under Localize when the client asks for German.
func TestLocalizedStatusTitles(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET")
		problem.Write(w, problem.Details{Status: http.StatusMethodNotAllowed})
	})
	w, p := serve(t, h, "de")
	if p.Title != "Methode nicht erlaubt" || w.Header().Get("Content-Language") != "de" || w.Header().Get("Vary") != "Accept-Language" {
		t.Errorf("German 405: %+v, headers %v", p, w.Header())
	}
	w, p = serve(t, h, "fr, en;q=0.5")
	if p.Title != "Method Not Allowed" || w.Header().Get("Content-Language") != "" {
		t.Errorf("English 405: %+v, headers %v", p, w.Header())
	}
	// Every error status has a German title.
	for code := 400; code < 600; code++ {
		if text := http.StatusText(code); text != "" && !problem.Phrases.Knows(i18n.German, text) {
			t.Errorf("no German title for %d %s", code, text)
		}
	}
	_, p = serve(t, problem.NotFound(), "de")
	if p.Title != "Nicht gefunden" || p.Detail != "Unter dieser Adresse gibt es nichts." {
		t.Errorf("German 404: %+v", p)
	}
	w, p = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { problem.Unavailable(w) }), "de")
	if p.Title != "Vorübergehend nicht verfügbar" || w.Header().Get("Retry-After") == "" {
		t.Errorf("German 503: %+v", p)
	}
}

// TestTranslatedForExtensions: a handler that encodes a problem with
// members of its own gets the texts and Content-Language from Translated.
func TestTranslatedForExtensions(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := problem.Translated(w, problem.Details{Status: http.StatusNotFound, Detail: "There is nothing at this address."})
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(struct {
			problem.Details
			Extra int `json:"extra"`
		}{p, 1})
	})
	w, p := serve(t, h, "de")
	if p.Title != "Nicht gefunden" || p.Detail != "Unter dieser Adresse gibt es nichts." || w.Header().Get("Content-Language") != "de" {
		t.Errorf("Translated: %+v, headers %v", p, w.Header())
	}
	_, p = serve(t, h, "")
	if p.Title != "Not Found" {
		t.Errorf("English: %+v", p)
	}
}
