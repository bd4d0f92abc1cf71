package oidcop

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"campus/internal/identity"
)

// apiKeyPrefix starts every personal API key (see the identity store).
const apiKeyPrefix = "campus_"

func isAPIKey(s string) bool {
	return strings.HasPrefix(s, apiKeyPrefix) && len(s) > len(apiKeyPrefix)+40
}

// APIKeyScope marks what an API key grants: reading, on its owner's behalf,
// what the owner may read (the catalogue, their enrolments and grades).
const APIKeyScope = "read"

// introspectAPIKey answers RFC 7662 introspection for a personal API key.
// The library knows only its own JWTs, so keys are answered here, for a
// client the interceptor has authenticated already, with the same answer
// for every key that cannot be used: {"active": false}.
func (s *Storage) introspectAPIKey(w http.ResponseWriter, r *http.Request, key string) {
	w.Header().Set("Content-Type", "application/json")
	k, err := s.store.UseAPIKey(r.Context(), key)
	if err != nil {
		if !errors.Is(err, identity.ErrNotFound) {
			// 500; the outageWriter makes it 503 when the database was down.
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"error": "server_error"})
			return
		}
		json.NewEncoder(w).Encode(map[string]bool{"active": false})
		return
	}
	out := map[string]any{"active": true, "sub": k.AccountID, "scope": APIKeyScope, "token_type": "api_key",
		"client_id": "api-key:" + k.ID, "iat": k.CreatedAt.Unix(), "iss": s.cfg.Issuer}
	if k.ExpiresAt != nil {
		out["exp"] = k.ExpiresAt.Unix()
	}
	json.NewEncoder(w).Encode(out)
}
