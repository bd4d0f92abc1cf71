package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"maps"
	"testing"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// TestLocaleRoundTrip: the language a person chose for mails is stored at
// registration, read by every way an account is read, changed and cleared.
func TestLocaleRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixedClock, datakeys.Test())
		a, err := s.Register(ctx, identity.Account{Username: "greta", Email: "greta@uni.example", Locale: "de",
			Roles: []string{identity.RoleStudent}}, "hash:x")
		if err != nil {
			t.Fatal(err)
		}
		none, err := s.Register(ctx, identity.Account{Username: "nora", Email: "nora@uni.example"}, "hash:x")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Account(ctx, a.ID); got.Locale != "de" {
			t.Errorf("Account: locale %q, want de", got.Locale)
		}
		if got, _, _ := s.AccountByLogin(ctx, "greta"); got.Locale != "de" {
			t.Errorf("AccountByLogin: locale %q, want de", got.Locale)
		}
		if rec, _ := s.AccountRecord(ctx, none.ID); rec.Locale != "" {
			t.Errorf("not chosen: locale %q, want empty (NULL)", rec.Locale)
		}
		rec, err := s.UpdateAccount(ctx, a.ID, 0, func(r *store.AccountRecord) error { r.Locale = "en"; return nil })
		if err != nil || rec.Locale != "en" {
			t.Fatalf("UpdateAccount: %q, %v", rec.Locale, err)
		}
		if rec, _ := s.AccountRecord(ctx, a.ID); rec.Locale != "en" {
			t.Errorf("after update: locale %q, want en", rec.Locale)
		}
		if _, err := s.UpdateAccount(ctx, a.ID, 0, func(r *store.AccountRecord) error { r.Locale = ""; return nil }); err != nil {
			t.Fatal(err)
		}
		var stored *string
		if err := d.QueryRowContext(ctx, `SELECT locale FROM accounts WHERE id = $1`, a.ID).Scan(&stored); err != nil || stored != nil {
			t.Errorf("cleared locale is stored as %v (%v), want NULL", stored, err)
		}
	})
}

// TestClientTextsRoundTrip: a client's display names and welcome texts per
// language survive CreateClient, PutClient (config clients) and listing.
func TestClientTextsRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixedClock, datakeys.Test())
		c := identity.Client{ID: "wahl", Name: "Election", Public: true, RedirectURIs: []string{"https://wahl.example/cb"},
			GrantTypes: []string{"authorization_code"}, IDTokenAlg: "RS256", Source: "db",
			DisplayNames: identity.Texts{"de": "Wahl 2026"},
			WelcomeTexts: identity.Texts{"en": "Vote with your university account.", "de": "Wählen Sie mit Ihrem Hochschulkonto.\nViel Erfolg!"}}
		if _, err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Client(ctx, "wahl")
		if err != nil || !maps.Equal(got.DisplayNames, c.DisplayNames) || !maps.Equal(got.WelcomeTexts, c.WelcomeTexts) {
			t.Fatalf("Client = %+v, %v", got, err)
		}
		plain := identity.Client{ID: "plain", Name: "Plain", Public: true, RedirectURIs: []string{"https://p.example/cb"},
			GrantTypes: []string{"authorization_code"}, IDTokenAlg: "RS256", Source: "config"}
		if err := s.PutClient(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Client(ctx, "plain"); got.DisplayNames != nil || got.WelcomeTexts != nil {
			t.Errorf("a client without texts reads back %v, %v; want none", got.DisplayNames, got.WelcomeTexts)
		}
		plain.WelcomeTexts = identity.Texts{"en": "Welcome"}
		if err := s.PutClient(ctx, plain); err != nil {
			t.Fatal(err)
		}
		all, err := s.Clients(ctx)
		if err != nil || len(all) != 2 || all[0].ID != "plain" || all[0].WelcomeTexts.In("en") != "Welcome" || all[1].DisplayNames.In("de") != "Wahl 2026" {
			t.Errorf("Clients = %+v, %v", all, err)
		}
	})
}
