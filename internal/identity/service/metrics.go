package service

import (
	"context"

	identitystore "campus/internal/identity/store"
	"campus/internal/metrics"
)

// watch counts identity in the process's metrics, when it keeps any
// (reg nil: none): every event written to the audit trail (sign-ins and
// lockouts among them), and the outboxes, read from the database at each
// scrape. It returns identity's metrics for the workers' hooks, nil
// without.
func watch(reg *metrics.Registry, st *identitystore.Store) *metrics.Identity {
	m := reg.Identity()
	if m == nil {
		return nil
	}
	st.Audited = m.Audited
	reg.Outboxes("identity", func(ctx context.Context) ([]metrics.Outbox, error) {
		counts, err := st.OutboxCounts(ctx)
		out := make([]metrics.Outbox, len(counts))
		for i, c := range counts {
			out[i] = metrics.Outbox{Name: c.Name, Pending: c.Pending, Retrying: c.Retrying, Failed: c.Failed, OldestPending: c.OldestPending}
		}
		return out, err
	})
	return m
}
