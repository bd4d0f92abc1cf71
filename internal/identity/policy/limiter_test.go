package policy

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is the injected clock; tests move it instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	type step struct {
		advance   time.Duration // before the step
		key       string
		wantAllow bool
		wantRetry time.Duration // RetryAfter just after the Allow
	}
	tests := []struct {
		name      string
		perMinute int
		burst     int
		steps     []step
	}{
		{
			name: "burst then refusal", perMinute: 6, burst: 3,
			steps: []step{
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true, wantRetry: 10 * time.Second},
				{key: "a", wantAllow: false, wantRetry: 10 * time.Second},
			},
		},
		{
			name: "refill one token per interval", perMinute: 6, burst: 3,
			steps: []step{
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true, wantRetry: 10 * time.Second},
				{advance: 9 * time.Second, key: "a", wantAllow: false, wantRetry: time.Second},
				{advance: time.Second - time.Nanosecond, key: "a", wantAllow: false, wantRetry: time.Nanosecond},
				{advance: time.Nanosecond, key: "a", wantAllow: true, wantRetry: 10 * time.Second},
				{key: "a", wantAllow: false, wantRetry: 10 * time.Second},
			},
		},
		{
			name: "refused attempts do not push the retry time out", perMinute: 1, burst: 1,
			steps: []step{
				{key: "a", wantAllow: true, wantRetry: time.Minute},
				{advance: 20 * time.Second, key: "a", wantAllow: false, wantRetry: 40 * time.Second},
				{key: "a", wantAllow: false, wantRetry: 40 * time.Second},
				{advance: 40 * time.Second, key: "a", wantAllow: true, wantRetry: time.Minute},
			},
		},
		{
			name: "keys are independent", perMinute: 1, burst: 1,
			steps: []step{
				{key: "a", wantAllow: true, wantRetry: time.Minute},
				{key: "a", wantAllow: false, wantRetry: time.Minute},
				{key: "b", wantAllow: true, wantRetry: time.Minute},
				{key: "", wantAllow: true, wantRetry: time.Minute},
			},
		},
		{
			name: "a long pause refills no more than the burst", perMinute: 60, burst: 2,
			steps: []step{
				{key: "a", wantAllow: true},
				{advance: time.Hour, key: "a", wantAllow: true},
				{key: "a", wantAllow: true, wantRetry: time.Second},
				{key: "a", wantAllow: false, wantRetry: time.Second},
			},
		},
		{
			name: "partial refill", perMinute: 60, burst: 5,
			steps: []step{
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true},
				{key: "a", wantAllow: true, wantRetry: time.Second},
				{advance: 2500 * time.Millisecond, key: "a", wantAllow: true},
				{key: "a", wantAllow: true, wantRetry: 500 * time.Millisecond},
				{key: "a", wantAllow: false, wantRetry: 500 * time.Millisecond},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := NewLimiter(tt.perMinute, tt.burst, clock.now)
			for i, st := range tt.steps {
				clock.advance(st.advance)
				if got := l.Allow(st.key); got != st.wantAllow {
					t.Fatalf("step %d: Allow(%q) = %v, want %v", i, st.key, got, st.wantAllow)
				}
				if got := l.RetryAfter(st.key); got != st.wantRetry {
					t.Fatalf("step %d: RetryAfter(%q) = %v, want %v", i, st.key, got, st.wantRetry)
				}
			}
		})
	}
}

func TestLimiterRetryAfterIsExact(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(7, 2, clock.now) // an interval that does not divide a minute
	for l.Allow("a") {
	}
	wait := l.RetryAfter("a")
	if wait <= 0 {
		t.Fatalf("RetryAfter = %v after a refusal, want > 0", wait)
	}
	clock.advance(wait - time.Nanosecond)
	if l.Allow("a") {
		t.Fatalf("Allow succeeded %v before RetryAfter said", time.Nanosecond)
	}
	clock.advance(time.Nanosecond)
	if !l.Allow("a") {
		t.Fatal("Allow refused when RetryAfter said it would succeed")
	}
}

func TestLimiterRetryAfterUnknownKey(t *testing.T) {
	t.Parallel()
	l := NewLimiter(1, 1, newFakeClock().now)
	if got := l.RetryAfter("never-seen"); got != 0 {
		t.Errorf("RetryAfter = %v, want 0", got)
	}
	if n := len(l.full); n != 0 {
		t.Errorf("RetryAfter started tracking a key: %d tracked", n)
	}
}

func TestLimiterForgetsFullBuckets(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(60, 1, clock.now) // a bucket is full again one second after use
	for i := range 1000 {
		l.Allow("key-" + strconv.Itoa(i))
	}
	if n := len(l.full); n != 1000 {
		t.Fatalf("tracking %d keys, want 1000", n)
	}
	clock.advance(30 * time.Second)
	l.Allow("trigger")
	if n := len(l.full); n != 1001 {
		t.Fatalf("swept after 30 s: tracking %d keys, want 1001", n)
	}
	clock.advance(30 * time.Second)
	l.Allow("trigger")
	if n := len(l.full); n != 1 {
		t.Fatalf("after a minute: tracking %d keys, want only the one still in use", n)
	}
	// A forgotten key starts with a full bucket, as it would have had.
	if !l.Allow("key-1") {
		t.Error("forgotten key was refused")
	}
}

func TestLimiterMemoryCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		maxKeys int
		keys    int
	}{
		{name: "small cap", maxKeys: 1000, keys: 25_000},
		{name: "cap of one", maxKeys: 1, keys: 100},
		{name: "default cap", maxKeys: defaultMaxKeys, keys: defaultMaxKeys + 30_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := NewLimiter(1, 3, clock.now)
			l.maxKeys = tt.maxKeys
			for i := range tt.keys {
				if !l.Allow("10.0." + strconv.Itoa(i)) {
					t.Fatalf("new key %d refused", i)
				}
				if n := len(l.full); n > tt.maxKeys {
					t.Fatalf("tracking %d keys after %d, cap %d", n, i+1, tt.maxKeys)
				}
			}
		})
	}
}

func TestLimiterEvictsFullestFirst(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(1, 5, clock.now)
	l.maxKeys = 20
	for l.Allow("attacker") {
	}
	for i := range 1000 {
		l.Allow("passer-by-" + strconv.Itoa(i)) // one token each: fuller than the attacker's bucket
	}
	if l.Allow("attacker") {
		t.Error("the emptiest bucket was evicted under memory pressure")
	}
	if got := l.RetryAfter("attacker"); got != time.Minute {
		t.Errorf("RetryAfter(attacker) = %v, want 1m", got)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	const burst = 50
	l := NewLimiter(1, burst, clock.now)
	l.maxKeys = 100
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				if l.Allow("shared") {
					allowed.Add(1)
				}
				l.Allow("own-" + strconv.Itoa(g) + "-" + strconv.Itoa(i))
				_ = l.RetryAfter("shared")
				if i%100 == 0 {
					clock.advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	// 16×5 ms of clock movement earns no token at one a minute.
	if got := allowed.Load(); got != burst {
		t.Errorf("shared key allowed %d times, want exactly the burst %d", got, burst)
	}
}

func TestNilLimiterAllowsEverything(t *testing.T) {
	t.Parallel()
	var l *Limiter
	for range 10 {
		if !l.Allow("a") {
			t.Fatal("nil limiter refused")
		}
	}
	if got := l.RetryAfter("a"); got != 0 {
		t.Errorf("RetryAfter = %v, want 0", got)
	}
}

func TestNewLimiterRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	tests := []struct {
		name      string
		perMinute int
		burst     int
		now       func() time.Time
	}{
		{name: "zero rate", perMinute: 0, burst: 1, now: clock.now},
		{name: "negative rate", perMinute: -1, burst: 1, now: clock.now},
		{name: "zero burst", perMinute: 1, burst: 0, now: clock.now},
		{name: "no clock", perMinute: 1, burst: 1, now: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("NewLimiter did not panic")
				}
			}()
			NewLimiter(tt.perMinute, tt.burst, tt.now)
		})
	}
}

func TestLimiterExtremeConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		perMinute int
		burst     int
	}{
		{name: "huge burst does not overflow", perMinute: 1, burst: math.MaxInt},
		{name: "more than one a nanosecond", perMinute: math.MaxInt, burst: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := NewLimiter(tt.perMinute, tt.burst, newFakeClock().now)
			if !l.Allow("a") {
				t.Error("first Allow refused")
			}
		})
	}
}
