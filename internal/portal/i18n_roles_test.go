package portal

import "testing"

// TestBuiltinRoleDescriptions: a built-in role's description shows in the
// page's language until an administrator writes their own.
func TestBuiltinRoleDescriptions(t *testing.T) {
	t.Parallel()
	de, en := page{Lang: German}, page{Lang: English}
	staff := role{Name: "staff", Builtin: true, Description: "Staff: chairs and the examination office; record grades"}
	if got := de.RoleText(staff); got != T(German, "role.builtin.staff") {
		t.Errorf("German page shows %q", got)
	}
	if got := en.RoleText(staff); got != staff.Description {
		t.Errorf("English page shows %q", got)
	}
	staff.Description = "Lehrstühle (eigener Text)"
	if got := de.RoleText(staff); got != staff.Description {
		t.Errorf("a description of the administrator's own became %q", got)
	}
	own := role{Name: "exam-office", Description: "The examination office"}
	if got := de.RoleText(own); got != own.Description {
		t.Errorf("a role of the university's own shows %q", got)
	}
}
