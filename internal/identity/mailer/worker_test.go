package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"campus/internal/identity"
	"campus/internal/mail"
)

// queue is an outbox in memory with the store's claim rules.
type queue struct {
	now    func() time.Time
	mails  map[string]*identity.OutboxMail
	failed map[string]time.Time // next attempt; zero: given up
}

func (q *queue) ClaimMail(_ context.Context, limit int, lease time.Duration) ([]identity.OutboxMail, error) {
	var out []identity.OutboxMail
	for _, m := range q.mails {
		if m.SentAt == nil && m.FailedAt == nil && !m.NextAttemptAt.After(q.now()) && len(out) < limit {
			m.NextAttemptAt = q.now().Add(lease)
			out = append(out, *m)
		}
	}
	return out, nil
}

func (q *queue) RenewMail(_ context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error) {
	until := q.now().Add(lease)
	var kept []string
	for _, id := range ids {
		if m := q.mails[id]; m.SentAt == nil && m.FailedAt == nil && m.NextAttemptAt.Equal(held) {
			m.NextAttemptAt = until
			kept = append(kept, id)
		}
	}
	return kept, until, nil
}

func (q *queue) MailSent(_ context.Context, id string) error {
	now := q.now()
	q.mails[id].SentAt = &now
	q.mails[id].Attempts++
	return nil
}

func (q *queue) MailFailed(_ context.Context, id string, held time.Time, reason string, next time.Time) error {
	m := q.mails[id]
	if !m.NextAttemptAt.Equal(held) {
		return nil
	}
	m.Attempts++
	m.LastError = reason
	q.failed[id] = next
	if next.IsZero() {
		now := q.now()
		m.FailedAt = &now
	} else {
		m.NextAttemptAt = next
	}
	return nil
}

// sender fails while down, and refuses some addresses for good.
type sender struct {
	down    bool
	refused string
	sent    []string
}

func (s *sender) Send(_ context.Context, m mail.Message) error {
	switch {
	case m.To == s.refused:
		return fmt.Errorf("550 no such user: %w", mail.ErrPermanent)
	case s.down:
		return errors.New("dial tcp: connection refused")
	}
	s.sent = append(s.sent, m.To)
	return nil
}

func TestWorkerRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	q := &queue{now: clock, mails: map[string]*identity.OutboxMail{}, failed: map[string]time.Time{}}
	for _, to := range []string{"ann@uni.example", "nobody@uni.example"} {
		q.mails[to] = &identity.OutboxMail{ID: to, Kind: "confirm_email", To: to, CreatedAt: now, NextAttemptAt: now,
			Message: mail.Message{To: to, Subject: "s", Text: "t"}}
	}
	s := &sender{down: true, refused: "nobody@uni.example"}
	w := NewWorker(q, s, clock, slog.New(slog.DiscardHandler))
	w.Base, w.Max, w.GiveUp = 30*time.Second, 2*time.Minute, time.Hour

	// Down: the mail waits 30s, 60s, 120s, 120s...; a refused address is
	// given up at once.
	var delays []time.Duration
	for range 4 {
		if n, err := w.SendDue(context.Background()); n != 0 || err != nil {
			t.Fatalf("sent %d while down: %v", n, err)
		}
		next := q.failed["ann@uni.example"]
		delays = append(delays, next.Sub(now))
		now = next
	}
	if fmt.Sprint(delays) != "[30s 1m0s 2m0s 2m0s]" {
		t.Fatalf("delays = %v", delays)
	}
	if m := q.mails["nobody@uni.example"]; m.FailedAt == nil || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
		t.Fatalf("refused mail = %+v", m)
	}

	// Back up: the waiting mail goes out, once.
	s.down = false
	if n, err := w.SendDue(context.Background()); n != 1 || err != nil || len(s.sent) != 1 {
		t.Fatalf("after the outage: %d %v %v", n, err, s.sent)
	}
	if n, _ := w.SendDue(context.Background()); n != 0 {
		t.Fatal("sent twice")
	}

	// A mail that keeps failing is given up after GiveUp.
	q.mails["late@uni.example"] = &identity.OutboxMail{ID: "late@uni.example", To: "late@uni.example", CreatedAt: now.Add(-2 * time.Hour),
		NextAttemptAt: now, Message: mail.Message{To: "late@uni.example"}}
	s.down = true
	w.SendDue(context.Background())
	if q.mails["late@uni.example"].FailedAt == nil {
		t.Fatal("an old mail was not given up")
	}
}
