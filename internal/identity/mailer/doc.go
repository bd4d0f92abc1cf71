// Package mailer is identity's mail: it composes the mails identity sends
// (confirmation and reset links, notices, directory welcomes) and delivers
// the outbox, retrying with backoff. Rendering templates and talking SMTP
// are internal/mail's; what is stored, and when, is the store's.
package mailer
