package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
)

// Event is an occasion (an exam, an open day, an election) whose accounts
// are generated in a batch: random usernames with numeric PINs, signing in
// only inside the event's window and only to its applications.
type Event struct {
	ID          string
	Name        string
	Description string
	// Window is when the accounts may sign in: the login window of the
	// event's own role (OwnRole), dates required.
	Window LoginWindow
	// Clients are the applications (client ids) the accounts may use;
	// empty: any. They are the allowed clients of OwnRole.
	Clients []string
	// OwnRole is the role made for the event, which carries Window and
	// Clients; every account of the event has it.
	OwnRole string
	// Role is a role the accounts get besides ("" for none): what they
	// may do where they sign in.
	Role        string
	Prefix      string // the readable start of every username ("" for none)
	PINLength   int    // digits of each PIN
	Afterwards  string // EventDelete or EventDisable: what ending does to the accounts
	Accounts    int    // the current batch's size
	GeneratedAt *time.Time
	EndedAt     *time.Time
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int
}

// What ending an event does to its accounts.
const (
	EventDelete  = "delete"
	EventDisable = "disable"
)

// ErrEventEnded is returned for a batch asked of an event that has ended.
var ErrEventEnded = fmt.Errorf("the event has ended: %w", identity.ErrConflict)

const eventColumns = `e.id, e.name, e.description, e.own_role, COALESCE(e.extra_role, ''), e.username_prefix, e.pin_length,
	e.afterwards, e.accounts, e.generated_at, e.ended_at, e.created_by, e.created_at, e.updated_at, e.version,
	r.allowed_clients, r.login_window`

func scanEvent(row interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var generated, ended sql.NullTime
	var clients string
	var window sql.NullString
	err := row.Scan(&e.ID, &e.Name, &e.Description, &e.OwnRole, &e.Role, &e.Prefix, &e.PINLength,
		&e.Afterwards, &e.Accounts, &generated, &ended, &e.CreatedBy, &e.CreatedAt, &e.UpdatedAt, &e.Version,
		&clients, &window)
	if errors.Is(err, sql.ErrNoRows) {
		return e, identity.ErrNotFound
	}
	if err != nil {
		return e, err
	}
	e.GeneratedAt, e.EndedAt = timePtr(generated), timePtr(ended)
	e.Clients = parseList(clients)
	if w := parseWindowJSON(window); w != nil {
		e.Window = *w
	}
	return e, nil
}

// CreateEvent records a new event and its own role (named event-…, with
// the event's window and applications). Role must exist when set.
func (s *Store) CreateEvent(ctx context.Context, e Event) (Event, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, err
	}
	now := s.now().UTC()
	e.ID, e.CreatedAt, e.UpdatedAt, e.Version = id.String(), now, now, 1
	e.OwnRole = "event-" + strings.ToLower(strings.ReplaceAll(id.String(), "-", "")[20:])
	e.Accounts, e.GeneratedAt, e.EndedAt = 0, nil, nil
	if e.Clients == nil {
		e.Clients = []string{}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if e.Role != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles WHERE name = $1`, e.Role).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("role %q: %w", e.Role, identity.ErrNotFound)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO roles (name, description, builtin, created_at, updated_at, allowed_clients, login_window, version)
			VALUES ($1, $2, FALSE, $3, $3, $4, $5, 1)`,
			e.OwnRole, "Accounts of the event "+e.Name, now, list(e.Clients), windowJSON(&e.Window)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO events (id, name, description, own_role, extra_role, username_prefix, pin_length,
			afterwards, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
			e.ID, e.Name, e.Description, e.OwnRole, nullString(e.Role), e.Prefix, e.PINLength, e.Afterwards, e.CreatedBy, now)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

// Event reads one event.
func (s *Store) Event(ctx context.Context, id string) (Event, error) {
	return scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events e JOIN roles r ON r.name = e.own_role
		WHERE e.id = $1`, id))
}

// ListEvents lists every event, the newest first.
func (s *Store) ListEvents(ctx context.Context) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events e JOIN roles r ON r.name = e.own_role
		ORDER BY e.created_at DESC, e.id DESC`)
	return db.Collect(rows, err, scanEvent)
}

// EventRole reports the event whose own role name is ("" when none): an
// event's role is changed through its event, never on its own.
func (s *Store) EventRole(ctx context.Context, name string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM events WHERE own_role = $1`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// EventAccounts lists the ids of the event's accounts.
func (s *Store) EventAccounts(ctx context.Context, eventID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM accounts WHERE event_id = $1 ORDER BY id`, eventID)
	return db.Collect(rows, err, scanText)
}

// NewEventAccount is one account of a batch about to be stored.
type NewEventAccount struct {
	Username     string
	PasswordHash string // the PIN's argon2id hash
	Label        string // what the account is for ("" for nothing)
}

// ReplaceEventAccounts stores a new batch of the event's accounts and
// deletes the previous batch, in one transaction: every token of a
// deleted account dies with it (the revocation feed names its subject),
// its sessions end with back-channel logout queued. It returns the
// accounts made, in the order given.
func (s *Store) ReplaceEventAccounts(ctx context.Context, eventID string, batch []NewEventAccount) ([]identity.Account, error) {
	now := s.now().UTC()
	out := make([]identity.Account, 0, len(batch))
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		e, err := s.lockEventTx(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if e.EndedAt != nil {
			return ErrEventEnded
		}
		if err := deleteEventAccountsTx(ctx, tx, eventID, now); err != nil {
			return err
		}
		if err := s.keysLoaded(ctx, tx); err != nil {
			return err
		}
		roles := []string{e.OwnRole}
		if e.Role != "" && e.Role != e.OwnRole {
			roles = append(roles, e.Role)
		}
		for _, n := range batch {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			a := identity.Account{ID: id.String(), Username: n.Username, DisplayName: n.Username, Status: identity.StatusActive,
				EmailVerified: true, Roles: roles, CreatedAt: now, UpdatedAt: now}
			// An event account has no e-mail address: its key is made
			// unique from the id, so it never matches an address typed.
			p, err := s.sealAccount(a)
			if err != nil {
				return err
			}
			// A label may name a person (one account per examinee): sealed.
			label, err := s.ring.Seal(n.Label, "accounts", a.ID, "event_label")
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO accounts (id, username, username_key, email, email_key, display_name,
				status, email_verified, password_hash, created_at, updated_at, event_id, event_label)
				VALUES ($1, $2, $3, '', $4, $5, $6, TRUE, $7, $8, $8, $9, $10)`,
				a.ID, p.Username, p.UsernameKey, p.EmailKey, p.DisplayName, a.Status, n.PasswordHash, now, eventID, label)
			if db.IsUniqueViolation(err) {
				return &TakenError{Username: true}
			}
			if err != nil {
				return err
			}
			for _, r := range roles {
				if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role) VALUES ($1, $2)`, a.ID, r); err != nil {
					return fmt.Errorf("give role %s: %w", r, err)
				}
			}
			if err := s.indexAccountTx(ctx, tx, a); err != nil {
				return err
			}
			out = append(out, a)
		}
		_, err = tx.ExecContext(ctx, `UPDATE events SET accounts = $2, generated_at = $3, updated_at = $3, version = version + 1
			WHERE id = $1`, eventID, len(batch), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockEventTx reads the event in tx, which holds it until the end: two
// batches, or a batch and the end, of one event follow each other. SQLite's
// write transactions hold its lock from BEGIN already; PostgreSQL locks the
// row, so that the second sees the accounts the first made (and deletes
// them), instead of a snapshot without them.
func (s *Store) lockEventTx(ctx context.Context, tx *sql.Tx, id string) (Event, error) {
	if s.db.Dialect() == db.Postgres {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM events WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return Event{}, identity.ErrNotFound
		}
		if err != nil {
			return Event{}, err
		}
	}
	return scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events e JOIN roles r ON r.name = e.own_role
		WHERE e.id = $1`, id))
}

// deleteEventAccountsTx deletes the event's accounts, their tokens
// revoked first.
func deleteEventAccountsTx(ctx context.Context, tx *sql.Tx, eventID string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM accounts WHERE event_id = $1`, eventID)
	old, err := db.Collect(rows, err, scanText)
	if err != nil {
		return err
	}
	if err := endAccountsTx(ctx, tx, old, now); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM accounts WHERE event_id = $1`, eventID)
	return err
}

// endAccountsTx ends every live session of the accounts, with their
// back-channel logout queued in the outbox, and revokes every token of
// theirs (the revocation feed names each subject).
func endAccountsTx(ctx context.Context, tx *sql.Tx, ids []string, now time.Time) error {
	for _, id := range ids {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions WHERE account_id = $1 AND ended_at IS NULL`, id)
		sessions, err := db.Collect(rows, err, scanText)
		if err != nil {
			return err
		}
		for _, sid := range sessions {
			if _, err := endSessionTx(ctx, tx, sid, now); err != nil {
				return err
			}
		}
		if err := revokeSubjectTx(ctx, tx, id, now); err != nil {
			return err
		}
	}
	return nil
}

// EndEvent ends the event: its accounts are deleted or disabled (as the
// event says), their tokens revoked. Ending an ended event changes
// nothing. Their sessions end with back-channel logout queued.
func (s *Store) EndEvent(ctx context.Context, id string) (Event, error) {
	var out Event
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		e, err := s.lockEventTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.EndedAt != nil {
			out = e
			return nil
		}
		switch e.Afterwards {
		case EventDisable:
			rows, err := tx.QueryContext(ctx, `SELECT id FROM accounts WHERE event_id = $1`, id)
			ids, err := db.Collect(rows, err, scanText)
			if err != nil {
				return err
			}
			if err := endAccountsTx(ctx, tx, ids, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET status = 'disabled', updated_at = $2, version = version + 1
				WHERE event_id = $1`, id, now); err != nil {
				return err
			}
		default:
			if err := deleteEventAccountsTx(ctx, tx, id, now); err != nil {
				return err
			}
			e.Accounts = 0
		}
		// Replicas may end the same event at once: one of them does.
		if _, err := tx.ExecContext(ctx, `UPDATE events SET ended_at = $2, accounts = $3, updated_at = $2, version = version + 1
			WHERE id = $1 AND ended_at IS NULL`, id, now, e.Accounts); err != nil {
			return err
		}
		e.EndedAt, e.UpdatedAt, e.Version = &now, now, e.Version+1
		out = e
		return nil
	})
	return out, err
}

// EventsToEnd lists the events whose window's last date is before today
// (in loc) and that have not ended: the housekeeping ends them.
func (s *Store) EventsToEnd(ctx context.Context, today string) ([]Event, error) {
	all, err := s.ListEvents(ctx)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, e := range all {
		if e.EndedAt == nil && e.Window.LastDate != "" && e.Window.LastDate < today {
			out = append(out, e)
		}
	}
	return out, nil
}

// EventOf reports the event an account belongs to ("" for none).
func (s *Store) EventOf(ctx context.Context, accountID string) (string, error) {
	var id sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT event_id FROM accounts WHERE id = $1`, accountID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", identity.ErrNotFound
	}
	return id.String, err
}

// readableAlphabet are the characters of generated usernames: lower-case
// letters and digits without those read as one another (0/o, 1/l/i).
const readableAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// RandomUsername is prefix followed by n random characters that avoid
// look-alikes (readableAlphabet), from crypto/rand.
func RandomUsername(prefix string, n int) string {
	return prefix + randomFrom(readableAlphabet, n)
}

// RandomPIN is n random decimal digits from crypto/rand.
func RandomPIN(n int) string { return randomFrom("0123456789", n) }

// randomFrom draws n characters of alphabet uniformly (rand.Text's way:
// bytes above the largest multiple of the alphabet's size are dropped).
func randomFrom(alphabet string, n int) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:]) // never fails (crypto/rand, Go 1.24+)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// scanText scans a row of one text column (an id).
func scanText(r db.Scanner) (string, error) {
	var s string
	return s, r.Scan(&s)
}
