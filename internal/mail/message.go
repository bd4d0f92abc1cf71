package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
)

// Message is one rendered mail. Its fields are exported and tagged so that an
// outbox can store it as JSON and send it later, after a restart, unchanged.
type Message struct {
	To      string `json:"to"` // one address
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"` // may be empty: the mail is then text only
}

// Sender delivers one message. An error means "not delivered, try later",
// unless errors.Is(err, ErrPermanent).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a failure that retrying the same message will not cure:
// the server rejected the recipient or the content (an SMTP 5xx reply to RCPT
// or DATA, RFC 5321 section 4.2.1), or the message itself is unusable. It is
// deliberately not used for failures that an operator can fix while the
// message waits, such as a wrong password or a sender address the server
// refuses, so that the outbox keeps those messages instead of dropping them.
var ErrPermanent = errors.New("permanent delivery failure")

// check rejects a message no transport can deliver, so that Send fails before
// opening a connection and the outbox does not retry it forever.
func (m Message) check() error {
	if strings.TrimSpace(m.To) == "" {
		return fmt.Errorf("%w: message has no recipient", ErrPermanent)
	}
	if _, err := netmail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("%w: recipient %q: %v", ErrPermanent, m.To, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: subject contains a line break", ErrPermanent)
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: message has no text", ErrPermanent)
	}
	return nil
}
