package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// TestEventsOfPerson: the person filter finds the events a person did and
// those done to them, with the other filters and the cursor, on both
// engines.
func TestEventsOfPerson(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		events := []identity.AuditEvent{
			{Action: "sign_in", Outcome: identity.OutcomeFailure, Target: "mia"},
			{Action: "roles_changed", Outcome: identity.OutcomeSuccess, Actor: "admin", Target: "mia"},
			{Action: "sign_in", Outcome: identity.OutcomeSuccess, Target: "ben"},
			{Action: "profile_changed", Outcome: identity.OutcomeSuccess, Actor: "mia", Target: "mia"},
			{Action: "roles_changed", Outcome: identity.OutcomeSuccess, Actor: "mia", Target: "ben"},
		}
		for _, e := range events {
			e.At = c.now()
			if err := s.RecordEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			c.advance(time.Second)
		}
		summary := func(es []identity.AuditEvent) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.Action+" "+e.Actor+">"+e.Target)
			}
			return out
		}
		got, err := s.Events(ctx, identity.AuditFilter{Person: "mia", Limit: 10})
		want := []string{"roles_changed mia>ben", "profile_changed mia>mia", "roles_changed admin>mia", "sign_in >mia"}
		if err != nil || !slices.Equal(summary(got), want) {
			t.Fatalf("everything about mia = %v, %v; want %v", summary(got), err, want)
		}
		got, err = s.Events(ctx, identity.AuditFilter{Person: "mia", Action: "roles_changed", Limit: 10})
		if want := []string{"roles_changed mia>ben", "roles_changed admin>mia"}; err != nil || !slices.Equal(summary(got), want) {
			t.Fatalf("mia's role changes = %v, %v; want %v", summary(got), err, want)
		}
		first, err := s.Events(ctx, identity.AuditFilter{Person: "mia", Limit: 2})
		if err != nil || len(first) != 2 {
			t.Fatalf("first page = %v, %v", summary(first), err)
		}
		rest, err := s.Events(ctx, identity.AuditFilter{Person: "mia", Limit: 10, Before: first[1].ID})
		if want := []string{"roles_changed admin>mia", "sign_in >mia"}; err != nil || !slices.Equal(summary(rest), want) {
			t.Fatalf("next page = %v, %v; want %v", summary(rest), err, want)
		}
		if got, err := s.Events(ctx, identity.AuditFilter{Person: "nobody", Limit: 10}); err != nil || len(got) != 0 {
			t.Fatalf("nobody = %v, %v", summary(got), err)
		}
	})
}
