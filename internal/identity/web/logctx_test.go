package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"campus/internal/httpserver"
	"campus/internal/identity/store"
)

// brokenFeed is a revocation store that cannot be read.
type brokenFeed struct{}

func (brokenFeed) Revocations(context.Context, time.Time) ([]store.Revocation, time.Time, error) {
	return nil, time.Time{}, errors.New("disk on fire")
}

// A failure logged while a request is handled names the request, so that
// the error leads to its request line (and trace).
func TestLogNamesTheRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    func(logger *slog.Logger) http.Handler
		want string // the start of the logged line, after its time
	}{
		{"a failing store", func(logger *slog.Logger) http.Handler { return handleRevocations(brokenFeed{}, logger) },
			`level=ERROR msg="read the revocation feed"`},
		{"a page that cannot be rendered", func(logger *slog.Logger) http.Handler {
			p, err := parsePages(logger)
			if err != nil {
				t.Fatal(err)
			}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p.render(w, r, http.StatusOK, "nowhere", nil)
			})
		}, `level=ERROR msg=render page=nowhere`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			h := httpserver.RequestID(tt.h(slog.New(httpserver.ContextLog(slog.NewTextHandler(&buf, nil)))))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("X-Request-Id", "test-req-1")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code < 500 {
				t.Errorf("status %d, want a server error", w.Code)
			}
			line, _, _ := strings.Cut(buf.String(), "\n")
			if !strings.Contains(line, tt.want) || !strings.Contains(line, " request_id=test-req-1") {
				t.Errorf("logged %q, want %s ... request_id=test-req-1", buf.String(), tt.want)
			}
		})
	}
}
