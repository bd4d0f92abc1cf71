// Package dbtest gives store tests fresh, migrated databases on every
// engine campus supports, so one suite covers SQLite and PostgreSQL, and
// outage tests a PostgreSQL server of their own to stop and start
// (StartCluster).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"campus/internal/db"
	"campus/internal/testenv"

	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresEnv names the variable holding the URL of the PostgreSQL server
// that tests may use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "CAMPUS_TEST_POSTGRES"

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh
// database migrated with migrations (nil for none). The postgres subtest is
// skipped when CAMPUS_TEST_POSTGRES is unset, and fails instead in CI.
func Each(t *testing.T, migrations fs.FS, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t, migrations))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Postgres(t, migrations))
	})
}

// SQLite returns a fresh SQLite database in a temporary directory, closed
// and removed when the test ends.
func SQLite(tb testing.TB, migrations fs.FS) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	migrate(tb, d, migrations)
	return d
}

// Postgres returns a database in a fresh schema of the server named by
// CAMPUS_TEST_POSTGRES, migrated with migrations (nil for none).
func Postgres(tb testing.TB, migrations fs.FS) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), PostgresURL(tb))
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	migrate(tb, d, migrations)
	return d
}

// PostgresURL creates a fresh schema on the server named by
// CAMPUS_TEST_POSTGRES and returns a URL whose search_path points at it. The
// schema is dropped when the test ends, so runs never see each other's data.
// Tests that start the whole program against PostgreSQL use it directly.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		testenv.Missing(tb, "PostgreSQL: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL suite", PostgresEnv)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() { admin.Close() })
	if err := admin.PingContext(ctx); err != nil {
		testenv.Missing(tb, "PostgreSQL at %s does not answer: %v", db.Redact(base), err)
	}
	schema := "campus_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	// Cleanups run last-registered first: the caller's pools (registered
	// after this) close before the schema is dropped.
	tb.Cleanup(func() {
		// Tests drop their schemas in parallel, and two DROP SCHEMA ...
		// CASCADE can deadlock on shared catalog rows; PostgreSQL then
		// aborts one of them (40P01), which is tried again.
		var err error
		for range 5 {
			if _, err = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); !isDeadlock(err) {
				break
			}
		}
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func migrate(tb testing.TB, d *db.DB, migrations fs.FS) {
	tb.Helper()
	if migrations == nil {
		return
	}
	if _, err := d.Migrate(context.Background(), migrations); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// isDeadlock reports whether PostgreSQL aborted the statement to break a
// deadlock (SQLSTATE 40P01).
func isDeadlock(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "40P01"
}
