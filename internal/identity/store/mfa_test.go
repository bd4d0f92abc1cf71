package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// TestSecondFactors: factors are kept per person with the authenticator
// app's secret sealed, a TOTP step and a recovery code are taken once
// (whichever replica asks first), a WebAuthn credential is registered
// once, and the administrator's reset removes everything.
func TestSecondFactors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		ada := f.account.ID
		app, err := f.s.AddFactor(ctx, identity.Factor{AccountID: ada, Kind: identity.FactorTOTP, Name: "Phone", Secret: "JBSWY3DPEHPK3PXP"})
		if err != nil {
			t.Fatal(err)
		}
		key, err := f.s.AddFactor(ctx, identity.Factor{AccountID: ada, Kind: identity.FactorWebAuthn, Name: "Key",
			CredentialID: "cred-1", Credential: []byte(`{"id":"AQ"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddFactor(ctx, identity.Factor{AccountID: ada, Kind: identity.FactorWebAuthn, Name: "Again",
			CredentialID: "cred-1", Credential: []byte(`{}`)}); !errors.Is(err, identity.ErrConflict) {
			t.Fatalf("the same credential twice: %v, want ErrConflict", err)
		}
		list, err := f.s.Factors(ctx, ada)
		if err != nil || len(list) != 2 || list[0].Secret != "JBSWY3DPEHPK3PXP" || list[1].CredentialID != "cred-1" || string(list[1].Credential) != `{"id":"AQ"}` {
			t.Fatalf("factors = %+v, %v", list, err)
		}
		var stored string
		if err := d.QueryRowContext(ctx, `SELECT secret FROM mfa_factors WHERE id = $1`, app.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "enc:v1:") || strings.Contains(stored, "JBSWY3DPEHPK3PXP") {
			t.Fatalf("the secret is stored as %q, want it sealed", stored)
		}

		// A time step is taken once, and never an older one after it.
		for _, tc := range []struct {
			step int64
			want bool
		}{{100, true}, {100, false}, {99, false}, {101, true}} {
			if ok, err := f.s.UseTOTPStep(ctx, app.ID, tc.step); err != nil || ok != tc.want {
				t.Fatalf("UseTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
			}
		}
		// An app added with the step of its confirming code refuses that
		// code from the start.
		confirmed, err := f.s.AddFactor(ctx, identity.Factor{AccountID: ada, Kind: identity.FactorTOTP, Name: "Tablet", Secret: "JBSWY3DPEHPK3PXQ", LastStep: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			step int64
			want bool
		}{{500, false}, {499, false}, {501, true}} {
			if ok, err := f.s.UseTOTPStep(ctx, confirmed.ID, tc.step); err != nil || ok != tc.want {
				t.Fatalf("after confirming at 500: UseTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
			}
		}
		if err := f.s.RemoveFactor(ctx, ada, confirmed.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.UpdateWebAuthnCredential(ctx, key.ID, []byte(`{"id":"AQ","n":2}`)); err != nil {
			t.Fatal(err)
		}
		list, _ = f.s.Factors(ctx, ada)
		if list[0].LastUsedAt == nil || list[1].LastUsedAt == nil || string(list[1].Credential) != `{"id":"AQ","n":2}` {
			t.Fatalf("after use: %+v", list)
		}

		// Recovery codes: single use; new ones replace the old.
		if err := f.s.SetRecoveryCodes(ctx, ada, []string{"aaaaabbbbb", "cccccddddd"}); err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := d.QueryRowContext(ctx, `SELECT code_hash FROM recovery_codes WHERE account_id = $1 LIMIT 1`, ada).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(hash, "aaaaa") || strings.Contains(hash, "ccccc") {
			t.Fatalf("a recovery code is stored as %q", hash)
		}
		for _, tc := range []struct {
			code string
			want bool
		}{{"aaaaabbbbb", true}, {"aaaaabbbbb", false}, {"zzzzzzzzzz", false}} {
			if ok, err := f.s.UseRecoveryCode(ctx, ada, tc.code); err != nil || ok != tc.want {
				t.Fatalf("UseRecoveryCode(%s) = %v, %v; want %v", tc.code, ok, err, tc.want)
			}
		}
		if n, err := f.s.RecoveryCodesLeft(ctx, ada); err != nil || n != 1 {
			t.Fatalf("codes left = %d, %v; want 1", n, err)
		}
		if err := f.s.SetRecoveryCodes(ctx, ada, []string{"eeeeefffff"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := f.s.UseRecoveryCode(ctx, ada, "cccccddddd"); ok {
			t.Fatal("a replaced recovery code still works")
		}

		// Someone else's factor cannot be removed through one's own id.
		other, err := f.s.CreateAccount(ctx, identity.Account{Username: "bert", Email: "bert@uni.example"}, "h")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.RemoveFactor(ctx, other.ID, app.ID); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("removing another's factor: %v, want ErrNotFound", err)
		}
		if n, err := f.s.ResetFactors(ctx, ada); err != nil || n != 2 {
			t.Fatalf("reset = %d, %v; want 2", n, err)
		}
		if list, _ := f.s.Factors(ctx, ada); len(list) != 0 {
			t.Fatalf("after the reset: %+v", list)
		}
		if n, _ := f.s.RecoveryCodesLeft(ctx, ada); n != 0 {
			t.Fatalf("%d recovery codes after the reset", n)
		}
	})
}

// TestCeremonies: a ceremony keeps its data sealed, ends after a few
// wrong answers or its time, and completes once.
func TestCeremonies(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		c := identity.Ceremony{IDHash: "h1", AccountID: f.account.ID, Purpose: identity.CeremonyEnrol, AuthRequestID: "ar",
			AMR: []string{"pwd"}, Data: `{"totp":"SECRETSECRET"}`}
		if err := f.s.CreateCeremony(ctx, c); err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := d.QueryRowContext(ctx, `SELECT data FROM mfa_ceremonies WHERE id_hash = 'h1'`).Scan(&raw); err != nil || strings.Contains(raw, "SECRET") {
			t.Fatalf("data stored as %q (%v)", raw, err)
		}
		got, err := f.s.Ceremony(ctx, "h1")
		if err != nil || got.Data != c.Data || got.Purpose != c.Purpose || got.AuthRequestID != "ar" || len(got.AMR) != 1 {
			t.Fatalf("ceremony = %+v, %v", got, err)
		}
		got.Purpose, got.AMR, got.Data = identity.CeremonyEnrolled, []string{"pwd", "otp", "mfa"}, ""
		if err := f.s.UpdateCeremony(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got, _ = f.s.Ceremony(ctx, "h1"); got.Purpose != identity.CeremonyEnrolled || len(got.AMR) != 3 || got.Data != "" {
			t.Fatalf("after the update: %+v", got)
		}
		for i := 1; i <= 5; i++ {
			alive, err := f.s.FailCeremony(ctx, "h1")
			if err != nil || alive != (i < 5) {
				t.Fatalf("wrong answer %d: alive %v, %v", i, alive, err)
			}
		}
		if _, err := f.s.Ceremony(ctx, "h1"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("a ceremony with five wrong answers: %v, want ErrNotFound", err)
		}

		if err := f.s.CreateCeremony(ctx, identity.Ceremony{IDHash: "h2", Purpose: identity.CeremonyPasskey, AuthRequestID: "ar"}); err != nil {
			t.Fatal(err)
		}
		if took, err := f.s.TakeCeremony(ctx, "h2"); err != nil || !took {
			t.Fatalf("first take = %v, %v", took, err)
		}
		if took, _ := f.s.TakeCeremony(ctx, "h2"); took {
			t.Fatal("a ceremony completed twice")
		}
		if err := f.s.CreateCeremony(ctx, identity.Ceremony{IDHash: "h3", Purpose: identity.CeremonyPasskey}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(11 * time.Minute)
		if _, err := f.s.Ceremony(ctx, "h3"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an expired ceremony: %v", err)
		}
		if took, _ := f.s.TakeCeremony(ctx, "h3"); took {
			t.Fatal("an expired ceremony completed")
		}
		if n, err := f.s.Purge(ctx); err != nil || n["mfa_ceremonies"] < 2 {
			t.Fatalf("purge = %v, %v; want the expired ceremonies gone", n, err)
		}
	})
}
