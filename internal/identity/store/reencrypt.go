package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
)

// DataKeyVersion is one version of the data key and how far the
// re-encryption with it has come.
type DataKeyVersion struct {
	Version   int
	CreatedAt time.Time
	AfterID   string     // accounts up to this id are sealed with it
	DoneAt    *time.Time // every row is sealed with it
}

// DataKeyVersions lists the versions, oldest first.
func (s *Store) DataKeyVersions(ctx context.Context) ([]DataKeyVersion, error) {
	if err := s.LoadDataKeys(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, created_at, after_id, done_at FROM data_keys ORDER BY version`)
	return db.Collect(rows, err, func(r db.Scanner) (DataKeyVersion, error) {
		var v DataKeyVersion
		var done sql.NullTime
		err := r.Scan(&v.Version, &v.CreatedAt, &v.AfterID, &done)
		v.DoneAt = timePtr(done)
		return v, err
	})
}

// AddDataKey makes a new data key version, which seals everything written
// from now on (other processes take it at their next write); Reencrypt
// then seals the existing rows with it. When the newest version's
// re-encryption is unfinished, no version is added: that one is returned,
// so that an interrupted rotation is resumed rather than stacked.
func (s *Store) AddDataKey(ctx context.Context) (version int, added bool, err error) {
	if err := s.LoadDataKeys(ctx); err != nil {
		return 0, false, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var done sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT version, done_at FROM data_keys ORDER BY version DESC LIMIT 1`).Scan(&version, &done); err != nil {
			return err
		}
		if !done.Valid {
			return nil
		}
		version++
		added = true
		_, err := tx.ExecContext(ctx, `INSERT INTO data_keys (version, salt, key_check, created_at) VALUES ($1, $2, $3, $4)`,
			version, datakeys.NewSalt(), s.ring.Check(), s.now().UTC())
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("add a data key version: %w", err)
	}
	return version, added, s.reloadKeys(ctx, s.db)
}

// DataKeyPending reports whether the newest version's re-encryption is
// unfinished, and whether rows from before encryption (plain values,
// plain keys) may be left: those must be converted before identity serves,
// since sign-in looks accounts up by blind index.
func (s *Store) DataKeyPending(ctx context.Context) (version int, pending, plain bool, err error) {
	if err := s.LoadDataKeys(ctx); err != nil {
		return 0, false, false, err
	}
	var done sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT version, done_at FROM data_keys ORDER BY version DESC LIMIT 1`).Scan(&version, &done); err != nil {
		return 0, false, false, err
	}
	if done.Valid {
		return version, false, false, nil
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM accounts WHERE username_key NOT LIKE 'bi:%' LIMIT 1) p`).Scan(&n)
	return version, true, n > 0, err
}

// ReencryptBatch is how many accounts one transaction of Reencrypt seals:
// small enough that sign-ins and edits wait milliseconds, not seconds.
const ReencryptBatch = 200

// Reencrypt seals every row with the newest data key version: accounts in
// batches of ReencryptBatch, each in a transaction of its own, continuing
// after the last batch a stopped run finished (data_keys.after_id); then
// pending addresses and the mail outbox. Rows from before encryption get
// their blind indexes and search hashes too. A final pass finds rows that
// another process wrote with an older version meanwhile. progress hears
// the accounts done and their total.
func (s *Store) Reencrypt(ctx context.Context, progress func(done, total int)) (changed int, err error) {
	if err := s.LoadDataKeys(ctx); err != nil {
		return 0, err
	}
	var version int
	var after string
	var done sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT version, after_id, done_at FROM data_keys ORDER BY version DESC LIMIT 1`).Scan(&version, &after, &done); err != nil {
		return 0, err
	}
	if done.Valid {
		return 0, nil
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&total); err != nil {
		return 0, err
	}
	current := datakeys.Prefix + strconv.Itoa(version) + ":%"
	for pass := 0; ; pass++ {
		var doneRows int
		if after != "" {
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE id <= $1`, after).Scan(&doneRows); err != nil {
				return changed, err
			}
		}
		for {
			if progress != nil {
				progress(doneRows, total)
			}
			n, last, more, err := s.reencryptBatch(ctx, version, after, s.batchSize())
			if err != nil {
				return changed, fmt.Errorf("re-encrypt accounts after %q: %w", after, err)
			}
			changed += n
			if !more {
				break
			}
			after = last
			doneRows += s.batchSize()
		}
		if progress != nil {
			progress(total, total)
		}
		n, err := s.reencryptSmallTables(ctx, current)
		if err != nil {
			return changed, err
		}
		changed += n
		// Written meanwhile by a process that did not know the version yet?
		var left int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE username NOT LIKE $1
			OR (email <> '' AND email NOT LIKE $1) OR (display_name <> '' AND display_name NOT LIKE $1)
			OR (given_name <> '' AND given_name NOT LIKE $1) OR (family_name <> '' AND family_name NOT LIKE $1)
			OR (directory_dn IS NOT NULL AND directory_dn NOT LIKE $1) OR (event_label <> '' AND event_label NOT LIKE $1)`, current).Scan(&left); err != nil {
			return changed, err
		}
		if left == 0 || pass >= 3 {
			if left > 0 {
				return changed, fmt.Errorf("%d accounts are still written with an older data key; run the re-encryption again", left)
			}
			break
		}
		after = ""
	}
	if changed > 0 {
		if err := s.scrub(ctx); err != nil {
			return changed, fmt.Errorf("remove the replaced values from the database files: %w", err)
		}
	}
	_, err = s.db.ExecContext(ctx, `UPDATE data_keys SET done_at = $2 WHERE version = $1`, version, s.now().UTC())
	return changed, err
}

// scrub removes what the updates left behind in the database files: the
// rows they replaced are still bytes there until rewritten. SQLite's VACUUM
// rewrites the file, and a truncating checkpoint empties the WAL;
// PostgreSQL's VACUUM FULL rewrites the tables (its WAL segments keep old
// values until they are recycled: docs/operations.md says so).
func (s *Store) scrub(ctx context.Context) error {
	if s.db.Dialect() == db.Postgres {
		_, err := s.db.ExecContext(ctx, `VACUUM FULL accounts, account_search, account_tokens, mail_outbox`)
		return err
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// reencryptBatch seals the accounts after the id after, up to
// ReencryptBatch of them, and records the progress in the same
// transaction.
func (s *Store) batchSize() int {
	if s.batch > 0 {
		return s.batch
	}
	return ReencryptBatch
}

func (s *Store) reencryptBatch(ctx context.Context, version int, after string, size int) (changed int, last string, more bool, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		q := `SELECT id, username, email, display_name, given_name, family_name, directory_dn, username_key, event_label
			FROM accounts WHERE id > $1 ORDER BY id LIMIT $2`
		if s.db.Dialect() == db.Postgres {
			q += ` FOR UPDATE` // two replicas starting together convert each row once
		}
		type row struct {
			a     identity.Account
			key   string // username_key: a plain one marks a row from before encryption
			label string // an event account's label
		}
		rows, err := tx.QueryContext(ctx, q, after, size)
		batch, err := db.Collect(rows, err, func(r db.Scanner) (row, error) {
			var x row
			var dn sql.NullString
			err := r.Scan(&x.a.ID, &x.a.Username, &x.a.Email, &x.a.DisplayName, &x.a.GivenName, &x.a.FamilyName, &dn, &x.key, &x.label)
			x.a.DirectoryDN = dn.String
			return x, err
		})
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		last, more = batch[len(batch)-1].a.ID, len(batch) == size
		var reindex []identity.Account
		for _, x := range batch {
			stored := []string{x.a.Username, x.a.Email, x.a.DisplayName, x.a.GivenName, x.a.FamilyName, x.a.DirectoryDN, x.label}
			legacy := !strings.HasPrefix(x.key, datakeys.IndexPrefix)
			stale := legacy
			for _, v := range stored {
				stale = stale || (v != "" && datakeys.Version(v) != version)
			}
			if !stale {
				continue
			}
			if err := s.openAccount(ctx, &x.a); err != nil {
				return err
			}
			p, err := s.sealAccount(x.a)
			if err != nil {
				return err
			}
			label, err := s.open(ctx, x.label, "accounts", x.a.ID, "event_label")
			if err != nil {
				return err
			}
			if label, err = s.ring.Seal(label, "accounts", x.a.ID, "event_label"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET username = $2, username_key = $3, email = $4, email_key = $5,
				display_name = $6, given_name = $7, family_name = $8, directory_dn = $9, directory_dn_key = $10,
				event_label = $11 WHERE id = $1`,
				x.a.ID, p.Username, p.UsernameKey, p.Email, p.EmailKey, p.DisplayName, p.GivenName, p.FamilyName,
				nullString(p.DN), nullString(p.DNKey), label); err != nil {
				return err
			}
			if legacy {
				reindex = append(reindex, x.a)
			}
			changed++
		}
		// The plain search words go; keyed hashes replace them, for the
		// whole batch in a few statements.
		if err := s.reindexTx(ctx, tx, reindex); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE data_keys SET after_id = $2 WHERE version = $1`, version, last)
		return err
	})
	return changed, last, more, err
}

// reindexTx replaces the search words of accounts: one delete and a few
// inserts of up to 1,000 rows for all of them.
func (s *Store) reindexTx(ctx context.Context, tx *sql.Tx, accounts []identity.Account) error {
	if len(accounts) == 0 {
		return nil
	}
	var b db.Args
	marks := make([]string, len(accounts))
	for i, a := range accounts {
		marks[i] = b.Add(a.ID)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_search WHERE account_id IN (`+strings.Join(marks, ", ")+`)`, b.Values()...); err != nil {
		return err
	}
	type word struct {
		id   string
		hash []byte
	}
	var words []word
	for _, a := range accounts {
		for _, h := range s.ring.Prefixes(searchWords(a)) {
			words = append(words, word{a.ID, h})
		}
	}
	for len(words) > 0 {
		n := min(len(words), 1000)
		var b db.Args
		values := make([]string, n)
		for i, w := range words[:n] {
			values[i] = "(" + b.Add(w.id) + ", " + b.Add(w.hash) + ")"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_search (account_id, word) VALUES `+strings.Join(values, ", "), b.Values()...); err != nil {
			return err
		}
		words = words[n:]
	}
	return nil
}

// reencryptSmallTables seals the pending addresses, the mail outbox,
// the background jobs' reports, the authenticator apps' secrets and the
// ceremonies in progress with the newest version: both hold rows for days, not years, so they are
// read whole, a batch at a time, by what is not sealed with it yet.
func (s *Store) reencryptSmallTables(ctx context.Context, current string) (int, error) {
	changed := 0
	for _, t := range []struct {
		table, key string
		cols       []string
	}{
		{"account_tokens", "token_hash", []string{"email"}},
		{"mail_outbox", "id", []string{"recipient", "message"}},
		{"job_status", "name", []string{"last_error", "last_report"}},
		{"mfa_factors", "id", []string{"secret"}},
		{"mfa_ceremonies", "id_hash", []string{"data"}},
	} {
		var conds, cols []string
		for _, c := range t.cols {
			conds = append(conds, `(COALESCE(`+c+`, '') <> '' AND `+c+` NOT LIKE $1)`)
			cols = append(cols, `COALESCE(`+c+`, '')`)
		}
		for {
			n := 0
			err := s.db.Tx(ctx, func(tx *sql.Tx) error {
				rows, err := tx.QueryContext(ctx, `SELECT `+t.key+`, `+strings.Join(cols, ", ")+` FROM `+t.table+
					` WHERE `+strings.Join(conds, " OR ")+` ORDER BY `+t.key+` LIMIT 500`, current)
				got, err := db.Collect(rows, err, func(r db.Scanner) ([]string, error) {
					vals := make([]string, len(t.cols)+1)
					ptrs := make([]any, len(vals))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					return vals, r.Scan(ptrs...)
				})
				if err != nil {
					return err
				}
				for _, vals := range got {
					id := vals[0]
					var sets []string
					var b db.Args
					for i, c := range t.cols {
						if vals[i+1] == "" {
							continue // nothing to seal; NULL stays NULL
						}
						plain, err := s.open(ctx, vals[i+1], t.table, id, c)
						if err != nil {
							return err
						}
						sealed, err := s.ring.Seal(plain, t.table, id, c)
						if err != nil {
							return err
						}
						sets = append(sets, c+` = `+b.Add(sealed))
					}
					if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET `+strings.Join(sets, ", ")+` WHERE `+t.key+` = `+b.Add(id), b.Values()...); err != nil {
						return err
					}
				}
				n = len(got)
				return nil
			})
			if err != nil {
				return changed, fmt.Errorf("re-encrypt %s: %w", t.table, err)
			}
			changed += n
			if n < 500 {
				break
			}
		}
	}
	return changed, nil
}
