package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
)

// legacyPeople are written as campus wrote them before personal data was
// encrypted: plain values, plain keys, plain search words.
const legacyPeople = 23

func legacyName(i int) string { return fmt.Sprintf("legacy-user-%02d", i) }

// plainSecrets are what must not be found in the database's bytes.
var plainSecrets = []string{"legacy-user", "uni.example", "Schmidt-Weber", "Legacyperson", "Examinee", "ou=people", "pending-address"}

func writeLegacy(t *testing.T, d *db.DB) (ids []string) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range legacyPeople {
		a := identity.Account{ID: fmt.Sprintf("0190f3a4-0000-7000-8000-%012d", i), Username: legacyName(i),
			Email: legacyName(i) + "@uni.example", DisplayName: "Legacyperson Schmidt-Weber", GivenName: "Legacyperson", FamilyName: "Schmidt-Weber"}
		var dn any
		if i == 0 {
			a.DirectoryDN = "uid=" + legacyName(i) + ",ou=people,dc=uni"
			dn = a.DirectoryDN
		}
		label := ""
		if i == 5 {
			label = "Examinee Legacyperson" // an event account's label may name a person
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO accounts (id, username, username_key, email, email_key, display_name,
			given_name, family_name, status, email_verified, password_hash, created_at, updated_at, directory_dn, event_label)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', TRUE, 'hash', $9, $9, $10, $11)`,
			a.ID, a.Username, Key(a.Username), a.Email, Key(a.Email), a.DisplayName, a.GivenName, a.FamilyName, now, dn, label); err != nil {
			t.Fatal(err)
		}
		for _, w := range searchWords(a) {
			if _, err := d.ExecContext(ctx, `INSERT INTO account_search (account_id, word) VALUES ($1, $2)`, a.ID, []byte(w)); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, a.ID)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO account_tokens (token_hash, account_id, purpose, email, created_at, expires_at)
		VALUES ('tok-1', $1, 'confirm_email', 'pending-address@elsewhere.test', $2, $3)`, ids[1], now, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO mail_outbox (id, kind, recipient, account_id, message, created_at, next_attempt_at)
		VALUES ('mail-1', 'welcome', $1, $2, $3, $4, $4)`, legacyName(2)+"@uni.example", ids[2],
		`{"To":"`+legacyName(2)+`@uni.example","Subject":"Welcome, Legacyperson"}`, now); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestEncryptionAtRest converts an installation from before encryption
// (interrupted once and resumed), checks that sign-in, search, pending
// addresses, the outbox and the directory link still work, that the
// database's bytes hold no plain personal data, then rotates the data key
// while old values keep decrypting, and refuses another key-encryption key.
func TestEncryptionAtRest(t *testing.T) {
	t.Parallel()
	for _, engine := range []struct {
		name string
		open func(t *testing.T) (*db.DB, func() []byte)
	}{
		{"sqlite", func(t *testing.T) (*db.DB, func() []byte) {
			dir := t.TempDir()
			path := filepath.Join(dir, "identity.db")
			d, err := db.Open(context.Background(), "sqlite:"+path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			if _, err := d.Migrate(context.Background(), Migrations); err != nil {
				t.Fatal(err)
			}
			return d, func() []byte {
				// The database file and its WAL, after a checkpoint.
				if _, _, err := d.Checkpoint(context.Background()); err != nil {
					t.Fatal(err)
				}
				var all []byte
				for _, f := range []string{path, path + "-wal"} {
					b, err := os.ReadFile(f)
					if err != nil && !errors.Is(err, os.ErrNotExist) {
						t.Fatal(err)
					}
					all = append(all, b...)
				}
				return all
			}
		}},
		{"postgres", func(t *testing.T) (*db.DB, func() []byte) {
			d := dbtest.Postgres(t, Migrations)
			return d, func() []byte { return postgresTableBytes(t, d) }
		}},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, dump := engine.open(t)
			ids := writeLegacy(t, d)
			if !bytes.Contains(dump(), []byte("legacy-user-07")) {
				t.Fatal("the test cannot see plain values in the database's bytes: its check would prove nothing")
			}

			// The conversion, interrupted after its second batch.
			s := New(d, time.Now, datakeys.Test())
			s.batch = 5
			v, pending, plain, err := s.DataKeyPending(ctx)
			if err != nil || v != 1 || !pending || !plain {
				t.Fatalf("pending = %d %v %v, %v", v, pending, plain, err)
			}
			stop, cancel := context.WithCancel(ctx)
			batches := 0
			if _, err := s.Reencrypt(stop, func(done, total int) {
				if batches++; batches == 3 {
					cancel()
				}
			}); err == nil {
				t.Fatal("the interrupted conversion reported success")
			}
			var after string
			if err := d.QueryRowContext(ctx, `SELECT after_id FROM data_keys WHERE version = 1`).Scan(&after); err != nil || after != ids[9] {
				t.Fatalf("progress after two batches = %q, %v; want %s", after, err, ids[9])
			}
			// Resumed by another process: only the rest is converted.
			s = New(d, time.Now, datakeys.Test())
			s.batch = 5
			n, err := s.Reencrypt(ctx, nil)
			if err != nil || n != legacyPeople-10+2 { // the accounts left, the pending address and the mail
				t.Fatalf("resumed conversion changed %d rows, %v", n, err)
			}
			if _, pending, _, _ := s.DataKeyPending(ctx); pending {
				t.Fatal("still pending after the conversion")
			}

			// Everything reads as before.
			a, _, err := s.AccountByLogin(ctx, strings.ToUpper(legacyName(4)))
			if err != nil || a.Username != legacyName(4) || a.FamilyName != "Schmidt-Weber" {
				t.Fatalf("sign-in look-up by username: %+v, %v", a, err)
			}
			if a, _, err = s.AccountByLogin(ctx, legacyName(12)+"@UNI.example"); err != nil || a.ID != ids[12] {
				t.Fatalf("sign-in look-up by address: %+v, %v", a, err)
			}
			if a, err = s.Account(ctx, ids[0]); err != nil || a.DirectoryDN != "uid="+legacyName(0)+",ou=people,dc=uni" {
				t.Fatalf("directory DN: %q, %v", a.DirectoryDN, err)
			}
			page, err := s.ListAccounts(ctx, AccountQuery{Search: "legacy-user-1", Limit: 200})
			if err != nil || len(page.Accounts) != 10 { // legacy-user-10 ... -19: longer than the hashed prefixes, checked whole
				t.Fatalf("search found %d, %v", len(page.Accounts), err)
			}
			if page, _ = s.ListAccounts(ctx, AccountQuery{Search: "schmidt wEBer", Limit: 200}); len(page.Accounts) != legacyPeople {
				t.Fatalf("search by name found %d", len(page.Accounts))
			}
			if p, err := s.PendingEmail(ctx, ids[1]); err != nil || p != "pending-address@elsewhere.test" {
				t.Fatalf("pending address %q, %v", p, err)
			}
			mails, err := s.MailQueue(ctx, "", 10)
			if err != nil || len(mails) != 1 || mails[0].To != legacyName(2)+"@uni.example" {
				t.Fatalf("outbox: %+v, %v", mails, err)
			}
			if _, err := s.CreateAccount(ctx, identity.Account{Username: "LEGACY-USER-03", Email: "new@elsewhere.test"}, "h"); !errors.Is(err, identity.ErrConflict) {
				t.Fatalf("a username taken before the conversion is free after it: %v", err)
			}

			// No plain value is left in the bytes of the database.
			raw := dump()
			for _, secret := range plainSecrets {
				if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(secret))) {
					t.Errorf("the database's bytes still hold %q", secret)
				}
			}

			// Rotation: a new version seals new writes at once, old values
			// keep decrypting until the re-encryption has sealed them anew.
			v2, added, err := s.AddDataKey(ctx)
			if err != nil || !added || v2 != 2 {
				t.Fatalf("add data key = %d %v %v", v2, added, err)
			}
			other := New(d, time.Now, datakeys.Test()) // another replica, loaded before
			if _, err := other.AccountRecord(ctx, ids[3]); err != nil {
				t.Fatal(err)
			}
			fresh, err := other.CreateAccount(ctx, identity.Account{Username: "written-during-rotation", Email: "rot@elsewhere.test"}, "h")
			if err != nil {
				t.Fatal(err)
			}
			var stored string
			d.QueryRowContext(ctx, `SELECT username FROM accounts WHERE id = $1`, fresh.ID).Scan(&stored)
			if datakeys.Version(stored) != 2 {
				t.Fatalf("a write after the rotation began used version %d", datakeys.Version(stored))
			}
			if a, err := other.Account(ctx, ids[5]); err != nil || a.Username != legacyName(5) {
				t.Fatalf("an old value during the rotation: %+v, %v", a, err)
			}
			if again, added, _ := s.AddDataKey(ctx); added || again != 2 {
				t.Fatal("a second rotation was stacked on an unfinished one")
			}
			if n, err := s.Reencrypt(ctx, nil); err != nil || n != legacyPeople+2 {
				t.Fatalf("rotation re-encrypted %d rows, %v", n, err)
			}
			var left int
			d.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE username NOT LIKE 'enc:v2:%'`).Scan(&left)
			if left != 0 {
				t.Fatalf("%d accounts not on version 2", left)
			}
			if vs, err := s.DataKeyVersions(ctx); err != nil || len(vs) != 2 || vs[1].DoneAt == nil {
				t.Fatalf("versions %+v, %v", vs, err)
			}
			if a, _, err := other.AccountByLogin(ctx, legacyName(8)); err != nil || a.GivenName != "Legacyperson" {
				t.Fatalf("after the rotation: %+v, %v", a, err)
			}

			// Another key-encryption key refuses to start.
			if err := New(d, time.Now, datakeys.Random()).LoadDataKeys(ctx); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("another key-encryption key: %v", err)
			}
		})
	}
}

// postgresTableBytes is what PostgreSQL stores of identity's tables: the
// heap files of the test's schema (after a checkpoint), when this process
// may read the server's data directory; else every row as text.
func postgresTableBytes(t *testing.T, d *db.DB) []byte {
	ctx := context.Background()
	var all []byte
	var dataDir string
	if _, err := d.ExecContext(ctx, `CHECKPOINT`); err == nil {
		d.QueryRowContext(ctx, `SELECT current_setting('data_directory')`).Scan(&dataDir)
	}
	rows, err := d.QueryContext(ctx, `SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 't', 'i')`)
	type rel struct{ name, path string }
	rels, err := db.Collect(rows, err, func(r db.Scanner) (rel, error) {
		var x rel
		return x, r.Scan(&x.name, &x.path)
	})
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, r := range rels {
		if dataDir != "" {
			if b, err := os.ReadFile(filepath.Join(dataDir, r.path)); err == nil {
				all = append(all, b...)
				files++
				continue
			}
		}
	}
	if files == 0 {
		t.Log("PostgreSQL's data directory is not readable here: checking the tables' rows as text instead")
	}
	rows, err = d.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	tables, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		rows, err := d.QueryContext(ctx, `SELECT row_to_json(t)::text FROM `+tbl+` t`)
		texts, err := db.Collect(rows, err, db.Value[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			all = append(all, s...)
		}
	}
	return all
}

// BenchmarkConvertAndRotate measures, at 100,000 accounts, the conversion
// of an installation from before encryption (what its first start after
// the upgrade does before serving) and a data key rotation.
//
//	CAMPUS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/identity/store -run '^$' -bench BenchmarkConvertAndRotate -benchtime 1x
func BenchmarkConvertAndRotate(b *testing.B) {
	for _, engine := range benchEngines {
		b.Run(engine.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				d := engine.open(b)
				s := New(d, time.Now, datakeys.Test())
				seedAccounts(b, s, 100_000, true)
				ctx := context.Background()
				b.StartTimer()
				start := time.Now()
				n, err := s.Reencrypt(ctx, nil)
				if err != nil || n != 100_000 {
					b.Fatal(n, err)
				}
				convert := time.Since(start)
				if _, _, err := s.AddDataKey(ctx); err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				if n, err := s.Reencrypt(ctx, nil); err != nil || n != 100_000 {
					b.Fatal(n, err)
				}
				b.ReportMetric(convert.Seconds(), "convert-s")
				b.ReportMetric(time.Since(start).Seconds(), "rotate-s")
			}
		})
	}
}

// TestConversionByReplicasAtOnce: two replicas starting together on an
// installation from before encryption both run the conversion, neither
// fails (no conflict on the search index), and every row ends sealed with
// its search hashes. (PostgreSQL's row locks make the second skip what the
// first did; without them both would convert, still correctly.)
func TestConversionByReplicasAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ids := writeLegacy(t, d)
		errs := make(chan error, 2)
		for range 2 {
			s := New(d, time.Now, datakeys.Test())
			s.batch = 4
			go func() {
				_, err := s.Reencrypt(ctx, nil)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("a replica's conversion: %v", err)
			}
		}
		var plain int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE username NOT LIKE 'enc:v1:%' OR username_key NOT LIKE 'bi:%'`).Scan(&plain); err != nil || plain != 0 {
			t.Fatalf("%d accounts not converted, %v", plain, err)
		}
		s := New(d, time.Now, datakeys.Test())
		page, err := s.ListAccounts(ctx, AccountQuery{Search: "schmidt", Limit: 200})
		if err != nil || len(page.Accounts) != len(ids) {
			t.Fatalf("search after the conversion found %d, %v", len(page.Accounts), err)
		}
	})
}
