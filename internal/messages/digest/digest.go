package digest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode"

	"campus/internal/messages/people"
	"campus/internal/messages/store"
)

// Store is what the job needs of the messages store.
type Store interface {
	TakeLease(ctx context.Context, job, holder string, ttl time.Duration) (bool, error)
	DigestsDue(ctx context.Context, olderThan time.Time, limit int) ([]store.DigestDue, error)
	DigestSent(ctx context.Context, sub string, upTo int64) error
}

// Mailer has identity mail a person (people.Mailer).
type Mailer interface {
	Mail(ctx context.Context, sub string, m people.Mail) error
}

var (
	_ Store  = (*store.Store)(nil)
	_ Mailer = (*people.Mailer)(nil)
)

// Defaults of the job.
const (
	// Interval is how often the job looks for people due a digest.
	Interval = time.Minute
	// Batch is how many people one look handles; more wait a minute.
	Batch = 100
	// LeaseJob names the job's lease in the store.
	LeaseJob = "digest"
	// maxNamed is how many conversations a digest names; more are counted.
	maxNamed = 10
)

// Job sends the digests.
type Job struct {
	Store  Store
	Mailer Mailer
	// After is how old an unread message must be to be in a digest.
	After  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
	// Interval between looks (default Interval); the lease lasts three.
	Interval time.Duration
	// Holder names this replica in the lease (default: host, process and
	// a random part).
	Holder string
}

// Run sends digests every Interval until ctx is done, while this replica
// holds the lease.
func (j *Job) Run(ctx context.Context) {
	every := j.Interval
	if every <= 0 {
		every = Interval
	}
	if j.Holder == "" {
		j.Holder = holder()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		held, err := j.Store.TakeLease(ctx, LeaseJob, j.Holder, 3*every)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			j.Logger.Warn("digest mails: lease", "err", err)
		case held:
			if n, err := j.Once(ctx); err != nil && ctx.Err() == nil {
				j.Logger.Warn("digest mails", "sent", n, "err", err)
			} else if n > 0 {
				j.Logger.Info("digest mails", "sent", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once sends the digests due now, at most Batch, and returns how many
// went. A person identity no longer knows, or mails no more today, is
// passed over, as is a mail identity rejects (their digest counts as sent, so that the next covers only
// newer messages); identity unavailable stops the look until the next.
// Each mail's key names the person and what it covers, so that a digest
// sent but not recorded (a crash between) is not mailed twice.
func (j *Job) Once(ctx context.Context) (int, error) {
	due, err := j.Store.DigestsDue(ctx, j.Now().Add(-j.After), Batch)
	if err != nil {
		return 0, fmt.Errorf("digests due: %w", err)
	}
	sent := 0
	for _, d := range due {
		err := j.Mailer.Mail(ctx, d.Subject, Compose(d))
		var limited *people.RateLimitedError
		switch {
		case err == nil:
			sent++
		case errors.Is(err, people.ErrNotFound), errors.Is(err, people.ErrRejected), errors.As(err, &limited):
			j.Logger.Info("digest mail passed over", "sub", d.Subject, "why", err)
		default:
			return sent, fmt.Errorf("digest mail to %s: %w", d.Subject, err)
		}
		if err := j.Store.DigestSent(ctx, d.Subject, d.UpTo); err != nil {
			return sent, fmt.Errorf("digest sent to %s: %w", d.Subject, err)
		}
	}
	return sent, nil
}

// Compose is the digest of d in English and German.
func Compose(d store.DigestDue) people.Mail {
	var groups []string
	direct := 0
	for _, c := range d.Conversations {
		if c == "" {
			direct++
		} else {
			groups = append(groups, oneLine(c))
		}
	}
	more := max(len(groups)-maxNamed, 0)
	groups = groups[:min(len(groups), maxNamed)]

	en, de := &strings.Builder{}, &strings.Builder{}
	if d.Unread == 1 {
		fmt.Fprintf(en, "You have 1 unread message in campus:\n\n")
		fmt.Fprintf(de, "Sie haben 1 ungelesene Nachricht in campus:\n\n")
	} else {
		fmt.Fprintf(en, "You have %d unread messages in campus:\n\n", d.Unread)
		fmt.Fprintf(de, "Sie haben %d ungelesene Nachrichten in campus:\n\n", d.Unread)
	}
	for _, g := range groups {
		fmt.Fprintf(en, "- in %s\n", g)
		fmt.Fprintf(de, "- in %s\n", g)
	}
	if more == 1 {
		fmt.Fprintf(en, "- in 1 more group\n")
		fmt.Fprintf(de, "- in 1 weiteren Gruppe\n")
	} else if more > 1 {
		fmt.Fprintf(en, "- in %d more groups\n", more)
		fmt.Fprintf(de, "- in %d weiteren Gruppen\n", more)
	}
	if direct == 1 {
		fmt.Fprintf(en, "- in 1 conversation with one person\n")
		fmt.Fprintf(de, "- in 1 Unterhaltung mit einer Person\n")
	} else if direct > 1 {
		fmt.Fprintf(en, "- in %d conversations with one person each\n", direct)
		fmt.Fprintf(de, "- in %d Unterhaltungen mit je einer Person\n", direct)
	}
	en.WriteString("\nYou get this reminder once for messages left unread for a while; the next comes only for newer ones.")
	de.WriteString("\nSie erhalten diese Erinnerung einmal für Nachrichten, die eine Weile ungelesen blieben; die nächste kommt erst für neuere.")

	subject := map[string]string{
		"en": fmt.Sprintf("You have %d unread messages in campus", d.Unread),
		"de": fmt.Sprintf("Sie haben %d ungelesene Nachrichten in campus", d.Unread),
	}
	if d.Unread == 1 {
		subject = map[string]string{"en": "You have 1 unread message in campus", "de": "Sie haben 1 ungelesene Nachricht in campus"}
	}
	return people.Mail{
		Subject: subject,
		Text:    map[string]string{"en": en.String(), "de": de.String()},
		Link:    "/messaging", // the portal's messaging page
		Key:     fmt.Sprintf("digest:%s:%d", d.Subject, d.UpTo),
	}
}

// oneLine is a conversation's name as one line of printable text, at
// most 100 characters.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case !unicode.IsPrint(r) && !unicode.IsSpace(r):
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return s
}

// holder names this process in the lease.
func holder() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}
