package identity

import (
	"regexp"
	"slices"
	"testing"
)

func TestPermissions(t *testing.T) {
	perms := Permissions()
	if len(perms) == 0 {
		t.Fatal("Permissions() is empty")
	}
	scope := regexp.MustCompile(`^[a-z]+:[a-z]+$`)
	seen := map[Permission]bool{}
	for _, p := range perms {
		if seen[p] {
			t.Errorf("%q listed twice", p)
		}
		seen[p] = true
		if !scope.MatchString(string(p)) {
			t.Errorf("%q is not a scope of the form resource:action", p)
		}
		// Scopes (client.go) is a second list; it must offer every permission.
		if !slices.Contains(Scopes, string(p)) {
			t.Errorf("Scopes lacks permission %q", p)
		}
	}
	perms[0] = "changed"
	if Permissions()[0] == "changed" {
		t.Error("Permissions() shares its slice with callers")
	}
}
