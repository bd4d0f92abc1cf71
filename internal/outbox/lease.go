package outbox

import (
	"context"
	"slices"
	"time"
)

// DefaultLease is how long an entry claimed from an outbox stays its
// holder's without renewal: a replica that dies holding entries delays
// them by at most this long (and a poll) before another replica sends
// them.
const DefaultLease = 30 * time.Second

// SendTimeout bounds one delivery under a lease: two thirds of it, so that
// a delivery started right after a renewal ends, and is recorded, before
// the lease could lapse.
func SendTimeout(lease time.Duration) time.Duration { return lease * 2 / 3 }

// RenewFunc extends to now+lease the leases of the entries ids that still
// carry the lease value held, and returns which, with the new value.
type RenewFunc func(ctx context.Context, held time.Time, lease time.Duration, ids ...string) (kept []string, until time.Time, err error)

// A Batch is the entries one holder claimed together, worked through in
// order. Before each entry its own lease and those of the entries after
// it are renewed (a heartbeat per delivery), so that a holder that is
// alive keeps its whole batch however slowly it goes, and one that died
// loses it a lease after its last delivery began.
type Batch struct {
	held  time.Time
	left  []string
	lease time.Duration
	renew RenewFunc
}

// NewBatch tracks the entries ids, claimed with the lease value held.
func NewBatch(held time.Time, ids []string, lease time.Duration, renew RenewFunc) *Batch {
	return &Batch{held: held, left: slices.Clone(ids), lease: lease, renew: renew}
}

// Next renews the leases of the entries not yet handled and reports
// whether id, the next of them, is still this holder's, with the lease
// value to record its outcome under. When it is not (the lease lapsed and
// another replica claimed it, or it was finished elsewhere) the holder
// must skip it. Each id is handed out at most once.
func (b *Batch) Next(ctx context.Context, id string) (held time.Time, ok bool, err error) {
	if !slices.Contains(b.left, id) {
		return time.Time{}, false, nil
	}
	kept, until, err := b.renew(ctx, b.held, b.lease, b.left...)
	if err != nil {
		return time.Time{}, false, err
	}
	b.held = until
	b.left = slices.DeleteFunc(b.left, func(x string) bool { return x == id || !slices.Contains(kept, x) })
	return until, slices.Contains(kept, id), nil
}
