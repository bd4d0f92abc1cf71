package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/mail"
)

// clock is a settable clock for one test.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func issue(purpose, hash, email string, expires time.Time, to string) store.Issue {
	return store.Issue{
		Token: identity.Token{Purpose: purpose, Hash: hash, Email: email, ExpiresAt: expires},
		Mail:  identity.Mail{Kind: purpose, Message: mail.Message{To: to, Subject: "link " + hash, Text: "https://x/?token=" + hash}},
	}
}

func TestMailOutbox(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		acc, err := s.RegisterConfirmed(ctx, identity.Account{Username: "mia", Email: "mia@uni.example", Roles: []string{"student"}}, "hash",
			issue(identity.TokenConfirmEmail, "h1", "mia@uni.example", c.t.Add(time.Hour), "mia@uni.example"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueMail(ctx, identity.Mail{Kind: "password_changed", AccountID: acc.ID, Message: mail.Message{To: "mia@uni.example", Subject: "notice"}}); err != nil {
			t.Fatal(err)
		}
		st, _ := s.MailStatus(ctx)
		if st.Pending != 2 || st.Oldest == nil || !st.Oldest.Equal(c.t) {
			t.Fatalf("status = %+v", st)
		}

		// Two workers claim: each mail goes to one of them.
		first, err := s.ClaimMail(ctx, 1, time.Minute)
		if err != nil || len(first) != 1 || first[0].Message.Subject != "link h1" || first[0].AccountID != acc.ID {
			t.Fatalf("first claim = %+v, %v", first, err)
		}
		second, _ := s.ClaimMail(ctx, 10, time.Minute)
		if len(second) != 1 || second[0].ID == first[0].ID {
			t.Fatalf("second claim = %+v", second)
		}
		if again, _ := s.ClaimMail(ctx, 10, time.Minute); len(again) != 0 {
			t.Fatalf("claimed twice: %+v", again)
		}

		// A failure is retried when due; success forgets the content.
		if err := s.MailFailed(ctx, first[0].ID, first[0].NextAttemptAt, "451 try later", c.t.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.MailSent(ctx, second[0].ID); err != nil {
			t.Fatal(err)
		}
		c.advance(31 * time.Second)
		retry, _ := s.ClaimMail(ctx, 10, time.Minute)
		if len(retry) != 1 || retry[0].ID != first[0].ID || retry[0].Attempts != 1 {
			t.Fatalf("retry = %+v", retry)
		}
		st, _ = s.MailStatus(ctx)
		if st.Pending != 1 || st.Retrying != 1 || st.Sent24h != 1 || st.Failed != 0 {
			t.Fatalf("status = %+v", st)
		}
		sent, _ := s.MailQueue(ctx, store.MailSent, 10)
		if len(sent) != 1 || sent[0].Message != (mail.Message{}) || sent[0].SentAt == nil {
			t.Fatalf("sent = %+v", sent)
		}
		var body string
		if err := d.QueryRowContext(ctx, `SELECT message FROM mail_outbox WHERE id = $1`, second[0].ID).Scan(&body); err != nil || body != "" {
			t.Fatalf("a sent mail keeps its content: %q %v", body, err)
		}

		// Given up, then retried by an administrator.
		if err := s.MailFailed(ctx, retry[0].ID, retry[0].NextAttemptAt, "550 no such user", time.Time{}); err != nil {
			t.Fatal(err)
		}
		failed, _ := s.MailQueue(ctx, store.MailFailed, 10)
		if len(failed) != 1 || failed[0].LastError != "550 no such user" || failed[0].Attempts != 2 {
			t.Fatalf("failed = %+v", failed)
		}
		if ok, err := s.RetryMail(ctx, second[0].ID); ok || err != nil {
			t.Fatalf("retry a sent mail: %v %v", ok, err)
		}
		if ok, err := s.RetryMail(ctx, first[0].ID); !ok || err != nil {
			t.Fatalf("retry: %v %v", ok, err)
		}
		if due, _ := s.ClaimMail(ctx, 10, time.Minute); len(due) != 1 || due[0].Message.Subject != "link h1" {
			t.Fatalf("after retry = %+v", due)
		}
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		acc, err := s.RegisterConfirmed(ctx, identity.Account{Username: "noah", Email: "noah@uni.example", Roles: []string{"student"}}, "hash",
			issue(identity.TokenConfirmEmail, "c1", "noah@uni.example", c.t.Add(time.Hour), "noah@uni.example"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, identity.Account{Username: "ella", Email: "ella@uni.example", Roles: []string{"student"}}, "hash"); err != nil {
			t.Fatal(err)
		}
		rate := store.Rate{PerHour: 3, Gap: time.Minute}
		// link issues a token valid for an hour, mailed to email.
		link := func(purpose, hash, email string) error {
			return s.IssueToken(ctx, acc.ID, issue(purpose, hash, email, c.t.Add(time.Hour), email), rate)
		}

		// A newer link retires the older one; links come at most once a
		// minute and three times an hour.
		if err := link(identity.TokenConfirmEmail, "c2", "noah@uni.example"); !errors.Is(err, store.ErrRateLimited) {
			t.Fatalf("within a minute: %v", err)
		}
		c.advance(2 * time.Minute)
		if err := link(identity.TokenConfirmEmail, "c2", "noah@uni.example"); err != nil {
			t.Fatal(err)
		}
		c.advance(2 * time.Minute)
		if err := link(identity.TokenConfirmEmail, "c3", "noah@uni.example"); err != nil {
			t.Fatal(err)
		}
		c.advance(2 * time.Minute)
		if err := link(identity.TokenConfirmEmail, "c4", "noah@uni.example"); !errors.Is(err, store.ErrRateLimited) {
			t.Fatalf("a fourth in the hour: %v", err)
		}
		if _, _, err := s.TokenAccount(ctx, identity.TokenConfirmEmail, "c2"); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("an older link: %v", err)
		}
		if _, _, err := s.TokenAccount(ctx, identity.TokenResetPassword, "c3"); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("a link used for another purpose: %v", err)
		}
		noNotice := func(store.AccountRecord, string) (identity.Mail, error) {
			return identity.Mail{}, errors.New("no notice expected")
		}
		rec, err := s.ConfirmEmail(ctx, "c3", noNotice)
		if err != nil || !rec.EmailVerified || rec.Version != 2 {
			t.Fatalf("confirm = %+v, %v", rec, err)
		}
		if _, err := s.ConfirmEmail(ctx, "c3", noNotice); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("the link twice: %v", err)
		}

		// A new address: confirmed, it replaces the old one, which is told.
		c.advance(time.Hour)
		if err := link(identity.TokenConfirmEmail, "n1", "noah@new.example"); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.PendingEmail(ctx, acc.ID); p != "noah@new.example" {
			t.Fatalf("pending = %q", p)
		}
		rec, err = s.ConfirmEmail(ctx, "n1", func(r store.AccountRecord, old string) (identity.Mail, error) {
			return identity.Mail{Kind: "email_changed", Message: mail.Message{To: old, Subject: "replaced by " + r.Email}}, nil
		})
		if err != nil || rec.Email != "noah@new.example" {
			t.Fatalf("confirm new = %+v, %v", rec, err)
		}
		if got, _, _ := s.AccountByLogin(ctx, "noah@new.example"); got.ID != acc.ID {
			t.Fatal("the new address does not find the account")
		}
		q, _ := s.MailQueue(ctx, "", 10)
		if q[0].To != "noah@uni.example" || q[0].Kind != "email_changed" || q[0].AccountID != acc.ID {
			t.Fatalf("notice = %+v", q[0])
		}

		// Taken meanwhile: nothing changes.
		c.advance(time.Hour)
		if err := link(identity.TokenConfirmEmail, "n2", "ella@uni.example"); err != nil {
			t.Fatal(err)
		}
		var taken *store.TakenError
		if _, err := s.ConfirmEmail(ctx, "n2", noNotice); !errors.As(err, &taken) {
			t.Fatalf("a taken address: %v", err)
		}
		if _, _, err := s.TokenAccount(ctx, identity.TokenConfirmEmail, "n2"); err != nil {
			t.Fatalf("the refused confirmation spent the link: %v", err)
		}

		// Reset: expired links fail; a good one sets the password, unlocks,
		// retires other reset links and queues the notice, once.
		if err := link(identity.TokenResetPassword, "r1", "noah@new.example"); err != nil {
			t.Fatal(err)
		}
		c.advance(61 * time.Minute)
		notice := func(r store.AccountRecord) (identity.Mail, error) {
			return identity.Mail{Kind: "password_changed", Message: mail.Message{To: r.Email, Subject: "changed"}}, nil
		}
		if _, err := s.ResetPassword(ctx, "r1", "new-hash", notice); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("an expired link: %v", err)
		}
		if err := s.SetSignInState(ctx, acc.ID, 5, c.t.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := link(identity.TokenResetPassword, "r2", "noah@new.example"); err != nil {
			t.Fatal(err)
		}
		// A token issued before the reset dies with it (the feed names it).
		if err := s.CreateTokens(ctx, identity.AccessToken{ID: "before-reset", ClientID: "app", AccountID: acc.ID,
			ExpiresAt: c.t.Add(time.Hour)}, nil, ""); err != nil {
			t.Fatal(err)
		}
		rec, err = s.ResetPassword(ctx, "r2", "new-hash", notice)
		if err != nil || rec.FailedLogins != 0 || rec.LockedUntil != nil {
			t.Fatalf("reset = %+v, %v", rec, err)
		}
		if dead, _ := s.AccessTokenRevoked(ctx, "before-reset"); !dead {
			t.Error("an access token issued before the reset is still alive")
		}
		if feed, _, _ := s.Revocations(ctx, time.Time{}); !slices.ContainsFunc(feed, func(r store.Revocation) bool {
			return r.Kind == "sub" && r.Value == acc.ID
		}) {
			t.Errorf("the revocation feed does not name the account after a reset: %+v", feed)
		}
		if h, _ := s.PasswordHash(ctx, acc.ID); h != "new-hash" {
			t.Fatalf("hash = %q", h)
		}
		if _, err := s.ResetPassword(ctx, "r2", "other-hash", notice); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("the reset link twice: %v", err)
		}
		if q, _ := s.MailQueue(ctx, store.MailPending, 1); q[0].Kind != "password_changed" {
			t.Fatalf("no notice queued: %+v", q[0])
		}
	})
}

func TestApplyDirectory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		if _, err := s.CreateAccount(ctx, identity.Account{Username: "local", Email: "local@uni.example", Roles: []string{"student"}}, "hash"); err != nil {
			t.Fatal(err)
		}
		entry := func(uid, mail, sn string) identity.DirectoryEntry {
			return identity.DirectoryEntry{DN: "uid=" + uid + ",ou=people,dc=uni", Username: uid, Email: mail, GivenName: "G", FamilyName: sn}
		}
		group := []identity.DirectoryEntry{entry("ann", "ann@dir", "A"), entry("ben", "ben@dir", "B"), entry("local", "x@dir", "L"),
			entry("nomail", "", "N"), entry("ann", "ann@dir", "A")}
		o := store.DirectoryOptions{DisableMissing: true, Role: identity.RoleStudent}
		rep, err := s.ApplyDirectory(ctx, group, o)
		if err != nil || rep.Created != 2 || len(rep.Skipped) != 2 || !strings.Contains(strings.Join(rep.Skipped, "|"), "local: no account made") {
			t.Fatalf("first = %+v, %v", rep, err)
		}
		ann, _, _ := s.AccountByLogin(ctx, "ann")
		if ann.DirectoryDN != "uid=ann,ou=people,dc=uni" || !ann.EmailVerified || ann.DisplayName != "G A" || ann.Roles[0] != "student" {
			t.Fatalf("ann = %+v", ann)
		}

		// Changes, a leaver, then the leaver back.
		rep, err = s.ApplyDirectory(ctx, []identity.DirectoryEntry{entry("ann", "ann@new", "Z")}, o)
		if err != nil || rep.Updated != 1 || rep.Disabled != 1 {
			t.Fatalf("second = %+v, %v", rep, err)
		}
		if a, _, _ := s.AccountByLogin(ctx, "ann@new"); a.FamilyName != "Z" || a.DisplayName != "G Z" {
			t.Fatalf("ann after = %+v", a)
		}
		ben, _, _ := s.AccountByLogin(ctx, "ben")
		if ben.Status != identity.StatusDisabled {
			t.Fatalf("ben = %+v", ben)
		}
		rep, _ = s.ApplyDirectory(ctx, []identity.DirectoryEntry{entry("ann", "ann@new", "Z"), entry("ben", "ben@dir", "B")}, o)
		if rep.Enabled != 1 || rep.Unchanged != 1 {
			t.Fatalf("third = %+v", rep)
		}
		// An account an administrator disabled stays disabled.
		if _, err := s.UpdateAccount(ctx, ben.ID, 0, func(r *store.AccountRecord) error { r.Status = identity.StatusDisabled; return nil }); err != nil {
			t.Fatal(err)
		}
		if rep, _ = s.ApplyDirectory(ctx, []identity.DirectoryEntry{entry("ann", "ann@new", "Z"), entry("ben", "ben@dir", "B")}, o); rep.Enabled != 0 {
			t.Fatalf("re-enabled an administrator's choice: %+v", rep)
		}

		// A failure midway changes nothing.
		o.Welcome = func(a identity.Account) (string, identity.Mail, error) {
			if a.Username == "dan" {
				return "", identity.Mail{}, errors.New("boom")
			}
			return "hash", identity.Mail{Kind: "directory_welcome", Message: mail.Message{To: a.Email}}, nil
		}
		if _, err := s.ApplyDirectory(ctx, []identity.DirectoryEntry{entry("cat", "cat@dir", "C"), entry("dan", "dan@dir", "D")}, o); err == nil {
			t.Fatal("no error")
		}
		if _, _, err := s.AccountByLogin(ctx, "cat"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("half applied: %v", err)
		}
		if q, _ := s.MailQueue(ctx, "", 10); len(q) != 0 {
			t.Fatalf("mail of a failed sync: %+v", q)
		}
		// In password mode, new accounts get the hash and a welcome mail.
		if rep, err := s.ApplyDirectory(ctx, []identity.DirectoryEntry{entry("ann", "ann@new", "Z"), entry("ben", "ben@dir", "B"), entry("cat", "cat@dir", "C")}, o); err != nil || rep.Created != 1 {
			t.Fatalf("password mode = %+v, %v", rep, err)
		}
		if _, h, _ := s.AccountByLogin(ctx, "cat"); h != "hash" {
			t.Fatalf("hash = %q", h)
		}
		if q, _ := s.MailQueue(ctx, "", 10); len(q) != 1 || q[0].To != "cat@dir" {
			t.Fatalf("welcome = %+v", q)
		}
	})
}

func TestLeases(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		if ok, err := s.AcquireLease(ctx, "job", "a", time.Minute); !ok || err != nil {
			t.Fatalf("a: %v %v", ok, err)
		}
		if ok, _ := s.AcquireLease(ctx, "job", "b", time.Minute); ok {
			t.Fatal("b took a held lease")
		}
		if ok, _ := s.AcquireLease(ctx, "job", "a", time.Minute); !ok {
			t.Fatal("a could not renew")
		}
		if who, _, _ := s.LeaseHolder(ctx, "job"); who != "a" {
			t.Fatalf("holder = %q", who)
		}
		c.advance(2 * time.Minute)
		if ok, _ := s.AcquireLease(ctx, "job", "b", time.Minute); !ok {
			t.Fatal("b could not take an expired lease")
		}
		if err := s.ReleaseLease(ctx, "job", "a"); err != nil {
			t.Fatal(err)
		}
		if who, _, _ := s.LeaseHolder(ctx, "job"); who != "b" {
			t.Fatalf("a released b's lease: %q", who)
		}
		s.ReleaseLease(ctx, "job", "b")
		if ok, _ := s.AcquireLease(ctx, "job", "a", time.Minute); !ok {
			t.Fatal("released lease not free")
		}
	})
}
