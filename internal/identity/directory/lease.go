package directory

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LeaseTTL is how long a job's lease lasts without renewal: when the
// replica that holds it dies, another can take the job over this long
// after the last renewal. The holder renews it every LeaseTTL/3.
const LeaseTTL = 30 * time.Second

// ErrLeaseLost ends a job whose lease could not be renewed: another
// replica may hold the lease now, so this one stops.
var ErrLeaseLost = errors.New("lost the job's lease")

// LeaseStore keeps the leases of jobs that must run on one replica at a
// time.
type LeaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	RenewLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// A Lease lets one replica run a job: the lease lasts TTL and is renewed
// while the job runs, so that a holder that dies keeps nobody out for
// longer than TTL.
type Lease struct {
	Store  LeaseStore
	Name   string
	Holder string
	TTL    time.Duration // LeaseTTL when 0
}

// Hold runs job while holding the lease; it reports false, without
// running job, when another holder has it. A heartbeat renews the lease
// every TTL/3; when a renewal finds the lease taken, or renewals fail for
// so long that the lease may have lapsed, job's context is cancelled and
// Hold's error wraps ErrLeaseLost. The lease is released when job returns.
func (l Lease) Hold(ctx context.Context, job func(context.Context) error) (bool, error) {
	ttl := l.TTL
	if ttl <= 0 {
		ttl = LeaseTTL
	}
	ok, err := l.Store.AcquireLease(ctx, l.Name, l.Holder, ttl)
	if err != nil || !ok {
		return false, err
	}
	// Released with a context of its own: a cancelled job must not keep
	// others out until the lease lapses.
	defer l.Store.ReleaseLease(context.WithoutCancel(ctx), l.Name, l.Holder) //nolint:errcheck // lapses anyway

	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		l.heartbeat(jobCtx, ttl, cancel)
	}()
	err = job(jobCtx)
	cancel(nil)
	<-beat
	if cause := context.Cause(jobCtx); err != nil && errors.Is(cause, ErrLeaseLost) {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	return true, err
}

func (l Lease) heartbeat(ctx context.Context, ttl time.Duration, cancel context.CancelCauseFunc) {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := l.Store.RenewLease(ctx, l.Name, l.Holder, ttl)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && ok:
			renewed = time.Now()
		case err == nil:
			cancel(fmt.Errorf("%w %s: another holder has it", ErrLeaseLost, l.Name))
			return
		case time.Since(renewed) >= ttl-ttl/3:
			// One more failed beat and the lease lapses: stop before
			// another replica may start.
			cancel(fmt.Errorf("%w %s: renewals fail: %w", ErrLeaseLost, l.Name, err))
			return
		}
	}
}
