package store

import (
	"context"
	"strconv"
	"time"
)

// Retention after expiry: rows are deleted once nothing can use them, with
// a margin for clocks that disagree between replicas and resource servers.
const (
	// tokenMargin keeps expired tokens and sessions an hour, for clock skew
	// and for introspection answering "inactive" rather than "unknown".
	tokenMargin = time.Hour
	// linkMargin keeps mailed links a week after their end, so that a late
	// click is told the link expired rather than that it is unknown.
	linkMargin = 7 * 24 * time.Hour
	// outboxMargin keeps sent, delivered and given-up outbox entries 30 days
	// for `campus mail status` and the logout-deliveries API.
	outboxMargin = 30 * 24 * time.Hour
	// purgeBatch bounds one DELETE, so that a large backlog never holds
	// SQLite's write lock (or PostgreSQL's row locks) for long.
	purgeBatch = 500
)

// Purged counts what one Purge deleted, by table.
type Purged map[string]int64

// Total is how many rows Purge deleted in all.
func (p Purged) Total() int64 {
	var n int64
	for _, v := range p {
		n += v
	}
	return n
}

// purges are the tables that grow with use and what in them is dead. Each
// condition takes $1, the cutoff of its margin.
var purges = []struct {
	table, key, where string
	margin            time.Duration
}{
	// Redeemed requests are kept until their end so reuse of a code is
	// still detected (DeleteExpiredAuthRequests).
	{"auth_requests", "id", `expires_at <= $1`, 0},
	{"access_tokens", "id", `expires_at <= $1`, tokenMargin},
	{"revoked_access_tokens", "id", `expires_at <= $1`, tokenMargin},
	// A spent refresh token is what reveals a stolen one (reuse revokes its
	// family): a family's rows go together, once its last token expired.
	{"refresh_tokens", "id", `family_id IN (SELECT family_id FROM refresh_tokens GROUP BY family_id HAVING MAX(expires_at) <= $1)`, tokenMargin},
	{"subject_revocations", "account_id", `expires_at <= $1`, 0},
	// A session that ended or expired, once no live refresh token came from
	// it: signing out of it later still revokes what it issued.
	{"sessions", "id", `(ended_at <= $1 OR expires_at <= $1) AND NOT EXISTS
		(SELECT 1 FROM refresh_tokens r WHERE r.session_id = sessions.id AND r.revoked_at IS NULL AND r.expires_at > $1)`, tokenMargin},
	{"account_tokens", "token_hash", `expires_at <= $1`, linkMargin},
	{"mail_outbox", "id", `sent_at <= $1 OR failed_at <= $1`, outboxMargin},
	{"logout_deliveries", "id", `delivered_at <= $1 OR failed_at <= $1`, outboxMargin},
	// Device authorization requests (RFC 8628): an expired one is unusable,
	// spent or not.
	{"device_authorizations", "device_code_hash", `expires_at <= $1`, 0},
	// Sign-in and enrolment ceremonies (mfa.go) last minutes.
	{"mfa_ceremonies", "id_hash", `expires_at <= $1`, 0},
	// A service's idempotency keys of mails (QueueServiceMail): a retry
	// comes within minutes, a week is ample.
	{"service_mails", "id", `created_at <= $1`, linkMargin},
}

// Purge deletes what nobody can use any more: expired authorization
// requests, tokens, sessions, mailed links and revocations, and outbox
// entries done 30 days ago. The audit trail is kept. Deletes go in
// batches; several replicas may purge at once (a row is deleted once).
func (s *Store) Purge(ctx context.Context) (Purged, error) {
	now := s.now().UTC()
	out := Purged{}
	for _, p := range purges {
		cutoff := now.Add(-p.margin)
		for {
			res, err := s.db.ExecContext(ctx, `DELETE FROM `+p.table+` WHERE `+p.key+` IN
				(SELECT `+p.key+` FROM `+p.table+` WHERE `+p.where+` LIMIT `+strconv.Itoa(purgeBatch)+`)`, cutoff)
			if err != nil {
				return out, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return out, err
			}
			out[p.table] += n
			if n < purgeBatch {
				break
			}
		}
	}
	return out, nil
}
