package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the study schema's migrations, for db.Migrate.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store keeps the study service's data.
type Store struct {
	db  *db.DB
	now func() time.Time
	// MaxAttempts is how many attempts a person has per examination.
	MaxAttempts int
	// Notices makes changes queue notices to the messages service (a
	// grade published, a programme changed) in their transactions; off
	// when no messages service is configured.
	Notices bool
}

// New returns a store over an opened, migrated database.
func New(d *db.DB, now func() time.Time) *Store {
	return &Store{db: d, now: now, MaxAttempts: 3}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Page asks for one page of a list.
type Page struct {
	Limit  int    // 1..200, default 50
	Cursor string // from the previous page's Next
}

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 200:
		return 200
	}
	return p.Limit
}

// cursor is a keyset position: the sort value and id of the last row.
type cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// decodeCursor reads a page's cursor; false on the first page and for a
// malformed cursor, which starts the list again.
func decodeCursor(s string) (cursor, bool) {
	var c cursor
	if s == "" || db.DecodeCursor(s, &c) != nil {
		return cursor{}, false
	}
	return c, true
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// readPage runs a list query with the conditions in where, ordered by
// order, and returns at most limit rows and the cursor of the next page
// ("" on the last): one row more than asked tells whether there is one.
func readPage[T any](ctx context.Context, d *db.DB, query string, where []string, order string, a db.Args, limit int,
	scan func(interface{ Scan(...any) error }) (T, error), key func(T) cursor) ([]T, string, error) {
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, limit+1)
	rows, err := d.QueryContext(ctx, query, a.Values()...)
	out, err := db.Collect(rows, err, scan)
	if err != nil {
		return nil, "", err
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, db.EncodeCursor(key(out[limit-1])), nil
}
