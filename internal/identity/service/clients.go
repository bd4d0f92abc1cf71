package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	identitystore "campus/internal/identity/store"
)

// ClientSpec is an application declared in the config file:
//
//	identity:
//	  clients:
//	    - id: wiki
//	      name: University Wiki
//	      redirect_uris: [https://wiki.uni.example/oidc/callback]
//	      first_party: true
type ClientSpec struct {
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
	// DisplayName and WelcomeText are the sign-in page's texts when this
	// client starts the sign-in, per language: {en: ..., de: ...}.
	DisplayName identity.Texts `yaml:"display_name"`
	WelcomeText identity.Texts `yaml:"welcome_text"`
}

func (c ClientSpec) client() identity.Client {
	cl := identity.Client{ID: c.ID, Name: c.Name, Public: c.Public, FirstParty: c.FirstParty, RedirectURIs: c.RedirectURIs,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, BackchannelLogoutURI: c.BackchannelLogoutURI,
		GrantTypes: c.GrantTypes, Scopes: c.Scopes, IDTokenAlg: c.IDTokenAlg, Source: "config",
		DisplayNames: c.DisplayName.Clean(), WelcomeTexts: c.WelcomeText.Clean()}
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

// ValidateClientSpecs reports every problem of the declared clients.
func ValidateClientSpecs(specs []ClientSpec) []error {
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
func syncConfigClients(ctx context.Context, w io.Writer, st *identitystore.Store, specs []ClientSpec) error {
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

// AddClient registers an application on behalf of actor: a confidential
// one gets a generated secret, returned here and stored only as a hash.
// The change is recorded in the audit trail.
func AddClient(ctx context.Context, st *identitystore.Store, c identity.Client, actor string) (created identity.Client, secret string, err error) {
	if !c.Public {
		secret = oidcop.NewToken()
		c.SecretHash = oidcop.HashToken(secret)
	}
	c.Source = "db"
	created, err = st.CreateClient(ctx, c)
	if errors.Is(err, identity.ErrConflict) {
		return identity.Client{}, "", fmt.Errorf("a client with id %q exists already (campus clients remove %s first)", c.ID, c.ID)
	}
	if err != nil {
		return identity.Client{}, "", err
	}
	auditClient(ctx, st, "client_added", c.ID, actor)
	return created, secret, nil
}

// RemoveClient removes an application and its tokens on behalf of actor,
// and records it in the audit trail.
func RemoveClient(ctx context.Context, st *identitystore.Store, id, actor string) error {
	if err := st.DeleteClient(ctx, id); errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("no client %q", id)
	} else if err != nil {
		return err
	}
	auditClient(ctx, st, "client_removed", id, actor)
	return nil
}

// auditClient records a client change in the audit trail; a failure to
// record does not undo the change, but is reported.
func auditClient(ctx context.Context, st *identitystore.Store, action, clientID, actor string) {
	if err := st.RecordEvent(ctx, identity.AuditEvent{Action: action, Outcome: identity.OutcomeSuccess, Actor: actor, Target: clientID, ClientID: clientID}); err != nil {
		fmt.Fprintln(os.Stderr, "campus: could not record the change in the audit trail:", err)
	}
}

// The clients of campus's own services at identity, in all-in-one mode.
const (
	PortalClientID   = "campus-portal"
	StudyClientID    = "campus-study"
	MessagesClientID = "campus-messages"
	CLIClientID      = "campus-cli"
)

// CLIClient is the client of `campus login` and `campus token`: a public
// client (a command has no secret to keep) that uses the device
// authorization grant (RFC 8628) and refresh tokens, registered on every
// identity. Its scopes are those a script of the study API needs: the
// step-up studies:write (granted only after the password was entered on
// the verification page, for --step-up-ttl, never renewed by a refresh),
// the grades, and the messages (a script reading or posting one's own
// messages). Identity's own admin API (users:*, roles:write) stays
// with the portal: a credentials file on a laptop, refreshed for 14 days,
// should not be able to change accounts and roles. identity grants each
// person only the scopes of their roles.
func CLIClient() identity.Client {
	return identity.Client{ID: CLIClientID, Name: "campus command line (campus login)", Public: true, FirstParty: true,
		GrantTypes: []string{identity.GrantDeviceCode, "refresh_token"},
		Scopes: []string{"openid", "profile", "offline_access", string(identity.PermStudiesWrite),
			string(identity.PermGradesRead), string(identity.PermGradesWrite),
			string(identity.PermMessagesRead), string(identity.PermMessagesWrite)},
		IDTokenAlg: "RS256", Source: "builtin"}
}

// derivedSecret derives a built-in client's secret from identity's secret,
// so that the parts of an all-in-one process agree without storing it.
func derivedSecret(secret []byte, clientID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(clientID + " client secret"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// studyClient lets the study service introspect API keys and, with a
// client-credentials token of scope grades:read (the scope the study
// service's subjects checker asks for), ask identity's people endpoint
// whether a subject it is to enrol exists; with messages:notify it posts
// notices (a grade published) to the messages service.
func studyClient(secret []byte) identity.Client {
	c := StudyClient()
	c.SecretHash, c.Source = oidcop.HashToken(derivedSecret(secret, StudyClientID)), "builtin"
	return c
}

// StudyClient is the study service's client as all-in-one mode registers
// it, without a secret: `campus clients add --study` registers the same
// for a study service running apart.
func StudyClient() identity.Client {
	return identity.Client{ID: StudyClientID, Name: "campus study service", FirstParty: true,
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"grades:read", identity.ScopeMessagesNotify}, IDTokenAlg: "RS256"}
}

// messagesClient lets the messages service introspect API keys, name and
// find people (people:read), mail them digests (mail:send) and read the
// study service's rosters (rosters:read), all as itself.
func messagesClient(secret []byte) identity.Client {
	c := MessagesClient()
	c.SecretHash, c.Source = oidcop.HashToken(derivedSecret(secret, MessagesClientID)), "builtin"
	return c
}

// MessagesClient is the messages service's client as all-in-one mode
// registers it, without a secret: `campus clients add --messages`
// registers the same for a messages service running apart.
func MessagesClient() identity.Client {
	return identity.Client{ID: MessagesClientID, Name: "campus messages service", FirstParty: true,
		GrantTypes: []string{"client_credentials"},
		Scopes:     []string{identity.ScopePeopleRead, identity.ScopeMailSend, identity.ScopeRostersRead}, IDTokenAlg: "RS256"}
}

func portalClient(origin string, secret []byte) identity.Client {
	c := PortalClient(origin)
	c.SecretHash, c.Source = oidcop.HashToken(derivedSecret(secret, PortalClientID)), "builtin"
	return c
}

// PortalClient is the portal's client as all-in-one mode registers it for
// the portal at origin (its public URL), without a secret:
// sign-in returns to /auth/callback, sign-out to /, logout tokens go to
// /auth/backchannel-logout, and the portal may ask for every permission's
// scope (identity grants those the person's roles allow, which the admin
// pages need). `campus clients add --portal` registers the same for a
// portal running apart.
func PortalClient(origin string) identity.Client {
	origin = strings.TrimSuffix(origin, "/")
	return identity.Client{
		ID:                     PortalClientID,
		Name:                   "campus portal",
		FirstParty:             true,
		RedirectURIs:           []string{origin + "/auth/callback"},
		PostLogoutRedirectURIs: []string{origin + "/"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		Scopes:                 permissionScopes(),
		BackchannelLogoutURI:   origin + "/auth/backchannel-logout",
		IDTokenAlg:             "RS256",
	}
}

// permissionScopes are the scopes of every permission: the portal may ask
// for each; identity grants those the person's roles allow.
func permissionScopes() []string {
	var out []string
	for _, p := range identity.Permissions() {
		out = append(out, string(p))
	}
	return out
}
