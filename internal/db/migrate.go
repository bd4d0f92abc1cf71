package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"time"

	"campus/internal/lazyregexp"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrSchemaTooNew is returned when the database was migrated by a newer
// campus than this one; such a database is never touched.
var ErrSchemaTooNew = errors.New("database schema is newer than this campus binary")

// A migration file is NNNN_name.sql; NNNN_name.sqlite.sql or
// NNNN_name.postgres.sql replaces it for that dialect where the portable
// form will not do.
var migrationFile = lazyregexp.New(`^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$`)

// LoadMigrations reads the migrations in the root of fsys for the dialect,
// ordered by version. Versions must be 1, 2, 3, ... without gaps. SQL is
// as written (PostgreSQL's types); Migrate adapts what it applies to the
// dialect, so a start on an up-to-date database rewrites nothing.
func LoadMigrations(fsys fs.FS, d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	byVersion := map[int]Migration{}
	specific := map[int]bool{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if m[3] != "" && Dialect(m[3]) != d {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Clean(e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		isSpecific := m[3] != ""
		if prev, ok := byVersion[v]; ok {
			if isSpecific == specific[v] {
				return nil, fmt.Errorf("migrations %s and %04d_%s both have version %d", e.Name(), v, prev.Name, v)
			}
			if !isSpecific {
				continue // the dialect's own file wins
			}
		}
		byVersion[v] = Migration{Version: v, Name: m[2], SQL: string(b)}
		specific[v] = isSpecific
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration versions must run 1, 2, 3, ...: found %04d_%s where %d was expected", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate applies every migration in fsys that the database lacks, each in
// its own transaction together with its record in schema_migrations. It
// returns the migrations it applied. Several processes may call it at once:
// on PostgreSQL an advisory lock serialises them, on SQLite the write lock
// does, and each migration re-checks inside its transaction whether another
// process applied it meanwhile.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS) ([]Migration, error) {
	ms, err := LoadMigrations(fsys, db.dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db, err)
	}
	defer conn.Close()

	if db.dialect == Postgres {
		// The lock key is per schema, so services that share one database in
		// separate schemas do not wait for each other.
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext(current_schema() || '.campus.migrate'))`); err != nil {
			return nil, fmt.Errorf("%s: take migration lock: %w", db, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext(current_schema() || '.campus.migrate'))`) //nolint:errcheck // closing the session frees it too
	}

	current, err := SchemaVersionOf(ctx, conn, db.dialect)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db, err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	if current > latest {
		return nil, fmt.Errorf("%s is at schema version %d, but this campus knows only up to %d; use a newer campus (the database was left untouched): %w",
			db, current, latest, ErrSchemaTooNew)
	}
	if current == latest {
		return nil, nil
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at `+db.dialect.rewrite("TIMESTAMPTZ")+` NOT NULL)`); err != nil {
		return nil, fmt.Errorf("%s: create schema_migrations: %w", db, err)
	}

	var applied []Migration
	for _, m := range ms[current:] {
		m.SQL = db.dialect.rewrite(m.SQL)
		ok, err := applyOne(ctx, conn, m)
		if err != nil {
			return applied, fmt.Errorf("%s: migration %04d_%s: %w", db, m.Version, m.Name, err)
		}
		if ok {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

func applyOne(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, time.Now().UTC()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// SchemaVersion reports the highest migration applied, 0 for a new database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return SchemaVersionOf(ctx, conn, db.dialect)
}

// SchemaVersionOf is SchemaVersion on a connection of the caller's (a
// backup's copy, opened read-only).
func SchemaVersionOf(ctx context.Context, conn interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, d Dialect) (int, error) {
	q := `SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if d == Postgres {
		q = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	}
	var exists bool
	if err := conn.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
