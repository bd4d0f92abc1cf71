// Package store is the study service's SQL store (SQLite or PostgreSQL
// through internal/db) with its embedded migrations.
package store
