// Package db opens the SQL database of one campus service, SQLite
// (modernc.org/sqlite, pure Go) or PostgreSQL (pgx), and runs its embedded
// migrations.
//
// It hides the few differences between the two engines (connection set-up,
// column types in migrations, error codes) so that stores write one portable
// SQL with $1-style placeholders, and holds the few helpers every store
// needs for that SQL: Collect and Each read rows, Args numbers placeholders,
// EncodeCursor and DecodeCursor carry keyset positions between pages. It
// knows nothing of any service's tables.
package db
