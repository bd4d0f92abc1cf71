package main

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/identity/datakeys"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// identityStore opens identity's store over d with the key-encryption key
// of the data directory dir (or CAMPUS_KEY_ENCRYPTION_KEY), as the server
// there does: the personal data it writes is sealed with the server's keys.
func identityStore(t testing.TB, d *db.DB, dir string) *identitystore.Store {
	t.Helper()
	kek, err := identityservice.Secret(dir, os.Getenv("CAMPUS_KEY_ENCRYPTION_KEY"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := datakeys.New(kek)
	if err != nil {
		t.Fatal(err)
	}
	return identitystore.New(d, time.Now, ring)
}
