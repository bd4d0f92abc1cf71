package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// The OAuth 2.0 Device Authorization Grant (RFC 8628). Codes arrive here
// hashed (oidcop.HashToken); the state lives in the database, so that the
// device may poll any replica and the person approve on any other.

const deviceColumns = `client_id, scopes, state, account_id, session_id, auth_time, amr, granted_scopes, step_up,
	interval_seconds, last_polled_at, created_at, expires_at`

func scanDevice(row interface{ Scan(...any) error }, extra ...any) (identity.DeviceAuthorization, error) {
	var d identity.DeviceAuthorization
	var scopes, amr, granted string
	var account, session sql.NullString
	var authTime, polled sql.NullTime
	var interval int64
	err := row.Scan(append([]any{&d.ClientID, &scopes, &d.State, &account, &session, &authTime, &amr, &granted, &d.StepUp,
		&interval, &polled, &d.CreatedAt, &d.ExpiresAt}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return d, identity.ErrNotFound
	}
	if err != nil {
		return d, err
	}
	d.Scopes, d.AMR, d.GrantedScopes = parseList(scopes), parseList(amr), parseList(granted)
	d.AccountID, d.SessionID = account.String, session.String
	if authTime.Valid {
		d.AuthTime = authTime.Time
	}
	d.Interval = time.Duration(interval) * time.Second
	d.LastPolledAt = timePtr(polled)
	return d, nil
}

// CreateDeviceAuthorization stores a new pending request (RFC 8628
// section 3.2). A user code hash that is taken already (by a live request:
// expired ones are purged) is identity.ErrConflict.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d identity.DeviceAuthorization, deviceCodeHash, userCodeHash string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_id, scopes,
		state, interval_seconds, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		deviceCodeHash, userCodeHash, d.ClientID, list(d.Scopes), identity.DevicePending, int64(d.Interval/time.Second),
		d.CreatedAt.UTC(), d.ExpiresAt.UTC())
	if db.IsUniqueViolation(err) {
		return identity.ErrConflict
	}
	return err
}

// PendingDeviceAuthorization returns the request a user code names while it
// waits for the person's answer: not answered, not expired. Anything else
// is identity.ErrNotFound.
func (s *Store) PendingDeviceAuthorization(ctx context.Context, userCodeHash string) (identity.DeviceAuthorization, error) {
	d, err := scanDevice(s.db.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM device_authorizations
		WHERE user_code_hash = $1`, userCodeHash))
	if err == nil && (d.State != identity.DevicePending || !s.now().Before(d.ExpiresAt)) {
		return identity.DeviceAuthorization{}, identity.ErrNotFound
	}
	return d, err
}

// ApproveDeviceAuthorization records who approved a pending request, in
// which session, and the scopes granted. A request that is no longer
// pending, or expired, is identity.ErrNotFound.
func (s *Store) ApproveDeviceAuthorization(ctx context.Context, userCodeHash, accountID, sessionID string, authTime time.Time,
	amr, scopes []string, stepUp bool) error {
	return s.answerDevice(ctx, `state = $3, account_id = $4, session_id = $5, auth_time = $6, amr = $7,
		granted_scopes = $8, step_up = $9`, userCodeHash, identity.DeviceApproved, accountID, sessionID, authTime.UTC(),
		list(amr), list(scopes), stepUp)
}

// DenyDeviceAuthorization records that the person refused a pending
// request; the device's next poll gets access_denied.
func (s *Store) DenyDeviceAuthorization(ctx context.Context, userCodeHash string) error {
	return s.answerDevice(ctx, `state = $3`, userCodeHash, identity.DeviceDenied)
}

func (s *Store) answerDevice(ctx context.Context, set, userCodeHash string, args ...any) error {
	res, err := s.db.ExecContext(ctx, `UPDATE device_authorizations SET `+set+`
		WHERE user_code_hash = $1 AND state = 'pending' AND expires_at > $2`,
		append([]any{userCodeHash, s.now().UTC()}, args...)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return identity.ErrNotFound
	}
	return nil
}

// PollDeviceAuthorization answers one poll of the token endpoint by the
// client that holds the device code (RFC 8628 section 3.4). A poll sooner
// than the request's interval allows (see pollTooSoon) is slow_down and
// adds 5 seconds to the interval; an approved request is spent by the poll
// that sees it (Issue), once, whatever replicas poll at the same time.
// An unknown code, or another client's, is identity.ErrNotFound.
func (s *Store) PollDeviceAuthorization(ctx context.Context, deviceCodeHash, clientID string) (identity.DevicePoll, error) {
	var p identity.DevicePoll
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM device_authorizations
			WHERE device_code_hash = $1 AND client_id = $2`, deviceCodeHash, clientID))
		if err != nil {
			return err
		}
		p = identity.DevicePoll{DeviceAuthorization: d}
		now := s.now().UTC()
		if d.State == identity.DeviceUsed || !now.Before(d.ExpiresAt) {
			p.Expired = true
			return nil
		}
		interval := d.Interval
		if d.LastPolledAt != nil && pollTooSoon(now.Sub(*d.LastPolledAt), d.Interval) {
			p.SlowDown = true
			interval += 5 * time.Second
		}
		next := d.State
		if d.State == identity.DeviceApproved && !p.SlowDown {
			next = identity.DeviceUsed
		}
		// The poll is noted only if no other poll was noted since this
		// one read the row; losing that race is polling too fast too.
		var prev any
		if d.LastPolledAt != nil {
			prev = d.LastPolledAt.UTC()
		}
		res, err := tx.ExecContext(ctx, `UPDATE device_authorizations SET last_polled_at = $2, interval_seconds = $3, state = $4
			WHERE device_code_hash = $1 AND state = $5 AND (last_polled_at = $6 OR (last_polled_at IS NULL AND $7))`,
			deviceCodeHash, now, int64(interval/time.Second), next, d.State, prev, prev == nil)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			p.SlowDown = true // another poll of the same code at the same moment
			return nil
		}
		p.Interval = interval
		p.Issue = next == identity.DeviceUsed
		return nil
	})
	return p, err
}

// pollTooSoon reports whether a poll that follows the previous one after
// gap breaks the interval. Clients poll on a ticker (golang.org/x/oauth2
// does), so two requests may arrive closer than the interval by the
// network's jitter: up to a second, at most half the interval, is
// tolerated.
func pollTooSoon(gap, interval time.Duration) bool {
	return gap < interval-min(time.Second, interval/2)
}
