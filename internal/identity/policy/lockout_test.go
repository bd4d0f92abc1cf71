package policy

import (
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	type step struct {
		at         time.Duration // after t0
		success    bool          // otherwise a failure
		wantCount  int
		wantUntil  time.Duration // after t0; 0 = not set
		wantLocked bool          // IsLocked just after the step, at the same time
	}
	fail := func(at time.Duration, count int, until time.Duration, locked bool) step {
		return step{at: at, wantCount: count, wantUntil: until, wantLocked: locked}
	}
	tests := []struct {
		name    string
		lockout Lockout
		steps   []step
	}{
		{
			name:    "locks on the fifth failure and resets the count",
			lockout: DefaultLockout(),
			steps: []step{
				fail(0, 1, 0, false),
				fail(time.Second, 2, 0, false),
				fail(2*time.Second, 3, 0, false),
				fail(3*time.Second, 4, 0, false),
				fail(4*time.Second, 0, 4*time.Second+10*time.Minute, true),
			},
		},
		{
			name:    "success resets the count",
			lockout: DefaultLockout(),
			steps: []step{
				fail(0, 1, 0, false),
				fail(0, 2, 0, false),
				fail(0, 3, 0, false),
				fail(0, 4, 0, false),
				{at: time.Second, success: true},
				fail(2*time.Second, 1, 0, false),
			},
		},
		{
			name:    "failures while locked change nothing",
			lockout: Lockout{MaxAttempts: 2, Duration: time.Minute},
			steps: []step{
				fail(0, 1, 0, false),
				fail(0, 0, time.Minute, true),
				fail(30*time.Second, 0, time.Minute, true),
				fail(time.Minute-time.Nanosecond, 0, time.Minute, true),
			},
		},
		{
			name:    "a failure after the lock expired counts afresh",
			lockout: Lockout{MaxAttempts: 2, Duration: time.Minute},
			steps: []step{
				fail(0, 1, 0, false),
				fail(0, 0, time.Minute, true),
				fail(time.Minute, 1, 0, false), // exactly at LockedUntil the lock is over
				fail(time.Minute, 0, 2*time.Minute, true),
			},
		},
		{
			name:    "success during a lock clears it",
			lockout: Lockout{MaxAttempts: 1, Duration: time.Minute},
			steps: []step{
				fail(0, 0, time.Minute, true),
				{at: time.Second, success: true},
			},
		},
		{
			name:    "one attempt",
			lockout: Lockout{MaxAttempts: 1, Duration: time.Hour},
			steps:   []step{fail(0, 0, time.Hour, true)},
		},
		{
			name:    "zero fields fall back to the defaults",
			lockout: Lockout{},
			steps: []step{
				fail(0, 1, 0, false),
				fail(0, 2, 0, false),
				fail(0, 3, 0, false),
				fail(0, 4, 0, false),
				fail(0, 0, 10*time.Minute, true),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s LockState
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				if st.success {
					s = tt.lockout.AfterSuccess(s)
				} else {
					s = tt.lockout.AfterFailure(s, now)
				}
				want := LockState{FailedAttempts: st.wantCount}
				if st.wantUntil != 0 {
					want.LockedUntil = t0.Add(st.wantUntil)
				}
				if !s.LockedUntil.Equal(want.LockedUntil) || s.FailedAttempts != want.FailedAttempts {
					t.Fatalf("step %d: state = %+v, want %+v", i, s, want)
				}
				if got := tt.lockout.IsLocked(s, now); got != st.wantLocked {
					t.Fatalf("step %d: IsLocked = %v, want %v", i, got, st.wantLocked)
				}
			}
		})
	}
}

func TestIsLocked(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 10, 1, 9, 10, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state LockState
		now   time.Time
		want  bool
	}{
		{name: "zero state", state: LockState{}, now: until, want: false},
		{name: "failures alone do not lock", state: LockState{FailedAttempts: 4}, now: until, want: false},
		{name: "before the end", state: LockState{LockedUntil: until}, now: until.Add(-time.Nanosecond), want: true},
		{name: "exactly at the end", state: LockState{LockedUntil: until}, now: until, want: false},
		{name: "after the end", state: LockState{LockedUntil: until}, now: until.Add(time.Second), want: false},
		{name: "other zone, same instant", state: LockState{LockedUntil: until}, now: until.In(time.FixedZone("X", 3600)).Add(-time.Second), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DefaultLockout().IsLocked(tt.state, tt.now); got != tt.want {
				t.Errorf("IsLocked = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefaultLockout(t *testing.T) {
	t.Parallel()
	if got, want := DefaultLockout(), (Lockout{MaxAttempts: 5, Duration: 10 * time.Minute}); got != want {
		t.Errorf("DefaultLockout() = %+v, want %+v", got, want)
	}
}
