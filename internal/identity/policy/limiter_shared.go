package policy

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Buckets keeps token buckets that every process on one database shares;
// identity's store implements it.
type Buckets interface {
	// TakeToken takes a token from the bucket name/subject if it has one,
	// atomically across processes, and reports when the bucket is full
	// again (after the take, or as it stands when refused).
	TakeToken(ctx context.Context, name, subject string, now time.Time, interval, window time.Duration) (ok bool, full time.Time, err error)
	// ForgetFullBuckets deletes buckets that are full by now.
	ForgetFullBuckets(ctx context.Context, now time.Time) (int64, error)
}

// SharedLimiter is a token bucket per key, like [Limiter], whose buckets
// live in the database, so that a limit holds for the whole deployment
// however many replicas a balancer spreads the requests over.
//
// Each process remembers, per key, the latest full time the database
// reported. A bucket's full time only moves forward (a row is deleted only
// once that time has passed), so the remembered one is a lower bound: when
// it alone shows the bucket empty, the shared bucket is empty too, and the
// refusal needs no query. The local memory can only refuse what the
// database would refuse, never allow more.
//
// A nil *SharedLimiter allows everything.
type SharedLimiter struct {
	name     string
	buckets  Buckets
	interval time.Duration // time to earn one token
	window   time.Duration // burst × interval
	now      func() time.Time
	maxKeys  int

	mu        sync.Mutex
	known     map[string]time.Time // key -> lower bound of when its bucket is full
	lastSweep time.Time
}

// NewSharedLimiter returns a limiter named name (it separates limits in the
// shared table) that allows burst events at once per key and then n events
// per period. It panics on a rate or burst below one, a period shorter than
// n nanoseconds, or a missing store or clock: configuration mistakes that
// must not silently disable the limit.
func NewSharedLimiter(name string, b Buckets, n int, period time.Duration, burst int, now func() time.Time) *SharedLimiter {
	if name == "" || b == nil || n < 1 || burst < 1 || now == nil || period/time.Duration(n) <= 0 {
		panic(fmt.Sprintf("policy: NewSharedLimiter(%q) needs a name, a store, n >= 1, period/n >= 1ns, burst >= 1 and a clock", name))
	}
	interval := period / time.Duration(n)
	return &SharedLimiter{name: name, buckets: b, interval: interval, window: time.Duration(burst) * interval,
		now: now, maxKeys: defaultMaxKeys, known: make(map[string]time.Time), lastSweep: now()}
}

// Allow takes one token from key's bucket and reports whether there was
// one; when there was not, retry is how long until there is (at least one
// nanosecond). A refused call takes nothing. err is a failure of the
// store, on which the caller should refuse the request.
func (l *SharedLimiter) Allow(ctx context.Context, key string) (ok bool, retry time.Duration, err error) {
	if l == nil {
		return true, 0, nil
	}
	now := l.now()
	if wait := l.localWait(key, now); wait > 0 {
		return false, wait, nil
	}
	ok, full, err := l.buckets.TakeToken(ctx, l.name, key, now, l.interval, l.window)
	if err != nil {
		return false, 0, err
	}
	l.remember(key, full)
	l.maybeSweep(ctx, now)
	if ok {
		return true, 0, nil
	}
	return false, max(full.Add(l.interval).Sub(now)-l.window, 1), nil
}

// localWait is how long key must wait by what this process knows, zero
// when it must ask the database.
func (l *SharedLimiter) localWait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	full, tracked := l.known[key]
	if !tracked {
		return 0
	}
	return max(full.Add(l.interval).Sub(now)-l.window, 0)
}

func (l *SharedLimiter) remember(key string, full time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, tracked := l.known[key]; tracked && !full.After(prev) {
		return
	}
	if len(l.known) >= l.maxKeys {
		// Forgetting only costs queries: the database still counts.
		clear(l.known)
	}
	l.known[key] = full
}

// maybeSweep forgets, at most once per sweepEvery, the full buckets here
// and in the database; a missing bucket is a full one, so no answer
// changes. A failed delete is left to the next sweep (of any replica).
func (l *SharedLimiter) maybeSweep(ctx context.Context, now time.Time) {
	l.mu.Lock()
	if now.Sub(l.lastSweep) < sweepEvery {
		l.mu.Unlock()
		return
	}
	l.lastSweep = now
	for k, full := range l.known {
		if !full.After(now) {
			delete(l.known, k)
		}
	}
	l.mu.Unlock()
	_, _ = l.buckets.ForgetFullBuckets(ctx, now)
}
