package web

import (
	"errors"
	"net/http"
	"time"

	"campus/internal/identity"
	"campus/internal/problem"
	"campus/internal/rest"
)

type consentJSON struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
}

// handleListConsents lists the third-party applications a person allowed.
func (a *api) handleListConsents(w http.ResponseWriter, r *http.Request, p *principal) {
	cs, err := a.store.Consents(r.Context(), p.account.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items []consentJSON `json:"items"`
	}{Items: []consentJSON{}}
	for _, c := range cs {
		name := c.ClientID
		if cl, err := a.store.Client(r.Context(), c.ClientID); err == nil && cl.Name != "" {
			name = cl.Name
		}
		out.Items = append(out.Items, consentJSON{ClientID: c.ClientID, ClientName: name, Scopes: c.Scopes, GrantedAt: c.GrantedAt})
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// handleWithdrawConsent withdraws a person's consent for an application and
// revokes that application's tokens for them; it asks again next time.
func (a *api) handleWithdrawConsent(w http.ResponseWriter, r *http.Request, p *principal) {
	client := r.PathValue("client_id")
	err := a.store.WithdrawConsent(r.Context(), p.account.ID, client)
	if errors.Is(err, identity.ErrNotFound) {
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "You have not allowed this application anything."})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.login.audit(r.Context(), identity.AuditEvent{Action: "consent_withdrawn", Outcome: identity.OutcomeSuccess,
		Actor: p.account.ID, Target: client, ClientIP: clientIP(r), ClientID: p.clientID})
	w.WriteHeader(http.StatusNoContent)
}

type deliveryJSON struct {
	ID            string     `json:"id"`
	ClientID      string     `json:"client_id"`
	URI           string     `json:"uri"`
	Subject       string     `json:"subject"`
	SessionID     string     `json:"sid"`
	CreatedAt     time.Time  `json:"created_at"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	Status        string     `json:"status"` // pending, delivered, failed
}

// handleLogoutDeliveries shows administrators the back-channel logout
// outbox: what was delivered, what is being retried and why, what was
// given up on.
func (a *api) handleLogoutDeliveries(w http.ResponseWriter, r *http.Request, _ *principal) {
	limit, ok := queryLimit(w, r)
	if !ok {
		return
	}
	ds, err := a.store.LogoutDeliveries(r.Context(), r.URL.Query().Get("undelivered") == "true", limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items []deliveryJSON `json:"items"`
	}{Items: []deliveryJSON{}}
	for _, d := range ds {
		j := deliveryJSON{ID: d.ID, ClientID: d.ClientID, URI: d.URI, Subject: d.AccountID, SessionID: d.SessionID, CreatedAt: d.CreatedAt,
			Attempts: d.Attempts, DeliveredAt: d.DeliveredAt, FailedAt: d.FailedAt, LastError: d.LastError}
		j.Status, j.NextAttemptAt = outboxState(d.DeliveredAt, d.FailedAt, d.NextAttemptAt, "delivered")
		out.Items = append(out.Items, j)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// queryLimit reads ?limit= (1 to 1000, default 100) or answers 400.
func queryLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	q := rest.NewQuery(r)
	n := q.Limit(100, 1000)
	return n, !q.Answer(w)
}
