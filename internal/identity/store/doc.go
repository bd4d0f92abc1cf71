// Package store is the identity service's SQL store (SQLite or PostgreSQL
// through internal/db) with its embedded migrations.
package store
