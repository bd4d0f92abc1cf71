package policy

import (
	"fmt"
	"slices"
	"time"
)

// ClientAllowed reports whether a person with roles may sign in to the
// application (OAuth client) clientID, and if not, the first of their roles
// (in the order given) that refuses it, so that the refusal can be
// explained and logged.
//
// restrictions maps a role name to the client ids its members may use,
// matched exactly and case-sensitively, as client ids are identifiers, not
// names. A role absent from the map, or with a nil or empty list, is
// unrestricted: an empty list read as "no application at all" would lock
// members out of everything, including the portal where they could notice.
//
// Restrictions compose: the person is refused if any of their roles is
// limited and does not list the client. A role is thus a way to narrow
// access, never to widen it past another role's limit.
func ClientAllowed(restrictions map[string][]string, roles []string, clientID string) (ok bool, refusingRole string) {
	for _, role := range roles {
		allowed := restrictions[role]
		if len(allowed) > 0 && !slices.Contains(allowed, clientID) {
			return false, role
		}
	}
	return true, ""
}

// Rules are the sign-in restrictions that apply to one person: their
// account's own login window (nil: none), the windows of their roles, and
// the applications their roles are limited to.
type Rules struct {
	Account *Window
	Roles   map[string]Window
	Clients map[string][]string
}

// Refusal applies the rules to a person with roles using the application
// clientID (named clientName) at t, in the login windows' time zone loc.
// It is the one place that decides, for a sign-in and for every refresh
// after it, whether the person may use the application now; nil means yes.
// The error's text may be shown to the person: it runs only after they
// proved who they are.
func (r Rules) Refusal(roles []string, clientID, clientName string, t time.Time, loc *time.Location) error {
	if ok, role := ClientAllowed(r.Clients, roles, clientID); !ok {
		if clientName == "" {
			clientName = clientID
		}
		return &ClientError{Role: role, Client: clientName}
	}
	if loc == nil {
		loc = time.UTC
	}
	return Decide(r.Account, r.Roles, t, loc)
}

// ClientError says which role keeps a person from an application.
type ClientError struct{ Role, Client string }

func (e *ClientError) Error() string {
	return fmt.Sprintf("Your role %q does not give access to %s.", e.Role, e.Client)
}
