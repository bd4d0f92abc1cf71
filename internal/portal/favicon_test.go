package portal

import (
	"net/http"
	"strings"
	"testing"
)

// TestFavicon: the portal answers /favicon.ico at its root with an ICO,
// serves the SVG icon, and every page links both, so browsers log no 404.
func TestFavicon(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	r := p.get("", "/favicon.ico")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(r.body, "\x00\x00\x01\x00") {
		t.Fatalf("/favicon.ico: %d %v %q", r.code, r.header, r.body[:min(8, len(r.body))])
	}
	r = p.get("", "/static/favicon.svg")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.body, "<svg") {
		t.Fatalf("favicon.svg: %d %v", r.code, r.header)
	}
	p.get("", "/").want(t, http.StatusOK, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`,
		`<link rel="icon" href="/static/favicon.ico" sizes="32x32">`)
}
