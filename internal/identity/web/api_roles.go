package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/lazyregexp"
	"campus/internal/problem"
	"campus/internal/rest"
)

// roleView is a role as the API shows it.
type roleView struct {
	Name           string             `json:"name"`
	Description    string             `json:"description"`
	Builtin        bool               `json:"builtin"`
	Permissions    []string           `json:"permissions"`
	AllowedClients []string           `json:"allowed_clients"`
	LoginWindow    *store.LoginWindow `json:"login_window"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	Version        int                `json:"version"`
	// Event names the event whose own role this is: it changes only
	// with the event (absent for every other role).
	Event string `json:"event,omitempty"`
}

func viewRole(r store.Role) roleView {
	perms := []string{}
	for _, p := range r.Permissions {
		perms = append(perms, string(p))
	}
	clients := r.AllowedClients
	if clients == nil {
		clients = []string{}
	}
	return roleView{Name: r.Name, Description: r.Description, Builtin: r.Builtin, Permissions: perms, AllowedClients: clients,
		LoginWindow: r.LoginWindow, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version, Event: r.Event}
}

func writeRole(w http.ResponseWriter, status int, r store.Role) {
	rest.Reply(w, status, r.Version, viewRole(r))
}

// permissionCatalogue is every permission a role may carry.
var permissionCatalogue = identity.Permissions()

// adminKeeps are the permissions the admin role cannot lose: without them
// nobody could manage accounts and roles any more.
var adminKeeps = []identity.Permission{identity.PermUsersRead, identity.PermUsersWrite, identity.PermRolesWrite}

func (a *api) handleListRoles(w http.ResponseWriter, r *http.Request, _ *principal) {
	roles, err := a.store.Roles(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items []roleView `json:"items"`
	}{Items: []roleView{}}
	for _, role := range roles {
		out.Items = append(out.Items, viewRole(role))
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

func (a *api) handleGetRole(w http.ResponseWriter, r *http.Request, _ *principal) {
	role, err := a.store.Role(r.Context(), r.PathValue("name"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeRole(w, http.StatusOK, role)
}

type roleCreate struct {
	Name           string             `json:"name"`
	Description    string             `json:"description"`
	Permissions    []string           `json:"permissions"`
	AllowedClients []string           `json:"allowed_clients"`
	LoginWindow    *store.LoginWindow `json:"login_window"`
}

type rolePatch struct {
	Description    optional[string]            `json:"description"`
	Permissions    optional[[]string]          `json:"permissions"`
	AllowedClients optional[[]string]          `json:"allowed_clients"`
	LoginWindow    optional[store.LoginWindow] `json:"login_window"`
}

var roleNamePattern = lazyregexp.New(`^[a-z][a-z0-9_-]{1,31}$`)

// checkRole validates what a role is to become and reports the field
// errors; p may not grant a permission it lacks itself.
func (a *api) checkRole(r *http.Request, p *principal, before *store.Role, after store.Role) []problem.FieldError {
	var errs []problem.FieldError
	if msg := checkText(500, false)(after.Description); msg != "" {
		errs = append(errs, problem.FieldError{Field: "description", Detail: msg})
	}
	for i, perm := range after.Permissions {
		field := "permissions[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(permissionCatalogue, perm):
			errs = append(errs, problem.FieldError{Field: field, Detail: fmt.Sprintf("%q is not a permission; choose from %s", perm, catalogueText())})
		case !slices.Contains(p.perms, perm) && (before == nil || !slices.Contains(before.Permissions, perm)):
			errs = append(errs, problem.FieldError{Field: field, Detail: fmt.Sprintf("you cannot grant %s: you do not hold it yourself", perm)})
		}
	}
	if after.Name == identity.RoleAdmin {
		for _, keep := range adminKeeps {
			if !slices.Contains(after.Permissions, keep) {
				errs = append(errs, problem.FieldError{Field: "permissions", Detail: fmt.Sprintf("the admin role must keep %s, or nobody could manage accounts and roles", keep)})
			}
		}
	}
	for i, c := range after.AllowedClients {
		if before != nil && slices.Contains(before.AllowedClients, c) {
			continue
		}
		if _, err := a.store.Client(r.Context(), c); err != nil {
			errs = append(errs, problem.FieldError{Field: "allowed_clients[" + strconv.Itoa(i) + "]", Detail: fmt.Sprintf("there is no application %q", c)})
		}
	}
	if after.LoginWindow != nil {
		for _, msg := range checkWindow(*after.LoginWindow) {
			errs = append(errs, problem.FieldError{Field: "login_window", Detail: msg})
		}
	}
	return errs
}

func catalogueText() string {
	var s []string
	for _, p := range permissionCatalogue {
		s = append(s, string(p))
	}
	return strings.Join(s, ", ")
}

func toPermissions(in []string) []identity.Permission {
	out := []identity.Permission{}
	for _, s := range in {
		out = append(out, identity.Permission(s))
	}
	return out
}

func (a *api) handleCreateRole(w http.ResponseWriter, r *http.Request, p *principal) {
	var body roleCreate
	if !decode(w, r, &body, nil) {
		return
	}
	role := store.Role{Name: strings.TrimSpace(body.Name), Description: strings.TrimSpace(body.Description),
		Permissions: toPermissions(body.Permissions), AllowedClients: body.AllowedClients, LoginWindow: body.LoginWindow}
	var errs []problem.FieldError
	if !roleNamePattern.MatchString(role.Name) {
		errs = append(errs, problem.FieldError{Field: "name", Detail: "use 2 to 32 lower-case letters, digits, '_' or '-', starting with a letter"})
	}
	errs = append(errs, a.checkRole(r, p, nil, role)...)
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	created, err := a.store.CreateRole(r.Context(), role)
	if errors.Is(err, identity.ErrConflict) {
		problem.Write(w, problem.Details{Status: http.StatusConflict,
			Detail: fmt.Sprintf("A role named %q exists already. Change it with PATCH /api/v1/roles/%s instead.", role.Name, role.Name),
			Errors: []problem.FieldError{{Field: "name", Detail: "is taken by an existing role"}}})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "role_created", identity.OutcomeSuccess, created.Name, describeRole(created))
	w.Header().Set("Location", a.login.base+"/api/v1/roles/"+created.Name)
	writeRole(w, http.StatusCreated, created)
}

func (a *api) handlePatchRole(w http.ResponseWriter, r *http.Request, p *principal) {
	var patch rolePatch
	if !decode(w, r, &patch, map[string]string{"name": "is the role's identity and cannot change", "builtin": "is read-only"}) {
		return
	}
	name := r.PathValue("name")
	if event, err := a.store.EventRole(r.Context(), name); err != nil {
		a.fail(w, r, err)
		return
	} else if event != "" {
		problem.Write(w, problem.Details{Status: http.StatusConflict,
			Detail: "This role belongs to an event and carries its window and applications, which are set when the event is created."})
		return
	}
	version, ok := ifMatch(w, r, func() (int, error) {
		role, err := a.store.Role(r.Context(), name)
		return role.Version, err
	})
	if !ok {
		return
	}
	var errs []problem.FieldError
	var before store.Role
	updated, err := a.store.UpdateRole(r.Context(), name, version, func(role *store.Role) error {
		before = *role
		before.Permissions, before.AllowedClients = slices.Clone(role.Permissions), slices.Clone(role.AllowedClients)
		if o := patch.Description; o.Set {
			role.Description = strings.TrimSpace(o.Value) // null clears it
		}
		if o := patch.Permissions; o.Set {
			role.Permissions = toPermissions(o.Value)
		}
		if o := patch.AllowedClients; o.Set {
			role.AllowedClients = o.Value
			if role.AllowedClients == nil {
				role.AllowedClients = []string{}
			}
		}
		if o := patch.LoginWindow; o.Set {
			role.LoginWindow = nil
			if !o.Null {
				lw := o.Value
				role.LoginWindow = &lw
			}
		}
		if errs = a.checkRole(r, p, &before, *role); errs != nil {
			return errInvalid
		}
		return nil
	})
	if errors.Is(err, errInvalid) {
		rest.Invalid(w, errs...)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !restricts(before, updated) {
		a.audit(r, p, "role_changed", identity.OutcomeSuccess, updated.Name, describeRole(updated))
		writeRole(w, http.StatusOK, updated)
		return
	}
	// What members may do changed: their sessions end, so that tokens
	// granted under the old rules stop working; the caller's own stays.
	ended, err := a.endRoleSessions(r, p, updated.Name)
	a.audit(r, p, "role_changed", identity.OutcomeSuccess, updated.Name, describeRole(updated)+fmt.Sprintf("; %d sessions of its members ended", ended))
	if err != nil {
		a.logger.ErrorContext(r.Context(), "end sessions of a role's members", "role", updated.Name, "err", err)
		problem.Write(w, problem.Details{Status: failureStatus(err),
			Detail: "The role is changed, but not every session of its members could be ended; their tokens stop working when they expire."})
		return
	}
	writeRole(w, http.StatusOK, updated)
}

// restricts reports whether a role's change touches what its members may
// do: its permissions, applications or login window.
func restricts(before, after store.Role) bool {
	return !slices.Equal(before.Permissions, after.Permissions) || !slices.Equal(before.AllowedClients, after.AllowedClients) ||
		(before.LoginWindow == nil) != (after.LoginWindow == nil) ||
		(before.LoginWindow != nil && *before.LoginWindow != *after.LoginWindow)
}

// endRoleSessions ends the live sessions of every member of role, read in
// one query, but the session the caller's token belongs to.
func (a *api) endRoleSessions(r *http.Request, p *principal, role string) (int, error) {
	ctx := r.Context()
	sessions, err := a.store.RoleSessions(ctx, role)
	if err != nil {
		return 0, err
	}
	keep := ""
	if p.account != nil {
		if keep, err = a.store.AccessTokenSession(ctx, p.jti); err != nil && !errors.Is(err, identity.ErrNotFound) {
			return 0, err
		}
	}
	var errs []error
	ended := 0
	for _, sess := range sessions {
		if sess.ID == keep {
			continue
		}
		if err := a.storage.EndSession(ctx, sess); err != nil {
			errs = append(errs, err)
			continue
		}
		ended++
	}
	return ended, errors.Join(errs...)
}

// describeRole summarises a role for the audit trail.
func describeRole(r store.Role) string {
	var perms []string
	for _, p := range r.Permissions {
		perms = append(perms, string(p))
	}
	s := "permissions [" + strings.Join(perms, ", ") + "]; allowed clients [" + strings.Join(r.AllowedClients, ", ") + "]"
	if r.LoginWindow != nil {
		if w, err := r.LoginWindow.Window(); err == nil {
			s += "; login window " + w.String()
		}
	}
	return s
}
