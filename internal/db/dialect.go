package db

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"campus/internal/lazyregexp"
)

// Migrations are written in PostgreSQL's types; SQLite gets the few that it
// would otherwise misread. TIMESTAMP makes modernc return time.Time, and
// BLOB keeps bytes as bytes.
var sqliteTypes = []struct {
	re   *lazyregexp.Regexp
	with string
}{
	{lazyregexp.New(`(?i)\bTIMESTAMPTZ\b`), "TIMESTAMP"},
	{lazyregexp.New(`(?i)\bBYTEA\b`), "BLOB"},
}

// rewrite adapts PostgreSQL DDL to the dialect.
func (d Dialect) rewrite(sql string) string {
	if d != SQLite {
		return sql
	}
	for _, t := range sqliteTypes {
		sql = t.re.ReplaceAllString(sql, t.with)
	}
	return sql
}

// IsUniqueViolation reports whether err is a unique or primary key
// constraint violation, which stores turn into a conflict.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign key violation.
func IsForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
