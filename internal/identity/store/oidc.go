package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// ---- clients

const clientColumns = `id, name, secret_hash, public, first_party, redirect_uris, post_logout_redirect_uris,
	grant_types, scopes, backchannel_logout_uri, id_token_alg, source, created_at, updated_at, display_names, welcome_texts`

func scanClient(row interface{ Scan(...any) error }) (identity.Client, error) {
	var c identity.Client
	var secret sql.NullString
	var redirects, postLogout, grants, scopes, names, welcomes string
	err := row.Scan(&c.ID, &c.Name, &secret, &c.Public, &c.FirstParty, &redirects, &postLogout,
		&grants, &scopes, &c.BackchannelLogoutURI, &c.IDTokenAlg, &c.Source, &c.CreatedAt, &c.UpdatedAt, &names, &welcomes)
	if errors.Is(err, sql.ErrNoRows) {
		return c, identity.ErrNotFound
	}
	c.SecretHash = secret.String
	c.RedirectURIs, c.PostLogoutRedirectURIs = parseList(redirects), parseList(postLogout)
	c.GrantTypes, c.Scopes = parseList(grants), parseList(scopes)
	c.DisplayNames, c.WelcomeTexts = parseTexts(names), parseTexts(welcomes)
	return c, err
}

// CreateClient stores a new client; ErrConflict if the id is taken.
func (s *Store) CreateClient(ctx context.Context, c identity.Client) (identity.Client, error) {
	now := s.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	_, err := s.db.ExecContext(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		c.ID, c.Name, nullString(c.SecretHash), c.Public, c.FirstParty, list(c.RedirectURIs), list(c.PostLogoutRedirectURIs),
		list(c.GrantTypes), list(c.Scopes), c.BackchannelLogoutURI, c.IDTokenAlg, c.Source, c.CreatedAt, c.UpdatedAt,
		texts(c.DisplayNames), texts(c.WelcomeTexts))
	if db.IsUniqueViolation(err) {
		return c, fmt.Errorf("client %q exists already: %w", c.ID, identity.ErrConflict)
	}
	return c, err
}

// PutClient creates or replaces a client declared outside the database
// (configuration, or the portal in all-in-one mode); the secret hash is
// kept when c has none, so restarts do not invalidate a secret.
func (s *Store) PutClient(ctx context.Context, c identity.Client) error {
	now := s.now().UTC()
	_, err := s.db.ExecContext(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name,
			secret_hash = COALESCE(excluded.secret_hash, clients.secret_hash),
			public = excluded.public, first_party = excluded.first_party,
			redirect_uris = excluded.redirect_uris, post_logout_redirect_uris = excluded.post_logout_redirect_uris,
			grant_types = excluded.grant_types, scopes = excluded.scopes,
			backchannel_logout_uri = excluded.backchannel_logout_uri, id_token_alg = excluded.id_token_alg,
			source = excluded.source, updated_at = excluded.updated_at,
			display_names = excluded.display_names, welcome_texts = excluded.welcome_texts`,
		c.ID, c.Name, nullString(c.SecretHash), c.Public, c.FirstParty, list(c.RedirectURIs), list(c.PostLogoutRedirectURIs),
		list(c.GrantTypes), list(c.Scopes), c.BackchannelLogoutURI, c.IDTokenAlg, c.Source, now,
		texts(c.DisplayNames), texts(c.WelcomeTexts))
	return err
}

// Client returns one client.
func (s *Store) Client(ctx context.Context, id string) (identity.Client, error) {
	return scanClient(s.db.QueryRowPrepared(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
}

// Clients lists every client by id.
func (s *Store) Clients(ctx context.Context) ([]identity.Client, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY id`)
	return db.Collect(rows, err, scanClient)
}

// DeleteClient removes a client and, by cascade, its tokens and requests.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM clients WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return identity.ErrNotFound
	}
	return nil
}

// ---- authorization requests

const authRequestColumns = `id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode,
	code_challenge, code_challenge_method, prompt, max_age, login_hint, account_id, session_id, auth_time, amr,
	step_up, done, code_expires_at, redeemed_at, created_at, expires_at, hint_subject, ui_locales, acr_values`

func scanAuthRequest(row interface{ Scan(...any) error }) (identity.AuthRequest, error) {
	var a identity.AuthRequest
	var scopes, prompt, amr, acr string
	var maxAge sql.NullInt64
	var account, session sql.NullString
	var authTime, codeExp, redeemed sql.NullTime
	err := row.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &a.State, &a.Nonce, &scopes, &a.ResponseType, &a.ResponseMode,
		&a.CodeChallenge, &a.CodeChallengeMethod, &prompt, &maxAge, &a.LoginHint, &account, &session, &authTime, &amr,
		&a.StepUp, &a.Done, &codeExp, &redeemed, &a.CreatedAt, &a.ExpiresAt, &a.HintSubject, &a.UILocales, &acr)
	if errors.Is(err, sql.ErrNoRows) {
		return a, identity.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	a.Scopes, a.Prompt, a.AMR, a.ACRValues = parseList(scopes), parseList(prompt), parseList(amr), parseList(acr)
	if maxAge.Valid {
		v := int(maxAge.Int64)
		a.MaxAge = &v
	}
	a.AccountID, a.SessionID = account.String, session.String
	if authTime.Valid {
		a.AuthTime = authTime.Time
	}
	a.CodeExpiresAt, a.RedeemedAt = timePtr(codeExp), timePtr(redeemed)
	return a, nil
}

// CreateAuthRequest stores a new authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, a identity.AuthRequest) error {
	var maxAge any
	if a.MaxAge != nil {
		maxAge = *a.MaxAge
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_requests (id, client_id, redirect_uri, state, nonce, scopes,
		response_type, response_mode, code_challenge, code_challenge_method, prompt, max_age, login_hint, created_at, expires_at,
		hint_subject, ui_locales, acr_values) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		a.ID, a.ClientID, a.RedirectURI, a.State, a.Nonce, list(a.Scopes), a.ResponseType, a.ResponseMode,
		a.CodeChallenge, a.CodeChallengeMethod, list(a.Prompt), maxAge, a.LoginHint, a.CreatedAt.UTC(), a.ExpiresAt.UTC(),
		a.HintSubject, a.UILocales, list(a.ACRValues))
	return err
}

// SetAuthRequestUILocales changes the languages a pending request's
// sign-in pages speak (identity's language switch, used during the
// sign-in, overrides the ui_locales the application sent).
func (s *Store) SetAuthRequestUILocales(ctx context.Context, id, uiLocales string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET ui_locales = $2 WHERE id = $1 AND NOT done`, id, uiLocales)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return identity.ErrNotFound
	}
	return nil
}

// AuthRequest returns a request that has not expired.
func (s *Store) AuthRequest(ctx context.Context, id string) (identity.AuthRequest, error) {
	a, err := scanAuthRequest(s.db.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE id = $1`, id))
	if err == nil && !s.now().Before(a.ExpiresAt) {
		return a, identity.ErrNotFound
	}
	return a, err
}

// CompleteAuthRequest records who signed in for the request and the
// scopes they are granted (the requested ones their roles allow).
func (s *Store) CompleteAuthRequest(ctx context.Context, id, accountID, sessionID string, authTime time.Time, amr, scopes []string, stepUp bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET account_id = $2, session_id = $3, auth_time = $4, amr = $5,
		step_up = $6, scopes = $8, done = TRUE WHERE id = $1 AND expires_at > $7 AND code_hash IS NULL`,
		id, accountID, sessionID, authTime.UTC(), list(amr), stepUp, s.now().UTC(), list(scopes))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return identity.ErrNotFound
	}
	return nil
}

// SaveCode attaches the hash of a one-time code to a completed request.
func (s *Store) SaveCode(ctx context.Context, id, codeHash string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET code_hash = $2, code_expires_at = $3
		WHERE id = $1 AND done AND code_hash IS NULL`, id, codeHash, expires.UTC())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return identity.ErrNotFound
	}
	return nil
}

// RedeemCode returns the request behind a code, once. A second redemption
// revokes every token issued from the first and returns ErrTokenReused
// (RFC 6749 section 4.1.2: a code used twice must be refused and should
// revoke what it issued); an expired code is ErrNotFound.
func (s *Store) RedeemCode(ctx context.Context, codeHash string) (identity.AuthRequest, error) {
	var a identity.AuthRequest
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = scanAuthRequest(tx.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE code_hash = $1`, codeHash))
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if a.RedeemedAt != nil {
			return revokeAuthRequestTx(ctx, tx, a.ID, now)
		}
		if a.CodeExpiresAt == nil || !now.Before(*a.CodeExpiresAt) {
			return identity.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE auth_requests SET redeemed_at = $2 WHERE id = $1`, a.ID, now)
		return err
	})
	if err == nil && a.RedeemedAt != nil {
		return a, identity.ErrTokenReused
	}
	return a, err
}

func revokeAuthRequestTx(ctx context.Context, tx *sql.Tx, authRequestID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $2 WHERE auth_request_id = $1 AND revoked_at IS NULL`, authRequestID, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2
		WHERE family_id IN (SELECT family_id FROM refresh_tokens WHERE auth_request_id = $1) AND revoked_at IS NULL`, authRequestID, now)
	return err
}

// ---- sessions

// CreateSession stores a new sign-in session; tokenHash is the hash of the
// cookie's value. It counts as used when it begins; its user agent is cut
// to identity.MaxUserAgent bytes of printable text.
func (s *Store) CreateSession(ctx context.Context, sess identity.Session, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, account_id, auth_time, amr, created_at, expires_at,
		last_used_at, client_ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $8, $9)`, sess.ID, tokenHash, sess.AccountID, sess.AuthTime.UTC(), list(sess.AMR),
		sess.CreatedAt.UTC(), sess.ExpiresAt.UTC(), truncate(sess.ClientIP, 64), cleanUserAgent(sess.UserAgent))
	return err
}

// SessionByToken returns the live session whose cookie hashes to tokenHash.
func (s *Store) SessionByToken(ctx context.Context, tokenHash string) (identity.Session, error) {
	return s.session(ctx, `token_hash = $1`, tokenHash)
}

// Session returns a live session by id (sid).
func (s *Store) Session(ctx context.Context, id string) (identity.Session, error) {
	return s.session(ctx, `id = $1`, id)
}

func (s *Store) session(ctx context.Context, where, arg string) (identity.Session, error) {
	var sess identity.Session
	var amr string
	err := s.db.QueryRowContext(ctx, `SELECT id, account_id, auth_time, amr, created_at, expires_at FROM sessions
		WHERE `+where+` AND ended_at IS NULL AND expires_at > $2`, arg, s.now().UTC()).Scan(
		&sess.ID, &sess.AccountID, &sess.AuthTime, &amr, &sess.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, identity.ErrNotFound
	}
	sess.AMR = parseList(amr)
	return sess, err
}

// AddSessionClient notes that a client received tokens in a session.
func (s *Store) AddSessionClient(ctx context.Context, sessionID, clientID string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO session_clients (session_id, client_id) VALUES ($1, $2)
		ON CONFLICT (session_id, client_id) DO NOTHING`, sessionID, clientID)
	return err
}

// EndSession ends a session, revokes every token issued in it and returns
// the clients that received tokens in it (they are to be told). Ending an
// ended session is not an error; it returns no clients.
func (s *Store) EndSession(ctx context.Context, sessionID string) (clients []string, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		clients, err = endSessionTx(ctx, tx, sessionID, s.now().UTC())
		return err
	})
	return clients, err
}

// endSessionTx is EndSession in tx, at now.
func endSessionTx(ctx context.Context, tx *sql.Tx, sessionID string, now time.Time) (clients []string, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL`, sessionID, now)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL`, sessionID, now); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL`, sessionID, now); err != nil {
		return nil, err
	}
	var account string
	if err := tx.QueryRowContext(ctx, `SELECT account_id FROM sessions WHERE id = $1`, sessionID).Scan(&account); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.backchannel_logout_uri FROM session_clients sc
		JOIN clients c ON c.id = sc.client_id WHERE sc.session_id = $1 ORDER BY c.id`, sessionID)
	type target struct{ client, uri string }
	var targets []target
	err = db.Each(rows, err, func(r db.Scanner) error {
		var t target
		if err := r.Scan(&t.client, &t.uri); err != nil {
			return err
		}
		clients = append(clients, t.client)
		if t.uri != "" {
			targets = append(targets, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The deliveries are stored with the session's end, so a crash or a
	// client that is down loses none of them.
	for _, t := range targets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO logout_deliveries (id, client_id, uri, account_id, session_id, created_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, newID(), t.client, t.uri, account, sessionID, now); err != nil {
			return nil, err
		}
	}
	return clients, nil
}

// SessionsOf lists the live sessions of an account.
func (s *Store) SessionsOf(ctx context.Context, accountID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM sessions WHERE account_id = $1 AND ended_at IS NULL AND expires_at > $2`,
		accountID, s.now().UTC())
	return db.Collect(rows, err, db.Value[string])
}

// ---- tokens

// CreateTokens records an access token and, when rt is not nil, a new
// refresh token (with the hash of its value) in one transaction.
func (s *Store) CreateTokens(ctx context.Context, at identity.AccessToken, rt *identity.RefreshToken, rtHash string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if at.AccountID != "" {
			if err := insertAccessTokenTx(ctx, tx, at); err != nil {
				return err
			}
		}
		if rt != nil {
			return insertRefreshTokenTx(ctx, tx, *rt, rtHash)
		}
		return nil
	})
}

func insertAccessTokenTx(ctx context.Context, tx *sql.Tx, at identity.AccessToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO access_tokens (id, family_id, auth_request_id, session_id, client_id, account_id, scopes, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, at.ID, nullString(at.FamilyID), nullString(at.AuthRequestID), nullString(at.SessionID),
		at.ClientID, at.AccountID, list(at.Scopes), at.ExpiresAt.UTC())
	return err
}

func insertRefreshTokenTx(ctx context.Context, tx *sql.Tx, rt identity.RefreshToken, hash string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (id, token_hash, family_id, auth_request_id, client_id, account_id,
		session_id, scopes, amr, auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		rt.ID, hash, rt.FamilyID, nullString(rt.AuthRequestID), rt.ClientID, rt.AccountID, nullString(rt.SessionID),
		list(rt.Scopes), list(rt.AMR), rt.AuthTime.UTC(), rt.CreatedAt.UTC(), rt.ExpiresAt.UTC())
	return err
}

const refreshColumns = `id, family_id, auth_request_id, client_id, account_id, session_id, scopes, amr, auth_time,
	created_at, expires_at, used_at, revoked_at`

// scanRefresh reads refreshColumns, then extra.
func scanRefresh(row interface{ Scan(...any) error }, extra ...any) (identity.RefreshToken, error) {
	var rt identity.RefreshToken
	var ar, sess sql.NullString
	var scopes, amr string
	var used, revoked sql.NullTime
	err := row.Scan(append([]any{&rt.ID, &rt.FamilyID, &ar, &rt.ClientID, &rt.AccountID, &sess, &scopes, &amr, &rt.AuthTime,
		&rt.CreatedAt, &rt.ExpiresAt, &used, &revoked}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return rt, identity.ErrNotFound
	}
	rt.AuthRequestID, rt.SessionID = ar.String, sess.String
	rt.Scopes, rt.AMR = parseList(scopes), parseList(amr)
	rt.UsedAt, rt.RevokedAt = timePtr(used), timePtr(revoked)
	return rt, err
}

// RefreshToken returns a refresh token by the hash of its value, whatever
// its state.
func (s *Store) RefreshToken(ctx context.Context, hash string) (identity.RefreshToken, error) {
	return scanRefresh(s.db.QueryRowContext(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE token_hash = $1`, hash))
}

// UseRefreshToken spends the refresh token with hash oldHash and records
// its successor and a new access token, in one transaction. Presenting a
// token that was already spent or revoked revokes its whole family and
// every access token issued from it, and returns ErrTokenReused (OAuth 2.0
// Security BCP, refresh token rotation). It is RotateRefreshToken without
// a grace period.
func (s *Store) UseRefreshToken(ctx context.Context, oldHash string, next identity.RefreshToken, nextHash string, at identity.AccessToken) error {
	_, err := s.RotateRefreshToken(ctx, oldHash, next, nextHash, "", at, 0)
	return err
}

// RotateRefreshToken spends the refresh token with hash oldHash and
// records its successor next (nextHash the hash of its value, nextSealed
// its value sealed so that only the holder of the spent token can open
// it) and the access token at, in one transaction, and returns "".
//
// A token spent at most grace ago whose successor has been neither used
// nor revoked is a retry (an answer lost, two requests of the client
// racing; RFC 9700 section 4.14.2): at is recorded, next is not, and the
// sealed successor of the first use is returned, so that the family stays
// one chain. Any other presentation of a spent or revoked token is a
// reuse: the family and every access token issued from it are revoked,
// and the error is ErrTokenReused.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next identity.RefreshToken, nextHash, nextSealed string,
	at identity.AccessToken, grace time.Duration) (retried string, err error) {
	// Two presentations at once both find the token unspent; the spend is
	// conditional, and the one that loses goes again, as a retry.
	for range 2 {
		retried, err = s.rotateRefreshToken(ctx, oldHash, next, nextHash, nextSealed, at, grace)
		if !errors.Is(err, errSpentMeanwhile) {
			break
		}
	}
	return retried, err
}

// errSpentMeanwhile is a refresh token spent by another transaction
// between reading and spending it.
var errSpentMeanwhile = errors.New("refresh token spent meanwhile")

func (s *Store) rotateRefreshToken(ctx context.Context, oldHash string, next identity.RefreshToken, nextHash, nextSealed string,
	at identity.AccessToken, grace time.Duration) (retried string, err error) {
	reused := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var succHash, succSealed sql.NullString
		old, err := scanRefresh(tx.QueryRowContext(ctx, `SELECT `+refreshColumns+`, successor_hash, successor_sealed
			FROM refresh_tokens WHERE token_hash = $1`, oldHash), &succHash, &succSealed)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if grace > 0 && old.RevokedAt == nil && old.UsedAt != nil && succSealed.Valid && !now.After(old.UsedAt.Add(grace)) {
			succ, err := scanRefresh(tx.QueryRowContext(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE token_hash = $1`, succHash.String))
			if err != nil && !errors.Is(err, identity.ErrNotFound) {
				return err
			}
			if err == nil && succ.UsedAt == nil && succ.RevokedAt == nil && now.Before(succ.ExpiresAt) {
				retried = succSealed.String
				return insertAccessTokenTx(ctx, tx, at)
			}
		}
		if old.UsedAt != nil || old.RevokedAt != nil {
			reused = true
			return revokeFamilyTx(ctx, tx, old.FamilyID, now)
		}
		if !now.Before(old.ExpiresAt) {
			return identity.ErrNotFound
		}
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = $2, successor_hash = $3, successor_sealed = $4
			WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL`, old.ID, now, nullString(nextHash), nullString(nextSealed))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return cmp.Or(err, errSpentMeanwhile)
		}
		if err := insertRefreshTokenTx(ctx, tx, next, nextHash); err != nil {
			return err
		}
		if err := touchSessionTx(ctx, tx, old.SessionID, now); err != nil {
			return err
		}
		return insertAccessTokenTx(ctx, tx, at)
	})
	if err == nil && reused {
		return "", identity.ErrTokenReused
	}
	if err != nil {
		return "", err
	}
	return retried, nil
}

func revokeFamilyTx(ctx context.Context, tx *sql.Tx, family string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, family, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, family, now)
	return err
}

// RevokeRefreshFamily revokes the family of the refresh token with hash,
// if it belongs to clientID (RFC 7009 section 2.1: revoking a refresh token
// revokes what was issued from the same grant). Unknown tokens are not an
// error (RFC 7009 section 2.2).
func (s *Store) RevokeRefreshFamily(ctx context.Context, hash, clientID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var family string
		err := tx.QueryRowContext(ctx, `SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND client_id = $2`, hash, clientID).Scan(&family)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return revokeFamilyTx(ctx, tx, family, s.now().UTC())
	})
}

// RevokeAccessToken makes an access token (by jti) of clientID inactive
// until it expires anyway. A recorded token of another client is left
// alone without an error (RFC 7009 sections 2.1 and 2.2); a token that is
// not recorded (a service's, from client credentials) is revoked: the
// caller has checked its client_id claim.
func (s *Store) RevokeAccessToken(ctx context.Context, jti, clientID string, expires time.Time) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT client_id FROM access_tokens WHERE id = $1`, jti).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case owner != clientID:
			return nil
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, jti, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO revoked_access_tokens (id, expires_at, revoked_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING`, jti, expires.UTC(), now)
		return err
	})
}

// AccessTokenScopes returns the scopes of a person's access token and
// whether it is still valid (recorded, not revoked, not expired).
func (s *Store) AccessTokenScopes(ctx context.Context, jti string) ([]string, bool, error) {
	var scopes string
	var revoked sql.NullTime
	var expires time.Time
	err := s.db.QueryRowPrepared(ctx, `SELECT scopes, revoked_at, expires_at FROM access_tokens WHERE id = $1`, jti).Scan(&scopes, &revoked, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return parseList(scopes), !revoked.Valid && s.now().Before(expires), nil
}

// AccessTokenRevoked reports whether the access token with this jti was
// revoked (directly, by its refresh family, code reuse or session end).
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	err := s.db.QueryRowPrepared(ctx, `SELECT
		(SELECT COUNT(*) FROM revoked_access_tokens WHERE id = $1) +
		(SELECT COUNT(*) FROM access_tokens WHERE id = $1 AND revoked_at IS NOT NULL)`, jti).Scan(&n)
	return n > 0, err
}

// ---- signing keys

// SigningKeys returns the keys that are not retired, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]identity.SigningKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, alg, state, private_key, public_jwk, created_at FROM signing_keys
		WHERE state <> 'retired' ORDER BY created_at DESC, id`)
	return db.Collect(rows, err, func(r db.Scanner) (identity.SigningKey, error) {
		var k identity.SigningKey
		err := r.Scan(&k.ID, &k.Alg, &k.State, &k.PrivateKey, &k.PublicJWK, &k.CreatedAt)
		return k, err
	})
}

// AddSigningKeys stores the keys whose algorithm has no key in that state
// yet and reports whether it stored any. Replicas starting together may all
// try: the unique index on (alg, state) for current and next keys lets one
// of them win and the others' inserts do nothing, on both engines and at
// any isolation level (a check before the insert would not).
func (s *Store) AddSigningKeys(ctx context.Context, keys []identity.SigningKey) (bool, error) {
	added := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			res, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, alg, state, private_key, public_jwk, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, k.ID, k.Alg, k.State, k.PrivateKey, k.PublicJWK, k.CreatedAt.UTC())
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				added = true
			}
		}
		return nil
	})
	return added, err
}

// RotateSigningKeys moves every algorithm one step: previous keys retire,
// current become previous, next become current, and the given keys become
// next. One transaction, so a concurrent reader sees the old or the new set.
func (s *Store) RotateSigningKeys(ctx context.Context, next []identity.SigningKey) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		for _, step := range [][2]string{{"previous", "retired"}, {"current", "previous"}, {"next", "current"}} {
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = $2, rotated_at = $3 WHERE state = $1`, step[0], step[1], now); err != nil {
				return err
			}
		}
		for _, k := range next {
			if _, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, alg, state, private_key, public_jwk, created_at)
				VALUES ($1, $2, 'next', $3, $4, $5)`, k.ID, k.Alg, k.PrivateKey, k.PublicJWK, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReauthenticateSession records a fresh sign-in in a live session: its
// time and how the person proved themselves (amr, RFC 8176).
func (s *Store) ReauthenticateSession(ctx context.Context, sessionID string, authTime time.Time, amr []string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET auth_time = $2, amr = $3 WHERE id = $1 AND ended_at IS NULL`,
		sessionID, authTime.UTC(), list(amr))
	return err
}
