package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/identity/datakeys"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// identityDB is where the commands beside the server (clients, keys,
// directory, mail, demo) find identity's database: the same --data and
// --identity-db as serve.
type identityDB struct {
	data serverOptions
	db   dbOption
	kek  string
}

// registerIdentityDB adds --data, --identity-db and the key-encryption key
// (which the personal data's keys derive from) to a command's settings.
func registerIdentityDB(s *config.Set) *identityDB {
	f := &identityDB{db: dbOption{service: "identity"}}
	f.data.registerData(s)
	f.db.register(s, "identity-db")
	s.String(&f.kek, "identity.key_encryption_key", "", "CAMPUS_KEY_ENCRYPTION_KEY", "",
		"Key that encrypts the signing keys and the personal data's keys (default: the one in the data dir)", config.Secret(), config.EnvOnly())
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
	logger := newLogger(e.stderr, "text", "warn")
	d, err := openDB(ctx, logger, "identity", f.db.resolve(abs), identitystore.Migrations)
	if err != nil {
		return nil, nil, err
	}
	secret, err := f.secret(ctx, abs, d, logger)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	if secret == nil {
		// Without the key this command reads and writes no personal data;
		// one that needs it says so.
		return identitystore.New(d, time.Now, datakeys.Locked(errNoKEK)), func() { d.Close() }, nil
	}
	st, err = identityservice.OpenStore(ctx, d, secret, logger)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return st, func() { d.Close() }, nil
}

var errNoKEK = errors.New("this needs identity's key-encryption key, which encrypts personal data: set CAMPUS_KEY_ENCRYPTION_KEY as for serve, or give the --data directory that holds " + identityservice.SecretFile)

// secret is the key-encryption key: the configured one, or the data
// directory's. A database without personal data yet gets one made in the
// data directory, as serve would make it; otherwise, without a key, nil.
func (f *identityDB) secret(ctx context.Context, dir string, d *db.DB, logger *slog.Logger) ([]byte, error) {
	if _, err := os.Stat(filepath.Join(dir, identityservice.SecretFile)); f.kek != "" || err == nil {
		return identityservice.Secret(dir, f.kek, logger)
	}
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM data_keys`).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return identityservice.Secret(dir, "", logger)
	}
	return nil, nil
}
