package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// fixture makes a store with a clock the test moves, an account and a client.
type fixture struct {
	s       *store.Store
	now     time.Time
	account identity.Account
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	f.s = store.New(d, func() time.Time { return f.now }, datakeys.Test())
	ctx := context.Background()
	a, err := f.s.CreateAccount(ctx, identity.Account{Username: "ada", Email: "ada@uni.example", Roles: []string{identity.RoleStudent}}, "h")
	if err != nil {
		t.Fatal(err)
	}
	f.account = a
	if _, err := f.s.CreateClient(ctx, identity.Client{ID: "app", Name: "App", RedirectURIs: []string{"https://app/cb"},
		GrantTypes: []string{"authorization_code"}, IDTokenAlg: "RS256", Source: "db"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		rt := func(id string) identity.RefreshToken {
			return identity.RefreshToken{ID: id, FamilyID: "fam", ClientID: "app", AccountID: f.account.ID,
				Scopes: []string{"openid"}, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
		}
		at := func(id string) identity.AccessToken {
			return identity.AccessToken{ID: id, FamilyID: "fam", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)}
		}
		if err := f.s.CreateTokens(ctx, at("a1"), ptr(rt("r1")), "h1"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.UseRefreshToken(ctx, "h1", rt("r2"), "h2", at("a2")); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if got, _ := f.s.RefreshToken(ctx, "h1"); got.UsedAt == nil {
			t.Fatal("spent token not marked used")
		}
		// The spent token again: reuse, and the whole family goes.
		if err := f.s.UseRefreshToken(ctx, "h1", rt("r3"), "h3", at("a3")); !errors.Is(err, identity.ErrTokenReused) {
			t.Fatalf("reuse: %v, want ErrTokenReused", err)
		}
		if got, _ := f.s.RefreshToken(ctx, "h2"); got.RevokedAt == nil {
			t.Fatal("the family's newest token survived the reuse")
		}
		for _, id := range []string{"a1", "a2"} {
			if revoked, _ := f.s.AccessTokenRevoked(ctx, id); !revoked {
				t.Errorf("access token %s of the family not revoked", id)
			}
		}
		if _, err := f.s.RefreshToken(ctx, "h3"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatal("the refused rotation left a token behind")
		}
	})
}

func TestCodeRedemption(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		ar := identity.AuthRequest{ID: "ar1", ClientID: "app", RedirectURI: "https://app/cb", ResponseType: "code",
			CreatedAt: f.now, ExpiresAt: f.now.Add(30 * time.Minute)}
		if err := f.s.CreateAuthRequest(ctx, ar); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SaveCode(ctx, "ar1", "code", f.now.Add(time.Minute)); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("code saved for a request nobody signed in to: %v", err)
		}
		if err := f.s.CompleteAuthRequest(ctx, "ar1", f.account.ID, "", f.now, []string{"pwd"}, []string{"openid"}, false); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SaveCode(ctx, "ar1", "code", f.now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.RedeemCode(ctx, "code")
		if err != nil || got.AccountID != f.account.ID || got.Scopes[0] != "openid" {
			t.Fatalf("redeem: %+v, %v", got, err)
		}
		if err := f.s.CreateTokens(ctx, identity.AccessToken{ID: "a1", AuthRequestID: "ar1", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)}, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RedeemCode(ctx, "code"); !errors.Is(err, identity.ErrTokenReused) {
			t.Fatalf("second redemption: %v", err)
		}
		if revoked, _ := f.s.AccessTokenRevoked(ctx, "a1"); !revoked {
			t.Fatal("token from a reused code not revoked")
		}

		// An expired code is simply invalid.
		ar.ID = "ar2"
		f.s.CreateAuthRequest(ctx, ar)
		f.s.CompleteAuthRequest(ctx, "ar2", f.account.ID, "", f.now, nil, nil, false)
		f.s.SaveCode(ctx, "ar2", "code2", f.now.Add(time.Minute))
		f.now = f.now.Add(2 * time.Minute)
		if _, err := f.s.RedeemCode(ctx, "code2"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("expired code: %v", err)
		}
	})
}

func TestEndSessionRevokesItsTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		sess := identity.Session{ID: "sid1", AccountID: f.account.ID, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
		if err := f.s.CreateSession(ctx, sess, "cookiehash"); err != nil {
			t.Fatal(err)
		}
		if got, err := f.s.SessionByToken(ctx, "cookiehash"); err != nil || got.ID != "sid1" {
			t.Fatalf("SessionByToken: %+v %v", got, err)
		}
		f.s.CreateTokens(ctx, identity.AccessToken{ID: "a1", SessionID: "sid1", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)},
			&identity.RefreshToken{ID: "r1", FamilyID: "f", SessionID: "sid1", ClientID: "app", AccountID: f.account.ID, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}, "rh")
		f.s.AddSessionClient(ctx, "sid1", "app")
		f.s.AddSessionClient(ctx, "sid1", "app")
		clients, err := f.s.EndSession(ctx, "sid1")
		if err != nil || len(clients) != 1 || clients[0] != "app" {
			t.Fatalf("EndSession = %v, %v", clients, err)
		}
		if _, err := f.s.SessionByToken(ctx, "cookiehash"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatal("ended session still found")
		}
		if rt, _ := f.s.RefreshToken(ctx, "rh"); rt.RevokedAt == nil {
			t.Fatal("refresh token of the session not revoked")
		}
		if revoked, _ := f.s.AccessTokenRevoked(ctx, "a1"); !revoked {
			t.Fatal("access token of the session not revoked")
		}
		if again, _ := f.s.EndSession(ctx, "sid1"); len(again) != 0 {
			t.Fatal("ending an ended session told the clients again")
		}
	})
}

func TestSigningKeyRotation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		key := func(id, state string) identity.SigningKey {
			return identity.SigningKey{ID: id, Alg: "ES256", State: state, PrivateKey: []byte{1, 2, 3}, PublicJWK: "{}", CreatedAt: f.now}
		}
		if added, err := f.s.AddSigningKeys(ctx, []identity.SigningKey{key("k1", "current"), key("k2", "next")}); err != nil || !added {
			t.Fatalf("AddSigningKeys: %v %v", added, err)
		}
		if added, _ := f.s.AddSigningKeys(ctx, []identity.SigningKey{key("k9", "current")}); added {
			t.Fatal("a second replica added a second current key")
		}
		states := func() map[string]string {
			ks, err := f.s.SigningKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, k := range ks {
				m[k.ID] = k.State
			}
			return m
		}
		for range 2 {
			f.now = f.now.Add(time.Hour)
		}
		if err := f.s.RotateSigningKeys(ctx, []identity.SigningKey{key("k3", "next")}); err != nil {
			t.Fatal(err)
		}
		if got := states(); got["k1"] != "previous" || got["k2"] != "current" || got["k3"] != "next" {
			t.Fatalf("after one rotation: %v", got)
		}
		if err := f.s.RotateSigningKeys(ctx, []identity.SigningKey{key("k4", "next")}); err != nil {
			t.Fatal(err)
		}
		if got := states(); got["k1"] != "" || got["k2"] != "previous" || got["k3"] != "current" || got["k4"] != "next" {
			t.Fatalf("after two rotations (k1 retired, unpublished): %v", got)
		}
	})
}

func TestClients(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		if _, err := f.s.CreateClient(ctx, identity.Client{ID: "app", Name: "again"}); !errors.Is(err, identity.ErrConflict) {
			t.Fatalf("duplicate client: %v", err)
		}
		// PutClient keeps the stored secret when none is given (restarts).
		c := identity.Client{ID: "portal", Name: "Portal", SecretHash: "s1", RedirectURIs: []string{"https://x/cb"}, IDTokenAlg: "RS256", Source: "builtin"}
		if err := f.s.PutClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.SecretHash, c.Name = "", "Portal 2"
		if err := f.s.PutClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.Client(ctx, "portal")
		if err != nil || got.SecretHash != "s1" || got.Name != "Portal 2" || got.RedirectURIs[0] != "https://x/cb" {
			t.Fatalf("PutClient: %+v %v", got, err)
		}
		if err := f.s.DeleteClient(ctx, "portal"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteClient(ctx, "portal"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestConsents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		if got, _ := f.s.Consent(ctx, f.account.ID, "app"); got != nil {
			t.Fatalf("consent before any: %v", got)
		}
		if err := f.s.SaveConsent(ctx, f.account.ID, "app", []string{"openid"}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SaveConsent(ctx, f.account.ID, "app", []string{"email", "openid"}); err != nil {
			t.Fatal(err)
		}
		got, _ := f.s.Consent(ctx, f.account.ID, "app")
		if len(got) != 2 {
			t.Fatalf("scopes after two consents: %v, want openid and email once each", got)
		}
		f.s.CreateTokens(ctx, identity.AccessToken{ID: "a1", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)},
			&identity.RefreshToken{ID: "r1", FamilyID: "f", ClientID: "app", AccountID: f.account.ID, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}, "rh")
		if err := f.s.WithdrawConsent(ctx, f.account.ID, "app"); err != nil {
			t.Fatal(err)
		}
		if rt, _ := f.s.RefreshToken(ctx, "rh"); rt.RevokedAt == nil {
			t.Fatal("withdrawing consent left the application's refresh token alive")
		}
		if revoked, _ := f.s.AccessTokenRevoked(ctx, "a1"); !revoked {
			t.Fatal("withdrawing consent left the application's access token alive")
		}
		if err := f.s.WithdrawConsent(ctx, f.account.ID, "app"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("withdraw twice: %v", err)
		}
	})
}

// TestAuthRequestUILocales: a request keeps the languages its sign-in
// pages should speak (ui_locales); the language switch changes them while
// the request waits for a sign-in, and not after.
func TestAuthRequestUILocales(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		ar := identity.AuthRequest{ID: "ar1", ClientID: "app", RedirectURI: "https://app/cb", ResponseType: "code", UILocales: "de-AT en",
			CreatedAt: f.now, ExpiresAt: f.now.Add(30 * time.Minute)}
		if err := f.s.CreateAuthRequest(ctx, ar); err != nil {
			t.Fatal(err)
		}
		if got, err := f.s.AuthRequest(ctx, "ar1"); err != nil || got.UILocales != "de-AT en" {
			t.Fatalf("stored ui_locales %q, %v", got.UILocales, err)
		}
		if err := f.s.SetAuthRequestUILocales(ctx, "ar1", "en"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.AuthRequest(ctx, "ar1"); got.UILocales != "en" {
			t.Fatalf("after the switch: %q", got.UILocales)
		}
		if err := f.s.SetAuthRequestUILocales(ctx, "nope", "de"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an unknown request: %v", err)
		}
		if err := f.s.CompleteAuthRequest(ctx, "ar1", f.account.ID, "", f.now, []string{"pwd"}, []string{"openid"}, false); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetAuthRequestUILocales(ctx, "ar1", "de"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("a finished request: %v", err)
		}
	})
}
