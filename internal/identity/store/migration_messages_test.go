package store

import (
	"campus/internal/identity/datakeys"
	"context"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
)

// TestMessagesPermissionsMigration: an installation made before the
// messages service gets messages:read and messages:write on its three
// built-in roles (migration 0014), keeps what administrators changed, and
// custom roles are left as they were; the roles' versions move on.
func TestMessagesPermissionsMigration(t *testing.T) {
	t.Parallel()
	before := fstest.MapFS{}
	entries, err := fs.ReadDir(Migrations, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() >= "0014" { // the installation as it was before 0014
			continue
		}
		b, err := fs.ReadFile(Migrations, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		before[e.Name()] = &fstest.MapFile{Data: b}
	}
	dbtest.Each(t, before, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// What an administrator did before: staff lost grades:read, a
		// tutor role exists.
		for _, q := range []string{
			`DELETE FROM role_permissions WHERE role = 'staff' AND permission = 'grades:read'`,
			`INSERT INTO roles (name, description, builtin, created_at) VALUES ('tutor', 'Tutors', FALSE, CURRENT_TIMESTAMP)`,
			`INSERT INTO role_permissions (role, permission) VALUES ('tutor', 'grades:read')`,
		} {
			if _, err := d.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Migrate(ctx, Migrations); err != nil {
			t.Fatal(err)
		}
		s := New(d, time.Now, datakeys.Test())
		roles, err := s.Roles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]identity.Permission{
			// events:write: migration 0016, applied after 0014 here too.
			identity.RoleAdmin: {identity.PermEventsWrite, identity.PermGradesRead, identity.PermGradesWrite, identity.PermMessagesRead, identity.PermMessagesWrite,
				identity.PermRolesWrite, identity.PermStudiesWrite, identity.PermUsersRead, identity.PermUsersWrite},
			identity.RoleStaff:   {identity.PermGradesWrite, identity.PermMessagesRead, identity.PermMessagesWrite},
			identity.RoleStudent: {identity.PermMessagesRead, identity.PermMessagesWrite},
			"tutor":              {identity.PermGradesRead},
		}
		for _, r := range roles {
			if !slices.Equal(r.Permissions, want[r.Name]) {
				t.Errorf("%s: %v; want %v", r.Name, r.Permissions, want[r.Name])
			}
			wantV := map[bool]int{true: 2, false: 1}[r.Builtin]
			if r.Name == identity.RoleAdmin {
				wantV = 3 // and 0016
			}
			if r.Version != wantV {
				t.Errorf("%s: version %d; want %d", r.Name, r.Version, wantV)
			}
		}
		if len(roles) != 4 {
			t.Errorf("roles: %+v", roles)
		}
	})
}
