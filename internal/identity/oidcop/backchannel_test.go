package oidcop_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/store"
)

// receiver is a relying party's back-channel logout endpoint that can be
// switched off.
type receiver struct {
	*httptest.Server
	up     atomic.Bool
	mu     sync.Mutex
	tokens []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.up.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		req.ParseForm()
		r.mu.Lock()
		r.tokens = append(r.tokens, req.PostForm.Get("logout_token"))
		r.mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
	}))
	t.Cleanup(r.Close)
	return r
}

func TestBackchannelLogoutRedelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := store.New(dbtest.SQLite(t, store.Migrations), clock, datakeys.Test())
	keys, err := oidcop.NewKeys(st, make([]byte, 32), clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	acc, _ := st.CreateAccount(ctx, identity.Account{Username: "ada", Email: "ada@uni.example", Roles: []string{"student"}}, "h")
	st.CreateClient(ctx, identity.Client{ID: "lms", Name: "LMS", RedirectURIs: []string{"https://lms/cb"}, GrantTypes: []string{"authorization_code"},
		BackchannelLogoutURI: rcv.URL + "/logout", IDTokenAlg: "ES256", Source: "db"})
	st.CreateClient(ctx, identity.Client{ID: "quiet", Name: "No logout URI", RedirectURIs: []string{"https://q/cb"}, GrantTypes: []string{"authorization_code"}, IDTokenAlg: "RS256", Source: "db"})
	st.CreateSession(ctx, identity.Session{ID: "sid-1", AccountID: acc.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, "cookie")
	st.AddSessionClient(ctx, "sid-1", "lms")
	st.AddSessionClient(ctx, "sid-1", "quiet")

	d := oidcop.NewDeliverer(st, keys, "https://campus.example/idp", oidcop.NoRedirects(http.DefaultClient), clock,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := st.EndSession(ctx, "sid-1"); err != nil {
		t.Fatal(err)
	}

	// The client is down: the attempt fails and is scheduled again.
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("DeliverDue while down = %d, %v", n, err)
	}
	pending, _ := st.LogoutDeliveries(ctx, true, 10)
	if len(pending) != 1 || pending[0].Attempts != 1 || pending[0].LastError == "" || !pending[0].NextAttemptAt.Equal(now.Add(d.Base)) {
		t.Fatalf("after a failed attempt: %+v", pending)
	}
	// Not due yet: nothing is sent, even though the client is back.
	rcv.up.Store(true)
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Fatal("delivered before the retry was due")
	}
	now = now.Add(d.Base)
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue after recovery = %d, %v", n, err)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Fatal("delivered twice")
	}
	if left, _ := st.LogoutDeliveries(ctx, true, 10); len(left) != 0 {
		t.Fatalf("still pending: %+v", left)
	}

	// The logout token verifies with the published keys and says what the
	// specification requires.
	rcv.mu.Lock()
	raw := rcv.tokens[0]
	rcv.mu.Unlock()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	if typ, _ := tok.Headers[0].ExtraHeaders["typ"].(string); typ != "logout+jwt" {
		t.Errorf("typ %q, want logout+jwt", typ)
	}
	pub, _ := keys.Public(ctx)
	var claims map[string]any
	verified := false
	for _, k := range pub {
		if k.ID() == tok.Headers[0].KeyID {
			verified = tok.Claims(k.Key(), &claims) == nil
		}
	}
	if !verified {
		t.Fatal("logout token does not verify with the published key")
	}
	events, _ := claims["events"].(map[string]any)
	if claims["iss"] != "https://campus.example/idp" || claims["aud"] != "lms" || claims["sub"] != acc.ID || claims["sid"] != "sid-1" ||
		claims["jti"] == nil || claims["iat"] == nil || events == nil || events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		b, _ := json.Marshal(claims)
		t.Fatalf("claims %s", b)
	}
	if _, has := claims["nonce"]; has {
		t.Error("a logout token must not carry a nonce")
	}
}

func TestBackchannelLogoutGivesUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := store.New(dbtest.SQLite(t, store.Migrations), clock, datakeys.Test())
	keys, _ := oidcop.NewKeys(st, make([]byte, 32), clock)
	keys.Ensure(ctx)
	rcv := newReceiver(t) // never comes up
	acc, _ := st.CreateAccount(ctx, identity.Account{Username: "bo", Email: "bo@uni.example"}, "h")
	st.CreateClient(ctx, identity.Client{ID: "lms", Name: "LMS", RedirectURIs: []string{"https://lms/cb"}, GrantTypes: []string{"authorization_code"},
		BackchannelLogoutURI: rcv.URL, IDTokenAlg: "RS256", Source: "db"})
	st.CreateSession(ctx, identity.Session{ID: "s", AccountID: acc.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, "c")
	st.AddSessionClient(ctx, "s", "lms")
	st.EndSession(ctx, "s")
	d := oidcop.NewDeliverer(st, keys, "https://campus.example/idp", http.DefaultClient, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 30 { // 120 hours of a client that never answers
		d.DeliverDue(ctx)
		now = now.Add(4 * time.Hour)
	}
	all, _ := st.LogoutDeliveries(ctx, false, 10)
	if len(all) != 1 || all[0].FailedAt == nil || all[0].DeliveredAt != nil {
		t.Fatalf("after %s of failures: %+v", d.GiveUp, all)
	}
	// Backoff doubled from Base and was capped at Max.
	if all[0].Attempts < 3 {
		t.Fatalf("attempts %d", all[0].Attempts)
	}
}

func TestStaticSigningKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	path := filepath.Join(dir, "es256.pem")
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	id, alg, key, err := oidcop.LoadStaticKey(path)
	if err != nil || alg != jose.ES256 {
		t.Fatalf("LoadStaticKey: %v %v", alg, err)
	}
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now, datakeys.Test())
	keys, _ := oidcop.NewKeys(st, make([]byte, 32), time.Now)
	keys.UseStatic(id, alg, key)
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	signer, err := keys.Signer(ctx, jose.ES256)
	if err != nil || signer.ID() != id {
		t.Fatalf("ES256 signer %v, want the static key %s", signer, id)
	}
	pub, _ := keys.Public(ctx)
	found := false
	for _, k := range pub {
		found = found || k.ID() == id
	}
	if !found {
		t.Fatal("static key not published")
	}
	os.WriteFile(path, []byte("nonsense"), 0o600)
	if _, _, _, err := oidcop.LoadStaticKey(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken PEM: %v", err)
	}
}

func TestKeyRotationKeepsTokensInFlightValid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := store.New(dbtest.SQLite(t, store.Migrations), clock, datakeys.Test())
	keys, _ := oidcop.NewKeys(st, make([]byte, 32), clock)
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	published := func() map[string]bool {
		pub, _ := keys.Public(ctx)
		m := map[string]bool{}
		for _, k := range pub {
			m[k.ID()] = true
		}
		return m
	}
	before, _ := keys.Signer(ctx, jose.ES256)
	if len(published()) != 6 {
		t.Fatalf("published %d keys, want current and next for 3 algorithms", len(published()))
	}
	if err := keys.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := keys.Signer(ctx, jose.ES256)
	if after.ID() == before.ID() {
		t.Fatal("rotation did not change the signing key")
	}
	if p := published(); !p[before.ID()] || !p[after.ID()] || len(p) != 9 {
		t.Fatalf("after one rotation: previous, current and next must be published, got %d", len(p))
	}
	// Another process's rotation is picked up on the next reload.
	other, _ := oidcop.NewKeys(st, make([]byte, 32), clock)
	other.Ensure(ctx)
	if err := other.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if k, _ := keys.Signer(ctx, jose.ES256); k.ID() != after.ID() {
		t.Fatal("reloaded before reloadEvery")
	}
	now = now.Add(time.Minute)
	if k, _ := keys.Signer(ctx, jose.ES256); k.ID() == after.ID() {
		t.Fatal("another process's rotation not picked up")
	}
	if published()[before.ID()] {
		t.Fatal("a key two rotations old is still published")
	}
	// A wrong key-encryption key is refused with a clear message.
	wrong, _ := oidcop.NewKeys(st, bytes32(1), clock)
	if err := wrong.Ensure(ctx); err == nil || !strings.Contains(err.Error(), "key-encryption key") {
		t.Fatalf("wrong KEK: %v", err)
	}
}

func bytes32(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return k
}

// stallingStore is the store, with a holder that stalls (a long GC pause,
// a frozen VM) after it recorded its first delivery.
type stallingStore struct {
	*store.Store
	stall func()
	once  sync.Once
}

func (s *stallingStore) LogoutDelivered(ctx context.Context, id string) error {
	err := s.Store.LogoutDelivered(ctx, id)
	s.once.Do(s.stall)
	return err
}

// TestBackchannelLogoutLeaseLost: a deliverer that stalls longer than its
// lease loses the deliveries it had not made yet to another replica, and
// skips them: each client hears of each logout once.
func TestBackchannelLogoutLeaseLost(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		st := store.New(d, clock, datakeys.Test())
		keys, _ := oidcop.NewKeys(st, make([]byte, 32), clock)
		if err := keys.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		rcv := newReceiver(t)
		rcv.up.Store(true)
		acc, _ := st.CreateAccount(ctx, identity.Account{Username: "cy", Email: "cy@uni.example"}, "h")
		st.CreateClient(ctx, identity.Client{ID: "lms", Name: "LMS", RedirectURIs: []string{"https://lms/cb"}, GrantTypes: []string{"authorization_code"},
			BackchannelLogoutURI: rcv.URL, IDTokenAlg: "RS256", Source: "db"})
		for _, sid := range []string{"s1", "s2", "s3"} {
			st.CreateSession(ctx, identity.Session{ID: sid, AccountID: acc.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, "c-"+sid)
			st.AddSessionClient(ctx, sid, "lms")
			if _, err := st.EndSession(ctx, sid); err != nil {
				t.Fatal(err)
			}
		}
		logger := slog.New(slog.DiscardHandler)
		other := oidcop.NewDeliverer(store.New(d, clock, datakeys.Test()), keys, "https://campus.example/idp", http.DefaultClient, clock, logger)
		other.Lease = 30 * time.Second
		s := &stallingStore{Store: st, stall: func() {
			mu.Lock()
			now = now.Add(31 * time.Second)
			mu.Unlock()
			if n, err := other.DeliverDue(ctx); n != 2 || err != nil {
				t.Errorf("the other replica delivered %d: %v", n, err)
			}
		}}
		first := oidcop.NewDeliverer(s, keys, "https://campus.example/idp", http.DefaultClient, clock, logger)
		first.Lease = 30 * time.Second
		if n, err := first.DeliverDue(ctx); n != 1 || err != nil {
			t.Fatalf("DeliverDue = %d, %v", n, err)
		}
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		sids := map[string]int{}
		for _, raw := range rcv.tokens {
			tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				SID string `json:"sid"`
			}
			tok.UnsafeClaimsWithoutVerification(&c)
			sids[c.SID]++
		}
		if len(rcv.tokens) != 3 || sids["s1"] != 1 || sids["s2"] != 1 || sids["s3"] != 1 {
			t.Fatalf("the client heard of %v", sids)
		}
	})
}
