package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"campus/internal/db"
	"campus/internal/identity/datakeys"
	identitystore "campus/internal/identity/store"
)

// OpenStore returns identity's store over its database with the data keys
// derived from the key-encryption key, and converts the rows of an
// installation from before personal data was encrypted (or finishes a
// conversion that was interrupted) before anything is served: sign-in
// looks accounts up by blind index, which plain rows do not have. A data
// key rotation that is unfinished is left to `campus keys rotate
// --data-key`, which resumes it while campus runs.
func OpenStore(ctx context.Context, d *db.DB, kek []byte, logger *slog.Logger) (*identitystore.Store, error) {
	ring, err := datakeys.New(kek)
	if err != nil {
		return nil, err
	}
	st := identitystore.New(d, time.Now, ring)
	version, pending, plain, err := st.DataKeyPending(ctx)
	if err != nil {
		return nil, fmt.Errorf("identity's data keys: %w", err)
	}
	switch {
	case plain || (pending && version == 1): // the first conversion; instant on a new database
		start := time.Now()
		logger.Info("encrypting personal data at rest (once, after an upgrade); identity serves when it is done")
		last := time.Now()
		n, err := st.Reencrypt(ctx, func(done, total int) {
			if time.Since(last) >= 2*time.Second {
				last = time.Now()
				logger.Info("encrypting personal data", "accounts_done", done, "accounts", total)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("encrypt personal data (start again to resume): %w", err)
		}
		logger.Info("personal data encrypted", "rows", n, "took", time.Since(start).Round(time.Millisecond))
	case pending:
		logger.Warn("a rotation of the data key is unfinished: run `campus keys rotate --data-key` to finish it; until then the older key version keeps decrypting")
	}
	return st, nil
}
