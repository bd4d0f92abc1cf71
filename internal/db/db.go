package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is one service's database. Writes go through a pool that on SQLite
// holds a single connection (SQLite allows one writer; queueing in Go is
// cheaper than spinning on SQLITE_BUSY); reads use a pool of their own.
// On PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	w       *sql.DB
	r       *sql.DB
	where   string   // path or host:port, for messages; never the password
	stmts   sync.Map // query -> *sql.Stmt on the read pool
	wstmts  sync.Map // query -> *sql.Stmt on the write pool (see TxStmt)
	version dataVersion
	// SQLite's background checkpoints (checkpoint.go): closed by Close.
	stopCheckpoints, checkpointsDone chan struct{}
}

// Open opens the database named by dsn: "sqlite:PATH" or
// "postgres://user@host:port/db?...". It checks that the database answers
// within the context's deadline and names the path or host when it does not.
func Open(ctx context.Context, dsn string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("database %q: want sqlite:PATH or postgres://USER@HOST:PORT/DB", Redact(dsn))
	}
}

// ValidateDSN reports whether dsn has a form Open accepts, without opening it.
func ValidateDSN(dsn string) error {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		if strings.TrimPrefix(dsn, "sqlite:") == "" {
			return errors.New("sqlite: needs a file path, as in sqlite:/var/lib/campus/identity.db")
		}
		return nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%q is not a valid postgres:// URL", Redact(dsn))
		}
		return nil
	default:
		return fmt.Errorf("%q: want sqlite:PATH or postgres://user@host:port/database", Redact(dsn))
	}
}

// uriPath escapes the characters of a file path that a "file:" URI would
// read otherwise: ? starts the parameters, # a fragment (so a path with
// it opened another file), % an escape.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// FileURI is the "file:" URI of an SQLite database file, for connections
// opened apart from Open (a backup's read-only copy), parameters to follow.
func FileURI(path string) string { return "file:" + uriPath(path) }

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("sqlite database %s: directory %s: %w", path, dir, err)
		}
	}
	// The file holds password hashes and keys: readable by campus only.
	// SQLite gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite database %s: %w", path, err)
	}
	f.Close()
	// _txlock=immediate makes every transaction take the write lock at BEGIN,
	// so a transaction never fails half-way when another process (a CLI
	// command beside the server) writes too; busy_timeout makes it wait.
	// Times are written in SQLite's own format so its date functions work.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	// busy_timeout first (common): the pragmas run in order, and any of
	// them may meet another process's lock on a database being created.
	w, err := sql.Open("sqlite", "file:"+uriPath(path)+"?"+common+"&_txlock=immediate&_pragma=journal_mode(WAL)&"+
		fmt.Sprintf("_pragma=wal_autocheckpoint(%d)", walBackstop))
	if err != nil {
		return nil, fmt.Errorf("sqlite database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := pingSQLite(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite database %s: %w", path, err)
	}
	// journal_mode is only honoured when set on a writable connection; make
	// sure the file really is in WAL mode before opening readers beside it.
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("sqlite database %s: cannot switch to WAL mode (got %q): %v", path, mode, err)
	}
	r, err := sql.Open("sqlite", "file:"+uriPath(path)+"?_pragma=query_only(1)&"+common)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite database %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &DB{dialect: SQLite, w: w, r: r, where: path, stopCheckpoints: make(chan struct{}), checkpointsDone: make(chan struct{})}
	go d.checkpoints(d.stopCheckpoints, d.checkpointsDone)
	return d, nil
}

// pingSQLite opens the writer's first connection, which applies the
// pragmas. Switching a new database to WAL needs its exclusive lock, and
// when processes open a new database at once (replicas migrating it
// together) SQLite answers SQLITE_BUSY at once rather than through the
// busy timeout (waiting could deadlock a lock upgrade), so it is tried
// again for up to ten seconds, as the busy timeout would.
func pingSQLite(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := w.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// ConnectTimeout bounds one attempt to connect to PostgreSQL unless the
// URL sets connect_timeout itself.
const ConnectTimeout = 5 * time.Second

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	where := Redact(dsn)
	if u, err := url.Parse(dsn); err == nil {
		where = u.Host + u.Path
		// A bounded wait for a connection: without connect_timeout pgx
		// waits as long as the request's context, and a server that
		// drops packets (a host down, not just the database) would hold
		// every request that needs a new connection.
		if q := u.Query(); !q.Has("connect_timeout") {
			q.Set("connect_timeout", strconv.Itoa(int(ConnectTimeout/time.Second)))
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	}
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", where, err)
	}
	p.SetMaxOpenConns(max(8, runtime.GOMAXPROCS(0)*4))
	p.SetMaxIdleConns(max(8, runtime.GOMAXPROCS(0)*4))
	p.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.PingContext(pctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("cannot reach postgres at %s: %w", where, err)
	}
	return &DB{dialect: Postgres, w: p, r: p, where: where}, nil
}

// Dialect reports which engine this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// String names the database for messages and logs (never with a password).
func (db *DB) String() string { return string(db.dialect) + ":" + db.where }

// Close closes both pools.
func (db *DB) Close() error {
	for _, m := range []*sync.Map{&db.stmts, &db.wstmts} {
		m.Range(func(_, st any) bool {
			if st, ok := st.(*sql.Stmt); ok && st != nil {
				st.Close()
			}
			return true
		})
	}
	if db.stopCheckpoints != nil {
		close(db.stopCheckpoints)
		<-db.checkpointsDone
		db.stopCheckpoints = nil
	}
	db.version.close()
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	if err := note(ctx, db.r.PingContext(ctx)); err != nil {
		return fmt.Errorf("%s: %w", db, err)
	}
	var one int
	if err := note(ctx, db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)); err != nil {
		return fmt.Errorf("%s: %w", db, err)
	}
	return nil
}

// QueryContext runs a read-only query on the read pool.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	return rows, note(ctx, err)
}

// QueryRowContext runs a read-only single-row query on the read pool.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	row := db.r.QueryRowContext(ctx, query, args...)
	note(ctx, row.Err())
	return row
}

// QueryRowPrepared is QueryRowContext through a statement prepared once
// and kept: for the few hot queries (token checks run thousands of times a
// second), where parsing the SQL each time would be most of the cost.
func (db *DB) QueryRowPrepared(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return db.QueryRowContext(ctx, query, args...)
	}
	row := st.QueryRowContext(ctx, args...)
	note(ctx, row.Err())
	return row
}

// QueryPrepared is QueryContext through a statement prepared once and
// kept, as QueryRowPrepared.
func (db *DB) QueryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return db.QueryContext(ctx, query, args...)
	}
	rows, err := st.QueryContext(ctx, args...)
	return rows, note(ctx, err)
}

func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// ExecContext runs one statement outside an explicit transaction on the
// write pool.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.w.ExecContext(ctx, query, args...)
	return res, note(ctx, err)
}

// TxStmt returns query as a statement of tx (a transaction of Tx), from
// a statement prepared once on the write pool and kept: database/sql
// reuses a statement already prepared on the transaction's connection,
// and SQLite's writer has one, so a hot write parses its SQL once per
// process instead of once per transaction. The first time, the statement
// is prepared in tx, and kept for the next transactions by a preparation
// on the pool that waits for a free connection (tx holds SQLite's only
// one). The returned statement closes with tx; the kept one with the DB.
func (db *DB) TxStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if v, ok := db.wstmts.Load(query); ok {
		if st := v.(*sql.Stmt); st != nil {
			return tx.StmtContext(ctx, st), nil
		}
		// Being prepared: this transaction prepares its own.
	} else if _, loaded := db.wstmts.LoadOrStore(query, (*sql.Stmt)(nil)); !loaded {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			st, err := db.w.PrepareContext(ctx, query)
			if err != nil {
				db.wstmts.Delete(query) // the next transaction tries again
				return
			}
			db.wstmts.Store(query, st)
		}()
	}
	return tx.PrepareContext(ctx, query)
}

// Tx runs fn in a read-write transaction and commits when fn returns nil;
// otherwise (or on panic) it rolls back, so a request is applied whole or not
// at all.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return note(ctx, runTx(ctx, db.w, nil, fn))
}

// ReadTx runs fn in a read-only transaction on the read pool: one consistent
// snapshot for queries that must agree with each other.
func (db *DB) ReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == SQLite {
		// modernc rejects the ReadOnly option; the read pool is query_only.
		opts = nil
	}
	return note(ctx, runTx(ctx, db.r, opts, fn))
}

func runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Redact removes a password from a database URL, for messages and logs.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "redacted")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
