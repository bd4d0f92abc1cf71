package portal

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"campus/internal/httpserver"
	"campus/internal/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy allows nothing but the portal's own styles, images
// and form targets: no inline script, no other origin.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Deps is what the portal needs.
type Deps struct {
	Logger  *slog.Logger
	Version string
	// Base is the portal's own path prefix ("" at the root of its origin).
	Base string
	// IdentityURL is identity's issuer URL; StudyURL the study service's base URL.
	IdentityURL, StudyURL string
	Ready                 []httpserver.Check
}

// NewServer parses the templates (a broken one fails the start, not a
// request) and returns the portal's handler.
func NewServer(d Deps) (http.Handler, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("portal"))
	mux.Handle("GET /readyz", httpserver.Readyz("portal", d.Logger, d.Ready...))
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.Handle("GET /{$}", handlePage(d, pages["home"], "Home"))
	mux.Handle("/", problem.NotFound())
	return htmlHeaders(mux), nil
}

func parsePages() (map[string]*template.Template, error) {
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("portal templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"home"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("portal template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

type pageData struct {
	Title, Base, Version, IdentityURL, StudyURL string
}

func handlePage(d Deps, t *template.Template, title string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		data := pageData{Title: title, Base: d.Base, Version: d.Version, IdentityURL: d.IdentityURL, StudyURL: d.StudyURL}
		if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
			d.Logger.Error("render page", "page", title, "err", err)
			http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	})
}

func htmlHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
