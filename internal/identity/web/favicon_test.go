package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestFavicon: identity serves its icon as ICO at /favicon.ico and as SVG,
// and its pages link them.
func TestFavicon(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.browser(t)
	ico := getPage(t, b, p.issuer+"/favicon.ico")
	if ico.status != http.StatusOK || ico.header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(ico.body, "\x00\x00\x01\x00") {
		t.Fatalf("/favicon.ico: %d %v", ico.status, ico.header)
	}
	if svg := getPage(t, b, p.issuer+"/static/favicon.svg"); svg.status != http.StatusOK || !strings.Contains(svg.body, "<svg") {
		t.Fatalf("favicon.svg: %d", svg.status)
	}
	pg := getPage(t, b, p.issuer+"/register")
	for _, want := range []string{`<link rel="icon" href="/idp/static/favicon.svg" type="image/svg+xml">`, `<link rel="icon" href="/idp/static/favicon.ico" sizes="32x32">`} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("page lacks %s:\n%s", want, pg.body)
		}
	}
}
