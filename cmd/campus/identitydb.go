package main

import (
	"context"
	"path/filepath"
	"time"

	"campus/internal/config"
	identitystore "campus/internal/identity/store"
)

// identityDB is where the commands beside the server (clients, keys,
// directory, mail, demo) find identity's database: the same --data and
// --identity-db as serve.
type identityDB struct {
	data serverOptions
	db   dbOption
}

// registerIdentityDB adds --data and --identity-db to a command's settings.
func registerIdentityDB(s *config.Set) *identityDB {
	f := &identityDB{db: dbOption{service: "identity"}}
	f.data.registerData(s)
	f.db.register(s, "identity-db")
	return f
}

func (f *identityDB) validate() []error { return f.db.validate() }

// dataDir is the absolute data directory.
func (f *identityDB) dataDir() (string, error) { return absPath(f.data.DataDir) }

// open opens identity's store for a command beside the server (SQLite
// waits for the server's writes; migrations are applied); close closes it.
func (f *identityDB) open(ctx context.Context, e env) (st *identitystore.Store, closeDB func(), err error) {
	abs, err := filepath.Abs(f.data.DataDir)
	if err != nil {
		return nil, nil, err
	}
	if f.db.isSQLite() {
		if err := ensureDir(abs); err != nil {
			return nil, nil, err
		}
	}
	d, err := openDB(ctx, newLogger(e.stderr, "text", "warn"), "identity", f.db.resolve(abs), identitystore.Migrations)
	if err != nil {
		return nil, nil, err
	}
	return identitystore.New(d, time.Now), func() { d.Close() }, nil
}
