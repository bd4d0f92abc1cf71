package db

import (
	"context"
	"log/slog"
	"time"
)

// HousekeepEvery is how often each replica deletes the rows nobody can use
// any more (expired tokens, sessions, links). Replicas need no lease for
// it: a row is deleted once, whoever deletes it.
const HousekeepEvery = 10 * time.Minute

// Housekeep runs purge once a minute after start and then every
// HousekeepEvery until ctx ends, logging what it deleted (a count, never
// a value) and its errors under what.
func Housekeep(ctx context.Context, logger *slog.Logger, what string, purge func(context.Context) (int64, error)) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		began := time.Now()
		n, err := purge(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("housekeeping", "what", what, "deleted", n, "err", err)
		case n > 0:
			logger.Info("housekeeping", "what", what, "deleted", n, "took", time.Since(began).Round(time.Millisecond))
		}
		t.Reset(HousekeepEvery)
	}
}
