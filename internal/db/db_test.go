package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
)

var testMigrations = fstest.MapFS{
	"0001_init.sql": {Data: []byte(`
CREATE TABLE items (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	payload BYTEA
);`)},
	"0002_owner.sql":          {Data: []byte(`ALTER TABLE items ADD COLUMN owner TEXT NOT NULL DEFAULT '';`)},
	"0002_owner.postgres.sql": {Data: []byte(`ALTER TABLE items ADD COLUMN owner TEXT NOT NULL DEFAULT 'pg';`)},
}

func TestStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, testMigrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()

		t.Run("schema version", func(t *testing.T) {
			v, err := d.SchemaVersion(ctx)
			if err != nil || v != 2 {
				t.Fatalf("SchemaVersion = %d, %v; want 2", v, err)
			}
			applied, err := d.Migrate(ctx, testMigrations)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second Migrate applied %v, %v; want nothing", applied, err)
			}
		})

		t.Run("dialect override", func(t *testing.T) {
			want := ""
			if d.Dialect() == db.Postgres {
				want = "pg"
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			if _, err := d.ExecContext(ctx, `INSERT INTO items (id, name, created_at, payload) VALUES ($1, $2, $3, $4)`, "o1", "override", now, []byte{0, 1, 2}); err != nil {
				t.Fatal(err)
			}
			var owner string
			var created time.Time
			var payload []byte
			if err := d.QueryRowContext(ctx, `SELECT owner, created_at, payload FROM items WHERE id = $1`, "o1").Scan(&owner, &created, &payload); err != nil {
				t.Fatal(err)
			}
			if owner != want {
				t.Errorf("owner default = %q, want %q", owner, want)
			}
			if !created.Equal(now) {
				t.Errorf("created_at = %v, want %v", created, now)
			}
			if string(payload) != "\x00\x01\x02" {
				t.Errorf("payload = %v", payload)
			}
		})

		t.Run("transaction is all or nothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO items (id, name, created_at) VALUES ('t1', 't1', $1)`, time.Now().UTC()); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Tx error = %v, want boom", err)
			}
			var n int
			if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM items WHERE id = 't1'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
			}
		})

		t.Run("unique violation", func(t *testing.T) {
			ins := func(id string) error {
				return d.Tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO items (id, name, created_at) VALUES ($1, 'same', $2)`, id, time.Now().UTC())
					return err
				})
			}
			if err := ins("u1"); err != nil {
				t.Fatal(err)
			}
			err := ins("u2")
			if !db.IsUniqueViolation(err) {
				t.Fatalf("IsUniqueViolation(%v) = false", err)
			}
			if db.IsUniqueViolation(errors.New("other")) {
				t.Fatal("plain error taken for a unique violation")
			}
		})

		t.Run("read transaction", func(t *testing.T) {
			var n int
			err := d.ReadTx(ctx, func(tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM items`).Scan(&n)
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ping", func(t *testing.T) {
			if err := d.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestSchemaTooNewIsRefusedUntouched(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, testMigrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		older := fstest.MapFS{"0001_init.sql": testMigrations["0001_init.sql"]}
		_, err := d.Migrate(ctx, older)
		if !errors.Is(err, db.ErrSchemaTooNew) {
			t.Fatalf("Migrate with older binary: %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "schema version 2") || !strings.Contains(err.Error(), "up to 1") {
			t.Errorf("message does not name both versions: %v", err)
		}
		if v, _ := d.SchemaVersion(ctx); v != 2 {
			t.Fatalf("schema version changed to %d", v)
		}
	})
}

func TestFailedMigrationLeavesNothing(t *testing.T) {
	t.Parallel()
	broken := fstest.MapFS{
		"0001_init.sql":   testMigrations["0001_init.sql"],
		"0002_broken.sql": {Data: []byte("CREATE TABLE half (id TEXT);\nTHIS IS NOT SQL;")},
	}
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		applied, err := d.Migrate(ctx, broken)
		if err == nil || !strings.Contains(err.Error(), "0002_broken") {
			t.Fatalf("Migrate = %v, want an error naming 0002_broken", err)
		}
		if len(applied) != 1 {
			t.Fatalf("applied %d migrations, want 1", len(applied))
		}
		if v, _ := d.SchemaVersion(ctx); v != 1 {
			t.Fatalf("schema version %d, want 1", v)
		}
		if _, err := d.ExecContext(ctx, "SELECT * FROM half"); err == nil {
			t.Fatal("table of the failed migration exists")
		}
	})
}

func TestConcurrentMigrationsDoNotRace(t *testing.T) {
	t.Parallel()
	open := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "c.db") },
		"postgres": func(t *testing.T) string { return dbtest.PostgresURL(t) },
	}
	for name, dsn := range open {
		t.Run(name, func(t *testing.T) {
			url := dsn(t)
			ctx := context.Background()
			const replicas = 4
			var wg sync.WaitGroup
			total := make(chan int, replicas)
			errs := make(chan error, replicas)
			for range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, err := db.Open(ctx, url)
					if err != nil {
						errs <- err
						return
					}
					defer d.Close()
					applied, err := d.Migrate(ctx, testMigrations)
					if err != nil {
						errs <- err
						return
					}
					total <- len(applied)
				}()
			}
			wg.Wait()
			close(errs)
			close(total)
			for err := range errs {
				t.Fatal(err)
			}
			sum := 0
			for n := range total {
				sum += n
			}
			if sum != 2 {
				t.Fatalf("replicas applied %d migrations in all, want exactly 2", sum)
			}
		})
	}
}

func TestLoadMigrationsRejectsBadSets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"bad name", fstest.MapFS{"init.sql": {}}, "NNNN_name.sql"},
		{"gap", fstest.MapFS{"0001_a.sql": {}, "0003_c.sql": {}}, "2 was expected"},
		{"duplicate", fstest.MapFS{"0001_a.sql": {}, "0001_b.sql": {}}, "both have version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := db.LoadMigrations(tt.fs, db.SQLite)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadMigrations = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestOpenNamesWhatFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, dsn, want string
	}{
		{"unknown scheme", "mysql://x", "want sqlite:PATH or postgres://"},
		{"missing directory", "sqlite:/nonexistent/dir/x.db", "/nonexistent/dir"},
		{"unreachable postgres", "postgres://u:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", "127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := db.Open(ctx, tt.dsn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%q) = %v, want error containing %q", tt.dsn, err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	got := db.Redact("postgres://u:hunter2@h/db?password=x2")
	if strings.Contains(got, "hunter2") || strings.Contains(got, "x2") {
		t.Fatalf("Redact left a password: %s", got)
	}
}

// TxStmt inside transactions of the one-connection writer (SQLite): the
// first transaction prepares its own statement (waiting for the pool
// would wait for itself), later ones reuse the kept one; every write is
// there, and a rolled-back one is not.
func TestTxStmt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, testMigrations, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		const insert = `INSERT INTO items (id, name, created_at) VALUES ($1, $2, $3)`
		for i := range 50 {
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				st, err := d.TxStmt(ctx, tx, insert)
				if err != nil {
					return err
				}
				for j := range 2 {
					id := fmt.Sprintf("s%d-%d", i, j)
					if _, err := st.ExecContext(ctx, id, id, time.Now().UTC()); err != nil {
						return err
					}
				}
				if i == 7 {
					return errors.New("roll back")
				}
				return nil
			})
			if err != nil && i != 7 {
				t.Fatalf("transaction %d: %v", i, err)
			}
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM items WHERE id LIKE 's%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 98 {
			t.Fatalf("rows = %d, want 98 (49 transactions of 2)", n)
		}
	})
}

// TestDataVersion: the number changes with every commit of another
// connection, this process's writer or a second process on the file, and
// stays when nothing was committed; PostgreSQL has none.
func TestDataVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	d, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, testMigrations); err != nil {
		t.Fatal(err)
	}
	other, err := db.Open(ctx, "sqlite:"+path) // another process's view
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	version := func() int64 {
		t.Helper()
		v, ok, err := d.DataVersion(ctx)
		if err != nil || !ok {
			t.Fatalf("DataVersion: %d, %v, %v", v, ok, err)
		}
		return v
	}
	insert := func(on *db.DB, id string) {
		t.Helper()
		if _, err := on.ExecContext(ctx, `INSERT INTO items (id, name, created_at) VALUES ($1, $1, $2)`, id, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	v := version()
	if again := version(); again != v {
		t.Fatalf("nothing committed, yet %d then %d", v, again)
	}
	insert(d, "own")
	w := version()
	if w == v {
		t.Fatal("a commit of the writer left the number as it was")
	}
	insert(other, "other")
	x := version()
	if x == w {
		t.Fatal("a commit of another process left the number as it was")
	}
	if again := version(); again != x {
		t.Fatalf("nothing committed, yet %d then %d", x, again)
	}

	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		if _, ok, err := d.DataVersion(ctx); err != nil || ok != (d.Dialect() == db.SQLite) {
			t.Fatalf("%s: ok %v, err %v", d.Dialect(), ok, err)
		}
	})
}

// TestDataVersionAfterClose: a reader still running after Close (a
// revocation poll as the server stops) gets an error, and no connection
// that would open the database's files again.
func TestDataVersionAfterClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.DataVersion(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.DataVersion(ctx); err == nil || ok {
		t.Fatalf("after Close: ok %v, err %v", ok, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "v.db" {
			t.Errorf("%s is left beside the closed database", e.Name())
		}
	}
}

// BenchmarkDataVersion is a write's revocation check in all-in-one mode
// while identity's database is unchanged.
func BenchmarkDataVersion(b *testing.B) {
	d := dbtest.SQLite(b, testMigrations)
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := d.DataVersion(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCheckpoint: a read connection copies the log into the database file
// (query_only does not stop a checkpoint), and the writer leaves it to
// that: its own backstop is far above SQLite's default of 1000 pages.
func TestCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.SQLite(t, testMigrations)
	var mark int
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for i := range 50 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO items (id, name, created_at) VALUES ($1, $2, $3)`,
				fmt.Sprint("c", i), fmt.Sprint(i, strings.Repeat("x", 3000)), time.Now().UTC()); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&mark)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mark != 10000 {
		t.Fatalf("the writer checkpoints past %d pages, want the backstop of 10000", mark)
	}
	frames, copied, err := d.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if frames < 50 || copied != frames {
		t.Fatalf("checkpoint: %d frames in the log, %d copied; want all of at least 50", frames, copied)
	}
}
