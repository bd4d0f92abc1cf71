package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/rest"
)

// Bounds of GET /api/v1/people.
const (
	maxPeopleIDs    = 200
	maxPeopleSearch = 50
	minPeopleQuery  = 2 // characters: one letter would list half the university
	maxPeopleQuery  = 100
)

// handlePeople names accounts for those who grade (a grade list knows
// people by subject only) and for services with people:read (the
// messages service shows names and finds people to write to). It tells
// only the username and display name of each id that exists, at most 200
// at a time; with q, the active accounts whose names or username begin
// with its words, at most 50. A people:read caller learns their roles
// too, which the messages service's reach rules go by; people's own
// tokens (grades:read) do not.
func (a *api) handlePeople(w http.ResponseWriter, r *http.Request, p *principal) {
	qs := rest.NewQuery(r)
	qs.Only("id", "q", "limit")
	ids := qs.Values["id"]
	if len(ids) > maxPeopleIDs {
		qs.Invalid("id", fmt.Sprintf("may be given at most %d times", maxPeopleIDs))
	}
	q := strings.TrimSpace(qs.Get("q"))
	_, hasQ := qs.Values["q"]
	service := p.has(identity.ScopePeopleRead)
	switch n := utf8.RuneCountInString(q); {
	case !hasQ:
	case !service && !p.has(string(identity.PermUsersRead)):
		qs.Invalid("q", "needs the scope people:read or users:read")
	case n < minPeopleQuery:
		qs.Invalid("q", fmt.Sprintf("needs at least %d characters", minPeopleQuery))
	case n > maxPeopleQuery:
		qs.Invalid("q", fmt.Sprintf("may be at most %d characters", maxPeopleQuery))
	}
	limit := qs.Limit(maxPeopleSearch, maxPeopleSearch)
	if qs.Answer(w) {
		return
	}
	people, err := a.store.People(r.Context(), ids)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	type person struct {
		ID          string   `json:"id"`
		Username    string   `json:"username"`
		DisplayName string   `json:"display_name"`
		Roles       []string `json:"roles,omitzero"`
	}
	out := struct {
		Items []person `json:"items"`
	}{Items: []person{}}
	for _, p := range people {
		out.Items = append(out.Items, person{ID: p.ID, Username: p.Username, DisplayName: p.DisplayName})
	}
	if service && len(out.Items) > 0 {
		found := make([]string, len(out.Items))
		for i, it := range out.Items {
			found[i] = it.ID
		}
		roles, err := a.store.RolesOf(r.Context(), found)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		for i := range out.Items {
			out.Items[i].Roles = nonNilRoles(roles[out.Items[i].ID])
		}
	}
	if hasQ {
		page, err := a.store.ListAccounts(r.Context(), store.AccountQuery{Search: q, Status: identity.StatusActive, Limit: limit})
		if err != nil {
			a.fail(w, r, err)
			return
		}
		for _, rec := range page.Accounts {
			if slices.ContainsFunc(out.Items, func(it person) bool { return it.ID == rec.ID }) {
				continue
			}
			it := person{ID: rec.ID, Username: rec.Username, DisplayName: rec.DisplayName}
			if service {
				it.Roles = nonNilRoles(rec.Roles)
			}
			out.Items = append(out.Items, it)
		}
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// nonNilRoles makes "no roles" an empty list rather than an absent one,
// so that a people:read caller can tell it from a caller without roles.
func nonNilRoles(r []string) []string {
	if r == nil {
		return []string{}
	}
	return r
}

// refuseIfNotService answers 403 when a person's token reaches a route
// for services acting as themselves.
func refuseIfNotService(w http.ResponseWriter, p *principal, scope string) bool {
	if p.account == nil {
		return false
	}
	rest.Forbidden(w, scope, "This is for services with a client-credentials token, not for people's tokens.")
	return true
}
