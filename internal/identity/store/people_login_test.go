package store

import (
	"context"
	"slices"
	"testing"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
)

// TestPeopleByLogin: usernames and e-mail addresses find accounts as
// sign-in compares them (case-folded, trimmed), in the order asked; names
// of nobody are left out.
func TestPeopleByLogin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newListFixture(t, d)
		ada := f.create(t, identity.Account{Username: "ada", DisplayName: "Ada"})
		bob := f.create(t, identity.Account{Username: "Bob.Builder", Email: "bob@uni.example", DisplayName: "Bob"})
		got, err := f.s.PeopleByLogin(ctx, []string{"BOB@uni.example", "nobody", " ada ", "bob.builder", "ada@uni.example", "nobody@uni.example"})
		if err != nil {
			t.Fatal(err)
		}
		want := []LoginMatch{{"BOB@uni.example", bob.ID}, {" ada ", ada.ID}, {"bob.builder", bob.ID}, {"ada@uni.example", ada.ID}}
		if !slices.Equal(got, want) {
			t.Fatalf("PeopleByLogin = %v, want %v", got, want)
		}
		if got, err := f.s.PeopleByLogin(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no logins: %v, %v", got, err)
		}
	})
}
