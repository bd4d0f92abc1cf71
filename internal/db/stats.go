package db

import "database/sql"

// PoolStat is the state of one connection pool of a DB.
type PoolStat struct {
	Pool  string // "write" and "read" on SQLite, "shared" on PostgreSQL
	Stats sql.DBStats
}

// PoolStats reads the state of the DB's pools (for metrics): it asks the
// pools, not the database.
func (db *DB) PoolStats() []PoolStat {
	if db.r == db.w {
		return []PoolStat{{Pool: "shared", Stats: db.w.Stats()}}
	}
	return []PoolStat{{Pool: "write", Stats: db.w.Stats()}, {Pool: "read", Stats: db.r.Stats()}}
}
