package policy

import "time"

// Lockout slows down password guessing against one account: after
// MaxAttempts failures in a row the account refuses sign-in for Duration.
// The lock is temporary on purpose, so that an attacker who knows a username
// cannot keep its owner out for good.
//
// A MaxAttempts or Duration of zero or less means the default, so that a
// missing configuration value cannot switch the protection off.
type Lockout struct {
	MaxAttempts int           // default 5
	Duration    time.Duration // default 10m
}

const (
	defaultMaxAttempts     = 5
	defaultLockoutDuration = 10 * time.Minute
)

// DefaultLockout returns the lockout campus applies unless configured
// otherwise.
func DefaultLockout() Lockout {
	return Lockout{MaxAttempts: defaultMaxAttempts, Duration: defaultLockoutDuration}
}

// LockState is what the caller stores per account between attempts.
type LockState struct {
	FailedAttempts int
	LockedUntil    time.Time // zero = not locked
}

func (l Lockout) limits() (int, time.Duration) {
	maxAttempts, d := l.MaxAttempts, l.Duration
	if maxAttempts <= 0 {
		maxAttempts = defaultMaxAttempts
	}
	if d <= 0 {
		d = defaultLockoutDuration
	}
	return maxAttempts, d
}

// IsLocked reports whether sign-in must be refused at now. The lock ends
// exactly at LockedUntil.
func (l Lockout) IsLocked(s LockState, now time.Time) bool {
	return now.Before(s.LockedUntil)
}

// AfterFailure returns the state after a failed sign-in at now.
//
// Reaching MaxAttempts locks until now+Duration and resets the count, so
// that the next round after the lock gets MaxAttempts tries again rather
// than being locked by its first failure. A failure while still locked
// leaves the state as it is: callers should not even check the password
// then, and extending the lock would let anyone keep the account locked
// by guessing at it.
func (l Lockout) AfterFailure(s LockState, now time.Time) LockState {
	if l.IsLocked(s, now) {
		return s
	}
	if !s.LockedUntil.IsZero() {
		// The lock has expired: count afresh.
		s = LockState{}
	}
	maxAttempts, d := l.limits()
	s.FailedAttempts++
	if s.FailedAttempts >= maxAttempts {
		return LockState{LockedUntil: now.Add(d)}
	}
	return s
}

// AfterSuccess returns the state after a successful sign-in: a person who
// knows the password has nothing left to be protected from.
func (l Lockout) AfterSuccess(LockState) LockState {
	return LockState{}
}
