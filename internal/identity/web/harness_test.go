package web

import (
	"bytes"
	"campus/internal/identity/datakeys"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/mailer"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
	"campus/internal/mail"
	"campus/internal/problem"
)

// The harness runs identity's handler as campus mounts it (under /idp),
// over a fresh SQLite database, with the OpenID Provider built as
// cmd/campus builds it; tokens come from the provider's own endpoints after
// a sign-in on the sign-in page, without a browser. The back-channel
// logout deliverer runs as cmd/campus runs it; mail is off unless a test
// asks for it (withMail).

// adminPassword is the password of the harness's administrator "admin".
const adminPassword = "correct-horse-battery-staple"

// cheap are password hash parameters that cost next to nothing.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// consoleRedirect is the redirect URI of the harness's first-party client.
const consoleRedirect = "https://console.uni.example/cb"

// testIDP is identity over httptest, with a first-party administration
// client ("console") that asks for every admin scope.
type testIDP struct {
	issuer  string
	http    *http.Client // does not follow redirects
	store   *store.Store
	console oauth2.Config
	// mail is what identity sent, with withMail; nil without.
	mail *sentMail
	// mailbox is the developer mailbox, with withMailbox; nil without.
	mailbox *mail.Mailbox
}

// idpOption changes how startIDP builds identity.
type idpOption func(*idpConfig)

type idpConfig struct {
	mail, mailbox bool
	home          string
	// mfaRoles: none by default here, so that the tests of other things
	// sign the administrator in with the password alone; withMFARoles
	// sets them (mfa_test.go).
	mfaRoles []string
	// now is the clock of sign-in and the store (time.Now by default).
	now func() time.Time
}

// withClock gives sign-in and the store another clock.
func withClock(now func() time.Time) idpOption { return func(c *idpConfig) { c.now = now } }

// withMFARoles makes roles require a second factor.
func withMFARoles(roles ...string) idpOption { return func(c *idpConfig) { c.mfaRoles = roles } }

// withHome sets where people continue (the portal's origin), which
// links of service mails are made absolute on.
func withHome(u string) idpOption { return func(c *idpConfig) { c.home = u } }

// withMailbox gives identity a developer mailbox (/dev/mail), which
// tests fill through p.mailbox.
func withMailbox() idpOption { return func(c *idpConfig) { c.mailbox = true } }

// withMail gives identity a composer and an outbox worker that sends to
// memory (mailTo reads it): links are mailed, and accounts sign in only
// once their address is confirmed, as with cmd/campus's developer mailbox.
func withMail() idpOption { return func(c *idpConfig) { c.mail = true } }

func startIDP(t *testing.T, opts ...idpOption) *testIDP {
	t.Helper()
	cfg := idpConfig{mfaRoles: []string{}, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	st := store.New(dbtest.SQLite(t, store.Migrations), cfg.now, datakeys.Test())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	var h http.Handler
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Problem documents follow Accept-Language, as cmd/campus's mount
		// makes them.
		http.StripPrefix("/idp", problem.Localize(h)).ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer := srv.URL + "/idp"

	secret := bytes.Repeat([]byte{7}, 32)
	keys, err := oidcop.NewKeys(st, secret, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// Back-channel logout tokens go out as identity's service sends them;
	// the deliverer stops before the database closes.
	deliverer := oidcop.NewDeliverer(st, keys, issuer, oidcop.NoRedirects(&http.Client{}), time.Now, logger)
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); deliverer.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-stopped })

	p := &testIDP{issuer: issuer, store: st, http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	var mailDeps MailDeps
	if cfg.mail {
		c, err := mailer.NewComposer("campus", issuer, time.Hour, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p.mail = &sentMail{}
		p.mail.worker = mailer.NewWorker(st, p.mail, time.Now, logger)
		mailDeps.Composer = c
	}
	if cfg.mailbox {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		mb, err := mail.NewMailbox(dir)
		if err != nil {
			t.Fatal(err)
		}
		p.mailbox, mailDeps.Mailbox = mb, mb
	}

	storage := oidcop.NewStorage(st, keys, oidcop.Config{
		Issuer:        issuer,
		SessionCookie: SessionCookie,
		MFARoles:      cfg.mfaRoles,
		APIAudiences:  []string{"campus-study", APIAudience},
		ConfirmFirst:  mailDeps.Composer != nil,
		SessionEnded: func(context.Context, string, string, []string) {
			deliverer.Notify()
		},
	}, "/idp/login", cfg.now, logger)
	provider, err := oidcop.NewProvider(storage, secret, "/idp"+LoggedOutPath)
	if err != nil {
		t.Fatal(err)
	}
	if h, err = NewServer(Deps{
		Logger: logger, Issuer: issuer, Base: "/idp",
		Store: st, Storage: storage, Provider: provider, Now: cfg.now, Mail: mailDeps, Home: cfg.home,
		// cmd/campus's defaults, but for the hash cost and the per-address
		// limit: tests sign in far more often than people.
		Login: LoginConfig{Password: cheap, PerIPPerMinute: 6000, Lockout: policy.Lockout{MaxAttempts: 5, Duration: 10 * time.Minute},
			Policy: policy.PasswordPolicy{MinLength: 10, MaxLength: 256, RefuseCommon: true}, MFARoles: cfg.mfaRoles},
	}); err != nil {
		t.Fatal(err)
	}

	hash, _ := password.Hash(adminPassword, cheap)
	if _, err := st.CreateAccount(ctx, identity.Account{Username: "admin", Email: "admin@localhost", DisplayName: "Administrator",
		EmailVerified: true, Roles: []string{identity.RoleAdmin}}, hash); err != nil {
		t.Fatal(err)
	}
	p.console = p.addClient(t, identity.Client{ID: "console", Name: "Admin console", FirstParty: true,
		RedirectURIs: []string{consoleRedirect}, GrantTypes: []string{"authorization_code", "refresh_token"},
		Scopes: []string{"openid", "profile", "users:read", "users:write", "roles:write"}})
	return p
}

// addClient registers a confidential client and returns its configuration,
// asking for every scope it may have.
func (p *testIDP) addClient(t testing.TB, c identity.Client) oauth2.Config {
	t.Helper()
	secret := "secret-of-" + c.ID
	c.SecretHash = oidcop.HashToken(secret)
	if err := p.store.PutClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: c.ID, ClientSecret: secret, Scopes: c.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.issuer + "/authorize", TokenURL: p.issuer + "/oauth/token"}}
	if len(c.RedirectURIs) > 0 {
		cfg.RedirectURL = c.RedirectURIs[0]
	}
	return cfg
}

// addUser creates an account with roles directly in the store.
func (p *testIDP) addUser(t testing.TB, username, pw string, roles ...string) identity.Account {
	t.Helper()
	h, _ := password.Hash(pw, cheap)
	a, err := p.store.CreateAccount(context.Background(), identity.Account{
		Username: username, Email: username + "@uni.example", DisplayName: strings.ToUpper(username[:1]) + username[1:],
		GivenName: "Given", FamilyName: "Family", EmailVerified: true, Roles: roles}, h)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// authorize starts the code flow for a client and returns the
// authorization request's id and the PKCE verifier.
func (p *testIDP) authorize(t testing.TB, c oauth2.Config) (string, string) {
	t.Helper()
	v := oauth2.GenerateVerifier()
	resp, err := p.http.Get(c.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("authRequestID") == "" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("authRequestID"), v
}

// submitLogin posts the sign-in form for an authorization request.
func (p *testIDP) submitLogin(t testing.TB, authRequestID, user, pw string) *http.Response {
	t.Helper()
	csrf := strings.Repeat("c", 32)
	form := url.Values{"authRequestID": {authRequestID}, "csrf": {csrf}, "username": {user}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// signIn signs user in on the sign-in page through client c (which must
// not need consent) and returns the access token.
func (p *testIDP) signIn(t testing.TB, c oauth2.Config, user, pw string) string {
	t.Helper()
	return p.signInToken(t, c, user, pw).AccessToken
}

// signInToken signs user in as signIn does and returns the tokens.
func (p *testIDP) signInToken(t testing.TB, c oauth2.Config, user, pw string) *oauth2.Token {
	t.Helper()
	id, verifier := p.authorize(t, c)
	resp := p.submitLogin(t, id, user, pw)
	// The sign-in page hands back to the provider, which redirects to the
	// client with a code.
	for range 3 {
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			t.Fatalf("sign in %s: %d", user, resp.StatusCode)
		}
		if strings.HasPrefix(loc, c.RedirectURL) {
			u, _ := url.Parse(loc)
			tok, err := c.Exchange(context.Background(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange for %s: %v", user, err)
			}
			return tok
		}
		u, err := url.Parse(p.issuer)
		if err != nil {
			t.Fatal(err)
		}
		next, _ := u.Parse(loc)
		if resp, err = p.http.Get(next.String()); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	t.Fatalf("sign in %s: too many redirects", user)
	return nil
}

// apiEnv is the admin API's test environment.
type apiEnv struct {
	*testIDP
}

func startAPI(t *testing.T, opts ...idpOption) *apiEnv {
	t.Helper()
	return &apiEnv{startIDP(t, opts...)}
}

// token signs user in through the console and returns the access token.
func (e *apiEnv) token(t *testing.T, user, pw string) string {
	t.Helper()
	return e.signIn(t, e.console, user, pw)
}

// serviceToken is a client-credentials token with scopes.
func (e *apiEnv) serviceToken(t *testing.T, id string, scopes ...string) string {
	t.Helper()
	e.addClient(t, identity.Client{ID: id, GrantTypes: []string{"client_credentials"}, Scopes: scopes})
	cc := clientcredentials.Config{ClientID: id, ClientSecret: "secret-of-" + id, TokenURL: e.issuer + "/oauth/token", Scopes: scopes}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// apiResult is an API answer.
type apiResult struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r apiResult) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// fieldErrors returns the problem's field errors by field.
func (r apiResult) fieldErrors() map[string]string {
	out := map[string]string{}
	list, _ := r.body["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		f, _ := m["field"].(string)
		d, _ := m["detail"].(string)
		out[f] += d
	}
	return out
}

func (r apiResult) str(key string) string { s, _ := r.body[key].(string); return s }

// call sends a request to identity's API; body is JSON-encoded unless it
// is a string; headers are name, value pairs.
func (e *apiEnv) call(t *testing.T, method, path, token string, body any, headers ...string) apiResult {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.issuer+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	res := apiResult{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		json.Unmarshal(raw, &res.body)
	}
	return res
}

// must calls and fails the test unless the status is want.
func (e *apiEnv) must(t *testing.T, want int, method, path, token string, body any, headers ...string) apiResult {
	t.Helper()
	r := e.call(t, method, path, token, body, headers...)
	if r.status != want {
		t.Fatalf("%s %s = %s; want %d", method, path, r, want)
	}
	return r
}

// etagOf reads the current ETag of a user or role.
func (e *apiEnv) etagOf(t *testing.T, path, token string) string {
	t.Helper()
	tag := e.must(t, http.StatusOK, http.MethodGet, path, token, nil).header.Get("ETag")
	if tag == "" {
		t.Fatalf("GET %s has no ETag", path)
	}
	return tag
}

// active asks the introspection endpoint, as the console, whether a token
// is live.
func (e *apiEnv) active(t *testing.T, token string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.console.ClientID, e.console.ClientSecret)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("introspect: %d %v", resp.StatusCode, err)
	}
	return v["active"] == true
}

// revoke revokes a token at the provider's revocation endpoint, as the
// console.
func (e *apiEnv) revoke(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+"/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.console.ClientID, e.console.ClientSecret)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// claims are a JWT's claims, unverified.
func claims(t testing.TB, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	var c map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// signForeign signs a JWT payload (base64url) with a key campus does not
// know.
func signForeign(t testing.TB, payload string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: bytes.Repeat([]byte("foreign!"), 4)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sig.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sentMail is an outbox worker's mail.Sender that keeps what it is given.
type sentMail struct {
	worker *mailer.Worker
	mu     sync.Mutex
	all    []mail.Message
}

func (s *sentMail) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, m)
	return nil
}

// mailTo sends the outbox and waits until a mail to addr whose subject
// contains subject was sent, and returns the newest.
func (p *testIDP) mailTo(t testing.TB, addr, subject string) mail.Message {
	t.Helper()
	if p.mail == nil {
		t.Fatal("mailTo: identity has no mail (startIDP without withMail)")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := p.mail.worker.SendDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.mail.mu.Lock()
		all := p.mail.all
		p.mail.mu.Unlock()
		for i := len(all) - 1; i >= 0; i-- {
			if m := all[i]; strings.EqualFold(m.To, addr) && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s about %q; %d mails were sent", addr, subject, len(all))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mailLink is a single-use link in a mail.
var mailLink = regexp.MustCompile(`https?://\S+\?token=[A-Za-z0-9_-]+`)

// linkIn returns the single-use link of a mail.
func linkIn(t testing.TB, m mail.Message) string {
	t.Helper()
	l := mailLink.FindString(m.Text)
	if l == "" {
		t.Fatalf("no link in the mail %q:\n%s", m.Subject, m.Text)
	}
	return l
}

// browser is a user agent with cookies that follows redirects within
// identity and stops at the first leaving it (to a client).
func (p *testIDP) browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(p.issuer)
	return &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != u.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

var (
	formAuthRequest = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
	formCSRF        = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// page is what a client ended on.
type page struct {
	status int
	header http.Header
	body   string
}

func visit(t testing.TB, b *http.Client, req *http.Request) page {
	t.Helper()
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func getPage(t testing.TB, b *http.Client, u string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return visit(t, b, req)
}

// fillLogin fills the sign-in form shown on pg in browser b.
func (p *testIDP) fillLogin(t testing.TB, b *http.Client, pg page, username, pw string) page {
	t.Helper()
	ar, csrf := formAuthRequest.FindStringSubmatch(pg.body), formCSRF.FindStringSubmatch(pg.body)
	if ar == nil || csrf == nil {
		t.Fatalf("no sign-in form (status %d):\n%s", pg.status, pg.body)
	}
	form := url.Values{"authRequestID": {ar[1]}, "csrf": {csrf[1]}, "username": {username}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

// confirmEmail opens the confirmation link mailed to addr and presses
// the button, as the person would.
func (p *testIDP) confirmEmail(t testing.TB, addr string) page {
	t.Helper()
	b := p.browser(t)
	pg := getPage(t, b, linkIn(t, p.mailTo(t, addr, "onfirm")))
	if pg.status != http.StatusOK {
		t.Fatalf("confirmation page: %d %s", pg.status, pg.body)
	}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(pg.body)
	csrf := formCSRF.FindStringSubmatch(pg.body)
	if token == nil || csrf == nil {
		t.Fatalf("no confirmation form: %s", pg.body)
	}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/confirm", strings.NewReader(url.Values{"token": {token[1]}, "csrf": {csrf[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}
