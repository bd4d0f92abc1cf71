package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"

	"campus/internal/db"
	"campus/internal/identity"
)

// touchEvery is how stale a session's last_used_at may grow before a use
// writes it again: using a session is no write per request.
const touchEvery = time.Minute

// TouchSession notes that a live session was used now (an authorization
// answered from it). It writes at most once a minute per session.
func (s *Store) TouchSession(ctx context.Context, sessionID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return touchSessionTx(ctx, tx, sessionID, s.now().UTC())
	})
}

func touchSessionTx(ctx context.Context, tx *sql.Tx, sessionID string, now time.Time) error {
	if sessionID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_used_at = $2
		WHERE id = $1 AND ended_at IS NULL AND (last_used_at IS NULL OR last_used_at < $3)`, sessionID, now, now.Add(-touchEvery))
	return err
}

// SessionApp is an application that received tokens in a session.
type SessionApp struct {
	ClientID, Name string
}

// LiveSession is a live session with the applications that received
// tokens in it.
type LiveSession struct {
	identity.Session
	Apps []SessionApp
}

// LiveSessions lists an account's live sessions (neither ended nor
// expired), newest first, each with its applications by name.
func (s *Store) LiveSessions(ctx context.Context, accountID string) ([]LiveSession, error) {
	var out []LiveSession
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, account_id, auth_time, amr, created_at, expires_at,
			last_used_at, client_ip, user_agent
			FROM sessions WHERE account_id = $1 AND ended_at IS NULL AND expires_at > $2
			ORDER BY created_at DESC, id DESC`, accountID, s.now().UTC())
		out, err = db.Collect(rows, err, func(r db.Scanner) (LiveSession, error) {
			var l LiveSession
			var amr string
			var used sql.NullTime
			err := r.Scan(&l.ID, &l.AccountID, &l.AuthTime, &amr, &l.CreatedAt, &l.ExpiresAt, &used, &l.ClientIP, &l.UserAgent)
			l.AMR, l.Apps, l.LastUsedAt = parseList(amr), []SessionApp{}, l.CreatedAt
			if used.Valid {
				l.LastUsedAt = used.Time
			}
			return l, err
		})
		if err != nil || len(out) == 0 {
			return err
		}
		index := map[string]int{}
		for i, l := range out {
			index[l.ID] = i
		}
		rows, err = tx.QueryContext(ctx, `SELECT sc.session_id, c.id, c.name FROM session_clients sc
			JOIN clients c ON c.id = sc.client_id
			JOIN sessions se ON se.id = sc.session_id
			WHERE se.account_id = $1 AND se.ended_at IS NULL AND se.expires_at > $2
			ORDER BY c.name, c.id`, accountID, s.now().UTC())
		return db.Each(rows, err, func(r db.Scanner) error {
			var sid string
			var app SessionApp
			if err := r.Scan(&sid, &app.ClientID, &app.Name); err != nil {
				return err
			}
			if i, ok := index[sid]; ok {
				out[i].Apps = append(out[i].Apps, app)
			}
			return nil
		})
	})
	return out, err
}

// SessionOf returns the live session sessionID if it belongs to
// accountID; ErrNotFound if it does not exist, has ended or is someone
// else's, alike, so that nobody learns of others' sessions.
func (s *Store) SessionOf(ctx context.Context, accountID, sessionID string) (identity.Session, error) {
	sess, err := s.Session(ctx, sessionID)
	if errors.Is(err, identity.ErrNotFound) || (err == nil && sess.AccountID != accountID) {
		return identity.Session{}, identity.ErrNotFound
	}
	return sess, err
}

// cleanUserAgent is a browser's user agent as a session keeps it:
// printable, valid UTF-8, at most identity.MaxUserAgent bytes.
func cleanUserAgent(ua string) string {
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(ua, ""))
	return strings.TrimSpace(strings.ToValidUTF8(truncate(ua, identity.MaxUserAgent), ""))
}
