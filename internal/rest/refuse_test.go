package rest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"campus/internal/tokencheck"
)

// Refuse answers each failed credential as RFC 6750 section 3 asks, and a
// token that could not be checked with 503, so the client keeps it.
func TestRefuse(t *testing.T) {
	t.Parallel()
	texts := Refusals{NoToken: "none", Unavailable: "later", TokenInURL: "header", Invalid: "bad"}
	for _, tt := range []struct {
		err       error
		status    int
		challenge string
		detail    string
	}{
		{ErrNoToken, 401, `Bearer realm="campus"`, "none"},
		{fmt.Errorf("check: %w", tokencheck.ErrUnavailable), 503, "", "later"},
		{ErrTokenInURL, 401, `error="invalid_request"`, "header"},
		{errors.New("expired"), 401, `error="invalid_token"`, "bad"},
	} {
		rec := httptest.NewRecorder()
		Refuse(rec, tt.err, texts)
		ch := rec.Header().Get("WWW-Authenticate")
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), `"detail":"`+tt.detail+`"`) ||
			(tt.challenge == "") != (ch == "") || !strings.Contains(ch, tt.challenge) {
			t.Errorf("%v: %d %q %s", tt.err, rec.Code, ch, rec.Body)
		}
		if tt.status == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
			t.Errorf("%v: 503 without Retry-After", tt.err)
		}
	}
}
