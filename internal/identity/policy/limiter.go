package policy

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Limiter is a token bucket per key, for example sign-in attempts per
// client address. It is safe for concurrent use.
//
// A nil *Limiter allows everything; it is how a caller turns limiting off
// explicitly, rather than by a rate of zero that might equally be a
// forgotten setting.
//
// Each bucket is stored as a single time, its theoretical arrival time
// (the generic cell rate algorithm): the moment at which the bucket will be
// full again. A key whose time has passed has a full bucket and needs no
// memory at all, which is what keeps the map small.
type Limiter struct {
	interval time.Duration // time to earn one token
	window   time.Duration // burst × interval: how far ahead of now a bucket's time may run
	now      func() time.Time
	maxKeys  int

	mu        sync.Mutex
	full      map[string]time.Time // key -> when its bucket is full again
	lastSweep time.Time
}

const (
	defaultMaxKeys = 100_000
	sweepEvery     = time.Minute
	// When the map reaches its cap, one in evictFraction of its slots is
	// freed at once, so that a flood of new keys costs one sort per many
	// insertions rather than one scan per insertion.
	evictFraction = 10
)

// NewLimiter returns a limiter that allows burst events at once per key and
// then perMinute events a minute. now is the clock, time.Now in production.
// It panics if perMinute or burst is less than 1 or now is nil: those are
// configuration mistakes that must not silently disable the limit.
func NewLimiter(perMinute int, burst int, now func() time.Time) *Limiter {
	if perMinute < 1 || burst < 1 || now == nil {
		panic("policy: NewLimiter needs perMinute >= 1, burst >= 1 and a clock")
	}
	interval := time.Minute / time.Duration(perMinute)
	if interval <= 0 {
		interval = 1 // more than one event a nanosecond: as good as unlimited
	}
	window := time.Duration(math.MaxInt64)
	if int64(burst) <= math.MaxInt64/int64(interval) {
		window = time.Duration(burst) * interval
	}
	return &Limiter{
		interval:  interval,
		window:    window,
		now:       now,
		maxKeys:   defaultMaxKeys,
		full:      make(map[string]time.Time),
		lastSweep: now(),
	}
}

// Allow takes one token from key's bucket and reports whether there was
// one. A refused call takes nothing, so that a client hammering away does
// not push its own retry time further out.
func (l *Limiter) Allow(key string) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeSweep(now)
	tat, tracked := l.full[key]
	if !tracked || tat.Before(now) {
		tat = now
	}
	next := tat.Add(l.interval)
	if next.Sub(now) > l.window {
		return false
	}
	if !tracked && len(l.full) >= l.maxKeys {
		l.evict(now)
	}
	l.full[key] = next
	return true
}

// RetryAfter returns how long key has to wait until Allow would succeed,
// zero if it would succeed now. It takes no token, so a login page can use
// it to word a refusal or set a Retry-After header.
func (l *Limiter) RetryAfter(key string) time.Duration {
	if l == nil {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, tracked := l.full[key]
	if !tracked {
		return 0
	}
	// Allow succeeds once tat+interval-now <= window.
	return max(tat.Add(l.interval).Sub(now)-l.window, 0)
}

// maybeSweep forgets the keys whose buckets are full again. Scanning the
// whole map is linear, so it happens at most once per sweepEvery, which
// spreads its cost over all the calls in between.
func (l *Limiter) maybeSweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	l.sweep(now)
}

func (l *Limiter) sweep(now time.Time) {
	for k, tat := range l.full {
		if !tat.After(now) {
			delete(l.full, k)
		}
	}
}

// evict makes room under the cap, and enough of it that the next many new
// keys do not each pay for a scan of the map. Full buckets go first since
// forgetting them changes nothing; if that is not enough, the fullest go,
// being the buckets that would have been full again soonest. Those keys
// get a full bucket early, which is the price of bounded memory under a
// flood of distinct keys (addresses).
func (l *Limiter) evict(now time.Time) {
	target := min(l.maxKeys-l.maxKeys/evictFraction, l.maxKeys-1)
	l.sweep(now)
	if len(l.full) <= target {
		return
	}
	type entry struct {
		key string
		tat time.Time
	}
	entries := make([]entry, 0, len(l.full))
	for k, tat := range l.full {
		entries = append(entries, entry{k, tat})
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.tat.Compare(b.tat) })
	for _, e := range entries[:len(entries)-target] {
		delete(l.full, e.key)
	}
}
