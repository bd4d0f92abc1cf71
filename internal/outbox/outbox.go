// Package outbox is the timing of campus's durable outboxes (mail, and
// back-channel logout notices): a loop that drains one when it is due or
// woken, the schedule of retries after a failed delivery, and the leases
// of a claimed batch, renewed as it is worked through. What is stored and
// how it is sent belong to the outbox's owner.
package outbox

import (
	"context"
	"log/slog"
	"time"
)

// Schedule says when an outbox is read and when a failed delivery is
// tried again. Use NewSchedule: its zero value cannot be woken.
type Schedule struct {
	// Poll is how often the outbox is read without a wake-up; Base is the
	// first retry delay, doubled per attempt up to Max; GiveUp is how long
	// after it was queued an entry is tried before it is given up.
	Poll, Base, Max, GiveUp time.Duration
	wake                    chan struct{}
}

// NewSchedule returns a schedule with these timings.
func NewSchedule(poll, base, max, giveUp time.Duration) Schedule {
	return Schedule{Poll: poll, Base: base, Max: max, GiveUp: giveUp, wake: make(chan struct{}, 1)}
}

// Notify makes the loop read the outbox now (something was just queued).
func (s *Schedule) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Loop drains the outbox every Poll and whenever notified, until ctx
// ends; drain's errors are logged with what.
func (s *Schedule) Loop(ctx context.Context, logger *slog.Logger, what string, drain func(context.Context) error) {
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		if err := drain(ctx); err != nil && ctx.Err() == nil {
			logger.Error(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Retry is when an entry queued at created, that has now failed attempts+1
// times, is tried again; the zero time means give up.
func (s *Schedule) Retry(now, created time.Time, attempts int) time.Time {
	if now.Sub(created) >= s.GiveUp {
		return time.Time{}
	}
	b := s.Base
	for range attempts {
		b *= 2
		if b >= s.Max {
			b = s.Max
			break
		}
	}
	return now.Add(b)
}
