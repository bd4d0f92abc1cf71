package portal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"campus/internal/portal/store"
	"campus/internal/tokencheck"
)

// OIDC is how the portal signs people in at identity.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Client reaches identity (in-process in all-in-one mode).
	Client *http.Client
	// Scopes asked for at sign-in.
	Scopes []string
}

const (
	sessionCookie = "campus_session"
	authCookie    = "campus_auth"
)

// relyingParty is the portal's OpenID Connect client (github.com/coreos/go-oidc
// with golang.org/x/oauth2): authorization code with PKCE, tokens kept on
// the server (backend for frontend).
type relyingParty struct {
	cfg      OIDC
	base     string // portal's path prefix
	origin   string // portal's public origin, for redirect URIs
	secure   bool
	sessions *store.Store
	seal     cipher.AEAD
	ttl      time.Duration
	now      func() time.Time

	once     sync.Mutex
	provider *oidc.Provider

	// revocations is identity's revocation feed: a session whose access
	// token it names is refreshed at once (and ends if identity refuses);
	// nil: not checked.
	revocations *tokencheck.Revocations
}

func newRelyingParty(cfg OIDC, origin, base string, sessions *store.Store, secret []byte, ttl time.Duration, now func() time.Time) (*relyingParty, error) {
	key := sha256.Sum256(append([]byte("campus portal sessions "), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &relyingParty{cfg: cfg, base: base, origin: origin, secure: strings.HasPrefix(origin, "https://"),
		sessions: sessions, seal: aead, ttl: ttl, now: now}, nil
}

// discover reads identity's discovery document once it answers; the
// portal starts even while identity is still starting.
func (rp *relyingParty) discover(ctx context.Context) (*oidc.Provider, error) {
	rp.once.Lock()
	defer rp.once.Unlock()
	if rp.provider != nil {
		return rp.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, rp.cfg.Client), rp.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	rp.provider = p
	return p, nil
}

// reachable reports whether identity answers now (its discovery
// document, within a few seconds); nil when it does.
func (rp *relyingParty) reachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(rp.cfg.Issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	c := rp.cfg.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("identity's discovery answered %s", resp.Status)
	}
	return nil
}

func (rp *relyingParty) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: rp.origin + rp.base + "/auth/callback", Scopes: rp.cfg.Scopes}
}

// stepUpScopes are asked for when unlocking catalogue editing: identity
// grants studies:write only for a password entered for this very request
// (prompt=login), and for a short time.
var stepUpScopes = []string{"openid", "studies:write"}

// startStepUp sends the signed-in person to identity to enter their
// password again for a study token.
func (rp *relyingParty) startStepUp(w http.ResponseWriter, r *http.Request, sess *session, returnTo string) error {
	p, err := rp.discover(r.Context())
	if err != nil {
		return err
	}
	pe := pending{State: random(24), Nonce: random(24), Verifier: oauth2.GenerateVerifier(), Return: localPath(rp.base, returnTo),
		Expires: rp.now().Add(10 * time.Minute), StepUp: sess.Subject}
	v, err := rp.sealed(pe)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: v, Path: rp.base + "/auth/", MaxAge: 600, HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
	cfg := rp.oauth2(p)
	cfg.Scopes = stepUpScopes
	// id_token_hint names the person who must enter the password: identity
	// refuses anyone else (OIDC Core 3.1.2.1).
	http.Redirect(w, r, cfg.AuthCodeURL(pe.State, oauth2.S256ChallengeOption(pe.Verifier), oidc.Nonce(pe.Nonce),
		oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("id_token_hint", sess.IDToken), uiLocales(r)), http.StatusSeeOther)
	return nil
}

// finishStepUp keeps the study token in the person's session, if identity
// granted studies:write to the same person.
func (rp *relyingParty) finishStepUp(r *http.Request, pe pending, subject string, tok *oauth2.Token) error {
	sess := rp.current(r)
	if sess == nil || sess.Subject != pe.StepUp || subject != pe.StepUp {
		return errSignIn{"expired"}
	}
	scopes, _ := tok.Extra("scope").(string)
	if !slices.Contains(strings.Fields(scopes), "studies:write") {
		return errSignIn{"studies:write not granted"}
	}
	sess.Study, sess.StudyExpiry = tok.AccessToken, tok.Expiry
	sealed, err := rp.sealed(sess.tokens)
	if err != nil {
		return err
	}
	return rp.sessions.SetData(r.Context(), sess.idHash, []byte(sealed))
}

// persist stores the session's changed tokens or name.
func (rp *relyingParty) persist(r *http.Request, sess *session) error {
	sealed, err := rp.sealed(sess.tokens)
	if err != nil {
		return err
	}
	return rp.sessions.SetData(r.Context(), sess.idHash, []byte(sealed))
}

// lockEditing forgets the study token.
func (rp *relyingParty) lockEditing(r *http.Request, sess *session) error {
	sess.Study, sess.StudyExpiry = "", time.Time{}
	sealed, err := rp.sealed(sess.tokens)
	if err != nil {
		return err
	}
	return rp.sessions.SetData(r.Context(), sess.idHash, []byte(sealed))
}

// studyToken returns the study token while it lasts, and how long that is.
func (rp *relyingParty) studyToken(sess *session) (string, time.Duration) {
	if sess == nil || sess.Study == "" {
		return "", 0
	}
	left := sess.StudyExpiry.Sub(rp.now())
	if left < 5*time.Second {
		return "", 0
	}
	return sess.Study, left
}

func (rp *relyingParty) ctx(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, rp.cfg.Client), oauth2.HTTPClient, rp.cfg.Client)
}

// sealed seals v (JSON) with the portal's key; opened reverses it.
func (rp *relyingParty) sealed(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, rp.seal.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(rp.seal.Seal(nonce, nonce, b, nil)), nil
}

func (rp *relyingParty) opened(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < rp.seal.NonceSize() {
		return errors.New("malformed")
	}
	n := rp.seal.NonceSize()
	plain, err := rp.seal.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// pending is a sign-in on its way, kept in a short-lived sealed cookie.
type pending struct {
	State, Nonce, Verifier, Return string
	Prompt                         string
	Expires                        time.Time
	StepUp                         string `json:",omitempty"` // the subject unlocking catalogue editing
}

// tokens are what a session holds, sealed in the session row.
type tokens struct {
	Access  string    `json:"a"`
	Refresh string    `json:"r"`
	Expiry  time.Time `json:"e"`
	IDToken string    `json:"i"`
	Name    string    `json:"n"`
	// Roles and Scopes are those of the current access token: taken from
	// each new token, never kept from sign-in.
	Roles  []string `json:"o"`
	Scopes []string `json:"s"`
	// Study is the short-lived access token carrying studies:write that a
	// fresh password entry (step-up) gave; StudyExpiry when it ends.
	Study       string    `json:"w,omitempty"`
	StudyExpiry time.Time `json:"x,omitzero"`
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// localPath keeps a return path on the portal: a path, never another site.
func localPath(base, p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, `\`) {
		return base + "/"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return base + "/"
	}
	return p
}

// startSignIn sends the browser to identity's authorization endpoint.
func (rp *relyingParty) startSignIn(w http.ResponseWriter, r *http.Request, returnTo string, extra ...oauth2.AuthCodeOption) error {
	p, err := rp.discover(r.Context())
	if err != nil {
		return err
	}
	pe := pending{State: random(24), Nonce: random(24), Verifier: oauth2.GenerateVerifier(), Return: localPath(rp.base, returnTo),
		Expires: rp.now().Add(10 * time.Minute)}
	v, err := rp.sealed(pe)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: v, Path: rp.base + "/auth/", MaxAge: 600, HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pe.Verifier), oidc.Nonce(pe.Nonce), uiLocales(r)}, extra...)
	http.Redirect(w, r, rp.oauth2(p).AuthCodeURL(pe.State, opts...), http.StatusSeeOther)
	return nil
}

// uiLocales asks identity to show its sign-in pages in the language of
// the portal's page (ui_locales, OpenID Connect Core 1.0 section 3.1.2.1),
// so that the language does not change on the way to the sign-in.
func uiLocales(r *http.Request) oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("ui_locales", string(langOf(r)))
}

// errSignIn carries a reason to show the person.
type errSignIn struct{ reason string }

func (e errSignIn) Error() string { return e.reason }

// finishSignIn handles the callback: state, code with PKCE, id_token with
// nonce; then a new session. It returns where to go.
func (rp *relyingParty) finishSignIn(w http.ResponseWriter, r *http.Request) (string, error) {
	c, err := r.Cookie(authCookie)
	var pe pending
	if err != nil || rp.opened(c.Value, &pe) != nil || rp.now().After(pe.Expires) {
		return "", errSignIn{"expired"}
	}
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: "", Path: rp.base + "/auth/", MaxAge: -1, HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pe.State)) != 1 {
		return "", errSignIn{"expired"}
	}
	if e := q.Get("error"); e != "" {
		return "", errSignIn{e}
	}
	p, err := rp.discover(r.Context())
	if err != nil {
		return "", err
	}
	ctx := rp.ctx(r.Context())
	tok, err := rp.oauth2(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pe.Verifier))
	if err != nil {
		return "", fmt.Errorf("exchange the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("verify the id_token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pe.Nonce)) != 1 {
		return "", errors.New("the id_token's nonce does not match")
	}
	if pe.StepUp != "" {
		return pe.Return, rp.finishStepUp(r, pe, idt.Subject, tok)
	}
	var claims struct {
		Name  string   `json:"name"`
		User  string   `json:"preferred_username"`
		SID   string   `json:"sid"`
		Roles []string `json:"roles"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", err
	}
	name := claims.Name
	if name == "" {
		name = claims.User
	}
	t := tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, Expiry: tok.Expiry, IDToken: raw, Name: name, Roles: claims.Roles}
	t.take(tok)
	sealed, err := rp.sealed(t)
	if err != nil {
		return "", err
	}
	// A new sign-in replaces whatever session this browser had.
	if old, err := r.Cookie(sessionCookie); err == nil {
		rp.sessions.Delete(r.Context(), hashID(old.Value))
	}
	id := random(32)
	now := rp.now()
	if err := rp.sessions.Create(r.Context(), store.Session{IDHash: hashID(id), Subject: idt.Subject, IdPSID: claims.SID,
		Data: []byte(sealed), CreatedAt: now, ExpiresAt: now.Add(rp.ttl)}); err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: rp.base + "/", Expires: now.Add(rp.ttl),
		HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
	return pe.Return, nil
}

// session is a signed-in person as a page sees them.
type session struct {
	idHash  string
	Subject string
	// idpSID is identity's session this one was signed in with (the sid of
	// the ID token the callback checked).
	idpSID string
	tokens
	// useStudy makes the study client send the study token (catalogue
	// changes).
	useStudy bool
}

// current returns the browser's session, nil when signed out.
func (rp *relyingParty) current(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s, err := rp.sessions.Get(r.Context(), hashID(c.Value))
	if err != nil {
		return nil
	}
	var t tokens
	if rp.opened(string(s.Data), &t) != nil {
		return nil
	}
	sess := &session{idHash: s.IDHash, Subject: s.Subject, idpSID: s.IdPSID, tokens: t}
	if rp.revoked(sess.Study) {
		sess.Study, sess.StudyExpiry = "", time.Time{}
		if sealed, err := rp.sealed(sess.tokens); err == nil {
			rp.sessions.SetData(r.Context(), sess.idHash, []byte(sealed))
		}
	}
	// Identity revoked the access token (roles changed, account disabled,
	// password reset, signed out elsewhere): ask again at once, so that the
	// page shows what the person may do now, or that they are signed out.
	if rp.revoked(sess.Access) && rp.refresh(r.Context(), sess) != nil {
		return nil
	}
	return sess
}

// errSignedOut means the session can no longer act: sign in again.
var errSignedOut = errors.New("signed out")

// accessToken returns a live access token, refreshing it (rotation) when
// it has expired or will within a minute.
func (rp *relyingParty) accessToken(ctx context.Context, s *session) (string, error) {
	if rp.now().Add(time.Minute).Before(s.Expiry) {
		return s.Access, nil
	}
	if err := rp.refresh(ctx, s); err != nil {
		return "", err
	}
	return s.Access, nil
}

// A session's tokens are refreshed by one request at a time, on whichever
// replica: refresh tokens rotate, and identity takes a second refresh with
// the same token for a stolen one and ends the session (two tabs, a page
// and its download). The request that takes the session's lease in the
// database refreshes; the others wait for the tokens it stores.
const (
	// refreshLease bounds how long a request that died while refreshing
	// holds the others up.
	refreshLease = 10 * time.Second
	// refreshWait is how long a request waits for another's refresh: as
	// long as the lease may be held, since a refresh that is slow (identity
	// busy hashing, a loaded machine) is still a refresh, and giving up
	// earlier answers 503 to a person whose session is fine.
	refreshWait = refreshLease
	// refreshPoll is how often a waiting request reads the session again.
	refreshPoll = 50 * time.Millisecond
)

// errRefreshBusy means another request is refreshing the session and did
// not finish in time; the session goes on.
var errRefreshBusy = errors.New("the session's tokens are being refreshed")

// refresh gets a new access token with the refresh token. Identity applies
// the sign-in rules again and grants the scopes the person's roles allow
// now; the session takes its roles and scopes from the new token. When
// identity refuses, the session ends.
func (rp *relyingParty) refresh(ctx context.Context, s *session) error {
	if s.Refresh == "" {
		rp.sessions.Delete(ctx, s.idHash)
		return errSignedOut
	}
	presented := s.Refresh
	won, err := rp.sessions.ClaimRefresh(ctx, s.idHash, refreshLease)
	if err != nil {
		return err
	}
	if !won {
		return rp.awaitRefresh(ctx, s, presented)
	}
	// Another request may have refreshed between our reading the session
	// and taking the lease: its tokens are the session's now, and ours are
	// spent.
	if done, err := rp.refreshedSince(ctx, s, presented); done || err != nil {
		rp.sessions.ReleaseRefresh(ctx, s.idHash)
		return err
	}
	p, err := rp.discover(ctx)
	if err != nil {
		rp.sessions.ReleaseRefresh(ctx, s.idHash)
		return fmt.Errorf("%w: %w", errIdentityDown, err)
	}
	tok, err := rp.oauth2(p).TokenSource(rp.ctx(ctx), &oauth2.Token{RefreshToken: s.Refresh, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		// Only identity's refusal ends the session. While identity cannot
		// be reached (no answer, or 5xx) the refresh token stays good for
		// a later try: an outage signs nobody out.
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			rp.sessions.Delete(ctx, s.idHash)
			return errSignedOut
		}
		rp.sessions.ReleaseRefresh(ctx, s.idHash)
		return fmt.Errorf("%w: refresh: %w", errIdentityDown, err)
	}
	s.Access, s.Expiry = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		s.Refresh = tok.RefreshToken
	}
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		s.IDToken = raw
	}
	s.take(tok)
	sealed, err := rp.sealed(s.tokens)
	if err != nil {
		rp.sessions.ReleaseRefresh(ctx, s.idHash)
		return err
	}
	// Stored with a context of its own: the person's request may be gone,
	// but the new refresh token must not be lost, or the session is.
	return rp.sessions.FinishRefresh(context.WithoutCancel(ctx), s.idHash, []byte(sealed))
}

// awaitRefresh waits, for refreshWait at most, until the request holding
// the lease has stored tokens newer than presented, and takes them.
func (rp *relyingParty) awaitRefresh(ctx context.Context, s *session, presented string) error {
	deadline := time.Now().Add(refreshWait)
	t := time.NewTicker(refreshPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if done, err := rp.refreshedSince(ctx, s, presented); done || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return errRefreshBusy
		}
	}
}

// refreshedSince reports whether the stored session holds another refresh
// token than presented, and if so takes its tokens into s. A session that
// is gone is signed out.
func (rp *relyingParty) refreshedSince(ctx context.Context, s *session, presented string) (bool, error) {
	row, err := rp.sessions.Get(ctx, s.idHash)
	if errors.Is(err, store.ErrNotFound) {
		return false, errSignedOut
	}
	if err != nil {
		return false, err
	}
	var t tokens
	if err := rp.opened(string(row.Data), &t); err != nil {
		return false, err
	}
	if t.Refresh == presented {
		return false, nil
	}
	s.tokens = t
	return true, nil
}

// accessClaims are what the portal reads of its own access tokens. It got
// them from identity itself over TLS, so it reads them without checking
// the signature again; the APIs that accept them check it.
type accessClaims struct {
	ID       string   `json:"jti"`
	Subject  string   `json:"sub"`
	IssuedAt int64    `json:"iat"`
	Scope    string   `json:"scope"`
	Roles    []string `json:"roles"`
}

func readAccessToken(raw string) (accessClaims, bool) {
	var c accessClaims
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return c, false
	}
	// Only an object is claims: null would read as none, and a value of
	// the wrong type leaves the claims before it filled in.
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) || json.Unmarshal(b, &c) != nil {
		return accessClaims{}, false
	}
	return c, true
}

// take sets the roles and scopes from a new token response: the scope the
// response grants and the roles the access token carries.
func (t *tokens) take(tok *oauth2.Token) {
	if scopes, ok := tok.Extra("scope").(string); ok {
		t.Scopes = strings.Fields(scopes)
	}
	if c, ok := readAccessToken(tok.AccessToken); ok {
		if c.Roles != nil {
			t.Roles = c.Roles
		}
		if c.Scope != "" {
			t.Scopes = strings.Fields(c.Scope)
		}
	}
}

// revoked reports whether identity's revocation feed names the token.
func (rp *relyingParty) revoked(token string) bool {
	if rp.revocations == nil || token == "" {
		return false
	}
	c, ok := readAccessToken(token)
	return ok && rp.revocations.RevokedToken(c.ID, c.Subject, time.Unix(c.IssuedAt, 0))
}

// signOut ends the portal session and returns identity's end-session URL
// (RP-initiated logout), which signs the person out everywhere.
func (rp *relyingParty) signOut(w http.ResponseWriter, r *http.Request) (string, error) {
	s := rp.current(r)
	rp.forget(w, r, s)
	if s == nil {
		return rp.base + "/", nil
	}
	p, err := rp.discover(r.Context())
	if err != nil {
		return "", err
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err != nil || meta.EndSession == "" {
		return rp.base + "/", nil
	}
	q := url.Values{"id_token_hint": {s.IDToken}, "client_id": {rp.cfg.ClientID},
		"post_logout_redirect_uri": {rp.origin + rp.base + "/"}}
	return meta.EndSession + "?" + q.Encode(), nil
}

const logoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// backchannelLogout takes identity's logout token (OIDC Back-Channel Logout
// 1.0 section 2.6): signed by identity for this client, typed, with the
// logout event and no nonce; then ends the portal sessions of that
// identity session.
func (rp *relyingParty) backchannelLogout(r *http.Request) (int64, error) {
	raw := r.PostFormValue("logout_token")
	if raw == "" {
		return 0, errors.New("no logout_token")
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return 0, errors.New("not a signed JWT")
	}
	if typ, _ := jws.Signatures[0].Protected.ExtraHeaders["typ"].(string); typ != "" && !strings.EqualFold(typ, "logout+jwt") {
		return 0, fmt.Errorf("typ %q is not logout+jwt", typ)
	}
	p, err := rp.discover(r.Context())
	if err != nil {
		return 0, err
	}
	// The verifier checks signature, issuer, audience and expiry.
	t, err := p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}).Verify(rp.ctx(r.Context()), raw)
	if err != nil {
		return 0, err
	}
	var claims struct {
		SID    string         `json:"sid"`
		Events map[string]any `json:"events"`
		Nonce  *string        `json:"nonce"`
	}
	if err := t.Claims(&claims); err != nil {
		return 0, err
	}
	if _, ok := claims.Events[logoutEvent]; !ok || claims.Nonce != nil {
		return 0, errors.New("not a logout token")
	}
	if claims.SID == "" {
		return 0, errors.New("no sid: this portal ends sessions by identity session")
	}
	return rp.sessions.DeleteByIdPSession(r.Context(), claims.SID)
}
