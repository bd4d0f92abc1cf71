package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestAPIAuditPerson: ?person= lists everything about one account, what
// it did and what was done to it, and nothing of anyone else.
func TestAPIAuditPerson(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	anna := e.addUser(t, "anna", "anna-password-1", "student")
	bert := e.addUser(t, "bert", "bert-password-1", "student")
	admin := e.token(t, "admin", adminPassword)
	adminID := e.must(t, http.StatusOK, "GET", "/api/v1/me", admin, nil).str("id")
	e.token(t, "anna", "anna-password-1") // anna signs in: actor and target
	e.token(t, "bert", "bert-password-1")
	annaPath := "/api/v1/users/" + anna.ID
	e.must(t, http.StatusOK, "PUT", annaPath+"/roles", admin, map[string]any{"roles": []string{"staff"}}, "If-Match", "*")

	events := func(t *testing.T, query string) []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, it := range e.must(t, http.StatusOK, "GET", "/api/v1/audit?"+query, admin, nil).body["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	tests := []struct {
		name, query string
		id          string   // every event has it as actor or target
		want        []string // actions, newest first
	}{
		{"acted upon and acting", "person=" + url.QueryEscape(anna.ID), anna.ID, []string{"roles_changed", "sign_in"}},
		{"the administrator's doing", "person=" + url.QueryEscape(adminID) + "&action=roles_changed", adminID, []string{"roles_changed"}},
		{"with the other filters", "person=" + url.QueryEscape(bert.ID) + "&outcome=success", bert.ID, []string{"sign_in"}},
		{"nobody", "person=no-such-id", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := events(t, tc.query)
			var actions []string
			for _, ev := range got {
				actions = append(actions, ev["action"].(string))
				if ev["actor"] != tc.id && ev["target"] != tc.id {
					t.Errorf("an event not about %s: %v", tc.id, ev)
				}
			}
			if len(actions) != len(tc.want) {
				t.Fatalf("actions %v, want %v", actions, tc.want)
			}
			for i := range actions {
				if actions[i] != tc.want[i] {
					t.Fatalf("actions %v, want %v", actions, tc.want)
				}
			}
		})
	}
}
