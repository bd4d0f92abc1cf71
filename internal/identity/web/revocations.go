package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/identity/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

// RevocationStore is what the revocation feed reads.
type RevocationStore interface {
	Revocations(ctx context.Context, since time.Time) ([]store.Revocation, time.Time, error)
}

// revocationFeed is the document resource servers poll (see
// tokencheck.Revocations): what was revoked since the last poll.
type revocationFeed struct {
	// AsOf is the since of the next poll.
	AsOf time.Time `json:"as_of"`
	// Revocations name jti and sub values by their SHA-256 (base64url), so
	// the feed, open to anyone, tells only who already holds a token which
	// of them died; access tokens must not have a jti or sub listed.
	Revocations []revocationEntry `json:"revocations"`
}

type revocationEntry struct {
	Kind    string    `json:"kind"` // jti: that token; sub: the subject's tokens issued before at
	Hash    string    `json:"hash"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
}

// FeedHash is how the feed names a jti or sub.
func FeedHash(value string) string {
	h := sha256.Sum256([]byte(value))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// handleRevocations serves the revocation feed: GET /revocations lists
// every revocation that may still matter, ?since=T (the previous answer's
// as_of) what changed after it. Resource servers poll it every few seconds
// instead of asking identity about every token (see docs/decisions.md).
// Without a store there is no feed (404).
func handleRevocations(st RevocationStore, logger *slog.Logger) http.Handler {
	if st == nil {
		return problem.NotFound()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var since time.Time
		if v := r.URL.Query().Get("since"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "since must be an RFC 3339 time, as the feed's as_of."})
				return
			}
			since = t
		}
		list, asOf, err := st.Revocations(r.Context(), since)
		if err != nil {
			logger.ErrorContext(r.Context(), "read the revocation feed", "err", err)
			problem.Write(w, problem.Details{Status: failureStatus(err), Detail: "The revocations could not be read."})
			return
		}
		feed := revocationFeed{AsOf: asOf, Revocations: make([]revocationEntry, 0, len(list))}
		for _, e := range list {
			feed.Revocations = append(feed.Revocations, revocationEntry{Kind: e.Kind, Hash: FeedHash(e.Value), At: e.At.UTC(), Expires: e.Expires.UTC()})
		}
		w.Header().Set("Cache-Control", "no-store")
		rest.Reply(w, http.StatusOK, 0, feed)
	})
}
