// Package mail is campus's mail plumbing: it renders the mails campus sends
// (e-mail confirmation, password reset, notices, directory welcome mails)
// from embedded English and German templates into a Message, and delivers a
// Message through a Sender: SMTP in production, or a Mailbox directory on
// disk for a developer running campus without a mail server.
//
// It is not a queue. A Send either delivers the message now or fails;
// deciding when to try again, and giving up after ErrPermanent, is the job of
// the outbox that stores each Message with the change that caused it. Nor
// does it decide who gets which mail or what a link points to: that is the
// caller's business, and a template shows only what Data holds.
package mail
