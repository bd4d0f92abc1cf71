package service

import (
	"context"
	"log/slog"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	identitystore "campus/internal/identity/store"
)

// SigningKeys makes sure identity has its signing keys, as a start of the
// server would, and with rotate makes the next keys current (the current
// ones stay published as previous). It returns the keys as stored; a
// running identity picks a rotation up within 30s. dataDir and kek are
// those of Secret.
func SigningKeys(ctx context.Context, st *identitystore.Store, dataDir, kek string, rotate bool, logger *slog.Logger) ([]identity.SigningKey, error) {
	secret, err := Secret(dataDir, kek, logger)
	if err != nil {
		return nil, err
	}
	keys, err := oidcop.NewKeys(st, secret, time.Now)
	if err != nil {
		return nil, err
	}
	if err := keys.Ensure(ctx); err != nil {
		return nil, err
	}
	if rotate {
		if err := keys.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return st.SigningKeys(ctx)
}
