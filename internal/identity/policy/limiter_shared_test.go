package policy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// memBuckets is the shared store in memory: the algorithm of identity's
// store, counting the calls.
type memBuckets struct {
	mu    sync.Mutex
	tat   map[string]time.Time
	takes int
	err   error
}

func (m *memBuckets) TakeToken(_ context.Context, name, subject string, now time.Time, interval, window time.Duration) (bool, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.takes++
	if m.err != nil {
		return false, time.Time{}, m.err
	}
	if m.tat == nil {
		m.tat = map[string]time.Time{}
	}
	k := name + "\x00" + subject
	tat := m.tat[k]
	if tat.Before(now) {
		tat = now
	}
	if tat.Add(interval).Sub(now) > window {
		return false, m.tat[k], nil
	}
	m.tat[k] = tat.Add(interval)
	return true, m.tat[k], nil
}

func (m *memBuckets) ForgetFullBuckets(_ context.Context, now time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
			n++
		}
	}
	return n, nil
}

func TestSharedLimiterHoldsAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := &memBuckets{}
	replicas := []*SharedLimiter{
		NewSharedLimiter("register", b, 10, time.Hour, 10, clock.now),
		NewSharedLimiter("register", b, 10, time.Hour, 10, clock.now),
	}
	for i := range 10 {
		if ok, _, err := replicas[i%2].Allow(ctx, "192.0.2.1"); !ok || err != nil {
			t.Fatalf("registration %d refused (%v)", i+1, err)
		}
	}
	for i := range 2 {
		ok, retry, err := replicas[i%2].Allow(ctx, "192.0.2.1")
		if ok || err != nil || retry != 6*time.Minute {
			t.Fatalf("registration %d: ok %v, retry %v, err %v; want refused for 6m", 11+i, ok, retry, err)
		}
	}
	// Both replicas now know the bucket is empty: refusals cost no query.
	takes := b.takes
	for i := range 4 {
		if ok, retry, _ := replicas[i%2].Allow(ctx, "192.0.2.1"); ok || retry != 6*time.Minute {
			t.Fatalf("local refusal: ok %v, retry %v", ok, retry)
		}
	}
	if b.takes != takes {
		t.Errorf("%d queries for refusals the replicas knew of", b.takes-takes)
	}
	clock.advance(6*time.Minute - time.Nanosecond)
	if ok, retry, _ := replicas[0].Allow(ctx, "192.0.2.1"); ok || retry != time.Nanosecond {
		t.Fatalf("a nanosecond early: ok %v, retry %v", ok, retry)
	}
	clock.advance(time.Nanosecond)
	if ok, _, _ := replicas[1].Allow(ctx, "192.0.2.1"); !ok {
		t.Fatal("refused after the interval")
	}
	if ok, _, _ := replicas[0].Allow(ctx, "192.0.2.1"); ok {
		t.Fatal("the other replica allowed a second token after one interval")
	}
}

func TestSharedLimiterLocalMemoryNeverAllowsMore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := &memBuckets{}
	a := NewSharedLimiter("sign-in", b, 60, time.Minute, 3, clock.now)
	other := NewSharedLimiter("sign-in", b, 60, time.Minute, 3, clock.now)
	if ok, _, _ := a.Allow(ctx, "k"); !ok { // a knows of one token taken
		t.Fatal("first refused")
	}
	for range 2 {
		other.Allow(ctx, "k")
	}
	// a's memory says two tokens are left; the database says none.
	if ok, _, _ := a.Allow(ctx, "k"); ok {
		t.Fatal("stale local memory allowed a token the database does not have")
	}
}

func TestSharedLimiterSweeps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	b := &memBuckets{}
	l := NewSharedLimiter("x", b, 60, time.Minute, 1, clock.now)
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(ctx, k)
	}
	clock.advance(sweepEvery)
	l.Allow(ctx, "d")
	if len(l.known) != 1 || len(b.tat) != 1 {
		t.Errorf("after a sweep: %d keys known here, %d in the store; want only d", len(l.known), len(b.tat))
	}
}

func TestSharedLimiterStoreFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("database down")
	l := NewSharedLimiter("x", &memBuckets{err: boom}, 1, time.Minute, 1, newFakeClock().now)
	if ok, _, err := l.Allow(context.Background(), "a"); ok || !errors.Is(err, boom) {
		t.Errorf("Allow = %v, %v; want refused with the store's error", ok, err)
	}
	var off *SharedLimiter
	if ok, _, err := off.Allow(context.Background(), "a"); !ok || err != nil {
		t.Errorf("nil limiter: %v, %v", ok, err)
	}
}

func TestNewSharedLimiterRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	b := &memBuckets{}
	now := newFakeClock().now
	tests := []struct {
		name  string
		build func()
	}{
		{"no name", func() { NewSharedLimiter("", b, 1, time.Minute, 1, now) }},
		{"no store", func() { NewSharedLimiter("x", nil, 1, time.Minute, 1, now) }},
		{"zero rate", func() { NewSharedLimiter("x", b, 0, time.Minute, 1, now) }},
		{"zero burst", func() { NewSharedLimiter("x", b, 1, time.Minute, 0, now) }},
		{"no clock", func() { NewSharedLimiter("x", b, 1, time.Minute, 1, nil) }},
		{"rate beyond a nanosecond", func() { NewSharedLimiter("x", b, 2000, time.Microsecond, 1, now) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("NewSharedLimiter did not panic")
				}
			}()
			tt.build()
		})
	}
}
