package identity

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"campus/internal/lazyregexp"
)

// GrantDeviceCode is the OAuth 2.0 Device Authorization Grant's grant type
// (RFC 8628 section 3.4).
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Grant types a client may be registered for.
var GrantTypes = []string{"authorization_code", "refresh_token", "client_credentials", GrantDeviceCode}

// Scopes a client may ask for: OpenID's, one per permission, and the
// service scopes (client credentials only).
var Scopes = func() []string {
	out := []string{"openid", "profile", "email", "offline_access"}
	for _, p := range Permissions() {
		out = append(out, string(p))
	}
	return append(out, ServiceScopes()...)
}()

// IDTokenAlgs are the algorithms a client may choose for its id_tokens.
var IDTokenAlgs = []string{"RS256", "ES256", "EdDSA"}

var clientID = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks a client registration and reports every problem.
func (c *Client) Validate() error {
	var errs []error
	if !clientID.MatchString(c.ID) {
		errs = append(errs, fmt.Errorf("client id %q: use 1-64 letters, digits, '.', '_' or '-'", c.ID))
	}
	if c.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	for _, g := range c.GrantTypes {
		if !slices.Contains(GrantTypes, g) {
			errs = append(errs, fmt.Errorf("grant type %q: want one of %v", g, GrantTypes))
		}
	}
	if len(c.GrantTypes) == 0 {
		errs = append(errs, errors.New("grant types: at least one"))
	}
	if c.Public && slices.Contains(c.GrantTypes, "client_credentials") {
		errs = append(errs, errors.New("a public client cannot use client_credentials: it has no secret"))
	}
	usesCode := slices.Contains(c.GrantTypes, "authorization_code")
	if usesCode && len(c.RedirectURIs) == 0 {
		errs = append(errs, errors.New("redirect URI: at least one for the authorization_code grant"))
	}
	for _, u := range c.RedirectURIs {
		if err := checkRedirect(u, c.Public); err != nil {
			errs = append(errs, fmt.Errorf("redirect URI %q: %v", u, err))
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if err := checkRedirect(u, c.Public); err != nil {
			errs = append(errs, fmt.Errorf("post-logout redirect URI %q: %v", u, err))
		}
	}
	if c.BackchannelLogoutURI != "" {
		if err := checkBackchannel(c.BackchannelLogoutURI); err != nil {
			errs = append(errs, fmt.Errorf("back-channel logout URI %q: %v", c.BackchannelLogoutURI, err))
		}
	}
	for _, s := range c.Scopes {
		if !slices.Contains(Scopes, s) {
			errs = append(errs, fmt.Errorf("scope %q: want one of %v", s, Scopes))
		}
		if slices.Contains(ServiceScopes(), s) && !slices.Contains(c.GrantTypes, "client_credentials") {
			errs = append(errs, fmt.Errorf("scope %q: a service's own scope; only a client with the client_credentials grant may have it", s))
		}
	}
	if c.Name != "" {
		if err := CheckPlainText(c.Name, MaxDisplayName); err != nil {
			errs = append(errs, fmt.Errorf("name: %w", err))
		}
	}
	if err := c.DisplayNames.Validate("display_name", MaxDisplayName); err != nil {
		errs = append(errs, err)
	}
	for l, n := range c.DisplayNames {
		if strings.Contains(n, "\n") {
			errs = append(errs, fmt.Errorf("display_name (%s): one line, please", l))
		}
	}
	if err := c.WelcomeTexts.Validate("welcome_text", MaxWelcomeText); err != nil {
		errs = append(errs, err)
	}
	if c.IDTokenAlg == "" {
		c.IDTokenAlg = "RS256"
	}
	if !slices.Contains(IDTokenAlgs, c.IDTokenAlg) {
		errs = append(errs, fmt.Errorf("id_token algorithm %q: want one of %v", c.IDTokenAlg, IDTokenAlgs))
	}
	return errors.Join(errs...)
}

// checkRedirect accepts https, plain http only to a loopback address
// (RFC 8252 section 7.3), and for public (native) clients a private-use
// scheme (section 7.1). Fragments are never allowed (RFC 6749 3.1.2).
func checkRedirect(s string, public bool) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return errors.New("not an absolute URL")
	}
	if u.Fragment != "" || u.User != nil {
		return errors.New("must not have a fragment or user info")
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return errors.New("no host")
		}
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("plain http only to 127.0.0.1, [::1] or localhost")
	default:
		if public && len(u.Scheme) > 3 && !slices.Contains([]string{"javascript", "data", "file", "vbscript"}, u.Scheme) {
			return nil
		}
		return errors.New("want https:// (or a private-use scheme for a public native app)")
	}
}

// checkBackchannel accepts https, and plain http only on loopback
// (development and tests).
func checkBackchannel(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.Fragment != "" {
		return errors.New("must not have a fragment")
	}
	if u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil
	}
	return errors.New("want https:// (plain http only to a loopback address)")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
