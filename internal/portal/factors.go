package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// A person's second factors at identity (issue 17): the profile lists
// one's own and links to identity's sign-in security page, where they are
// added and removed (passkeys are bound to identity's origin, and every
// change asks for the password there); the user page lists an account's
// and offers administrators holding users:write the reset for a person
// who lost theirs. The portal changes no factor itself.

// idpFactor is a second factor as identity's API shows it.
type idpFactor struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"` // totp or webauthn
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// idpFactors is identity's answer about a person's second factors.
type idpFactors struct {
	Items             []idpFactor `json:"items"`
	RecoveryCodesLeft int         `json:"recovery_codes_left"`
	Required          bool        `json:"required"`
	ManageURL         string      `json:"manage_url"` // only in one's own
}

// MyFactors lists the person's own second factors.
func (c identityClient) MyFactors(ctx context.Context, sess *session) (idpFactors, error) {
	var f idpFactors
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/me/factors"}, &f)
	return f, err
}

// UserFactors lists an account's second factors (users:read).
func (c identityClient) UserFactors(ctx context.Context, sess *session, id string) (idpFactors, error) {
	var f idpFactors
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/users/" + esc(id) + "/factors"}, &f)
	return f, err
}

// ResetUserFactors removes every second factor and recovery code of an
// account and ends its sessions (users:write; never one's own).
func (c identityClient) ResetUserFactors(ctx context.Context, sess *session, id string) error {
	return c.do(ctx, sess, call{method: http.MethodDelete, path: "/users/" + esc(id) + "/factors"}, nil)
}

// factorRow is a second factor as a page lists it.
type factorRow struct {
	Name     string
	Kind     string // in words
	Added    time.Time
	LastUsed time.Time // zero: never
}

// factorsView is the sign-in security section of a page.
type factorsView struct {
	Rows         []factorRow
	RecoveryLeft int
	Required     bool
	// Manage is identity's security page, leading back to the profile
	// (the profile only).
	Manage string
}

// factorsOf is identity's answer for a page in lang.
func factorsOf(lang Lang, f idpFactors) *factorsView {
	v := &factorsView{RecoveryLeft: f.RecoveryCodesLeft, Required: f.Required, Rows: make([]factorRow, 0, len(f.Items))}
	for _, it := range f.Items {
		row := factorRow{Name: it.Name, Kind: it.Kind, Added: it.CreatedAt}
		if it.Kind == "totp" || it.Kind == "webauthn" {
			row.Kind = T(lang, "factors.kind."+it.Kind)
		}
		if it.LastUsedAt != nil {
			row.LastUsed = *it.LastUsedAt
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// manageURL is identity's security page (manage_url, or the issuer's
// /security when identity named none) with back set to the profile's
// sign-in security section, which identity links to when done.
func (s *server) manageURL(manage string) string {
	u, err := url.Parse(manage)
	if manage == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		u, err = url.Parse(s.d.OIDC.Issuer + "/security")
		if err != nil {
			return ""
		}
	}
	q := u.Query()
	q.Set("back", s.d.Origin+s.d.Base+"/profile#security-h")
	u.RawQuery = q.Encode()
	return u.String()
}

// resetUserFactors removes every second factor of the account on the
// user page. Only for users:write; identity refuses one's own account and
// accounts whose permissions the administrator lacks (403, shown).
func (s *server) resetUserFactors(w http.ResponseWriter, r *http.Request, sess *session, id string) {
	lang := langOf(r)
	if !slices.Contains(sess.Scopes, "users:write") {
		s.fail(w, r, http.StatusForbidden, T(lang, "factors.forbidden"))
		return
	}
	err := s.identity.ResetUserFactors(r.Context(), sess, id)
	switch st := statusOf(err); {
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin/users/"+url.PathEscape(id)+"?done=factors_reset", http.StatusSeeOther)
	case errors.Is(err, errNotFound):
		s.fail(w, r, http.StatusNotFound, T(lang, "admin.nouser"))
	case st == http.StatusForbidden:
		s.userPage(w, r, sess, http.StatusForbidden, userView{Error: T(lang, "admin.refused", problemOf(err).Detail)})
	default:
		s.apiFailed(w, r, err)
	}
}
