package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"campus/internal/study/api/spectest"
)

// TestCatalogueSearchTermCap: a search with about 1,000 distinct words made
// SQLite answer "Expression tree is too large" (500). The query is capped
// as identity's user search caps it, at 200 characters, with a field error
// on q; a query of 200 characters, with as many terms as fit, is answered.
func TestCatalogueSearchTermCap(t *testing.T) {
	v := spectest.Validator(t)
	h := testServer(t)
	words := make([]string, 1000)
	for i := range words {
		words[i] = fmt.Sprintf("w%d", i)
	}
	thousand := strings.Join(words, " ")
	// 67 distinct two-character terms and the spaces between them: the
	// most terms 200 characters hold, about that many.
	var most []string
	for i := 0; len(strings.Join(most, " "))+3 <= 200; i++ {
		most = append(most, fmt.Sprintf("%c%c", 'a'+i/26, 'a'+i%26))
	}
	atCap := strings.Join(most, " ")
	if n := len(atCap); n < 198 || n > 200 {
		t.Fatalf("query at the cap has %d characters", n)
	}
	for _, list := range []string{"/v1/programmes", "/v1/modules", "/v1/lectures"} {
		t.Run(list+" 1,000 words", func(t *testing.T) {
			resp, body := v.Do(t, h, httptest.NewRequest(http.MethodGet, list+"?q="+url.QueryEscape(thousand), nil))
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.200s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			p := decodeProblem(t, body)
			if len(p.Errors) != 1 || p.Errors[0].Field != "q" || p.Errors[0].Detail != "may be at most 200 characters" {
				t.Errorf("errors = %+v, want one on q", p.Errors)
			}
		})
		t.Run(list+" 201 characters", func(t *testing.T) {
			resp, body := v.Do(t, h, httptest.NewRequest(http.MethodGet, list+"?q="+url.QueryEscape(strings.Repeat("ü", 201)), nil))
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.200s", resp.StatusCode, body)
			}
		})
		t.Run(list+" 200 characters", func(t *testing.T) {
			for _, q := range []string{atCap, strings.Repeat("ü", 200)} {
				resp, body := v.Do(t, h, httptest.NewRequest(http.MethodGet, list+"?q="+url.QueryEscape(q), nil))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200: %.200s", resp.StatusCode, body)
				}
			}
		})
	}
}
