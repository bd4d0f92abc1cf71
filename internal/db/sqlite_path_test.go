package db_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"campus/internal/db"
)

// TestSQLitePathWithURICharacters: a path with # or ? (as t.TempDir gives
// a fuzz seed, "seed#0") opens that file, not one cut at the # beside
// it. Found by FuzzSignInAndRegisterForms, whose seeds shared one
// database outside their temporary directories.
func TestSQLitePathWithURICharacters(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "seed#0?x=1%41")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(context.Background(), "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if st, err := os.Stat(filepath.Join(dir, "test.db")); err != nil || st.Size() == 0 {
		t.Fatalf("the database is not in %s: %v", dir, err)
	}
	if _, err := os.Stat(filepath.Dir(dir) + "/seed"); err == nil {
		t.Fatal("a database was created at the path cut at #")
	}
}
