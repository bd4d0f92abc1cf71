package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
	"campus/internal/identity/policy"
	"campus/internal/textsearch"
)

// Errors of the account and role administration.
var (
	// ErrStale means the resource changed since the caller read it: its
	// version is not the one the caller named (If-Match).
	ErrStale = errors.New("changed since it was read")
	// ErrLastAdmin refuses a change that would leave no active account
	// with the admin role.
	ErrLastAdmin = fmt.Errorf("%w: this is the last active administrator; give another account the admin role first", identity.ErrConflict)
)

// TakenError says which of a username and an e-mail address another
// account has already. It is an identity.ErrConflict.
type TakenError struct{ Username, Email bool }

func (e *TakenError) Error() string {
	switch {
	case e.Username && e.Email:
		return "username and e-mail address are taken"
	case e.Username:
		return "username is taken"
	case e.Email:
		return "e-mail address is taken"
	}
	return "username or e-mail address is taken"
}

func (e *TakenError) Unwrap() error { return identity.ErrConflict }

// LoginWindow is the stored form of a policy.Window, the JSON in
// roles.login_window and accounts.login_window. Times are "HH:MM"; the
// dates "YYYY-MM-DD" or empty.
type LoginWindow struct {
	Earliest  string `json:"earliest"`
	Latest    string `json:"latest"`
	FirstDate string `json:"first_date,omitempty"`
	LastDate  string `json:"last_date,omitempty"`
}

// Window parses the stored window.
func (w LoginWindow) Window() (policy.Window, error) {
	return policy.ParseWindow(w.Earliest, w.Latest, w.FirstDate, w.LastDate)
}

func windowJSON(w *LoginWindow) any {
	if w == nil {
		return nil
	}
	b, _ := json.Marshal(w)
	return string(b)
}

func parseWindowJSON(s sql.NullString) *LoginWindow {
	if !s.Valid || s.String == "" {
		return nil
	}
	var w LoginWindow
	if json.Unmarshal([]byte(s.String), &w) != nil {
		return nil
	}
	return &w
}

// AccountRecord is an account as administration reads and changes it: with
// its version (the ETag), its own login window and its sign-in state.
type AccountRecord struct {
	identity.Account
	Version      int
	LoginWindow  *LoginWindow // nil: the windows of its roles apply
	FailedLogins int
	LockedUntil  *time.Time
}

const recordColumns = `a.id, a.username, a.email, a.display_name, a.given_name, a.family_name, a.semester,
	a.programme_id, a.programme_title, a.status, a.email_verified, a.created_at, a.updated_at, a.last_login_at,
	a.version, a.login_window, a.failed_logins, a.locked_until, a.directory_dn, a.locale`

func scanRecord(row interface{ Scan(...any) error }) (AccountRecord, error) {
	var r AccountRecord
	var last, locked sql.NullTime
	var window, dn, locale sql.NullString
	err := row.Scan(&r.ID, &r.Username, &r.Email, &r.DisplayName, &r.GivenName, &r.FamilyName, &r.Semester,
		&r.ProgrammeID, &r.ProgrammeTitle, &r.Status, &r.EmailVerified, &r.CreatedAt, &r.UpdatedAt, &last,
		&r.Version, &window, &r.FailedLogins, &locked, &dn, &locale)
	if errors.Is(err, sql.ErrNoRows) {
		return r, identity.ErrNotFound
	}
	r.LastLoginAt, r.LockedUntil, r.LoginWindow, r.DirectoryDN = timePtr(last), timePtr(locked), parseWindowJSON(window), dn.String
	r.Locale = locale.String
	return r, err
}

type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rolesOf returns the roles of the accounts ids, each sorted.
func rolesOf(ctx context.Context, q rowQuerier, ids []string) (map[string][]string, error) {
	out := make(map[string][]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var b db.Args
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = b.Add(id)
	}
	rows, err := q.QueryContext(ctx, `SELECT account_id, role FROM account_roles WHERE account_id IN (`+
		strings.Join(marks, ", ")+`) ORDER BY account_id, role`, b.Values()...)
	err = db.Each(rows, err, func(r db.Scanner) error {
		var id, role string
		if err := r.Scan(&id, &role); err != nil {
			return err
		}
		out[id] = append(out[id], role)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AccountRecord returns an account with its version and sign-in state.
func (s *Store) AccountRecord(ctx context.Context, id string) (AccountRecord, error) {
	var r AccountRecord
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = s.recordTx(ctx, tx, id)
		return err
	})
	return r, err
}

func (s *Store) recordTx(ctx context.Context, tx *sql.Tx, id string) (AccountRecord, error) {
	r, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM accounts a WHERE a.id = $1`, id))
	if err != nil {
		return r, err
	}
	if err := s.openAccount(ctx, &r.Account); err != nil {
		return r, err
	}
	roles, err := rolesOf(ctx, tx, []string{r.ID})
	r.Roles = roles[r.ID]
	return r, err
}

// PasswordHash returns an account's password hash, "" when it has none.
func (s *Store) PasswordHash(ctx context.Context, id string) (string, error) {
	var h sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM accounts WHERE id = $1`, id).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", identity.ErrNotFound
	}
	return h.String, err
}

// AccessTokenSession returns the sign-in session an access token (by jti)
// was issued in; "" for tokens outside a session.
func (s *Store) AccessTokenSession(ctx context.Context, jti string) (string, error) {
	var sid sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT session_id FROM access_tokens WHERE id = $1`, jti).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", identity.ErrNotFound
	}
	return sid.String, err
}

// Register creates an account after checking, in the same transaction,
// that its username and e-mail are free: a *TakenError says which is not.
func (s *Store) Register(ctx context.Context, a identity.Account, passwordHash string) (identity.Account, error) {
	return s.register(ctx, a, passwordHash, nil)
}

func (s *Store) register(ctx context.Context, a identity.Account, passwordHash string, is *Issue) (identity.Account, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return identity.Account{}, err
	}
	now := s.now().UTC()
	a.ID, a.CreatedAt, a.UpdatedAt = id.String(), now, now
	if a.Status == "" {
		a.Status = identity.StatusActive
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.takenTx(ctx, tx, a.Username, a.Email, ""); err != nil {
			return err
		}
		if err := s.insertAccountTx(ctx, tx, a, passwordHash); err != nil {
			return err
		}
		if is == nil {
			return nil
		}
		return s.issueTx(ctx, tx, now, a.ID, *is)
	})
	if err != nil {
		return identity.Account{}, err
	}
	return a, nil
}

// takenTx reports a *TakenError when another account than exceptID has the
// username or the e-mail address.
func (s *Store) takenTx(ctx context.Context, tx *sql.Tx, username, email, exceptID string) error {
	// An empty login is nobody's (its blind index is ""; no key is).
	userKey, emailKey := s.loginKey(username), s.loginKey(email)
	rows, err := tx.QueryContext(ctx, `SELECT username_key, email_key FROM accounts
		WHERE (username_key = $1 OR email_key = $2) AND id <> $3`, userKey, emailKey, exceptID)
	var t TakenError
	err = db.Each(rows, err, func(r db.Scanner) error {
		var u, e string
		if err := r.Scan(&u, &e); err != nil {
			return err
		}
		t.Username = t.Username || (userKey != "" && u == userKey)
		t.Email = t.Email || (emailKey != "" && e == emailKey)
		return nil
	})
	if err != nil {
		return err
	}
	if t.Username || t.Email {
		return &t
	}
	return nil
}

// UpdateAccount changes an account in one transaction: it reads the
// account, lets change modify it and writes it back with its version
// increased. version is the one the caller read (0: any); ErrStale when it
// is no longer current. What change may modify: the profile, status,
// roles, login window and sign-in state. It refuses (ErrLastAdmin) a change
// that leaves no active administrator, and (*TakenError) a username or
// e-mail address another account has. A new e-mail address is unverified.
func (s *Store) UpdateAccount(ctx context.Context, id string, version int, change func(*AccountRecord) error) (AccountRecord, error) {
	return s.ChangeAccount(ctx, id, AccountChange{Version: version, Change: change})
}

// AccountChange is a change to one account that ChangeAccount makes in one
// transaction: the read, the check of who may make it, the write (one
// version increase) and the mails it causes.
type AccountChange struct {
	// Version is the one the caller read (0: any); ErrStale when it is no
	// longer current.
	Version int
	// Check decides, on the account as read in the transaction and the
	// permissions of every role (by name), whether the change may be made;
	// its error refuses it. nil: anyone may.
	Check func(rec AccountRecord, rolePerms map[string][]identity.Permission) error
	// Change modifies the account, as UpdateAccount's change does.
	Change func(*AccountRecord) error
	// Effects are the tokens to issue and the notices to queue because of
	// the change, from the account before and after it; they are stored
	// in the same transaction. A token that confirms an address other than
	// the account's must name one no other account has (*TakenError).
	Effects func(before, after AccountRecord) ([]Issue, []identity.Mail, error)
}

// ChangeAccount is UpdateAccount with a check of who may change the
// account and the mails the change causes, all in one transaction.
func (s *Store) ChangeAccount(ctx context.Context, id string, c AccountChange) (AccountRecord, error) {
	var out AccountRecord
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.recordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Version != 0 && before.Version != c.Version {
			return ErrStale
		}
		if c.Check != nil {
			perms, err := permissionsTx(ctx, tx, "")
			if err != nil {
				return err
			}
			if err := c.Check(before, perms); err != nil {
				return err
			}
		}
		after := before
		after.Roles = slices.Clone(before.Roles)
		if err := c.Change(&after); err != nil {
			return err
		}
		after.ID, after.Version, after.CreatedAt, after.LastLoginAt = before.ID, before.Version, before.CreatedAt, before.LastLoginAt
		slices.Sort(after.Roles)
		after.Roles = slices.Compact(after.Roles)
		if Key(after.Email) != Key(before.Email) {
			after.EmailVerified = false
		}
		if isActiveAdmin(before.Account) && !isActiveAdmin(after.Account) {
			if err := keepAnAdminTx(ctx, tx, id); err != nil {
				return err
			}
		}
		if Key(after.Username) != Key(before.Username) || Key(after.Email) != Key(before.Email) {
			if err := s.takenTx(ctx, tx, after.Username, after.Email, id); err != nil {
				return err
			}
		}
		after.UpdatedAt = s.now().UTC()
		if err := s.keysLoaded(ctx, tx); err != nil {
			return err
		}
		p, err := s.sealAccount(after.Account)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET username = $3, username_key = $4, email = $5, email_key = $6,
			display_name = $7, given_name = $8, family_name = $9, semester = $10, programme_id = $11, programme_title = $12,
			status = $13, email_verified = $14, login_window = $15, failed_logins = $16, locked_until = $17,
			updated_at = $18, locale = $19, directory_dn = $20, directory_dn_key = $21, version = version + 1
			WHERE id = $1 AND version = $2`,
			id, before.Version, p.Username, p.UsernameKey, p.Email, p.EmailKey,
			p.DisplayName, p.GivenName, p.FamilyName, after.Semester, after.ProgrammeID, after.ProgrammeTitle,
			after.Status, after.EmailVerified, windowJSON(after.LoginWindow), after.FailedLogins, nullTime(after.LockedUntil),
			after.UpdatedAt, nullString(after.Locale), nullString(p.DN), nullString(p.DNKey))
		if db.IsUniqueViolation(err) {
			return &TakenError{}
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale // changed between our read and our write (PostgreSQL)
		}
		after.Version++
		if !slices.Equal(before.Roles, after.Roles) {
			if err := setRolesTx(ctx, tx, id, after.Roles); err != nil {
				return err
			}
		}
		if err := s.indexAccountTx(ctx, tx, after.Account); err != nil {
			return err
		}
		if powersChanged(before, after) {
			// Authority follows the account: every token issued before the
			// change dies with it, in its transaction (the caller ends the
			// sessions with back-channel logout).
			if err := revokeSubjectTx(ctx, tx, id, after.UpdatedAt); err != nil {
				return err
			}
		}
		if c.Effects != nil {
			if err := s.effectsTx(ctx, tx, s.now(), before, after, c.Effects); err != nil {
				return err
			}
		}
		out = after
		return nil
	})
	if err != nil {
		return AccountRecord{}, err
	}
	return out, nil
}

// powersChanged reports whether a change touches what the account may do:
// its status, roles or login window.
func powersChanged(before, after AccountRecord) bool {
	return before.Status != after.Status || !slices.Equal(before.Roles, after.Roles) ||
		!reflect.DeepEqual(before.LoginWindow, after.LoginWindow)
}

// effectsTx issues the tokens and queues the notices of a change.
func (s *Store) effectsTx(ctx context.Context, tx *sql.Tx, now time.Time, before, after AccountRecord,
	effects func(before, after AccountRecord) ([]Issue, []identity.Mail, error)) error {
	issues, mails, err := effects(before, after)
	if err != nil {
		return err
	}
	for _, is := range issues {
		if is.Token.Purpose == identity.TokenConfirmEmail && Key(is.Token.Email) != Key(after.Email) {
			if err := s.takenTx(ctx, tx, "", is.Token.Email, after.ID); err != nil {
				return err
			}
		}
		if err := s.issueTx(ctx, tx, now, after.ID, is); err != nil {
			return err
		}
	}
	for _, m := range mails {
		if m.AccountID == "" {
			m.AccountID = after.ID
		}
		if err := s.enqueueMailTx(ctx, tx, now, m); err != nil {
			return err
		}
	}
	return nil
}

func isActiveAdmin(a identity.Account) bool {
	return a.Status == identity.StatusActive && slices.Contains(a.Roles, identity.RoleAdmin)
}

// keepAnAdminTx refuses when no active administrator but exceptID would
// remain. The admin role's row is locked first, so that two transactions
// each removing one of the last two administrators run one after the other
// and the second sees the first (PostgreSQL; SQLite has one writer anyway).
func keepAnAdminTx(ctx context.Context, tx *sql.Tx, exceptID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE roles SET version = version WHERE name = $1`, identity.RoleAdmin); err != nil {
		return err
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_roles r JOIN accounts a ON a.id = r.account_id
		WHERE r.role = $1 AND a.status = $2 AND a.id <> $3`, identity.RoleAdmin, identity.StatusActive, exceptID).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

func setRolesTx(ctx context.Context, tx *sql.Tx, accountID string, roles []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_roles WHERE account_id = $1`, accountID); err != nil {
		return err
	}
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role) VALUES ($1, $2)`, accountID, r); err != nil {
			if db.IsForeignKeyViolation(err) {
				return fmt.Errorf("role %q does not exist: %w", r, identity.ErrNotFound)
			}
			return fmt.Errorf("give role %s: %w", r, err)
		}
	}
	return nil
}

// ---- search

// searchWords are the words an account is found by: its username and
// e-mail address whole, and each word of its username, e-mail local part
// and names.
func searchWords(a identity.Account) []string {
	local := a.Email
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	words := append([]string{textsearch.Fold(a.Username), textsearch.Fold(a.Email)},
		textsearch.Words(a.Username, local, a.DisplayName, a.GivenName, a.FamilyName)...)
	return textsearch.Normalize(words)
}

// indexAccountTx replaces an account's search words: the keyed hashes of
// every prefix of each word (datakeys.Prefixes), so that the index names no
// word, and a term is found by the hash of itself.
func (s *Store) indexAccountTx(ctx context.Context, tx *sql.Tx, a identity.Account) error {
	return s.reindexTx(ctx, tx, []identity.Account{a})
}

// matchesTerms reports whether every search term is the beginning of a
// word of the account: the check of terms longer than the index holds.
func matchesTerms(a identity.Account, terms []string) bool {
	words := searchWords(a)
	for _, t := range terms {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

// ---- listing

// Sort orders of ListAccounts. Usernames and addresses are stored
// encrypted, so the database cannot order by them (decision 100).
const (
	SortCreatedAt   = "created_at"
	SortLastLoginAt = "last_login_at"
)

// AccountQuery selects a page of accounts.
type AccountQuery struct {
	// Search finds accounts by the beginnings of words of their username,
	// e-mail address and names; every whitespace-separated term must match.
	Search string
	Role   string // only members of this role
	Status string // only accounts with this status
	Sort   string // one of the Sort constants; default created_at
	Desc   bool
	Limit  int    // default 50, at most 200
	After  string // the cursor of the previous page

	ring *datakeys.Ring // hashes the search terms (set by the store)
}

// AccountPage is one page of accounts and the cursor of the next ("" on
// the last page).
type AccountPage struct {
	Accounts []AccountRecord
	Next     string
}

// ErrBadCursor means a cursor is malformed or belongs to another order.
var ErrBadCursor = errors.New("the cursor is not valid for this list; start again without it")

// sortKey is one order of the list: a column, and whether it is unique (no
// tie-breaker needed) or nullable (accounts without a value come last).
type sortKey struct {
	col      string
	unique   bool
	nullable bool
	time     bool
}

var sortKeys = map[string]sortKey{
	SortCreatedAt:   {col: "a.created_at", time: true},
	SortLastLoginAt: {col: "a.last_login_at", time: true, nullable: true},
}

// cursor is the position after which the next page starts: the sort
// value and id of the last account shown. Null is the phase of a nullable
// order in which the accounts without a value are listed.
type cursor struct {
	Sort  string `json:"s"`
	Desc  bool   `json:"d,omitempty"`
	Value string `json:"v,omitempty"`
	ID    string `json:"i"`
	Null  bool   `json:"n,omitempty"`
}

func (c cursor) encode() string { return db.EncodeCursor(c) }

func decodeCursor(s, sort string, desc bool) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	if db.DecodeCursor(s, &c) != nil || c.Sort != sort || c.Desc != desc || c.ID == "" {
		return nil, ErrBadCursor
	}
	if sortKeys[sort].time && !c.Null {
		if _, err := time.Parse(time.RFC3339Nano, c.Value); err != nil {
			return nil, ErrBadCursor
		}
	}
	return &c, nil
}

// probeRows is how far a filter's matches are counted when choosing a
// plan; a filter with more is broad and never where a query starts.
const probeRows = 5000

// listPlan is how a filtered list is read: chosen by cost (auto), or, in
// tests, forced so that both plans are exercised on both engines.
type listPlan int

const (
	planAuto listPlan = iota
	// planFromFilter starts from the matches of the narrowest filter and
	// sorts them.
	planFromFilter
	// planAlongIndex walks the sort order's index and checks every
	// account against each filter until the page is full.
	planAlongIndex
)

// accountSet is a filter that names a set of accounts, usable either as
// the driving set of a query (a.id IN ...) or as a check per account.
type accountSet struct {
	name   string
	in     func(b *db.Args) string // uncorrelated: SELECT account ids
	drive  func(b *db.Args) string // the condition when driving; nil: a.id IN (in)
	check  func(b *db.Args) string // a condition on a
	probe  int                     // matches, counted up to probeRows
	always bool                    // never the driver (a plain column test)
}

func (q AccountQuery) sets() []*accountSet {
	var sets []*accountSet
	for _, t := range textsearch.Terms(q.Search) {
		h, _ := q.ring.Term(t)
		sets = append(sets, &accountSet{
			name: "search " + t,
			in: func(b *db.Args) string {
				return `SELECT w.account_id FROM account_search w WHERE w.word = ` + b.Add(h)
			},
			check: func(b *db.Args) string {
				return `EXISTS (SELECT 1 FROM account_search w WHERE w.account_id = a.id AND w.word = ` + b.Add(h) + `)`
			},
		})
	}
	if q.Role != "" {
		role := q.Role
		sets = append(sets, &accountSet{
			name: "role " + role,
			in: func(b *db.Args) string {
				return `SELECT r.account_id FROM account_roles r WHERE r.role = ` + b.Add(role)
			},
			check: func(b *db.Args) string {
				return `EXISTS (SELECT 1 FROM account_roles r WHERE r.account_id = a.id AND r.role = ` + b.Add(role) + `)`
			},
		})
	}
	switch q.Status {
	case "":
	case identity.StatusDisabled:
		// Literal, so that both engines match the partial index.
		sets = append(sets, &accountSet{
			name:  "disabled",
			in:    func(*db.Args) string { return `SELECT d.id FROM accounts d WHERE d.status = 'disabled'` },
			drive: func(*db.Args) string { return `a.status = 'disabled'` },
			check: func(*db.Args) string { return `a.status = 'disabled'` },
		})
	default:
		status := q.Status
		sets = append(sets, &accountSet{
			name:   "status",
			check:  func(b *db.Args) string { return `a.status = ` + b.Add(status) },
			always: true,
		})
	}
	return sets
}

// ListAccounts returns a page of accounts in a stable order, by keyset
// paging: each page continues after the last account of the previous one,
// so that page 2,000 costs what page 1 costs.
//
// A filter's best plan depends on how many accounts it matches: a rare
// term should be looked up and its few matches sorted, a common one (or the
// student role) read along the sort order's index until the page is full.
// SQLite has no statistics to tell (it would sort all 90,000 students to
// show 50), and PostgreSQL's, on its default costs, still walk 5,000
// accounts to find 50 of a term's 1,000. So the store counts each filter's
// matches first, cheaply from an index, chooses (choosePlan) and writes
// the query so that the engine follows.
func (s *Store) ListAccounts(ctx context.Context, q AccountQuery) (AccountPage, error) {
	return s.listAccounts(ctx, q, planAuto)
}

func (s *Store) listAccounts(ctx context.Context, q AccountQuery, plan listPlan) (AccountPage, error) {
	if q.Sort == "" {
		q.Sort = SortCreatedAt
	}
	key, ok := sortKeys[q.Sort]
	if !ok {
		return AccountPage{}, fmt.Errorf("sort %q: want created_at or last_login_at", q.Sort)
	}
	q.ring = s.ring
	// Terms longer than the index's prefixes are found by their first
	// datakeys.WordLen characters and checked on the decrypted accounts.
	var longTerms []string
	for _, t := range textsearch.Terms(q.Search) {
		if _, longer := s.ring.Term(t); longer {
			longTerms = append(longTerms, t)
		}
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 200)
	after, err := decodeCursor(q.After, q.Sort, q.Desc)
	if err != nil {
		return AccountPage{}, err
	}
	sets := q.sets()
	var page AccountPage
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var driver *accountSet
		switch {
		case plan == planFromFilter:
			for _, set := range sets {
				if !set.always {
					driver = set
				}
			}
		case plan == planAlongIndex:
		default:
			if s.db.Dialect() == db.Postgres {
				// A cached generic plan cannot see how rare a term or role
				// is: plan each query for its values. Parallel workers
				// take longer to start than a page takes to read.
				if _, err := tx.ExecContext(ctx, `SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
					set_config('max_parallel_workers_per_gather', '0', true)`); err != nil {
					return err
				}
			}
			var empty bool
			driver, empty, err = choosePlan(ctx, tx, s.db.Dialect(), sets, q.Limit+1)
			if err != nil || empty {
				return err
			}
		}
		if driver != nil && s.db.Dialect() == db.Postgres {
			// PostgreSQL prices a thousand primary-key look-ups above
			// reading all 100,000 accounts (its default costs assume
			// disks, not a cached index) and would scan them all. The
			// store has counted the matches; these last for this
			// transaction only. Merge joins stay allowed: two search
			// terms are two runs of the word index, each already in
			// account order (word = hash, then account_id), and merging
			// them is the cheapest way to intersect them; without it the
			// engine compared every pair (190 ms for "ada love").
			if _, err := tx.ExecContext(ctx, `SELECT set_config('enable_seqscan', 'off', true),
				set_config('enable_hashjoin', 'off', true)`); err != nil {
				return err
			}
		}
		want := q.Limit + 1
		var recs []AccountRecord
		var nulls []bool
		// A nullable order lists the accounts with a value, then those
		// without (by id): two index-friendly queries instead of one that
		// neither engine can walk along an index.
		phases := []bool{false}
		if key.nullable {
			phases = []bool{false, true}
			if after != nil && after.Null {
				phases = []bool{true}
			}
		}
		for _, nullPhase := range phases {
			if len(recs) >= want {
				break
			}
			var b db.Args
			var where []string
			for _, set := range sets {
				switch {
				case set == driver && set.drive != nil:
					where = append(where, set.drive(&b))
				case set == driver:
					where = append(where, `a.id IN (`+set.in(&b)+`)`)
				default:
					where = append(where, set.check(&b))
				}
			}
			col, id, dir, cmp := key.col, "a.id", "ASC", ">"
			if driver != nil {
				// Sort the driver's matches; walking an index is what the
				// plan chose against.
				col, id = unindexed(s.db.Dialect(), col, key.time), unindexed(s.db.Dialect(), id, false)
			}
			if q.Desc {
				dir, cmp = "DESC", "<"
			}
			var order string
			switch {
			case nullPhase:
				where = append(where, col+` IS NULL`)
				if after != nil && after.Null {
					where = append(where, id+` `+cmp+` `+b.Add(after.ID))
				}
				order = id + ` ` + dir
			case key.unique:
				if after != nil {
					where = append(where, col+` `+cmp+` `+b.Add(after.Value))
				}
				order = col + ` ` + dir
			default:
				if key.nullable {
					where = append(where, col+` IS NOT NULL`)
				}
				if after != nil {
					t, _ := time.Parse(time.RFC3339Nano, after.Value)
					where = append(where, `(`+col+`, `+id+`) `+cmp+` (`+b.Add(t.UTC())+`, `+b.Add(after.ID)+`)`)
				}
				order = col + ` ` + dir + `, ` + id + ` ` + dir
			}
			query := `SELECT ` + recordColumns + ` FROM accounts a`
			if len(where) > 0 {
				query += ` WHERE ` + strings.Join(where, ` AND `)
			}
			query += ` ORDER BY ` + order + ` LIMIT ` + itoa(want-len(recs))
			got, err := s.queryRecords(ctx, tx, query, b.Values()...)
			if err != nil {
				return err
			}
			recs = append(recs, got...)
			for range got {
				nulls = append(nulls, nullPhase)
			}
		}
		if len(recs) > q.Limit {
			recs = recs[:q.Limit]
			last := recs[len(recs)-1]
			c := cursor{Sort: q.Sort, Desc: q.Desc, ID: last.ID, Null: nulls[len(recs)-1]}
			switch q.Sort {
			case SortCreatedAt:
				c.Value = last.CreatedAt.UTC().Format(time.RFC3339Nano)
			case SortLastLoginAt:
				if last.LastLoginAt != nil {
					c.Value = last.LastLoginAt.UTC().Format(time.RFC3339Nano)
				}
			}
			page.Next = c.encode()
		}
		if len(longTerms) > 0 {
			// The cursor stays where the unchecked page ended, so a page
			// may hold fewer than the limit; paging goes on by it.
			recs = slices.DeleteFunc(recs, func(r AccountRecord) bool { return !matchesTerms(r.Account, longTerms) })
		}
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		roles, err := rolesOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range recs {
			recs[i].Roles = roles[recs[i].ID]
		}
		page.Accounts = recs
		return nil
	})
	if err != nil {
		return AccountPage{}, err
	}
	return page, nil
}

// unindexed returns an expression equal to col that the engine cannot
// read from an index, so that a query starting from a filter's matches
// sorts them rather than walking the sort order's index. SQLite's unary
// plus exists for exactly this; PostgreSQL needs a no-op operation.
func unindexed(d db.Dialect, col string, isTime bool) string {
	switch {
	case d == db.SQLite:
		return "+" + col
	case isTime:
		return "(" + col + " + INTERVAL '0 seconds')"
	default:
		return "(" + col + " || '')"
	}
}

// choosePlan counts each filter's matches (up to probeRows) and returns
// the filter to start from, or nil to walk the index. Starting from a
// filter costs about its matches; walking costs about limit divided by the
// share of accounts that pass every filter, taken as independent. Broad
// filters are counted as probeRows, which overrates the walk a little.
// empty reports that some filter matches nothing.
func choosePlan(ctx context.Context, tx *sql.Tx, d db.Dialect, sets []*accountSet, limit int) (driver *accountSet, empty bool, err error) {
	var total float64
	for _, set := range sets {
		if set.always {
			continue
		}
		if total == 0 {
			if total, err = estimateAccounts(ctx, tx, d); err != nil {
				return nil, false, err
			}
		}
		var b db.Args
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+set.in(&b)+` LIMIT `+itoa(probeRows)+`) p`, b.Values()...).Scan(&set.probe); err != nil {
			return nil, false, fmt.Errorf("count %s: %w", set.name, err)
		}
		if set.probe == 0 {
			return nil, true, nil
		}
	}
	walk := float64(limit)
	for _, set := range sets {
		if !set.always {
			walk *= max(total/float64(set.probe), 1)
		}
	}
	for _, set := range sets {
		if !set.always && set.probe < probeRows && float64(set.probe) < walk && (driver == nil || set.probe < driver.probe) {
			driver = set
		}
	}
	return driver, false, nil
}

// estimateAccounts estimates the number of accounts at the cost of a seek,
// where COUNT(*) would read them all: SQLite's rowid grows with every
// insert; PostgreSQL keeps a count from its last ANALYZE (-1 before the
// first, when a large number makes the plan start from a filter).
func estimateAccounts(ctx context.Context, tx *sql.Tx, d db.Dialect) (float64, error) {
	q := `SELECT MAX(rowid) FROM accounts`
	if d == db.Postgres {
		q = `SELECT reltuples FROM pg_class WHERE oid = to_regclass('accounts')`
	}
	var n sql.NullFloat64
	if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, err
	}
	if d == db.Postgres && n.Float64 < 1 {
		return 1e9, nil
	}
	return max(n.Float64, 1), nil
}

func (s *Store) queryRecords(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]AccountRecord, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	recs, err := db.Collect(rows, err, scanRecord)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if err := s.openAccount(ctx, &recs[i].Account); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// Person is what graders may know of an account: who it is, nothing more.
type Person struct {
	ID, Username, DisplayName string
}

// People returns the accounts among ids that exist, in the order of ids.
func (s *Store) People(ctx context.Context, ids []string) ([]Person, error) {
	out := []Person{}
	if len(ids) == 0 {
		return out, nil
	}
	var b db.Args
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = b.Add(id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, username, display_name FROM accounts WHERE id IN (`+strings.Join(marks, ", ")+`)`, b.Values()...)
	found := map[string]Person{}
	err = db.Each(rows, err, func(r db.Scanner) error {
		var p Person
		if err := r.Scan(&p.ID, &p.Username, &p.DisplayName); err != nil {
			return err
		}
		var err error
		if p.Username, err = s.open(ctx, p.Username, "accounts", p.ID, "username"); err != nil {
			return err
		}
		if p.DisplayName, err = s.open(ctx, p.DisplayName, "accounts", p.ID, "display_name"); err != nil {
			return err
		}
		found[p.ID] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if p, ok := found[id]; ok {
			out = append(out, p)
			delete(found, id)
		}
	}
	return out, nil
}

// LoginMatch is an account found by the username or e-mail address it was
// asked by (Login, as given).
type LoginMatch struct {
	Login, ID string
}

// PeopleByLogin finds the accounts whose username or e-mail address is
// among logins (case-folded, as sign-in compares them), in the order of
// logins; logins that name no account are left out. A username cannot
// hold '@', so no login names two accounts.
func (s *Store) PeopleByLogin(ctx context.Context, logins []string) ([]LoginMatch, error) {
	out := []LoginMatch{}
	if len(logins) == 0 {
		return out, nil
	}
	var b db.Args
	marks := make([]string, len(logins))
	for i, l := range logins {
		marks[i] = b.Add(s.loginKey(l))
	}
	in := strings.Join(marks, ", ")
	rows, err := s.db.QueryContext(ctx, `SELECT id, username_key, email_key FROM accounts
		WHERE username_key IN (`+in+`) OR email_key IN (`+in+`)`, b.Values()...)
	byKey := map[string]string{}
	err = db.Each(rows, err, func(r db.Scanner) error {
		var id, user, email string
		if err := r.Scan(&id, &user, &email); err != nil {
			return err
		}
		byKey[user], byKey[email] = id, id
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range logins {
		if id, ok := byKey[s.loginKey(l)]; ok {
			out = append(out, LoginMatch{Login: l, ID: id})
		}
	}
	return out, nil
}
