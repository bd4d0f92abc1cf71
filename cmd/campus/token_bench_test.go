package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// identityHandler builds identity in-process on a fresh SQLite database,
// as serve does, for benchmarks of its endpoints without TLS or sockets.
func identityHandler(b *testing.B) (http.Handler, *identitystore.Store) {
	b.Helper()
	return identityHandlerAt(b, "")
}

// identityHandlerAt is identityHandler mounted under base (e.g. "/idp").
func identityHandlerAt(b *testing.B, base string) (http.Handler, *identitystore.Store) {
	b.Helper()
	return identityHandlerWith(b, base, password.Default)
}

// identityHandlerWith is identityHandlerAt with argon2id parameters.
func identityHandlerWith(b *testing.B, base string, hash password.Params) (http.Handler, *identitystore.Store) {
	b.Helper()
	dir := b.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	slog.SetDefault(logger)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	d, err := openDB(ctx, logger, "identity", "sqlite:"+filepath.Join(dir, "identity.db"), identitystore.Migrations)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	opts := identityservice.Config{Admin: identityservice.AdminConfig{Email: "admin@localhost", Password: "correct-horse-battery"},
		Welcome: "hi", AccessTokenTTL: 600e9, IDTokenTTL: 3600e9, RefreshTokenTTL: 3600e9, StepUpTTL: 600e9, SessionTTL: 3600e9,
		MaxLoginAttempts: 5, LockoutMinutes: 10, SignInsPerIPMinute: 1 << 20, TimeZone: "UTC", MFARoles: []string{"none"},
		Argon2MemoryKiB: int(hash.Memory), Argon2Time: int(hash.Time), Argon2Threads: int(hash.Threads),
		PasswordMinLength: 10, RefuseCommon: true,
		Issuer: "https://campus.test/idp", Base: base, DataDir: dir, Out: io.Discard}
	svc, err := identityservice.New(ctx, d, opts, logger)
	if err != nil {
		b.Fatal(err)
	}
	return svc, identityStore(b, d, dir)
}

// addServiceClient registers a client for the client credentials grant.
func addServiceClient(b *testing.B, st *identitystore.Store, id, secret string) {
	b.Helper()
	_, err := st.CreateClient(context.Background(), identity.Client{ID: id, Name: id, SecretHash: oidcop.HashToken(secret),
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"grades:read"}, IDTokenAlg: "RS256", Source: "db"})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTokenClientCredentials measures the token endpoint's own cost
// for the client credentials grant, without TLS and load generator.
//
//	go test -run '^$' -bench TokenClientCredentials -benchtime 3s ./cmd/campus
func BenchmarkTokenClientCredentials(b *testing.B) {
	h, st := identityHandler(b)
	secret := oidcop.NewToken()
	addServiceClient(b, st, "svc", secret)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+secret))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&scope=grades:read"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		}
	})
}

// BenchmarkIntrospection measures RFC 7662 introspection of a live access
// token by a confidential client, in-process.
//
//	go test -run '^$' -bench Introspection -benchtime 3s ./cmd/campus
func BenchmarkIntrospection(b *testing.B) {
	h, st := identityHandler(b)
	secret := oidcop.NewToken()
	addServiceClient(b, st, "svc", secret)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+secret))
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&scope=grades:read"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(rec.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("no token: %v %s", err, rec.Body.String())
	}
	body := "token=" + tok.AccessToken
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/oauth/introspect", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"active":true`) {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "introspections/s")
}
