package main

import (
	"context"
	"fmt"
	"time"

	"campus/internal/config"
	"campus/internal/devicelogin"
)

// loginOptions are the settings of campus login, token and logout; the
// work is internal/devicelogin's.
type loginOptions struct {
	issuer, caCert, credentials string
	write, readOnly             bool
}

func newLoginSet(name, summary string) (*config.Set, *loginOptions) {
	o := &loginOptions{}
	s := config.NewSet(name, summary)
	s.String(&o.credentials, "credentials", "credentials", "CAMPUS_CREDENTIALS", "",
		"The credentials file (default: the user's config directory/campus/credentials.json, mode 0600)")
	switch name {
	case "login":
		s.String(&o.issuer, "issuer", "issuer", "CAMPUS_LOGIN_ISSUER", "", "Identity's issuer URL when identity runs alone (default: URL/idp)")
		s.String(&o.caCert, "ca_cert", "ca-cert", "CAMPUS_CA_CERT", "",
			"PEM file of a certificate to trust besides the system's, e.g. campus serve's self-signed DATA/tls/cert.pem (remembered for token and logout)")
		s.Bool(&o.write, "write", "write", "", "false",
			"Also ask for studies:write (changing the study catalogue): the password is entered again on the verification page, and the token carries it for identity's --step-up-ttl")
	case "token":
		s.Bool(&o.readOnly, "read_only", "read-only", "", "false",
			"After a login with --write whose token expired: refresh to a token without studies:write instead of failing")
	}
	return s, o
}

func (o *loginOptions) options(e env, url string) devicelogin.Options {
	return devicelogin.Options{URL: url, Issuer: o.issuer, CACert: o.caCert, Path: o.credentials, Out: e.stderr, Now: time.Now}
}

func oneURL(s *config.Set) string {
	if a := s.Args(); len(a) > 0 {
		return a[0]
	}
	return ""
}

// runLogin: campus login URL [--write] [--ca-cert FILE] [--issuer URL].
func runLogin(ctx context.Context, e env, args []string) error {
	s, o := newLoginSet("login", "Sign in to a campus for scripts: campus login URL [--write]. Shows a code to approve in the browser "+
		"(OAuth 2.0 device authorization grant) and keeps the tokens for campus token.")
	if err := loadArgs(s, e, args, 1, func() []error {
		if oneURL(s) == "" {
			return []error{fmt.Errorf("give the campus URL: campus login https://campus.uni.example")}
		}
		return nil
	}); err != nil {
		return err
	}
	_, err := devicelogin.Login(ctx, o.options(e, oneURL(s)), o.write)
	return err
}

// runToken: campus token [URL] prints a current access token.
func runToken(ctx context.Context, e env, args []string) error {
	s, o := newLoginSet("token", "Print a current access token of campus login, for Authorization: Bearer: campus token [URL]. "+
		"Refreshes it when it expires within a minute.")
	if err := loadArgs(s, e, args, 1); err != nil {
		return err
	}
	tok, err := devicelogin.Token(ctx, o.options(e, oneURL(s)), o.readOnly)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

// runLogout: campus logout [URL] revokes and forgets the tokens.
func runLogout(ctx context.Context, e env, args []string) error {
	s, o := newLoginSet("logout", "Revoke the tokens of campus login at identity and forget them: campus logout [URL].")
	if err := loadArgs(s, e, args, 1); err != nil {
		return err
	}
	key, err := devicelogin.Logout(ctx, o.options(e, oneURL(s)))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Signed out of %s.\n", key)
	return nil
}
