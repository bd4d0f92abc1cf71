package web

import (
	"net/http"
	"slices"
	"time"

	"campus/internal/identity"
	"campus/internal/rest"
)

type auditView struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Action   string    `json:"action"`
	Outcome  string    `json:"outcome"`
	Actor    string    `json:"actor"`
	Target   string    `json:"target"`
	ClientIP string    `json:"client_ip"`
	ClientID string    `json:"client_id"`
	Detail   string    `json:"detail"`
}

var auditParams = []string{"action", "actor", "target", "person", "outcome", "since", "until", "limit", "cursor"}

// handleAudit lists the audit trail, newest first, a page at a time: the
// cursor is the id of the last event shown (ids are time-ordered).
func (a *api) handleAudit(w http.ResponseWriter, r *http.Request, _ *principal) {
	qs := rest.NewQuery(r)
	qs.Only(auditParams...)
	f := identity.AuditFilter{Action: qs.Get("action"), Actor: qs.Get("actor"), Target: qs.Get("target"),
		Person: qs.Get("person"), Outcome: qs.Get("outcome"), Before: qs.Cursor(), Limit: qs.Limit(100, 500)}
	if f.Outcome != "" && !slices.Contains([]string{identity.OutcomeSuccess, identity.OutcomeFailure, identity.OutcomeDenied}, f.Outcome) {
		qs.Invalid("outcome", "must be success, failure or denied")
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := qs.Get(t.name); s != "" {
			v, err := time.Parse(time.RFC3339, s)
			if err != nil {
				qs.Invalid(t.name, "must be an RFC 3339 time such as 2026-11-22T09:00:00Z")
			}
			*t.dst = v
		}
	}
	if qs.Answer(w) {
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	events, err := a.store.Events(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items      []auditView `json:"items"`
		NextCursor string      `json:"next_cursor,omitempty"`
	}{Items: []auditView{}}
	if len(events) > limit {
		events = events[:limit]
		out.NextCursor = events[limit-1].ID
	}
	for _, e := range events {
		out.Items = append(out.Items, auditView{ID: e.ID, At: e.At.UTC(), Action: e.Action, Outcome: e.Outcome, Actor: e.Actor,
			Target: e.Target, ClientIP: e.ClientIP, ClientID: e.ClientID, Detail: e.Detail})
	}
	rest.Reply(w, http.StatusOK, 0, out)
}
