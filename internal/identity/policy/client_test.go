package policy

import "testing"

func TestClientAllowed(t *testing.T) {
	t.Parallel()
	restrictions := map[string][]string{
		"student":  {"portal", "moodle"},
		"guest":    {"portal"},
		"staff":    nil,
		"alumni":   {},
		"examiner": {"exam-app", "portal"},
	}
	tests := []struct {
		name         string
		restrictions map[string][]string
		roles        []string
		client       string
		wantOK       bool
		wantRole     string
	}{
		{name: "listed", restrictions: restrictions, roles: []string{"student"}, client: "moodle", wantOK: true},
		{name: "not listed", restrictions: restrictions, roles: []string{"student"}, client: "exam-app", wantOK: false, wantRole: "student"},
		{name: "exact match is case-sensitive", restrictions: restrictions, roles: []string{"student"}, client: "Moodle", wantOK: false, wantRole: "student"},
		{name: "no prefix match", restrictions: restrictions, roles: []string{"student"}, client: "port", wantOK: false, wantRole: "student"},
		{name: "role absent from the map is unrestricted", restrictions: restrictions, roles: []string{"lecturer"}, client: "anything", wantOK: true},
		{name: "nil list is unrestricted", restrictions: restrictions, roles: []string{"staff"}, client: "anything", wantOK: true},
		{name: "empty list is unrestricted", restrictions: restrictions, roles: []string{"alumni"}, client: "anything", wantOK: true},
		{name: "no roles", restrictions: restrictions, roles: nil, client: "anything", wantOK: true},
		{name: "nil map", restrictions: nil, roles: []string{"student"}, client: "anything", wantOK: true},
		{name: "every limited role lists it", restrictions: restrictions, roles: []string{"student", "guest"}, client: "portal", wantOK: true},
		{name: "one limited role does not list it", restrictions: restrictions, roles: []string{"student", "guest"}, client: "moodle", wantOK: false, wantRole: "guest"},
		{name: "an unrestricted role does not widen a limited one", restrictions: restrictions, roles: []string{"staff", "guest"}, client: "moodle", wantOK: false, wantRole: "guest"},
		{name: "the first refusing role in the given order is named", restrictions: restrictions, roles: []string{"guest", "student"}, client: "exam-app", wantOK: false, wantRole: "guest"},
		{name: "empty client id", restrictions: restrictions, roles: []string{"guest"}, client: "", wantOK: false, wantRole: "guest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, role := ClientAllowed(tt.restrictions, tt.roles, tt.client)
			if ok != tt.wantOK || role != tt.wantRole {
				t.Errorf("ClientAllowed(%v, %q) = %v, %q; want %v, %q", tt.roles, tt.client, ok, role, tt.wantOK, tt.wantRole)
			}
		})
	}
}
