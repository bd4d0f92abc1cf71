package outbox

import (
	"context"
	"time"
)

// Work is one outbox for Drain: how its entries of type T are claimed,
// renewed, sent and recorded. Each worker keeps its own retry decisions
// and logs in Failed, Done and Lost.
type Work[T any] struct {
	// Claim takes up to n due entries under a new lease; the entries of
	// one claim share its lease value.
	Claim func(ctx context.Context, n int, lease time.Duration) ([]T, error)
	Renew RenewFunc
	// Key is an entry's id and the lease value it was claimed with.
	Key func(T) (id string, held time.Time)
	// Send delivers one entry; SendCap, when set, bounds it below
	// SendTimeout(lease).
	Send    func(ctx context.Context, e T) error
	SendCap time.Duration
	// Failed records a failed send under the entry's current lease value
	// (and decides whether and when to try again); Done records a
	// delivered one. An error of theirs ends the drain.
	Failed func(ctx context.Context, e T, held time.Time, err error) error
	Done   func(ctx context.Context, e T) error
	// Lost is told of an entry skipped because its lease went to another
	// replica.
	Lost func(e T)
}

// Drain sends every due entry of w, claimed 20 at a time under lease
// (DefaultLease when 0) and renewed before each send (see Batch), and
// returns how many were delivered. It is the one loop of campus's
// outboxes (mail, back-channel logouts, study notices).
func Drain[T any](ctx context.Context, lease time.Duration, w Work[T]) (int, error) {
	if lease <= 0 {
		lease = DefaultLease
	}
	timeout := SendTimeout(lease)
	if w.SendCap > 0 {
		timeout = min(timeout, w.SendCap)
	}
	done := 0
	for {
		batch, err := w.Claim(ctx, 20, lease)
		if err != nil || len(batch) == 0 {
			return done, err
		}
		ids := make([]string, len(batch))
		for i, e := range batch {
			ids[i], _ = w.Key(e)
		}
		_, held := w.Key(batch[0])
		leases := NewBatch(held, ids, lease, w.Renew)
		for i, e := range batch {
			held, mine, err := leases.Next(ctx, ids[i])
			if err != nil {
				return done, err
			}
			if !mine {
				w.Lost(e)
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, timeout)
			err = w.Send(sctx, e)
			cancel()
			if err != nil {
				if err := w.Failed(ctx, e, held, err); err != nil {
					return done, err
				}
				continue
			}
			if err := w.Done(ctx, e); err != nil {
				return done, err
			}
			done++
		}
	}
}
