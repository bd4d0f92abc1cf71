package service

import (
	"context"

	"campus/internal/identity"
	identitystore "campus/internal/identity/store"
)

// MailStatus is what `campus mail status` shows of the outbox: the counts,
// and the latest limit mails (only those given up, with failedOnly).
func MailStatus(ctx context.Context, st *identitystore.Store, failedOnly bool, limit int) (identitystore.MailStatus, []identity.OutboxMail, error) {
	status, err := st.MailStatus(ctx)
	if err != nil {
		return status, nil, err
	}
	state := ""
	if failedOnly {
		state = identitystore.MailFailed
	}
	mails, err := st.MailQueue(ctx, state, max(1, limit))
	return status, mails, err
}
