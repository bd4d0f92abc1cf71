package portal

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"campus/internal/httpserver"
)

// A failure logged while a request is handled names the request, so that
// the error leads to its request line (and trace).
func TestLogNamesTheRequest(t *testing.T) {
	t.Parallel()
	t.Run("API down", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		p := newPortal(t, func(d *Deps, _ *fakeAPI) {
			d.Logger = slog.New(httpserver.ContextLog(slog.NewTextHandler(&buf, nil)))
		})
		p.api.on("GET /study/v1/programmes", http.StatusInternalServerError, `{"title":"broken"}`)
		p.h = httpserver.RequestID(p.h)
		r := httptest.NewRequest(http.MethodGet, "/programmes", nil)
		r.Header.Set("X-Request-Id", "test-req-1")
		p.do("", r).want(t, http.StatusBadGateway, msg("error.unavailable"))
		wantLogged(t, buf.String(), "level=ERROR msg=catalogue", "request_id=test-req-1")
	})
	t.Run("a page that cannot be rendered", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		s := &server{d: Deps{Logger: slog.New(httpserver.ContextLog(slog.NewTextHandler(&buf, nil)))},
			rp: &relyingParty{}, pages: newPageSet()}
		h := httpserver.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.render(w, http.StatusOK, "nowhere", s.page(r, "home.title", nil))
		}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Request-Id", "test-req-1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusInternalServerError {
			t.Errorf("status %d, want 500", w.Code)
		}
		wantLogged(t, buf.String(), `level=ERROR msg="render page" page=nowhere`, "request_id=test-req-1")
	})
}

// wantLogged fails unless the first line of log that holds line also
// holds each of attrs.
func wantLogged(t *testing.T, log, line string, attrs ...string) {
	t.Helper()
	for l := range strings.Lines(log) {
		if !strings.Contains(l, line) {
			continue
		}
		for _, a := range attrs {
			if !strings.Contains(l, " "+a) {
				t.Errorf("%q lacks %q", l, a)
			}
		}
		return
	}
	t.Errorf("no line %q in the log:\n%s", line, log)
}
