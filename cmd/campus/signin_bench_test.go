package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
)

// BenchmarkSignInRoundTrip measures one whole sign-in: authorize, the
// login form, the password check, the code and its exchange for tokens.
// "argon2id" uses the real parameters; "overhead" the same round trip with
// hashing made nearly free (64 KiB, 1 pass): campus's own cost.
//
//	go test -run '^$' -bench SignInRoundTrip -benchtime 100x -cpu 1 ./cmd/campus
func BenchmarkSignInRoundTrip(b *testing.B) {
	b.Run("argon2id", func(b *testing.B) { benchSignIn(b, password.Default) })
	b.Run("overhead", func(b *testing.B) {
		benchSignIn(b, password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	})
}

func benchSignIn(b *testing.B, hash password.Params) {
	h, st := identityHandlerWith(b, "/idp", hash)
	secret := oidcop.NewToken()
	if _, err := st.CreateClient(context.Background(), identity.Client{ID: "app", Name: "App", SecretHash: oidcop.HashToken(secret),
		FirstParty: true, RedirectURIs: []string{"https://app.test/cb"}, GrantTypes: []string{"authorization_code"},
		Scopes: []string{"openid"}, IDTokenAlg: "RS256", Source: "db"}); err != nil {
		b.Fatal(err)
	}
	transport := &inProcess{base: "/idp"}
	transport.set(h)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: transport})
	cfg := oauth2.Config{ClientID: "app", ClientSecret: secret, RedirectURL: "https://app.test/cb", Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: "https://campus.test/idp/authorize", TokenURL: "https://campus.test/idp/oauth/token"}}
	signIn := func() {
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Transport: transport, Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Host != "campus.test" {
				return http.ErrUseLastResponse
			}
			return nil
		}}
		verifier := oauth2.GenerateVerifier()
		resp, err := browser.Get(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ar, csrf := formAuthRequest.FindStringSubmatch(string(body)), formCSRF.FindStringSubmatch(string(body))
		if ar == nil || csrf == nil {
			b.Fatalf("no login form: %d", resp.StatusCode)
		}
		resp, err = browser.PostForm("https://campus.test/idp/login", url.Values{"authRequestID": {ar[1]}, "csrf": {csrf[1]},
			"username": {"admin"}, "password": {"correct-horse-battery"}})
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || loc.Query().Get("code") == "" {
			b.Fatalf("no code: %d %v", resp.StatusCode, err)
		}
		if _, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		signIn()
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/sign-in")
	b.ReportMetric(float64(time.Second)/float64(per), "sign-ins/s/core")
}
