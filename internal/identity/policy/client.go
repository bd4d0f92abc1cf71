package policy

import "slices"

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
