package store

import (
	"context"
	"time"
)

// TakeLease takes or renews the lease of job for holder until now+ttl;
// false when another holder has it. One statement: the insert, or the
// update of a lease that is the holder's or has run out, is the
// compare-and-set.
func (s *Store) TakeLease(ctx context.Context, job, holder string, ttl time.Duration) (bool, error) {
	now := s.stamp()
	res, err := s.db.ExecContext(ctx, `INSERT INTO jobs (name, holder, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE jobs.holder = excluded.holder OR jobs.until <= $4`, job, holder, now.Add(ttl), now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
