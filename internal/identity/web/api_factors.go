package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"campus/internal/identity"
	"campus/internal/rest"
)

// Second factors in the API (issue 17): everyone lists their own (the
// portal's profile shows them and links to identity's security page, where
// they are added and removed: WebAuthn runs on identity's origin, and a
// change asks for the password); administrators list a person's and reset
// them when the person lost them (users:write, audited, the person is
// mailed, their sessions end).

type factorJSON struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"` // totp or webauthn
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

type factorsJSON struct {
	Items             []factorJSON `json:"items"`
	RecoveryCodesLeft int          `json:"recovery_codes_left"`
	// Required: a role of the person requires a second factor.
	Required bool `json:"required"`
	// ManageURL is identity's security page, for the person's own list.
	ManageURL string `json:"manage_url,omitempty"`
}

func (a *api) writeFactors(w http.ResponseWriter, r *http.Request, acc identity.Account, manage string) {
	factors, left, err := a.login.factorsOf(r.Context(), acc.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := factorsJSON{Items: []factorJSON{}, RecoveryCodesLeft: left, Required: a.login.cfg.requiresMFA(acc), ManageURL: manage}
	for _, f := range factors {
		v := factorJSON{ID: f.ID, Kind: f.Kind, Name: f.Name, CreatedAt: f.CreatedAt.UTC()}
		if f.LastUsedAt != nil {
			u := f.LastUsedAt.UTC()
			v.LastUsedAt = &u
		}
		out.Items = append(out.Items, v)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// handleListMyFactors lists the caller's second factors.
func (a *api) handleListMyFactors(w http.ResponseWriter, r *http.Request, p *principal) {
	a.writeFactors(w, r, p.account.Account, a.login.issuer+"/security")
}

// handleListFactors lists a person's second factors (users:read).
func (a *api) handleListFactors(w http.ResponseWriter, r *http.Request, p *principal) {
	rec, err := a.store.AccountRecord(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeFactors(w, r, rec.Account, "")
}

// handleResetFactors removes every second factor and recovery code of a
// person who lost theirs (users:write, under the rule of every change to
// an account): they sign in with the password next and, if a role
// requires one, enrol a new factor. Their sessions end, and they are
// mailed, so that a reset they did not ask for does not go unseen.
func (a *api) handleResetFactors(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if !a.mayChange(w, r, p, id, accountChange{action: "factors_reset", own: "own second factors"}) {
		return
	}
	ctx := r.Context()
	rec, err := a.store.AccountRecord(ctx, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := a.store.ResetFactors(ctx, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if composer := a.rc.mail.Composer; composer != nil && rec.Email != "" {
		m, err := composer.FactorsReset(rec.Account, "")
		if err == nil {
			err = a.store.EnqueueMail(ctx, m)
		}
		if err != nil {
			a.logger.ErrorContext(ctx, "mail the reset of second factors", "sub", id, "err", err)
		}
	}
	a.audit(r, p, "factors_reset", identity.OutcomeSuccess, id, "second factors and recovery codes removed by an administrator ("+strconv.Itoa(n)+" factors)")
	a.endAll(w, r, p, id, "", "every session, with the second factors reset by an administrator")
}

// mayChange applies the rule of every change to an account
// (authorizeChange) for action; it answers the refusal itself.
func (a *api) mayChange(w http.ResponseWriter, r *http.Request, p *principal, id string, c accountChange) bool {
	target, err := a.store.AccountRecord(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return false
	}
	roles, err := a.store.Roles(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return false
	}
	perms := map[string][]identity.Permission{}
	for _, role := range roles {
		perms[role.Name] = role.Permissions
	}
	if err := authorizeChange(p, target, perms, c); err != nil {
		var refused *refusal
		if errors.As(err, &refused) {
			a.audit(r, p, c.action, identity.OutcomeDenied, id, refused.audit)
		}
		a.fail(w, r, err)
		return false
	}
	return true
}
