package store

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
)

func TestBuiltinRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, Migrations, func(t *testing.T, d *db.DB) {
		s := New(d, time.Now, datakeys.Test())
		roles, err := s.Roles(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]identity.Permission{
			identity.RoleAdmin: {identity.PermEventsWrite, identity.PermGradesRead, identity.PermGradesWrite,
				identity.PermMessagesRead, identity.PermMessagesWrite, identity.PermRolesWrite,
				identity.PermStudiesWrite, identity.PermUsersRead, identity.PermUsersWrite},
			identity.RoleStaff:   {identity.PermGradesRead, identity.PermGradesWrite, identity.PermMessagesRead, identity.PermMessagesWrite},
			identity.RoleStudent: {identity.PermMessagesRead, identity.PermMessagesWrite},
		}
		if len(roles) != len(want) {
			t.Fatalf("roles %+v", roles)
		}
		for _, r := range roles {
			// Version 2: migration 0014 added the messages permissions;
			// the admin's 3: 0016 added events:write.
			wantV := 2
			if r.Name == identity.RoleAdmin {
				wantV = 3
			}
			if !r.Builtin || r.Version != wantV || !slices.Equal(r.Permissions, want[r.Name]) || r.LoginWindow != nil ||
				len(r.AllowedClients) != 0 || r.AllowedClients == nil || !r.UpdatedAt.Equal(r.CreatedAt) {
				t.Errorf("built-in role %+v", r)
			}
		}
	})
}

func TestCreateAndUpdateRole(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		s := New(d, func() time.Time { return now }, datakeys.Test())
		tutor := Role{Name: "tutor", Description: "Tutors", Permissions: []identity.Permission{identity.PermGradesRead, identity.PermGradesRead},
			AllowedClients: []string{"lms", "exam"}, LoginWindow: &LoginWindow{Earliest: "08:00", Latest: "20:00", LastDate: "2027-03-31"}}
		created, err := s.CreateRole(ctx, tutor)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Role(ctx, "tutor")
		if err != nil || got.Version != 1 || got.Builtin || !slices.Equal(got.Permissions, []identity.Permission{identity.PermGradesRead}) ||
			!slices.Equal(got.AllowedClients, []string{"exam", "lms"}) || *got.LoginWindow != *tutor.LoginWindow || !got.CreatedAt.Equal(now) {
			t.Fatalf("stored role %+v, %v (created %+v)", got, err, created)
		}

		for _, name := range []string{"tutor", identity.RoleAdmin} {
			if _, err := s.CreateRole(ctx, Role{Name: name}); !errors.Is(err, identity.ErrConflict) {
				t.Fatalf("create %s again: %v", name, err)
			}
		}

		now = now.Add(time.Hour)
		updated, err := s.UpdateRole(ctx, "tutor", 1, func(r *Role) error {
			r.Permissions = []identity.Permission{identity.PermGradesWrite, identity.PermGradesRead}
			r.AllowedClients, r.LoginWindow, r.Description = nil, nil, "Tutors and assistants"
			r.Name, r.Builtin = "renamed", true // ignored
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.Role(ctx, "tutor")
		if updated.Version != 2 || again.Version != 2 || !slices.Equal(again.Permissions, []identity.Permission{identity.PermGradesRead, identity.PermGradesWrite}) ||
			len(again.AllowedClients) != 0 || again.LoginWindow != nil || again.Description != "Tutors and assistants" || again.Builtin ||
			!again.UpdatedAt.Equal(now) || !again.CreatedAt.Equal(now.Add(-time.Hour)) {
			t.Fatalf("updated role %+v", again)
		}

		tests := []struct {
			name, role string
			version    int
			change     func(*Role) error
			want       error
		}{
			{"stale version", "tutor", 1, func(*Role) error { return nil }, ErrStale},
			{"unknown role", "wizard", 0, func(*Role) error { return nil }, identity.ErrNotFound},
			{"change refuses", "tutor", 2, func(*Role) error { return errTestRefused }, errTestRefused},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.UpdateRole(ctx, tc.role, tc.version, tc.change); !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if r, _ := s.Role(ctx, "tutor"); r.Version != 2 {
					t.Fatalf("refused change written: version %d", r.Version)
				}
			})
		}

		// Two editors with the same version: one wins, the other is stale.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.UpdateRole(ctx, "tutor", 2, func(r *Role) error { r.Description = "editor"; return nil })
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), ErrStale) {
			t.Fatalf("concurrent updates: %v", errs)
		}
	})
}
