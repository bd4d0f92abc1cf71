package tokencheck

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// fixedSigner is an EdDSA key from a fixed seed, so that tokens kept in
// testdata/fuzz stay signed with a key the fuzz issuer knows.
func fixedSigner(t testing.TB, is *issuer) signer {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	s := signer{kid: "fuzz-ed25519", alg: jose.EdDSA, key: k}
	is.mu.Lock()
	is.keys = append(is.keys, jose.JSONWebKey{Key: k.Public(), KeyID: s.kid, Algorithm: string(jose.EdDSA), Use: "sig"})
	is.mu.Unlock()
	return s
}

// FuzzVerify: any string presented as a bearer token is refused with one
// of the package's errors, or gives claims for this audience that have
// not expired; the same string gives the same answer again (from memory).
func FuzzVerify(f *testing.F) {
	is := newIssuer(f)
	s := fixedSigner(f, is)
	good := s.sign(f, goodClaims(is.srv.URL))
	parts := strings.Split(good, ".")
	f.Add(good)
	withAMR := func(amr any) string {
		c := goodClaims(is.srv.URL)
		c["amr"], c["acr"] = amr, "urn:campus:acr:mfa"
		return s.sign(f, c)
	}
	f.Add(withAMR([]string{"pwd", "otp", "mfa"}))
	f.Add(withAMR("mfa"))
	f.Add(withAMR([]any{"pwd", 1}))
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","aud":"campus-study","exp":9999999999}`)) + "." + parts[2])
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"fuzz-ed25519"}`)) + "." + parts[1] + "." + parts[2])
	f.Add("campus_0123456789abcdef")
	f.Add("")
	f.Add("a.b.c.d.e")
	f.Add(`{"payload":"e30","signatures":[]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return now })
		ctx := context.Background()
		c, err := v.Verify(ctx, raw)
		switch {
		case err != nil:
			if c != nil {
				t.Fatalf("an error (%v) with claims %+v", err, c)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("%q: %v is none of the package's errors", raw, err)
			}
		case c == nil:
			t.Fatalf("%q: neither claims nor an error", raw)
		default:
			if !slices.Contains(c.Audience, "campus-study") || !now.Before(c.Expiry.Add(30*time.Second)) {
				t.Fatalf("%q accepted for another audience or expired: %+v", raw, c)
			}
			if c.HasAMR("mfa") != slices.Contains(c.AMR, "mfa") {
				t.Fatalf("%q: HasAMR(mfa) disagrees with amr %q", raw, c.AMR)
			}
		}
		c2, err2 := v.Verify(ctx, raw)
		if (err == nil) != (err2 == nil) || (c != nil && c2 != c) {
			t.Fatalf("%q: %+v, %v, then %+v, %v", raw, c, err, c2, err2)
		}
	})
}

// answering is a server that answers every request with body.
func answering(t *testing.T, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// oneObject reports whether body is one JSON object and nothing else.
func oneObject(body []byte) bool {
	b := bytes.TrimSpace(body)
	return json.Valid(b) && len(b) > 0 && b[0] == '{'
}

// FuzzIntrospection: whatever identity's introspection endpoint answers,
// Introspect gives an introspection or an error, never both or neither;
// an answer that is not one JSON object is an error, not a silently
// inactive (or active) token.
func FuzzIntrospection(f *testing.F) {
	f.Add([]byte(`{"active":true,"sub":"u1","client_id":"api-key:k1","scope":"read write","exp":1795000000,"roles":["teacher"]}`))
	f.Add([]byte(`{"active":false}`))
	f.Add([]byte(`{"active":"yes"}`))
	f.Add([]byte(`{"active":true,"exp":-1,"roles":null}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := answering(t, body)
		in := &Introspector{URL: srv.URL, ClientID: "study", ClientSecret: "s", Client: srv.Client(), Now: func() time.Time { return now }}
		got, err := in.Introspect(context.Background(), "campus_key")
		if (got == nil) == (err == nil) {
			t.Fatalf("%q: %+v, %v", body, got, err)
		}
		if !oneObject(body) && (err == nil || errors.Is(err, ErrInactive)) {
			t.Fatalf("%q is not one JSON object, yet %+v, %v", body, got, err)
		}
	})
}

// FuzzRevocationFeed: whatever the feed answers, a poll succeeds or
// fails without a panic; a body that is not one JSON object fails, and
// a failed poll leaves the copy as it was (a revoked token stays revoked).
func FuzzRevocationFeed(f *testing.F) {
	f.Add([]byte(`{"as_of":"2026-11-22T12:00:00Z","revocations":[{"kind":"jti","hash":"` + feedHash("t1") + `","at":"2026-11-22T11:59:00Z","expires":"2026-11-22T12:10:00Z"}]}`))
	f.Add([]byte(`{"as_of":"x","revocations":[{"kind":"sub","hash":"` + feedHash("u1") + `","at":"2026-11-22T11:59:00Z"}]}`))
	f.Add([]byte(`{"revocations":[{"kind":"other","at":"not a time"}]}`))
	f.Add([]byte(`{"revocations":null}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		first := answering(t, []byte(`{"as_of":"a1","revocations":[{"kind":"jti","hash":"`+feedHash("t0")+`","at":"2026-11-22T11:59:00Z","expires":"2026-11-22T12:10:00Z"}]}`))
		rv := &Revocations{URL: first.URL, Client: first.Client(), Now: func() time.Time { return now }}
		if err := rv.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		dead := &Claims{ID: "t0", Subject: "u0", IssuedAt: now.Add(-time.Minute), jtiHash: feedHash("t0"), subHash: feedHash("u0")}
		srv := answering(t, body)
		rv.URL, rv.Client = srv.URL, srv.Client()
		err := rv.Poll(context.Background())
		if !oneObject(body) && err == nil {
			t.Fatalf("%q is not one JSON object, yet the poll succeeded", body)
		}
		if err != nil && (!rv.Revoked(dead) || rv.asOf != "a1") {
			t.Fatalf("a failed poll (%v) changed the copy", err)
		}
	})
}
