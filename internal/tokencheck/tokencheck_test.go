package tokencheck

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// issuer is a fake OpenID Provider serving discovery and a JWKS.
type issuer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetches atomic.Int32
}

func newIssuer(t testing.TB) *issuer {
	is := &issuer{}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
		case "/keys":
			is.fetches.Add(1)
			is.mu.Lock()
			defer is.mu.Unlock()
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: is.keys})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(is.srv.Close)
	return is
}

type signer struct {
	kid string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (is *issuer) addKey(t testing.TB, alg jose.SignatureAlgorithm) signer {
	var k crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := signer{kid: string(alg) + "-" + time.Now().Format("150405.000000"), alg: alg, key: k}
	is.mu.Lock()
	is.keys = append(is.keys, jose.JSONWebKey{Key: k.Public(), KeyID: s.kid, Algorithm: string(alg), Use: "sig"})
	is.mu.Unlock()
	return s
}

func (s signer) sign(t testing.TB, claims map[string]any) string {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func goodClaims(iss string) map[string]any {
	return map[string]any{"iss": iss, "sub": "u1", "aud": []string{"campus-study", "campus-identity"}, "exp": now.Add(10 * time.Minute).Unix(),
		"iat": now.Unix(), "jti": "t1", "client_id": "portal", "scope": "openid grades:read", "roles": []string{"student"}}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	es := is.addKey(t, jose.ES256)
	rs := is.addKey(t, jose.RS256)
	ed := is.addKey(t, jose.EdDSA)
	v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return now })
	with := func(k string, val any) map[string]any {
		c := goodClaims(is.srv.URL)
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	good := es.sign(t, goodClaims(is.srv.URL))
	parts := strings.Split(good, ".")
	hsKey, _ := json.Marshal(is.keys[0])
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: hsKey}, nil)
	confused, _ := jwt.Signed(hs).Claims(goodClaims(is.srv.URL)).Serialize()
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+is.srv.URL+`","sub":"admin","aud":"campus-study","exp":9999999999}`)) + "." + parts[2]

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"ES256", good, nil},
		{"RS256", rs.sign(t, goodClaims(is.srv.URL)), nil},
		{"EdDSA", ed.sign(t, goodClaims(is.srv.URL)), nil},
		{"wrong audience", es.sign(t, with("aud", "campus-other")), ErrInvalid},
		{"wrong issuer", es.sign(t, with("iss", "https://evil.example")), ErrInvalid},
		{"expired", es.sign(t, with("exp", now.Add(-time.Minute).Unix())), ErrInvalid},
		{"no expiry", es.sign(t, with("exp", nil)), ErrInvalid},
		{"not yet valid", es.sign(t, with("nbf", now.Add(time.Hour).Unix())), ErrInvalid},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", ErrMalformed},
		{"HS256 with the public key as secret", confused, ErrMalformed},
		{"tampered payload", tampered, ErrInvalid},
		{"garbage", "not.a.jwt", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (c.Subject != "u1" || c.ClientID != "portal" || !c.HasScope("grades:read") || c.Roles[0] != "student") {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}

// TestVerifyAMR: amr and acr are read when present, empty when absent
// (service tokens, tokens from before identity wrote them); an amr that
// is not a list of strings makes the token invalid, like any malformed
// claim, rather than being read as no methods.
func TestVerifyAMR(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	es := is.addKey(t, jose.ES256)
	v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return now })
	tests := []struct {
		name    string
		amr     any // nil: no amr claim
		acr     any // nil: no acr claim
		want    error
		wantAMR []string
		wantACR string
		mfa     bool
	}{
		{name: "two factors", amr: []string{"pwd", "otp", "mfa"}, acr: "urn:campus:acr:mfa",
			wantAMR: []string{"pwd", "otp", "mfa"}, wantACR: "urn:campus:acr:mfa", mfa: true},
		{name: "password only", amr: []string{"pwd"}, acr: "urn:campus:acr:1fa", wantAMR: []string{"pwd"}, wantACR: "urn:campus:acr:1fa"},
		{name: "absent", wantAMR: nil},
		{name: "null", amr: json.RawMessage("null"), wantAMR: nil},
		{name: "empty list", amr: []string{}, wantAMR: []string{}},
		{name: "a string, not a list", amr: "mfa", want: ErrInvalid},
		{name: "a list of numbers", amr: []int{1, 2}, want: ErrInvalid},
		{name: "a list with a null", amr: json.RawMessage(`["pwd",null,"mfa"]`), want: ErrInvalid},
		{name: "an object", amr: map[string]string{"mfa": "yes"}, want: ErrInvalid},
		{name: "acr not a string", amr: []string{"pwd"}, acr: 2, want: ErrInvalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := goodClaims(is.srv.URL)
			c["jti"] = fmt.Sprintf("amr-%d", i)
			if tt.amr != nil {
				c["amr"] = tt.amr
			}
			if tt.acr != nil {
				c["acr"] = tt.acr
			}
			raw := es.sign(t, c)
			// Twice: the second answer comes from the memory of verified
			// tokens and must be the same.
			for range 2 {
				got, err := v.Verify(context.Background(), raw)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify = %v, want %v", err, tt.want)
				}
				if tt.want != nil {
					continue
				}
				if !slices.Equal(got.AMR, tt.wantAMR) || (got.AMR == nil) != (tt.wantAMR == nil) || got.ACR != tt.wantACR {
					t.Fatalf("amr %#v, acr %q; want %#v, %q", got.AMR, got.ACR, tt.wantAMR, tt.wantACR)
				}
				if got.HasAMR("mfa") != tt.mfa {
					t.Errorf("HasAMR(mfa) = %v, want %v", got.HasAMR("mfa"), tt.mfa)
				}
				if got.Subject != "u1" || !got.HasScope("grades:read") {
					t.Errorf("the other claims: %+v", got)
				}
			}
		})
	}
}

func TestHasAMR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		amr  []string
		v    string
		want bool
	}{
		{"present", []string{"pwd", "otp", "mfa"}, "mfa", true},
		{"another method", []string{"pwd", "otp"}, "mfa", false},
		{"none", nil, "mfa", false},
		{"exact match only", []string{"MFA", "mfa2"}, "mfa", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (&Claims{AMR: tt.amr}).HasAMR(tt.v); got != tt.want {
				t.Errorf("HasAMR(%q) of %v = %v", tt.v, tt.amr, got)
			}
		})
	}
}

func TestKeyRotationAndRefreshLimit(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	old := is.addKey(t, jose.ES256)
	clock := now
	v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return clock })
	if _, err := v.Verify(context.Background(), old.sign(t, goodClaims(is.srv.URL))); err != nil {
		t.Fatal(err)
	}
	// A new key appears (rotation): the first token naming it fetches again.
	next := is.addKey(t, jose.ES256)
	clock = clock.Add(v.RefreshEvery)
	if _, err := v.Verify(context.Background(), next.sign(t, goodClaims(is.srv.URL))); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	// Tokens naming keys nobody published do not each cause a fetch.
	before := is.fetches.Load()
	stranger := signer{kid: "forged", alg: jose.ES256, key: old.key}
	for range 50 {
		if _, err := v.Verify(context.Background(), stranger.sign(t, goodClaims(is.srv.URL))); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("forged kid: %v", err)
		}
	}
	if n := is.fetches.Load() - before; n > 0 {
		t.Fatalf("forged key ids caused %d fetches within RefreshEvery", n)
	}
}

func TestRememberedTokenStillExpires(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	es := is.addKey(t, jose.ES256)
	clock := now
	v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return clock })
	raw := es.sign(t, goodClaims(is.srv.URL))
	for range 2 {
		if _, err := v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	clock = clock.Add(11 * time.Minute)
	if _, err := v.Verify(context.Background(), raw); !errors.Is(err, ErrInvalid) {
		t.Fatalf("expired remembered token: %v", err)
	}
}

// TestVerifiedMemoryFollowsLiveTokens: tokens past their end leave the
// memory of verified tokens within a sweep, so that it holds the live
// tokens only, whatever the count seen before.
func TestVerifiedMemoryFollowsLiveTokens(t *testing.T) {
	t.Parallel()
	var c verified
	at := now
	exp := func(d time.Duration) *Claims { return &Claims{Expiry: at.Add(d)} }
	for i := range 1000 {
		c.put([32]byte{byte(i), byte(i >> 8)}, exp(10*time.Minute), at)
	}
	c.put([32]byte{1, 1, 1}, exp(time.Hour), at)
	// Within the leeway after their end, and before a minute passed,
	// nothing goes.
	at = at.Add(10*time.Minute + 20*time.Second)
	c.put([32]byte{2, 2, 2}, exp(time.Hour), at)
	if n := len(c.young) + len(c.old); n != 1002 {
		t.Fatalf("%d remembered within the leeway, want 1002", n)
	}
	// A minute after that sweep (they are past the leeway now): the next
	// put sweeps the thousand dead ones.
	at = at.Add(time.Minute)
	c.put([32]byte{3, 3, 3}, exp(time.Hour), at)
	if n := len(c.young) + len(c.old); n != 3 {
		t.Fatalf("%d remembered after the sweep, want the 3 live tokens", n)
	}
	if c.get([32]byte{1, 1, 1}) == nil {
		t.Fatal("a live token was forgotten")
	}
}

// BenchmarkVerify measures on one core a token's first verification
// (signature and claims: cold) and each later one (remembered: warm).
//
//	go test -run '^$' -bench Verify -cpu 1 ./internal/tokencheck
func BenchmarkVerify(b *testing.B) {
	is := newIssuer(b)
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA} {
		s := is.addKey(b, alg)
		v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return now })
		raw := s.sign(b, goodClaims(is.srv.URL))
		if _, err := v.Verify(context.Background(), raw); err != nil {
			b.Fatal(err)
		}
		b.Run(string(alg)+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.verify(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
		b.Run(string(alg)+"/warm", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}

// While identity cannot be reached, a token verified before keeps being
// accepted (its key is known), and one that needs identity (an unknown
// key) is ErrUnavailable, never taken for an invalid token.
func TestVerifyWhileIdentityIsDown(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	s := is.addKey(t, jose.ES256)
	v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return now })
	v.RefreshEvery = 0
	good := s.sign(t, goodClaims(is.srv.URL))
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	other := is.addKey(t, jose.ES256)
	is.srv.Close()
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatalf("a verified token while identity is down: %v", err)
	}
	c := goodClaims(is.srv.URL)
	c["jti"] = "t2"
	if _, err := v.Verify(context.Background(), other.sign(t, c)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a token with a key not fetched yet while identity is down: %v, want ErrUnavailable", err)
	}
}
