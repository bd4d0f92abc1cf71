package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// DirectoryOptions say how ApplyDirectory treats the group's members.
type DirectoryOptions struct {
	// DisableMissing disables linked accounts whose owner left the group.
	DisableMissing bool
	// Role is given to new accounts.
	Role string
	// Welcome, when set, gives a new account a local password: it returns
	// the password's hash and the mail that tells it. When nil, new
	// accounts sign in by an LDAP bind with their directory password.
	Welcome func(a identity.Account) (passwordHash string, m identity.Mail, err error)
	// Progress, when set, hears how many members were applied so far:
	// 0 at the start, every 500, and all of them at the end.
	Progress func(done, total int)
}

type linked struct {
	identity.Account
	byDirectory bool // disabled by an earlier sync
	seen        bool
}

// ApplyDirectory makes the accounts linked to the directory match its
// group, in one transaction: all of it happens, or, when anything fails,
// none. Members are matched by their entry's DN; a member whose username
// or address a local account has is skipped (reported), never merged into
// that account.
func (s *Store) ApplyDirectory(ctx context.Context, entries []identity.DirectoryEntry, o DirectoryOptions) (identity.DirectoryReport, error) {
	var rep identity.DirectoryReport
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		rep = identity.DirectoryReport{Members: len(entries), Skipped: []string{}}
		accounts, err := s.linkedAccountsTx(ctx, tx)
		if err != nil {
			return err
		}
		done := map[string]bool{}
		for i, e := range entries {
			if o.Progress != nil && i%500 == 0 {
				o.Progress(i, len(entries)) // i applied so far
			}
			key := strings.ToLower(e.DN)
			if done[key] {
				continue
			}
			done[key] = true
			if e.Email == "" {
				rep.Skipped = append(rep.Skipped, e.Username+": no e-mail address in the directory")
				continue
			}
			if acc, ok := accounts[key]; ok {
				acc.seen = true
				if err := s.updateLinkedTx(ctx, tx, acc, e, now, &rep); err != nil {
					return err
				}
				continue
			}
			if err := s.createLinkedTx(ctx, tx, e, o, now, &rep); err != nil {
				return err
			}
		}
		if o.Progress != nil {
			o.Progress(len(entries), len(entries))
		}
		for _, acc := range accounts {
			if acc.seen || !o.DisableMissing || acc.Status != identity.StatusActive {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET status = 'disabled', directory_disabled = TRUE,
				updated_at = $2, version = version + 1 WHERE id = $1`, acc.ID, now); err != nil {
				return err
			}
			// Whoever left keeps no way back in: their refresh tokens die
			// with the account; the caller ends their sessions.
			if err := revokeSubjectTx(ctx, tx, acc.ID, now); err != nil {
				return err
			}
			rep.Disabled++
			rep.DisabledIDs = append(rep.DisabledIDs, acc.ID)
		}
		return nil
	})
	return rep, err
}

func (s *Store) linkedAccountsTx(ctx context.Context, tx *sql.Tx) (map[string]*linked, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, directory_dn, username, email, display_name, given_name, family_name, status, directory_disabled
		FROM accounts WHERE directory_dn IS NOT NULL`)
	out := map[string]*linked{}
	err = db.Each(rows, err, func(r db.Scanner) error {
		var l linked
		if err := r.Scan(&l.ID, &l.DirectoryDN, &l.Username, &l.Email, &l.DisplayName, &l.GivenName, &l.FamilyName,
			&l.Status, &l.byDirectory); err != nil {
			return err
		}
		if err := s.openAccount(ctx, &l.Account); err != nil {
			return err
		}
		out[strings.ToLower(l.DirectoryDN)] = &l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func fullName(given, family string) string { return strings.TrimSpace(given + " " + family) }

func (s *Store) updateLinkedTx(ctx context.Context, tx *sql.Tx, acc *linked, e identity.DirectoryEntry, now time.Time, rep *identity.DirectoryReport) error {
	after := acc.Account
	after.Username, after.Email, after.GivenName, after.FamilyName = e.Username, e.Email, e.GivenName, e.FamilyName
	// A display name the person chose stays; one derived from the
	// directory follows it.
	if acc.DisplayName == "" || acc.DisplayName == fullName(acc.GivenName, acc.FamilyName) {
		after.DisplayName = fullName(e.GivenName, e.FamilyName)
	}
	enable := acc.Status == identity.StatusDisabled && acc.byDirectory
	if enable {
		after.Status = identity.StatusActive
	}
	if after.Username == acc.Username && after.Email == acc.Email && after.GivenName == acc.GivenName &&
		after.FamilyName == acc.FamilyName && after.DisplayName == acc.DisplayName && !enable {
		rep.Unchanged++
		return nil
	}
	if Key(after.Username) != Key(acc.Username) || Key(after.Email) != Key(acc.Email) {
		var taken *TakenError
		if err := s.takenTx(ctx, tx, after.Username, after.Email, acc.ID); errors.As(err, &taken) {
			rep.Skipped = append(rep.Skipped, e.Username+": not updated, the "+taken.Error()+" by another account")
			return nil
		} else if err != nil {
			return err
		}
	}
	if err := s.keysLoaded(ctx, tx); err != nil {
		return err
	}
	p, err := s.sealAccount(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET username = $2, username_key = $3, email = $4, email_key = $5,
		display_name = $6, given_name = $7, family_name = $8, status = $9, directory_disabled = FALSE, email_verified = TRUE,
		updated_at = $10, directory_dn = $11, directory_dn_key = $12, version = version + 1 WHERE id = $1`,
		acc.ID, p.Username, p.UsernameKey, p.Email, p.EmailKey, p.DisplayName, p.GivenName,
		p.FamilyName, after.Status, now, nullString(p.DN), nullString(p.DNKey))
	if err != nil {
		return err
	}
	roles, err := rolesOf(ctx, tx, []string{acc.ID})
	if err != nil {
		return err
	}
	after.Roles = roles[acc.ID]
	if err := s.indexAccountTx(ctx, tx, after); err != nil {
		return err
	}
	if enable {
		rep.Enabled++
	} else {
		rep.Updated++
	}
	return nil
}

func (s *Store) createLinkedTx(ctx context.Context, tx *sql.Tx, e identity.DirectoryEntry, o DirectoryOptions, now time.Time, rep *identity.DirectoryReport) error {
	var taken *TakenError
	if err := s.takenTx(ctx, tx, e.Username, e.Email, ""); errors.As(err, &taken) {
		rep.Skipped = append(rep.Skipped, e.Username+": no account made, the "+taken.Error()+" by a local account")
		return nil
	} else if err != nil {
		return err
	}
	a := identity.Account{ID: newID(), Username: e.Username, Email: e.Email, GivenName: e.GivenName, FamilyName: e.FamilyName,
		DisplayName: fullName(e.GivenName, e.FamilyName), Status: identity.StatusActive, EmailVerified: true,
		DirectoryDN: e.DN, CreatedAt: now, UpdatedAt: now}
	if o.Role != "" {
		a.Roles = []string{o.Role}
	}
	var hash string
	var welcome *identity.Mail
	if o.Welcome != nil {
		h, m, err := o.Welcome(a)
		if err != nil {
			return err
		}
		hash, welcome = h, &m
	}
	if err := s.insertAccountTx(ctx, tx, a, hash); err != nil {
		return err
	}
	if welcome != nil {
		welcome.AccountID = a.ID
		if err := s.enqueueMailTx(ctx, tx, now, *welcome); err != nil {
			return err
		}
	}
	rep.Created++
	return nil
}

// AcquireLease takes or renews the lease of a job for ttl, unless another
// holder's lease has not expired: of several replicas, one runs the job.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.now().UTC()
	res, err := s.db.ExecContext(ctx, `UPDATE job_leases SET holder = $2, expires_at = $3
		WHERE name = $1 AND (holder = $2 OR expires_at <= $4)`, name, holder, now.Add(ttl), now)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3)`, name, holder, now.Add(ttl))
	if db.IsUniqueViolation(err) {
		return false, nil // held by another
	}
	return err == nil, err
}

// ReleaseLease gives a lease up before it expires.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM job_leases WHERE name = $1 AND holder = $2`, name, holder)
	return err
}

// LeaseHolder tells who holds a job's lease and until when ("" when nobody).
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var who string
	var until time.Time
	err := s.db.QueryRowContext(ctx, `SELECT holder, expires_at FROM job_leases WHERE name = $1 AND expires_at > $2`, name, s.now().UTC()).Scan(&who, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return who, until, err
}
