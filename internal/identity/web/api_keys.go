package web

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"campus/internal/identity"
	"campus/internal/problem"
	"campus/internal/rest"
)

// maxAPIKeys bounds the keys one person may hold at once.
const maxAPIKeys = 20

// apiKeyJSON is a key as the API shows it: never its secret, except once
// in the answer that made it (Key).
type apiKeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func viewAPIKey(k identity.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: utcPtr(k.ExpiresAt), LastUsedAt: utcPtr(k.LastUsedAt)}
}

func (a *api) handleListAPIKeys(w http.ResponseWriter, r *http.Request, p *principal) {
	keys, err := a.store.APIKeys(r.Context(), p.account.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items []apiKeyJSON `json:"items"`
	}{Items: []apiKeyJSON{}}
	for _, k := range keys {
		out.Items = append(out.Items, viewAPIKey(k))
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// handleCreateAPIKey makes a read-only key for the signed-in person.
func (a *api) handleCreateAPIKey(w http.ResponseWriter, r *http.Request, p *principal) {
	var body struct {
		Name      string     `json:"name"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if !decode(w, r, &body, nil) {
		return
	}
	// A key would outlive the event's window and applications: an event's
	// accounts sign in, nothing more.
	if event, err := a.store.EventOf(r.Context(), p.account.ID); err != nil {
		a.fail(w, r, err)
		return
	} else if event != "" {
		problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: "An event's account cannot have API keys."})
		return
	}
	body.Name = strings.TrimSpace(body.Name)
	var errs []problem.FieldError
	if body.Name == "" || utf8.RuneCountInString(body.Name) > 100 {
		errs = append(errs, problem.FieldError{Field: "name", Detail: "must be 1 to 100 characters"})
	}
	if body.ExpiresAt != nil && !body.ExpiresAt.After(a.now()) {
		errs = append(errs, problem.FieldError{Field: "expires_at", Detail: "must be in the future"})
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	keys, err := a.store.APIKeys(r.Context(), p.account.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if len(keys) >= maxAPIKeys {
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "You have 20 keys already; revoke one you no longer use first."})
		return
	}
	k, secret, err := a.store.CreateAPIKey(r.Context(), p.account.ID, body.Name, body.ExpiresAt)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "api_key_created", identity.OutcomeSuccess, p.account.ID, k.Name+" ("+k.Prefix+"…)")
	out := viewAPIKey(k)
	out.Key = secret
	w.Header().Set("Location", a.login.base+"/api/v1/me/api-keys/"+k.ID)
	rest.Reply(w, http.StatusCreated, 0, out)
}

func (a *api) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request, p *principal) {
	err := a.store.RevokeAPIKey(r.Context(), p.account.ID, r.PathValue("id"))
	if errors.Is(err, identity.ErrNotFound) {
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "You have no such key (or it is revoked already)."})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "api_key_revoked", identity.OutcomeSuccess, p.account.ID, r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}
