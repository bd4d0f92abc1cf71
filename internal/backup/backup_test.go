package backup

import (
	"archive/tar"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db"
)

// open makes a database in WAL mode with one migration recorded, as a
// campus service's.
func open(t *testing.T, path string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)`,
		`INSERT INTO schema_migrations VALUES (3, 'three', 'now')`,
		`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)`,
	} {
		if _, err := d.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func notes(t *testing.T, path string) []string {
	t.Helper()
	c, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := c.Query(`SELECT text FROM notes ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// TestBackupAndRestore: a backup made while the database is written holds
// a consistent state, is listed, verified and pruned; a restore brings it
// back, keeps the replaced files aside and refuses a changed or newer one.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	dir := filepath.Join(data, "backups")
	path := filepath.Join(data, "identity.db")
	d := open(t, path)
	secret := filepath.Join(data, "identity-secret.key")
	if err := os.WriteFile(secret, []byte("first secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := Plan{Databases: []Database{{Service: "identity", Path: path}}, Files: []string{secret}}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO notes (text) VALUES ('before')`)

	// Writes go on during the backup; the copy is whole either way.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Go(func() {
		for !stop.Load() {
			if _, err := d.ExecContext(ctx, `INSERT INTO notes (text) VALUES ('during')`); err != nil {
				t.Error(err)
				return
			}
			written.Add(1)
		}
	})
	now := time.Date(2026, 12, 5, 3, 30, 0, 0, time.UTC)
	first, err := Create(ctx, plan, dir, now, "test")
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "campus-20261205T033000Z" || len(first.Files) != 2 || first.Files[0].SchemaVersion != 3 {
		t.Fatalf("backup %+v", first)
	}
	for _, name := range []string{"identity.db", "identity-secret.key", "manifest.json"} {
		fi, err := os.Stat(filepath.Join(first.Dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", name, err, fi.Mode())
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup dir mode %v", fi.Mode())
	}
	saved := notes(t, filepath.Join(first.Dir, "identity.db"))
	if len(saved) == 0 || saved[0] != "before" {
		t.Fatalf("backup holds %d notes, first %v", len(saved), saved)
	}

	exec(`INSERT INTO notes (text) VALUES ('after')`)
	os.WriteFile(secret, []byte("second secret\n"), 0o600)
	second, err := Create(ctx, plan, dir, now.Add(24*time.Hour), "test")
	if err != nil {
		t.Fatal(err)
	}
	list, err := List(dir)
	if err != nil || len(list) != 2 || list[0].Name != second.Name || list[1].Name != first.Name || list[0].Size() <= 0 {
		t.Fatalf("List: %v %+v", err, list)
	}

	// The server stops; the first backup comes back.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(data, "replaced")
	if err := Restore(ctx, list[1], plan, map[string]int{"identity": 3}, aside); err != nil {
		t.Fatal(err)
	}
	if got := notes(t, path); strings.Join(got, ",") != strings.Join(saved, ",") {
		t.Fatalf("restored %d notes, want the backup's %d", len(got), len(saved))
	}
	if b, _ := os.ReadFile(secret); string(b) != "first secret\n" {
		t.Fatalf("secret %q after restore", b)
	}
	if got := notes(t, filepath.Join(aside, "identity.db")); got[len(got)-1] != "after" {
		t.Fatalf("the replaced database was not kept aside: %v", got[len(got)-3:])
	}

	// A backup newer than this campus, or changed since, is refused.
	if err := Restore(ctx, list[0], plan, map[string]int{"identity": 2}, filepath.Join(data, "r2")); err == nil || !strings.Contains(err.Error(), "newer than this campus knows") {
		t.Fatalf("newer schema: %v", err)
	}
	f, _ := os.OpenFile(filepath.Join(second.Dir, "identity.db"), os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("x"))
	f.Close()
	if err := Verify(ctx, list[0]); err == nil || !strings.Contains(err.Error(), "not the file the backup wrote") {
		t.Fatalf("changed backup: %v", err)
	}
	if err := Restore(ctx, list[0], plan, nil, filepath.Join(data, "r3")); err == nil {
		t.Fatal("a changed backup was restored")
	}
	if got := notes(t, path); len(got) != len(saved) {
		t.Fatal("a refused restore changed the database")
	}

	gone, err := Prune(dir, 1)
	if err != nil || len(gone) != 1 || gone[0].Name != first.Name {
		t.Fatalf("Prune: %v %+v", err, gone)
	}
	if list, _ := List(dir); len(list) != 1 || list[0].Name != second.Name {
		t.Fatalf("after Prune: %+v", list)
	}
}

// TestBackupOfACorruptDatabaseFails: the integrity check stops a broken
// copy before it is listed.
func TestBackupOfACorruptDatabaseFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	path := filepath.Join(data, "study.db")
	if err := os.WriteFile(path, []byte("this is not a database, only text of some length"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, "backups")
	if _, err := Create(ctx, Plan{Databases: []Database{{Service: "study", Path: path}}}, dir, time.Now(), "test"); err == nil {
		t.Fatal("a backup of a file that is not a database succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed backup left %d entries", len(entries))
	}
}

// TestLock: a running server's shared lock makes a restore's exclusive one
// fail with the server's process id, and the other way round.
func TestLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	server, err := Share(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Share(dir) // a second server on the same directory
	if err != nil {
		t.Fatal(err)
	}
	_, err = Exclusive(dir)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("Exclusive beside a server: %v", err)
	}
	server.Release()
	other.Release()
	restore, err := Exclusive(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Share(dir); !errors.Is(err, ErrInUse) {
		t.Fatalf("a server started during a restore: %v", err)
	}
	restore.Release()
}

// TestScheduleNext: the next backup time in a time zone, across the days
// the clocks change.
func TestScheduleNext(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	s := &Schedule{Hour: 3, Minute: 30, Loc: berlin}
	for _, c := range []struct{ now, want string }{
		{"2026-12-05T01:00:00Z", "2026-12-05T03:30:00+01:00"},
		{"2026-12-05T02:30:00Z", "2026-12-06T03:30:00+01:00"}, // 03:30 Berlin has passed
		{"2026-03-28T12:00:00Z", "2026-03-29T03:30:00+02:00"}, // summer time begins at 02:00
		{"2026-10-24T12:00:00Z", "2026-10-25T03:30:00+01:00"}, // and ends at 03:00
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := s.Next(now); !got.Equal(want) {
			t.Errorf("Next(%s) = %s, want %s", c.now, got, c.want)
		}
	}
	for _, bad := range []string{"3:30", "24:00", "03:60", "0330", ""} {
		if _, _, err := ParseTimeOfDay(bad); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", bad)
		}
	}
}

// TestScheduleRun: a start on existing data backs up at once, then at the
// time of day, keeping the newest Keep; a start within an hour of a backup
// makes none.
func TestScheduleRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := t.TempDir()
	path := filepath.Join(data, "portal.db")
	open(t, path)
	var mu sync.Mutex
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ticks := make(chan time.Time)
	made := make(chan Info)
	s := &Schedule{Plan: Plan{Databases: []Database{{Service: "portal", Path: path}}}, Dir: filepath.Join(data, "backups"),
		Hour: 3, Minute: 30, Loc: time.UTC, Keep: 2, Version: "test", Now: clock, Logger: slog.New(slog.DiscardHandler),
		After: func(d time.Duration) <-chan time.Time {
			mu.Lock()
			now = now.Add(d) // the wait ends at the scheduled time
			mu.Unlock()
			return ticks
		},
		Made: func(i Info) { made <- i }}
	go s.Run(ctx)
	want := []string{"campus-20261205T100000Z", "campus-20261206T033000Z", "campus-20261207T033000Z", "campus-20261208T033000Z"}
	for i, name := range want {
		if i > 0 {
			ticks <- time.Time{}
		}
		if got := <-made; got.Name != name {
			t.Fatalf("backup %d: %s, want %s", i, got.Name, name)
		}
	}
	list, _ := List(s.Dir)
	if len(list) != 2 || list[0].Name != want[3] || list[1].Name != want[2] {
		t.Fatalf("kept %+v, want the newest 2", list)
	}
	cancel()

	// A restart half an hour after a backup makes none.
	mu.Lock()
	now = list[0].Time.Add(30 * time.Minute)
	mu.Unlock()
	ctx2, cancel2 := context.WithCancel(context.Background())
	waiting := make(chan struct{})
	s2 := *s
	s2.After = func(time.Duration) <-chan time.Time { close(waiting); return nil }
	s2.Made = func(i Info) { t.Errorf("backup %s at a restart within the hour", i.Name) }
	go s2.Run(ctx2)
	<-waiting
	cancel2()
}

// TestArchive: a backup written as one tar file reads back whole; an
// archive with a path outside its backup directory, a link or a second
// directory is refused and leaves nothing.
func TestArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	path := filepath.Join(data, "study.db")
	open(t, path)
	info, err := Create(ctx, Plan{Databases: []Database{{Service: "study", Path: path}}}, filepath.Join(data, "b"), time.Now(), "test")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(data, "b.tar")
	if _, err := WriteArchive(info, file); err != nil {
		t.Fatal(err)
	}
	back, tmp, err := ReadArchive(file, filepath.Join(data, "unpack"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != info.Name || Verify(ctx, back) != nil {
		t.Fatalf("read back %+v", back)
	}
	os.RemoveAll(tmp)

	for name, entries := range map[string][]tar.Header{
		"outside":   {{Name: "campus-20261205T000000Z/../../evil", Typeflag: tar.TypeReg}},
		"absolute":  {{Name: "/etc/evil", Typeflag: tar.TypeReg}},
		"link":      {{Name: "campus-20261205T000000Z/study.db", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}},
		"two":       {{Name: "campus-20261205T000000Z/a", Typeflag: tar.TypeReg}, {Name: "campus-20261206T000000Z/b", Typeflag: tar.TypeReg}},
		"no backup": {{Name: "other/a", Typeflag: tar.TypeReg}},
	} {
		bad := filepath.Join(data, "bad.tar")
		f, _ := os.Create(bad)
		tw := tar.NewWriter(f)
		for _, h := range entries {
			h.Mode = 0o600
			tw.WriteHeader(&h)
		}
		tw.Close()
		f.Close()
		into := filepath.Join(data, "bad-"+strings.ReplaceAll(name, " ", "-"))
		if _, _, err := ReadArchive(bad, into); err == nil {
			t.Errorf("%s: archive accepted", name)
		}
		if left, _ := os.ReadDir(into); len(left) != 0 {
			t.Errorf("%s: left %v", name, left)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "evil")); err == nil {
		t.Fatal("an entry was written outside")
	}
}

// TestManifestNamesItsOwnFiles: a manifest that points outside its
// backup directory is not a backup.
func TestManifestNamesItsOwnFiles(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"../identity.db", "/etc/passwd", "..", "", "manifest.json"} {
		dir := filepath.Join(t.TempDir(), "campus-20261205T000000Z")
		os.Mkdir(dir, 0o700)
		b := fmt.Sprintf(`{"name":"campus-20261205T000000Z","databases":[{"service":"identity","file":%q}]}`, name)
		os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(b), 0o600)
		if _, err := Read(dir); err == nil {
			t.Errorf("manifest naming %q read as a backup", name)
		}
	}
}

// TestRemoveLeftovers: an interrupted backup's directory goes once it is
// old enough; a young one (maybe being written) and real backups stay.
func TestRemoveLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	for _, name := range []string{".partial-campus-20261201T000000Z-1", ".partial-campus-20261205T000000Z-2", "campus-20261201T000000Z"} {
		os.MkdirAll(filepath.Join(dir, name, "x"), 0o700)
	}
	old := now.Add(-2 * time.Hour)
	os.Chtimes(filepath.Join(dir, ".partial-campus-20261201T000000Z-1"), old, old)
	os.Chtimes(filepath.Join(dir, "campus-20261201T000000Z"), old, old)
	gone := RemoveLeftovers(dir, time.Hour, now)
	if len(gone) != 1 || gone[0] != ".partial-campus-20261201T000000Z-1" {
		t.Fatalf("removed %v", gone)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 2 {
		t.Fatalf("left %d entries, want the young partial and the backup", len(left))
	}
}

// TestScheduleSecondServer: at the daily time, a backup made minutes
// before (by another server on the same directory, or by hand) is enough.
func TestScheduleSecondServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := t.TempDir()
	path := filepath.Join(data, "study.db")
	open(t, path)
	plan := Plan{Databases: []Database{{Service: "study", Path: path}}}
	dir := filepath.Join(data, "backups")
	at := time.Date(2026, 12, 6, 3, 30, 0, 0, time.UTC)
	if _, err := Create(ctx, plan, dir, at, "other server"); err != nil {
		t.Fatal(err)
	}
	rounds := make(chan time.Time)
	asked := 0
	s := &Schedule{Plan: plan, Dir: dir, Hour: 3, Minute: 30, Loc: time.UTC, Keep: 7, SkipStart: true,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return at.Add(time.Second) },
		After: func(time.Duration) <-chan time.Time {
			asked++
			if asked > 2 {
				cancel()
			}
			return rounds
		},
		Made: func(i Info) { t.Errorf("backup %s a second after another", i.Name) }}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	rounds <- at
	rounds <- at
	<-done
}
