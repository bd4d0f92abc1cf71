package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// dataVersion is the connection DataVersion reads on: SQLite counts the
// commits of the other connections per connection, so it must be the same
// one every time, and it never writes.
type dataVersion struct {
	mu   sync.Mutex
	conn *sql.Conn
	stmt *sql.Stmt // PRAGMA data_version, prepared on conn
	// closed is set by DB.Close: a reader still running after it (a
	// revocation poll) gets an error rather than a connection of its
	// own, which would open the database's files again.
	closed bool
}

// DataVersion returns a number that changes whenever a commit of any other
// connection reached the database since the previous call: this process's
// writer, or another process on the same file (a campus command beside the
// server). Equal numbers mean nothing was committed in between, so a
// reader that read everything after taking the first number has nothing
// new to read. It is SQLite's PRAGMA data_version, read on a connection
// of its own taken from the read pool; ok is false on PostgreSQL, which
// has no such number (read instead).
func (db *DB) DataVersion(ctx context.Context) (v int64, ok bool, err error) {
	if db.dialect != SQLite {
		return 0, false, nil
	}
	dv := &db.version
	dv.mu.Lock()
	defer dv.mu.Unlock()
	if dv.closed {
		return 0, false, fmt.Errorf("%s: data version: the database is closed", db)
	}
	if dv.conn == nil {
		conn, err := db.r.Conn(ctx)
		if err != nil {
			return 0, false, fmt.Errorf("%s: data version: %w", db, note(ctx, err))
		}
		// The pragma starts a read transaction, which is what looks at
		// the write-ahead log for commits of others.
		stmt, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
		if err != nil {
			conn.Close()
			return 0, false, fmt.Errorf("%s: data version: %w", db, note(ctx, err))
		}
		dv.conn, dv.stmt = conn, stmt
	}
	if err := dv.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		// A new connection counts from its own start: the caller reads
		// in full once, as it does when the number changed.
		dv.closeLocked()
		return 0, false, fmt.Errorf("%s: data version: %w", db, note(ctx, err))
	}
	return v, true, nil
}

func (dv *dataVersion) close() {
	dv.mu.Lock()
	defer dv.mu.Unlock()
	dv.closed = true
	dv.closeLocked()
}

func (dv *dataVersion) closeLocked() {
	if dv.conn != nil {
		dv.stmt.Close()
		dv.conn.Close()
		dv.conn, dv.stmt = nil, nil
	}
}
