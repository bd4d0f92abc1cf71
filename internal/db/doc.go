// Package db opens the SQL database of one campus service, SQLite
// (modernc.org/sqlite, pure Go) or PostgreSQL (pgx), and runs its embedded
// migrations.
//
// It hides the few differences between the two engines (connection set-up,
// column types in migrations, error codes) so that stores write one portable
// SQL with $1-style placeholders. It knows nothing of any service's tables.
package db
