package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"campus/internal/problem"
	"campus/internal/rest"
)

// maxResolve is the most usernames or addresses one resolve call takes.
const maxResolve = 200

// handleResolvePeople turns usernames and e-mail addresses into subject
// ids for a service that acts for itself (the study service reading a
// grade file written with usernames). It answers only for accounts that
// exist, and tells nothing but the id; as it tells whether an account
// exists, only client-credentials tokens with grades:read reach it, never
// a person's token (needService), and each call is bounded.
func (a *api) handleResolvePeople(w http.ResponseWriter, r *http.Request, _ *principal) {
	var body struct {
		Logins []string `json:"logins"`
	}
	if !decode(w, r, &body, nil) {
		return
	}
	if len(body.Logins) > maxResolve {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid request",
			Detail: fmt.Sprintf("Ask for at most %d usernames or addresses at a time.", maxResolve),
			Errors: []problem.FieldError{{Field: "logins", Detail: fmt.Sprintf("may hold at most %d entries", maxResolve)}}})
		return
	}
	for i, l := range body.Logins {
		if strings.TrimSpace(l) == "" || len(l) > 254 {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid request",
				Detail: "Every entry must be a username or an e-mail address.",
				Errors: []problem.FieldError{{Field: fmt.Sprintf("logins[%d]", i), Detail: "is not a username or an e-mail address"}}})
			return
		}
	}
	found, err := a.store.PeopleByLogin(r.Context(), body.Logins)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	type match struct {
		Login string `json:"login"`
		ID    string `json:"id"`
	}
	out := struct {
		Items []match `json:"items"`
	}{Items: []match{}}
	for _, m := range found {
		out.Items = append(out.Items, match{Login: m.Login, ID: m.ID})
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// handleListClients lists the applications people sign in to (clients
// with the authorization code grant), by id and name: what an
// administrator chooses from for a role's allowed applications. Secrets,
// redirect URIs and the rest stay out.
func (a *api) handleListClients(w http.ResponseWriter, r *http.Request, _ *principal) {
	clients, err := a.store.Clients(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	type app struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	out := struct {
		Items []app `json:"items"`
	}{Items: []app{}}
	for _, c := range clients {
		if slices.Contains(c.GrantTypes, "authorization_code") {
			out.Items = append(out.Items, app{ID: c.ID, Name: c.Name})
		}
	}
	slices.SortFunc(out.Items, func(x, y app) int { return strings.Compare(x.ID, y.ID) })
	rest.Reply(w, http.StatusOK, 0, out)
}
