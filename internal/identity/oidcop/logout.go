package oidcop

import (
	"context"
	"errors"

	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/identity"
)

// EndHintedSession ends the live session that a verified id_token_hint
// names by its sid, whichever browser asks: the hint is the relying
// party's proof that it took part in that session (OpenID Connect
// RP-Initiated Logout 1.0 section 2; the library has verified the hint,
// accepting an expired one as section 4 allows). It reports whether it
// ended one; a hint without sid, for another subject or for a session
// that is over ends nothing.
func (s *Storage) EndHintedSession(ctx context.Context, req *op.EndSessionRequest) (bool, error) {
	if req.IDTokenHintClaims == nil {
		return false, nil
	}
	sid, _ := req.IDTokenHintClaims.Claims["sid"].(string)
	if sid == "" {
		return false, nil
	}
	sess, err := s.store.Session(ctx, sid)
	if errors.Is(err, identity.ErrNotFound) || (err == nil && sess.AccountID != req.IDTokenHintClaims.Subject) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, s.EndSession(ctx, sess)
}
