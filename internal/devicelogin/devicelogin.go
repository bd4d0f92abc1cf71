package devicelogin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/certs"
)

// ClientID is the built-in public client of the command line at identity.
const ClientID = "campus-cli"

// WriteScope is the step-up scope: changes to the study catalogue.
const WriteScope = "studies:write"

// DefaultScopes are asked for at every login; identity grants those the
// person's roles allow.
var DefaultScopes = []string{"openid", "profile", "offline_access", "grades:read", "grades:write", "messages:read", "messages:write"}

// Options say which campus and where the credentials are.
type Options struct {
	// URL is the campus's public URL (campus serve); identity's issuer is
	// URL + "/idp" unless Issuer is set (identity running alone).
	URL, Issuer string
	// CACert is a PEM file of certificates to trust besides the system's
	// (campus serve's self-signed certificate, data dir tls/cert.pem).
	CACert string
	// Path is the credentials file (DefaultPath when empty).
	Path string
	// Out shows the code and the progress; Now is the clock.
	Out io.Writer
	Now func() time.Time
	// HTTPClient overrides the client built from CACert (tests).
	HTTPClient *http.Client
}

func (o *Options) defaults() error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Path == "" {
		p, err := DefaultPath()
		if err != nil {
			return err
		}
		o.Path = p
	}
	return nil
}

// Key is how a campus URL is kept in the file: without a trailing slash.
func Key(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }

func (o *Options) client(caCert string) (*http.Client, error) {
	if o.HTTPClient != nil {
		return o.HTTPClient, nil
	}
	// certs.Client trusts the system's roots plus caCert: never a silent
	// InsecureSkipVerify.
	return certs.Client(caCert)
}

// discovery is the part of identity's discovery document login needs.
type discovery struct {
	Issuer              string `json:"issuer"`
	DeviceAuthorization string `json:"device_authorization_endpoint"`
	Token               string `json:"token_endpoint"`
	Revocation          string `json:"revocation_endpoint"`
}

func discover(ctx context.Context, hc *http.Client, issuer string) (discovery, error) {
	var d discovery
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return d, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return d, fmt.Errorf("reach identity at %s: %w", issuer, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("identity's discovery document at %s: %s (is the URL right? for an identity running alone, give --issuer)", issuer, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return d, fmt.Errorf("identity's discovery document: %w", err)
	}
	// OpenID Connect Discovery 1.0 section 4.3: the issuer must be the one asked.
	if d.Issuer != issuer {
		return d, fmt.Errorf("identity's discovery document names the issuer %q, not %q", d.Issuer, issuer)
	}
	if d.DeviceAuthorization == "" || d.Token == "" {
		return d, fmt.Errorf("identity at %s offers no device authorization grant (an older campus?)", issuer)
	}
	return d, nil
}

// Login signs in with the device authorization grant and stores the
// tokens for o.URL. write asks for studies:write too (the step-up: the
// password is entered again on the verification page).
func Login(ctx context.Context, o Options, write bool) (Credentials, error) {
	if err := o.defaults(); err != nil {
		return Credentials{}, err
	}
	key := Key(o.URL)
	issuer := Key(o.Issuer)
	if issuer == "" {
		issuer = key + "/idp"
	}
	if u, err := url.Parse(issuer); err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return Credentials{}, fmt.Errorf("%s: want an https:// URL (plain http only on this machine)", issuer)
	}
	if o.CACert != "" {
		// Kept for token and logout, which may run in another directory.
		abs, err := filepath.Abs(o.CACert)
		if err != nil {
			return Credentials{}, err
		}
		o.CACert = abs
	}
	hc, err := o.client(o.CACert)
	if err != nil {
		return Credentials{}, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	d, err := discover(ctx, hc, issuer)
	if err != nil {
		return Credentials{}, err
	}
	scopes := slices.Clone(DefaultScopes)
	if write {
		scopes = append(scopes, WriteScope)
	}
	cfg := &oauth2.Config{ClientID: ClientID, Scopes: scopes,
		Endpoint: oauth2.Endpoint{DeviceAuthURL: d.DeviceAuthorization, TokenURL: d.Token, AuthStyle: oauth2.AuthStyleInParams}}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return Credentials{}, fmt.Errorf("start the sign-in: %w", err)
	}
	fmt.Fprintf(o.Out, "To sign in, open %s\nand enter the code %s\n", da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(o.Out, "(or open %s)\n", da.VerificationURIComplete)
	}
	if write {
		fmt.Fprintln(o.Out, "You asked to change the study catalogue (--write): enter your password there again.")
	}
	fmt.Fprintf(o.Out, "Waiting for your approval (the code expires at %s) ", da.Expiry.Format("15:04"))
	stop := progress(o.Out)
	tok, err := cfg.DeviceAccessToken(ctx, da)
	stop()
	if err != nil {
		return Credentials{}, loginError(err)
	}
	c := Credentials{Issuer: issuer, ClientID: ClientID, TokenURL: d.Token, RevocationURL: d.Revocation, CACert: o.CACert}
	c.set(tok)
	c.Write = write && slices.Contains(c.Scopes, WriteScope) // only a token that has it can lose it
	if err := update(o.Path, func(f *file) { f.Sites[key] = c }); err != nil {
		return c, fmt.Errorf("keep the credentials: %w", err)
	}
	fmt.Fprintf(o.Out, "Signed in to %s. Scopes: %s.\n", key, strings.Join(c.Scopes, " "))
	if write && !slices.Contains(c.Scopes, WriteScope) {
		fmt.Fprintln(o.Out, "Your roles do not allow changing the study catalogue: the token has no studies:write.")
	} else if write {
		fmt.Fprintf(o.Out, "The token with studies:write is valid until %s; to change the catalogue after that, run campus login --write again "+
			"(campus token --read-only gives a token without studies:write).\n", c.Expiry.Local().Format("15:04"))
	}
	return c, nil
}

// progress prints a dot every few seconds until stopped.
func progress(w io.Writer) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintln(w)
				return
			case <-t.C:
				fmt.Fprint(w, ".")
			}
		}
	}()
	return func() { close(done); <-finished }
}

func loginError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "access_denied":
			return errors.New("the sign-in was denied on the verification page (or the code is unknown): run campus login again")
		case "expired_token":
			return errors.New("the code expired before it was approved: run campus login again")
		}
	}
	return fmt.Errorf("sign-in: %w", err)
}

func (c *Credentials) set(tok *oauth2.Token) {
	c.AccessToken, c.Expiry = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		c.RefreshToken = tok.RefreshToken
	}
	if s, ok := tok.Extra("scope").(string); ok {
		c.Scopes = strings.Fields(s)
	}
}

func update(path string, change func(*file)) error {
	f, err := load(path)
	if err != nil {
		return err
	}
	change(&f)
	return save(path, f)
}

// ErrStepUpGone: the access token with studies:write expired, and a
// refresh never renews it.
var ErrStepUpGone = errors.New("step-up expired")

// site finds the credentials of u, or of the only campus there are
// credentials for when u is "".
func site(f file, u string) (string, Credentials, error) {
	if u == "" {
		switch s := f.sites(); len(s) {
		case 0:
			return "", Credentials{}, errors.New("not signed in: run campus login URL first")
		case 1:
			return s[0], f.Sites[s[0]], nil
		default:
			return "", Credentials{}, fmt.Errorf("signed in to several campuses (%s): give the URL", strings.Join(s, ", "))
		}
	}
	c, ok := f.Sites[Key(u)]
	if !ok {
		return "", c, fmt.Errorf("not signed in to %s: run campus login %s first", Key(u), Key(u))
	}
	return Key(u), c, nil
}

// Token returns a current access token for o.URL (or the only campus
// signed in to), refreshing it when it expires within a minute. After a
// login with write, the token with studies:write cannot be refreshed: once
// it expires, Token fails with ErrStepUpGone unless readOnly accepts a
// token without it.
func Token(ctx context.Context, o Options, readOnly bool) (string, error) {
	if err := o.defaults(); err != nil {
		return "", err
	}
	f, err := load(o.Path)
	if err != nil {
		return "", err
	}
	key, c, err := site(f, o.URL)
	if err != nil {
		return "", err
	}
	now := o.Now()
	if c.AccessToken != "" && now.Add(time.Minute).Before(c.Expiry) {
		return c.AccessToken, nil
	}
	if c.Write && !readOnly {
		return "", fmt.Errorf("%w: the token with studies:write of %s expired at %s and is never renewed by a refresh; "+
			"run campus login --write %s to enter the password again (or campus token --read-only for a token without it)",
			ErrStepUpGone, key, c.Expiry.Local().Format("15:04"), key)
	}
	if c.RefreshToken == "" {
		return "", fmt.Errorf("the token of %s expired and there is no refresh token: run campus login %s", key, key)
	}
	hc, err := o.client(c.CACert)
	if err != nil {
		return "", err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	cfg := &oauth2.Config{ClientID: c.ClientID, Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: c.RefreshToken}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return "", fmt.Errorf("the sign-in to %s has ended (signed out everywhere, account changed, or too old): run campus login %s", key, key)
		}
		return "", fmt.Errorf("refresh the token of %s: %w", key, err)
	}
	c.set(tok)
	c.Write = false // what is left is the refreshable part
	if err := update(o.Path, func(f *file) { f.Sites[key] = c }); err != nil {
		return "", fmt.Errorf("keep the credentials: %w", err)
	}
	return c.AccessToken, nil
}

// Logout revokes the refresh token at identity (RFC 7009) and the access
// token, and forgets both. Credentials are forgotten even when identity
// cannot be reached; the error says so.
func Logout(ctx context.Context, o Options) (string, error) {
	if err := o.defaults(); err != nil {
		return "", err
	}
	f, err := load(o.Path)
	if err != nil {
		return "", err
	}
	key, c, err := site(f, o.URL)
	if err != nil {
		return "", err
	}
	var revokeErr error
	if c.RevocationURL != "" {
		hc, err := o.client(c.CACert)
		if err != nil {
			return key, err
		}
		for _, t := range []struct{ token, hint string }{{c.RefreshToken, "refresh_token"}, {c.AccessToken, "access_token"}} {
			if t.token != "" {
				revokeErr = errors.Join(revokeErr, revoke(ctx, hc, c, t.token, t.hint))
			}
		}
	}
	if err := update(o.Path, func(f *file) { delete(f.Sites, key) }); err != nil {
		return key, err
	}
	if revokeErr != nil {
		return key, fmt.Errorf("forgot the credentials, but identity did not confirm revoking them: %w", revokeErr)
	}
	return key, nil
}

func revoke(ctx context.Context, hc *http.Client, c Credentials, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {c.ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revocation endpoint: %s", resp.Status)
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
