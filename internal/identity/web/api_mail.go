package web

import (
	"net/http"
	"slices"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

type mailJSON struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	To            string     `json:"to"`
	Subject       string     `json:"subject,omitempty"` // the account the mail concerns
	Status        string     `json:"status"`            // pending, sent, failed
	CreatedAt     time.Time  `json:"created_at"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

type mailStatusJSON struct {
	Pending        int        `json:"pending"`
	Retrying       int        `json:"retrying"`
	Failed         int        `json:"failed"`
	SentLast24h    int        `json:"sent_last_24h"`
	OldestPending  *time.Time `json:"oldest_pending,omitempty"`
	DeveloperInbox bool       `json:"developer_mailbox"` // mail is kept, not sent (no SMTP configured)
}

// handleMailQueue shows administrators the mail outbox: counts, and the
// latest mails (without their content, which may hold links or passwords)
// with why they are being retried or were given up.
func (a *api) handleMailQueue(w http.ResponseWriter, r *http.Request, _ *principal) {
	q := rest.NewQuery(r)
	state, limit := q.Get("status"), q.Limit(100, 1000)
	if state != "" && !slices.Contains([]string{store.MailPending, store.MailFailed, store.MailSent}, state) {
		q.Invalid("status", "must be pending, failed or sent")
	}
	if q.Answer(w) {
		return
	}
	st, err := a.store.MailStatus(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	mails, err := a.store.MailQueue(r.Context(), state, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Status mailStatusJSON `json:"status"`
		Items  []mailJSON     `json:"items"`
	}{Status: mailStatusJSON{Pending: st.Pending, Retrying: st.Retrying, Failed: st.Failed, SentLast24h: st.Sent24h,
		OldestPending: st.Oldest, DeveloperInbox: a.rc.mail.Mailbox != nil}, Items: []mailJSON{}}
	for _, m := range mails {
		out.Items = append(out.Items, mailView(m))
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

func mailView(m identity.OutboxMail) mailJSON {
	j := mailJSON{ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.AccountID, CreatedAt: m.CreatedAt, Attempts: m.Attempts,
		SentAt: m.SentAt, FailedAt: m.FailedAt, LastError: m.LastError}
	j.Status, j.NextAttemptAt = outboxState(m.SentAt, m.FailedAt, m.NextAttemptAt, "sent")
	return j
}

// outboxState is an outbox entry's status (pending, failed or done) and,
// while pending, its next attempt.
func outboxState(doneAt, failedAt *time.Time, next time.Time, done string) (string, *time.Time) {
	switch {
	case doneAt != nil:
		return done, nil
	case failedAt != nil:
		return "failed", nil
	}
	return "pending", &next
}

// handleMailRetry queues a mail that was given up again, once the cause
// (a wrong address, a mail server that refused) is mended.
func (a *api) handleMailRetry(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	ok, err := a.store.RetryMail(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !ok {
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "Only a mail that was given up can be retried; this one is not (or does not exist)."})
		return
	}
	a.audit(r, p, "mail_retry", identity.OutcomeSuccess, id, "")
	a.rc.mail.notify()
	w.WriteHeader(http.StatusNoContent)
}
