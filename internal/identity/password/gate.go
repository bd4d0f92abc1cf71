package password

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy means the process is computing as many hashes as it has cores
// and as many more are waiting as it allows: answer 503 with a short
// Retry-After rather than queue further.
var ErrBusy = errors.New("password checks are busy; try again in a moment")

// Gate admits hash computations. Each argon2id hash holds its memory
// (19 MiB by default) and a core while it runs, so without a bound an
// overload (a burst of sign-ins, a credential-stuffing run) makes every
// sign-in wait behind all the others and the process's memory grow by
// 19 MiB per waiting sign-in. The gate runs at most as many hashes as
// there are cores; up to a queue more wait, each until its request ends
// or for at most the gate's wait; beyond that a caller is refused at once
// (ErrBusy). A waiting caller holds no hash memory. The gate is per
// process on purpose: it protects this process's cores and memory.
type Gate struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

// NewGate returns a gate running at most concurrent hashes, with at most
// queue callers waiting, each for at most wait.
func NewGate(concurrent, queue int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(concurrent, 1)), queue: int64(max(queue, 0)), wait: wait}
}

// DefaultGate is the process's gate: one hash per core (GOMAXPROCS), 32
// waiting per core, each at most 5 s. At the default cost a core hashes
// about 15 passwords a second, so a full queue is about two seconds of
// work.
var DefaultGate = NewGate(runtime.GOMAXPROCS(0), 32*runtime.GOMAXPROCS(0), 5*time.Second)

// Do runs fn when a slot is free. It answers ErrBusy when the queue is
// full or the wait ran out, and ctx's error when the request ended first.
func (g *Gate) Do(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.queue {
			g.waiting.Add(-1)
			return ErrBusy
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			g.waiting.Add(-1)
		case <-t.C:
			g.waiting.Add(-1)
			return ErrBusy
		case <-ctx.Done():
			t.Stop()
			g.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	fn()
	return nil
}

// HashContext is Hash through the DefaultGate.
func HashContext(ctx context.Context, pw string, p Params) (phc string, err error) {
	if gerr := DefaultGate.Do(ctx, func() { phc, err = Hash(pw, p) }); gerr != nil {
		return "", gerr
	}
	return phc, err
}

// VerifyContext is Verify through the DefaultGate.
func VerifyContext(ctx context.Context, pw, phc string, p Params) (ok, rehash bool, err error) {
	if gerr := DefaultGate.Do(ctx, func() { ok, rehash, err = Verify(pw, phc, p) }); gerr != nil {
		return false, false, gerr
	}
	return ok, rehash, err
}
