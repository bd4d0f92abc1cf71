package httpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestServeFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := New(h, nil, discard())
	shuttingDown := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(shuttingDown) })
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, 10*time.Second, discard()) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-entered
	cancel() // Ctrl-C while the request runs
	<-shuttingDown
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("new connection accepted after shutdown began")
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("request in flight got %q, want it finished", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v, want nil after a clean shutdown", err)
	}
}

func TestLogLineHasNoQueryAndNamesService(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "12345")
	}), RequestID, Log(logger, "identity"))
	req := httptest.NewRequest("GET", "/idp/callback?code=SECRETCODE&token=SECRETTOKEN", nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	line := buf.String()
	for _, want := range []string{"service=identity", "method=GET", "path=/idp/callback", "status=418", "bytes=5", "duration=", "request_id="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(line, "SECRET") {
		t.Errorf("log line carries the query: %s", line)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, incoming string
		keep           bool
	}{
		{"from proxy", "abc-123.def_4", true},
		{"missing", "", false},
		{"log injection", "x\nlevel=ERROR msg=forged", false},
		{"too long", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestIDFrom(r.Context()) }))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Request-Id", tt.incoming)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if seen == "" || rec.Header().Get("X-Request-Id") != seen {
				t.Fatalf("id %q in context, %q in header", seen, rec.Header().Get("X-Request-Id"))
			}
			if (seen == tt.incoming) != tt.keep {
				t.Fatalf("incoming %q became %q", tt.incoming, seen)
			}
		})
	}
}

func TestRecoverAnswers500WithoutInternals(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("database password is hunter2") }),
		RequestID, Recover(slog.New(slog.NewTextHandler(&buf, nil))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatal("panic value shown to the client")
	}
	if !strings.Contains(buf.String(), "panic in handler") {
		t.Fatal("panic not logged")
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	ok := Check{Name: "database", Fn: func(context.Context) error { return nil }}
	bad := Check{Name: "identity", Fn: func(context.Context) error { return errors.New("connection refused to 10.0.0.1") }}
	degrading := bad
	degrading.Degrades = true
	tests := []struct {
		name   string
		checks []Check
		code   int
		want   string
	}{
		{"all pass", []Check{ok}, 200, `"database":"ok"`},
		{"one fails", []Check{ok, bad}, 503, `"identity":"failing"`},
		{"a dependency that degrades fails", []Check{ok, degrading}, 200, `"status":"degraded"`},
		{"both fail", []Check{{Name: "database", Fn: bad.Fn}, degrading}, 503, `"status":"unavailable"`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		Readyz("study", discard(), tt.checks...).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s: %d %s", tt.name, rec.Code, rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), "10.0.0.1") {
			t.Errorf("%s: failure detail shown to the caller", tt.name)
		}
	}
}

func TestSecureHeaders(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	SecureHeaders(true)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, h := range []string{"Strict-Transport-Security", "X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("%s missing", h)
		}
	}
	rec = httptest.NewRecorder()
	SecureHeaders(false)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent for a plain-http public URL")
	}
}

// TestQuietRequestsLogAtDebug: a Quiet handler's successes are debug lines,
// its failures stay info lines like every other request.
func TestQuietRequestsLogAtDebug(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	status := http.StatusOK
	h := Log(logger, "test")(Quiet(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/revocations", nil))
	status = http.StatusInternalServerError
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/revocations", nil))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "level=DEBUG") || !strings.Contains(lines[1], "level=INFO") {
		t.Fatalf("log:\n%s", buf.String())
	}
}
