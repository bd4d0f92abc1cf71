package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"campus/internal/backup"
	"campus/internal/db"
)

func gather(t *testing.T, r *Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// value is the value of the metric of f with exactly labels (name, value,
// name, value...), or -1 when there is none.
func value(f *dto.MetricFamily, labels ...string) float64 {
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			i := slices.Index(labels, l.GetName())
			if i < 0 || i%2 != 0 || labels[i+1] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func openDB(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// makeBackup backs up a small database into dir, as made at when.
func makeBackup(t *testing.T, dir string, when time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "study.db")
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	plan := backup.Plan{Databases: []backup.Database{{Service: "study", Path: path}}}
	if _, err := backup.Create(context.Background(), plan, dir, when, "v1"); err != nil {
		t.Fatal(err)
	}
}

// Every part in use, every family of Names is exported and no other
// campus_ one: the list the dashboard test relies on is the truth.
func TestNamesAreWhatIsExported(t *testing.T) {
	t.Parallel()
	r := New("v1", slog.New(slog.DiscardHandler))
	s := r.HTTP().Service("study")
	s.Started()
	s.Finished("GET /v1/studies", "GET", 200, time.Millisecond, false)
	s.Started()
	s.Finished("GET /v1/events", "GET", 200, time.Minute, true)
	id := r.Identity()
	id.Audited("sign_in", "failure")
	id.Audited("lock", "success")
	id.TokenIssued("refresh_token")
	id.DirectorySynced(time.Second, nil)
	id.Attempted("mail", errors.New("refused"))
	r.Outboxes("identity", func(context.Context) ([]Outbox, error) { return []Outbox{{Name: "mail"}}, nil })
	r.Database("study", openDB(t))
	dir := t.TempDir()
	r.Backups(dir)
	makeBackup(t, dir, time.Now())
	fams := gather(t, r)
	var got []string
	for name := range fams {
		if strings.HasPrefix(name, "campus_") {
			got = append(got, name)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(Names))
	if !slices.Equal(got, want) {
		t.Fatalf("exported %v,\nNames lists %v", got, want)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[name] == nil && (name != "process_resident_memory_bytes" || isLinux()) {
			t.Errorf("no %s: the runtime and process collectors are missing", name)
		}
	}
	if v := value(fams[BuildInfo], "goversion", fams[BuildInfo].GetMetric()[0].GetLabel()[0].GetValue(), "version", "v1"); v != 1 {
		t.Errorf("%s = %v", BuildInfo, fams[BuildInfo].GetMetric())
	}
}

func isLinux() bool { return filepath.Separator == '/' && runtime.GOOS == "linux" }

func TestIdentity(t *testing.T) {
	t.Parallel()
	r := New("v1", slog.New(slog.DiscardHandler))
	m := r.Identity()
	if r.Identity() != m {
		t.Fatal("Identity registered twice")
	}
	for range 3 {
		m.Audited("sign_in", "failure")
	}
	m.Audited("sign_in", "success")
	m.Audited("lock", "success")
	m.Audited("password_changed", "success")
	m.TokenIssued("authorization_code")
	m.TokenIssued("authorization_code")
	m.TokenIssued("client_credentials")
	m.DirectorySynced(2*time.Second, nil)
	m.DirectorySynced(time.Second, errors.New("ldap down"))
	m.Attempted("logout", nil)
	m.Attempted("logout", errors.New("503"))
	m.Attempted("logout", errors.New("503"))
	var none *Identity // a service without metrics
	none.Audited("sign_in", "success")
	none.TokenIssued("refresh_token")

	f := gather(t, r)
	tests := []struct {
		family string
		labels []string
		want   float64
	}{
		{SignIns, []string{"outcome", "failure"}, 3},
		{SignIns, []string{"outcome", "success"}, 1},
		{SignIns, []string{"outcome", "denied"}, 0},
		{Lockouts, nil, 1},
		{AuditEvents, []string{"action", "sign_in", "outcome", "failure"}, 3},
		{AuditEvents, []string{"action", "password_changed", "outcome", "success"}, 1},
		{TokensIssued, []string{"grant", "authorization_code"}, 2},
		{TokensIssued, []string{"grant", "client_credentials"}, 1},
		{DirectorySyncs, []string{"outcome", "success"}, 1},
		{DirectorySyncs, []string{"outcome", "failure"}, 1},
		{DirectorySyncDuration, nil, 2},
		{OutboxAttempts, []string{"outbox", "logout", "outcome", "delivered", "service", "identity"}, 1},
		{OutboxAttempts, []string{"outbox", "logout", "outcome", "failed", "service", "identity"}, 2},
	}
	for _, tt := range tests {
		if got := value(f[tt.family], tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.family, tt.labels, got, tt.want)
		}
	}
	if v := value(f[DirectorySyncLastOK]); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("%s = %v, want about now", DirectorySyncLastOK, v)
	}
}

func TestOutboxesReadAtScrape(t *testing.T) {
	t.Parallel()
	r := New("v1", slog.New(slog.DiscardHandler))
	depth, fail := 0, error(nil)
	r.Outboxes("identity", func(ctx context.Context) ([]Outbox, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the scrape-time read has no deadline")
		}
		return []Outbox{
			{Name: "mail", Pending: depth, Retrying: 1, Failed: 2, OldestPending: time.Now().Add(-time.Minute)},
			{Name: "logout"},
		}, fail
	})
	depth = 5
	f := gather(t, r)
	if v := value(f[OutboxEntries], "service", "identity", "outbox", "mail", "state", "pending"); v != 5 {
		t.Errorf("mail pending = %v, want 5 (read at scrape)", v)
	}
	if v := value(f[OutboxEntries], "service", "identity", "outbox", "mail", "state", "failed"); v != 2 {
		t.Errorf("mail failed = %v, want 2", v)
	}
	if v := value(f[OutboxOldestPendingAge], "service", "identity", "outbox", "mail"); v < 59 || v > 120 {
		t.Errorf("oldest pending age = %v, want about 60", v)
	}
	if v := value(f[OutboxOldestPendingAge], "service", "identity", "outbox", "logout"); v != 0 {
		t.Errorf("empty outbox's age = %v, want 0", v)
	}

	// A database that fails leaves the outboxes out; the rest is served.
	fail = errors.New("database down")
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), OutboxEntries+"{") || !strings.Contains(rec.Body.String(), BuildInfo) {
		t.Errorf("scrape with a failing collector: %d\n%s", rec.Code, rec.Body)
	}
}

func TestDatabasePools(t *testing.T) {
	t.Parallel()
	r := New("v1", slog.New(slog.DiscardHandler))
	d := openDB(t)
	r.Database("portal", d)
	rows, err := d.QueryContext(context.Background(), "SELECT 1") // holds a read connection until closed
	if err != nil {
		t.Fatal(err)
	}
	f := gather(t, r)
	rows.Close()
	if v := value(f[DBConnections], "pool", "read", "service", "portal", "state", "in_use"); v != 1 {
		t.Errorf("read pool in use = %v, want 1", v)
	}
	if v := value(f[DBMaxOpenConnections], "pool", "write", "service", "portal"); v != 1 {
		t.Errorf("SQLite write pool max = %v, want 1", v)
	}
	if v := value(f[DBWaits], "pool", "write", "service", "portal"); v != 0 {
		t.Errorf("waits = %v", v)
	}
}

func TestBackups(t *testing.T) {
	t.Parallel()
	r := New("v1", slog.New(slog.DiscardHandler))
	dir := filepath.Join(t.TempDir(), "backups")
	r.Backups(dir)
	f := gather(t, r)
	if v := value(f[Backups]); v != 0 || f[BackupNewestTimestamp] != nil {
		t.Errorf("no backups: %s = %v, newest %v", Backups, v, f[BackupNewestTimestamp])
	}
	made := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	makeBackup(t, dir, made)
	f = gather(t, r)
	if v := value(f[Backups]); v != 1 {
		t.Errorf("%s = %v, want 1", Backups, v)
	}
	if v := value(f[BackupNewestTimestamp]); v != float64(made.Unix()) {
		t.Errorf("%s = %v, want %d", BackupNewestTimestamp, v, made.Unix())
	}
}

// The handler speaks the Prometheus text format.
func TestHandlerTextFormat(t *testing.T) {
	t.Parallel()
	r := New("v1", slog.New(slog.DiscardHandler))
	r.HTTP().Service("portal").Started()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v := value(fams[HTTPInFlight], "service", "portal"); v != 1 {
		t.Errorf("%s = %v", HTTPInFlight, v)
	}
}
