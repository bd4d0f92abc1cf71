package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"campus/internal/identity"
	"campus/internal/problem"
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

var auditParams = []string{"action", "actor", "target", "outcome", "since", "until", "limit", "cursor"}

// handleAudit lists the audit trail, newest first, a page at a time: the
// cursor is the id of the last event shown (ids are time-ordered).
func (a *api) handleAudit(w http.ResponseWriter, r *http.Request, _ *principal) {
	qs := r.URL.Query()
	var errs []problem.FieldError
	for _, k := range sortedKeys(qs) {
		if !slices.Contains(auditParams, k) {
			errs = append(errs, problem.FieldError{Field: k, Detail: "is not a parameter of the audit trail; use " + strings.Join(auditParams, ", ")})
		}
	}
	f := identity.AuditFilter{Action: qs.Get("action"), Actor: qs.Get("actor"), Target: qs.Get("target"),
		Outcome: qs.Get("outcome"), Before: qs.Get("cursor"), Limit: 100}
	if f.Outcome != "" && !slices.Contains([]string{identity.OutcomeSuccess, identity.OutcomeFailure, identity.OutcomeDenied}, f.Outcome) {
		errs = append(errs, problem.FieldError{Field: "outcome", Detail: "must be success, failure or denied"})
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := qs.Get(t.name); s != "" {
			v, err := time.Parse(time.RFC3339, s)
			if err != nil {
				errs = append(errs, problem.FieldError{Field: t.name, Detail: "must be an RFC 3339 time such as 2026-11-22T09:00:00Z"})
			}
			*t.dst = v
		}
	}
	if s := qs.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			errs = append(errs, problem.FieldError{Field: "limit", Detail: "must be a whole number from 1 to 500"})
		}
		f.Limit = n
	}
	if errs != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid query", Detail: "Some parameters are not right; see errors.", Errors: errs})
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
	writeJSON(w, http.StatusOK, out)
}
