package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	identitystore "campus/internal/identity/store"
)

// clientSpec is an application declared in the config file:
//
//	identity:
//	  clients:
//	    - id: wiki
//	      name: University Wiki
//	      redirect_uris: [https://wiki.uni.example/oidc/callback]
//	      first_party: true
type clientSpec struct {
	ID                     string   `yaml:"id"`
	Name                   string   `yaml:"name"`
	Public                 bool     `yaml:"public"`
	FirstParty             bool     `yaml:"first_party"`
	RedirectURIs           []string `yaml:"redirect_uris"`
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris"`
	BackchannelLogoutURI   string   `yaml:"backchannel_logout_uri"`
	GrantTypes             []string `yaml:"grant_types"`
	Scopes                 []string `yaml:"scopes"`
	IDTokenAlg             string   `yaml:"id_token_alg"`
}

func (c clientSpec) client() identity.Client {
	cl := identity.Client{ID: c.ID, Name: c.Name, Public: c.Public, FirstParty: c.FirstParty, RedirectURIs: c.RedirectURIs,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, BackchannelLogoutURI: c.BackchannelLogoutURI,
		GrantTypes: c.GrantTypes, Scopes: c.Scopes, IDTokenAlg: c.IDTokenAlg, Source: "config"}
	if cl.Name == "" {
		cl.Name = cl.ID
	}
	if len(cl.GrantTypes) == 0 {
		cl.GrantTypes = []string{"authorization_code", "refresh_token"}
	}
	if len(cl.Scopes) == 0 {
		cl.Scopes = []string{"openid", "profile", "email", "offline_access"}
	}
	return cl
}

func validateClientSpecs(specs []clientSpec) []error {
	var errs []error
	seen := map[string]bool{}
	for i, s := range specs {
		c := s.client()
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("identity.clients[%d] (%s): %w", i, s.ID, err))
		}
		if seen[s.ID] {
			errs = append(errs, fmt.Errorf("identity.clients[%d]: client id %q is declared twice", i, s.ID))
		}
		seen[s.ID] = true
	}
	return errs
}

// syncConfigClients makes the clients declared in the config file exist
// as declared: new ones are created (a confidential one gets a secret,
// shown once on w), changed ones updated with their secret kept, and
// clients that came from the file but are no longer in it removed. A
// client registered with `campus clients add` is never taken over.
func syncConfigClients(ctx context.Context, w io.Writer, st *identitystore.Store, specs []clientSpec) error {
	declared := map[string]bool{}
	for _, s := range specs {
		c := s.client()
		declared[c.ID] = true
		existing, err := st.Client(ctx, c.ID)
		switch {
		case errors.Is(err, identity.ErrNotFound):
		case err != nil:
			return err
		case existing.Source != "config":
			return fmt.Errorf("client %q is declared in the config file but was registered with 'campus clients add'; remove one of them", c.ID)
		}
		if !c.Public && existing.SecretHash == "" {
			secret := oidcop.NewToken()
			c.SecretHash = oidcop.HashToken(secret)
			fmt.Fprintf(w, "\n  campus generated the secret of client %q (from the config file):\n    client_secret: %s\n  It is shown only this once: put it in the application's configuration now.\n\n", c.ID, secret)
		}
		if err := st.PutClient(ctx, c); err != nil {
			return fmt.Errorf("client %q from the config file: %w", c.ID, err)
		}
		if existing.ID == "" {
			auditClient(ctx, st, "client_added", c.ID, "config file")
		}
	}
	all, err := st.Clients(ctx)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Source == "config" && !declared[c.ID] {
			if err := st.DeleteClient(ctx, c.ID); err != nil {
				return err
			}
			auditClient(ctx, st, "client_removed", c.ID, "config file")
		}
	}
	return nil
}
