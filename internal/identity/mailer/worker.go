package mailer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"campus/internal/identity"
	"campus/internal/mail"
	"campus/internal/outbox"
)

// Queue is what delivery needs of the outbox.
type Queue interface {
	ClaimMail(ctx context.Context, limit int, lease time.Duration) ([]identity.OutboxMail, error)
	RenewMail(ctx context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error)
	MailSent(ctx context.Context, id string) error
	MailFailed(ctx context.Context, id string, held time.Time, reason string, next time.Time) error
}

// Worker sends the outbox through a mail.Sender. A mail that fails is
// tried again later, with a delay doubling from Base up to Max, until
// GiveUp after it was queued; a permanent refusal (an address the server
// rejects) is given up at once. Nothing is lost while the mail server is
// down: the mail stays in the outbox.
//
// Mails are claimed 20 at a time under a short lease (Lease), renewed
// before each mail for the rest of the batch; each send is bounded by
// outbox.SendTimeout(Lease). A mail whose lease was lost (it lapsed and
// another replica claimed the mail) is skipped, not sent.
type Worker struct {
	outbox.Schedule
	// Lease is how long claimed mails stay this worker's without renewal
	// (outbox.DefaultLease when 0).
	Lease  time.Duration
	queue  Queue
	sender mail.Sender
	now    func() time.Time
	logger *slog.Logger

	// Attempted, when set, hears of each send: err nil when the mail
	// server took the mail (for metrics).
	Attempted func(err error)
}

// NewWorker returns a worker with the default timings: look every 5 s,
// retry after 30 s doubling up to an hour, give up after three days.
func NewWorker(q Queue, s mail.Sender, now func() time.Time, logger *slog.Logger) *Worker {
	return &Worker{Schedule: outbox.NewSchedule(5*time.Second, 30*time.Second, time.Hour, 72*time.Hour),
		queue: q, sender: s, now: now, logger: logger}
}

// Run sends until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.Loop(ctx, w.logger, "mail outbox", func(ctx context.Context) error {
		_, err := w.SendDue(ctx)
		return err
	})
}

// SendDue sends every mail that is due and returns how many went out.
func (w *Worker) SendDue(ctx context.Context) (int, error) {
	return outbox.Drain(ctx, w.Lease, outbox.Work[identity.OutboxMail]{
		Claim: w.queue.ClaimMail,
		Renew: w.queue.RenewMail,
		Key:   func(m identity.OutboxMail) (string, time.Time) { return m.ID, m.NextAttemptAt },
		Send:  func(ctx context.Context, m identity.OutboxMail) error { return w.sender.Send(ctx, m.Message) },
		Failed: func(ctx context.Context, m identity.OutboxMail, held time.Time, err error) error {
			w.attempted(err)
			next := time.Time{}
			if !errors.Is(err, mail.ErrPermanent) {
				next = w.Retry(w.now(), m.CreatedAt, m.Attempts)
			}
			// The address is personal data and the content may hold a
			// secret: the log names the mail by id and kind only.
			w.logger.Warn("mail not sent", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "retry_at", next, "err", err)
			return w.queue.MailFailed(ctx, m.ID, held, err.Error(), next)
		},
		Done: func(ctx context.Context, m identity.OutboxMail) error {
			w.attempted(nil)
			if err := w.queue.MailSent(ctx, m.ID); err != nil {
				return err
			}
			w.logger.Info("mail sent", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1)
			return nil
		},
		Lost: func(m identity.OutboxMail) {
			w.logger.Warn("mail skipped: its lease was lost to another replica", "id", m.ID, "kind", m.Kind)
		},
	})
}

func (w *Worker) attempted(err error) {
	if w.Attempted != nil {
		w.Attempted(err)
	}
}
