package rest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"campus/internal/problem"
)

// MethodNotAllowed returns the handler for a service's catch-all route
// ("/"): a request whose path one of patterns (Go 1.22 ServeMux patterns,
// "METHOD /path") serves with other methods answers 405 Method Not
// Allowed with Allow listing those methods (RFC 9110 section 15.5.6); any
// other request goes to fallback (the 404).
//
// ServeMux answers 405 by itself, but only while no pattern matches the
// path with any method, and a catch-all matches every path: so the
// catch-all asks the patterns again, one method at a time.
func MethodNotAllowed(patterns []string, fallback http.Handler) http.Handler {
	byMethod := map[string]*http.ServeMux{}
	seen := map[string]bool{}
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok || method == "" || strings.Contains(method, "/") || seen[p] {
			continue // a pattern for every method never leaves a path to the catch-all
		}
		seen[p] = true
		mux := byMethod[method]
		if mux == nil {
			mux = http.NewServeMux()
			byMethod[method] = mux
		}
		mux.Handle(strings.TrimSpace(path), http.NotFoundHandler())
	}
	methods := make([]string, 0, len(byMethod)+1)
	for m := range byMethod {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range methods {
			if m == r.Method {
				continue
			}
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, pattern := byMethod[m].Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			fallback.ServeHTTP(w, r)
			return
		}
		// A GET route serves HEAD too (RFC 9110 section 9.3.2).
		if slices.Contains(allow, http.MethodGet) && !slices.Contains(allow, http.MethodHead) {
			allow = append(allow, http.MethodHead)
			slices.Sort(allow)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		problem.Write(w, problem.Details{Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("This address does not take %s; it takes %s.", r.Method, strings.Join(allow, ", "))})
	})
}
