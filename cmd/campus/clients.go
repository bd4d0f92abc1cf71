package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"campus/internal/config"
	"campus/internal/identity"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// clientsConfig are the settings of `campus clients ...`: where identity's
// database is, and for add the registration.
type clientsConfig struct {
	identityDB *identityDB
	json       bool
	c          identity.Client
	// texts are the sign-in page's texts of the client, per language.
	texts clientTexts
	// portal, study and messages register campus's own services' clients
	// as all-in-one mode does, for services running apart.
	portal   string
	study    bool
	messages bool
}

// clientSettings are the keys of the settings that describe a client by
// hand; --portal, --study and --messages describe it themselves.
var clientSettings = []struct{ key, flag string }{
	{"client.id", "--id"}, {"client.name", "--name"}, {"client.public", "--public"},
	{"client.redirect_uris", "--redirect-uri"}, {"client.post_logout_redirect_uris", "--post-logout-redirect-uri"},
	{"client.backchannel_logout_uri", "--backchannel-logout-uri"}, {"client.grant_types", "--grant-type"},
	{"client.scopes", "--scope"}, {"client.first_party", "--first-party"}, {"client.id_token_alg", "--id-token-alg"},
	{"client.display_name_de", "--display-name-de"}, {"client.welcome_text", "--welcome-text"}, {"client.welcome_text_de", "--welcome-text-de"},
}

// clientTexts are what `campus clients add` takes of the sign-in page's
// texts: --name is the English (and every language's default) name.
type clientTexts struct{ nameDE, welcome, welcomeDE string }

// apply puts the texts into the client, dropping empty ones.
func (t clientTexts) apply(c *identity.Client) {
	c.DisplayNames = identity.Texts{"de": t.nameDE}.Clean()
	c.WelcomeTexts = identity.Texts{"en": t.welcome, "de": t.welcomeDE}.Clean()
}

func newClientsConfig(sub string) (*clientsConfig, *config.Set) {
	c := &clientsConfig{}
	summary := map[string]string{
		"add": "Register an application (OAuth client). A confidential client gets a generated secret, shown once. " +
			"When the services run apart, 'campus clients add --portal https://PORTAL', 'campus clients add --study' and 'campus clients add --messages' register " +
			"the portal's, the study service's and the messages service's clients exactly as 'campus serve' does, and print the settings to run them with.",
		"list":   "List the registered applications.",
		"show":   "Show one application: campus clients show ID",
		"remove": "Remove an application and its tokens: campus clients remove ID",
	}[sub]
	s := config.NewSet("clients "+sub, summary+" Works on the same --data/--identity-db as serve, also while it runs.")
	c.identityDB = registerIdentityDB(s)
	s.Bool(&c.json, "clients.json", "json", "CAMPUS_CLIENTS_JSON", "false", "Print JSON")
	if sub == "add" {
		s.String(&c.c.ID, "client.id", "id", "CAMPUS_CLIENT_ID", "", "Client id (required)")
		s.String(&c.c.Name, "client.name", "name", "CAMPUS_CLIENT_NAME", "", "Name shown on sign-in and consent pages (default: the id)")
		s.Bool(&c.c.Public, "client.public", "public", "CAMPUS_CLIENT_PUBLIC", "false", "A public client (browser or native app): no secret, PKCE with S256 required")
		s.StringList(&c.c.RedirectURIs, "client.redirect_uris", "redirect-uri", "CAMPUS_CLIENT_REDIRECT_URIS", "", "Redirect URI, matched exactly (repeatable)")
		s.StringList(&c.c.PostLogoutRedirectURIs, "client.post_logout_redirect_uris", "post-logout-redirect-uri", "CAMPUS_CLIENT_POST_LOGOUT_REDIRECT_URIS", "", "Where a logout may return to, matched exactly (repeatable)")
		s.String(&c.c.BackchannelLogoutURI, "client.backchannel_logout_uri", "backchannel-logout-uri", "CAMPUS_CLIENT_BACKCHANNEL_LOGOUT_URI", "", "URL that receives logout tokens (OIDC Back-Channel Logout)")
		s.StringList(&c.c.GrantTypes, "client.grant_types", "grant-type", "CAMPUS_CLIENT_GRANT_TYPES", "authorization_code,refresh_token", "Grant types: authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code (repeatable)")
		s.StringList(&c.c.Scopes, "client.scopes", "scope", "CAMPUS_CLIENT_SCOPES", "openid,profile,email,offline_access", "Scopes the client may ask for (repeatable)")
		s.Bool(&c.c.FirstParty, "client.first_party", "first-party", "CAMPUS_CLIENT_FIRST_PARTY", "false", "A university application: skips the consent page")
		s.String(&c.c.IDTokenAlg, "client.id_token_alg", "id-token-alg", "CAMPUS_CLIENT_ID_TOKEN_ALG", "RS256", "id_token signing algorithm: RS256, ES256 or EdDSA")
		s.String(&c.texts.nameDE, "client.display_name_de", "display-name-de", "CAMPUS_CLIENT_DISPLAY_NAME_DE", "",
			"Name shown on German sign-in pages (default: --name)")
		s.String(&c.texts.welcome, "client.welcome_text", "welcome-text", "CAMPUS_CLIENT_WELCOME_TEXT", "",
			"Welcome text of the sign-in page this application starts, in English (default: identity's --welcome-text); plain text",
			config.Variants(map[string]string{"en": "", "de": "client.welcome_text_de"}))
		s.String(&c.texts.welcomeDE, "client.welcome_text_de", "welcome-text-de", "CAMPUS_CLIENT_WELCOME_TEXT_DE", "",
			"Its welcome text in German (default: identity's --welcome-text-de)")
		s.String(&c.portal, "clients.portal", "portal", "", "",
			"Register the client of the portal running apart at this public URL (its --public-url, e.g. https://campus.uni.example): "+
				"id "+identityservice.PortalClientID+", first party, sign-in returning to URL/auth/callback, sign-out to URL/, "+
				"logout tokens to URL/auth/backchannel-logout, every permission's scope; prints the portal's settings")
		s.Bool(&c.study, "clients.study", "study", "", "false",
			"Register the client of the study service running apart: id "+identityservice.StudyClientID+", client_credentials, scopes grades:read messages:notify "+
				"(introspecting API keys, checking people before enrolling them, sending notices); prints the study service's settings")
		s.Bool(&c.messages, "clients.messages", "messages", "", "false",
			"Register the client of the messages service running apart: id "+identityservice.MessagesClientID+", client_credentials, scopes people:read mail:send rosters:read "+
				"(introspecting API keys, naming and finding people, mailing digests, reading the study service's rosters); prints the messages service's settings")
	}
	return c, s
}

func runClients(ctx context.Context, e env, args []string) error {
	sub, args, done, err := subcommand(e, "clients", args, "Usage: campus clients add|list|show|remove [flags]\n\nManage the applications that sign in through identity. 'campus clients SUB --help' for the flags.",
		"add", "list", "show", "remove")
	if done {
		return err
	}
	c, s := newClientsConfig(sub)
	nargs := 0
	if sub == "show" || sub == "remove" {
		nargs = 1
	}
	validate := func() []error {
		errs := c.identityDB.validate()
		if nargs == 1 && len(s.Args()) != 1 {
			errs = append(errs, fmt.Errorf("give the client id: campus clients %s ID", sub))
		}
		if sub == "add" && c.isBuiltin() {
			return c.builtin(s)
		}
		if sub == "add" {
			if c.c.Name == "" {
				c.c.Name = c.c.ID
			}
			c.texts.apply(&c.c)
			if err := c.c.Validate(); err != nil {
				errs = append(errs, err)
			}
		}
		return errs
	}
	if err := loadArgs(s, e, args, nargs, validate); err != nil {
		return err
	}
	st, closeDB, err := c.identityDB.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()

	switch sub {
	case "add":
		if c.isBuiltin() {
			return clientsAddBuiltin(ctx, e.stdout, st, c.c, c.json)
		}
		return clientsAdd(ctx, e.stdout, st, c.c, c.json)
	case "list":
		cs, err := st.Clients(ctx)
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(e.stdout, clientViews(cs))
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tTYPE\tGRANTS\tSOURCE")
		for _, cl := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Name, clientType(cl), strings.Join(cl.GrantTypes, ","), cl.Source)
		}
		return tw.Flush()
	case "show":
		cl, err := st.Client(ctx, s.Args()[0])
		if errors.Is(err, identity.ErrNotFound) {
			return fmt.Errorf("no client %q", s.Args()[0])
		}
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(e.stdout, clientViews([]identity.Client{cl})[0])
		}
		printClient(e.stdout, cl, "")
		return nil
	default: // remove
		if err := identityservice.RemoveClient(ctx, st, s.Args()[0], "campus clients remove"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Removed client %q and its tokens.\n", s.Args()[0])
		return nil
	}
}

func clientsAdd(ctx context.Context, w io.Writer, st *identitystore.Store, c identity.Client, asJSON bool) error {
	created, secret, err := identityservice.AddClient(ctx, st, c, "campus clients add")
	if err != nil {
		return err
	}
	if asJSON {
		v := clientViews([]identity.Client{created})[0]
		v.Secret = secret
		return writeJSON(w, v)
	}
	fmt.Fprintf(w, "Client %q created.\n", c.ID)
	printClient(w, created, secret)
	return nil
}

// isBuiltin tells whether add registers one of campus's own services.
func (c *clientsConfig) isBuiltin() bool { return c.portal != "" || c.study || c.messages }

// builtin replaces the client by the portal's, the study service's or the
// messages service's as all-in-one mode registers it, and reports the
// settings that would make it differ.
func (c *clientsConfig) builtin(s *config.Set) []error {
	var errs []error
	n := 0
	for _, on := range []bool{c.portal != "", c.study, c.messages} {
		if on {
			n++
		}
	}
	if n > 1 {
		errs = append(errs, errors.New("--portal, --study and --messages register one client each: run 'campus clients add' once for each"))
	}
	for _, cs := range clientSettings {
		if src := s.Source(cs.key); src != "default" && src != "" {
			errs = append(errs, fmt.Errorf("%s: --portal, --study and --messages register the client as 'campus serve' does; leave %s out", cs.flag, cs.flag))
		}
	}
	if c.portal != "" {
		if err := checkServiceURL(c.portal); err != nil {
			return append(errs, fmt.Errorf("--portal %q: %v (want the portal's --public-url)", c.portal, err))
		}
		c.c = identityservice.PortalClient(c.portal)
	} else if c.messages {
		c.c = identityservice.MessagesClient()
	} else {
		c.c = identityservice.StudyClient()
	}
	if err := c.c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// clientsAddBuiltin registers the portal's or the study service's client
// and prints the settings of the service that uses it.
func clientsAddBuiltin(ctx context.Context, w io.Writer, st *identitystore.Store, c identity.Client, asJSON bool) error {
	created, secret, err := identityservice.AddClient(ctx, st, c, "campus clients add")
	if err != nil {
		return err
	}
	settings := serviceSettings(created, secret)
	if asJSON {
		v := clientViews([]identity.Client{created})[0]
		v.Secret, v.Settings = secret, map[string]string{}
		for _, kv := range settings {
			v.Settings[kv[0]] = kv[1]
		}
		return writeJSON(w, v)
	}
	fmt.Fprintf(w, "Client %q created.\n", c.ID)
	printClient(w, created, secret)
	if c.ID == identityservice.PortalClientID {
		origin := strings.TrimSuffix(c.PostLogoutRedirectURIs[0], "/")
		fmt.Fprintf(w, "\nRun the portal with these settings, the same on every replica:\n\n")
		for _, kv := range settings {
			fmt.Fprintf(w, "  %s=%s\n", kv[0], kv[1])
		}
		fmt.Fprintf(w, "  CAMPUS_PORTAL_SESSION_KEY=...   (32 random bytes, base64: openssl rand -base64 32; once, for every replica)\n")
		fmt.Fprintf(w, "\n  campus portal --public-url %s --issuer IDENTITY-ISSUER --study-url STUDY-URL [--ca-file CA.pem]\n", origin)
		fmt.Fprintf(w, "\nThe portal's --public-url must be %s exactly: identity sends people back there.\n", origin)
		fmt.Fprintln(w, "Identity delivers logout tokens to the portal: if the portal's certificate comes from a private CA,")
		fmt.Fprintln(w, "run identity with --ca-file (CAMPUS_CA_FILE) naming that CA.")
		return nil
	}
	if c.ID == identityservice.MessagesClientID {
		fmt.Fprintf(w, "\nRun the messages service with these settings, the same on every replica:\n\n")
		for _, kv := range settings {
			fmt.Fprintf(w, "  %s=%s\n", kv[0], kv[1])
		}
		fmt.Fprintf(w, "\n  campus messages --issuer IDENTITY-ISSUER --study-url STUDY-URL [--ca-file CA.pem]\n")
		return nil
	}
	fmt.Fprintf(w, "\nRun the study service with these settings, the same on every replica:\n\n")
	for _, kv := range settings {
		fmt.Fprintf(w, "  %s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(w, "\n  campus study --issuer IDENTITY-ISSUER [--ca-file CA.pem]\n")
	return nil
}

// serviceSettings are the environment variables that give the portal,
// the study service or the messages service its client.
func serviceSettings(c identity.Client, secret string) [][2]string {
	switch c.ID {
	case identityservice.PortalClientID:
		return [][2]string{{"CAMPUS_PORTAL_CLIENT_ID", c.ID}, {"CAMPUS_PORTAL_CLIENT_SECRET", secret}}
	case identityservice.MessagesClientID:
		return [][2]string{{"CAMPUS_MESSAGES_CLIENT_ID", c.ID}, {"CAMPUS_MESSAGES_CLIENT_SECRET", secret}}
	}
	return [][2]string{{"CAMPUS_STUDY_CLIENT_ID", c.ID}, {"CAMPUS_STUDY_CLIENT_SECRET", secret}}
}

type clientView struct {
	ID                     string         `json:"client_id"`
	Secret                 string         `json:"client_secret,omitempty"`
	Name                   string         `json:"name"`
	Type                   string         `json:"type"`
	FirstParty             bool           `json:"first_party"`
	RedirectURIs           []string       `json:"redirect_uris"`
	PostLogoutRedirectURIs []string       `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI   string         `json:"backchannel_logout_uri,omitempty"`
	GrantTypes             []string       `json:"grant_types"`
	Scopes                 []string       `json:"scopes"`
	IDTokenAlg             string         `json:"id_token_signed_response_alg"`
	DisplayNames           identity.Texts `json:"display_names,omitempty"`
	WelcomeTexts           identity.Texts `json:"welcome_texts,omitempty"`
	Source                 string         `json:"source"`
	CreatedAt              time.Time      `json:"created_at"`
	// Settings are, after --portal, --study or --messages, the
	// environment variables that give the service its client.
	Settings map[string]string `json:"settings,omitempty"`
}

func clientViews(cs []identity.Client) []clientView {
	out := make([]clientView, 0, len(cs))
	for _, c := range cs {
		out = append(out, clientView{ID: c.ID, Name: c.Name, Type: clientType(c), FirstParty: c.FirstParty,
			RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
			BackchannelLogoutURI: c.BackchannelLogoutURI, GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes),
			IDTokenAlg: c.IDTokenAlg, Source: c.Source, CreatedAt: c.CreatedAt, DisplayNames: c.DisplayNames, WelcomeTexts: c.WelcomeTexts})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func clientType(c identity.Client) string {
	if c.Public {
		return "public"
	}
	return "confidential"
}

func printClient(w io.Writer, c identity.Client, secret string) {
	fmt.Fprintf(w, "  client_id:      %s\n", c.ID)
	if secret != "" {
		fmt.Fprintf(w, "  client_secret:  %s\n", secret)
		fmt.Fprintln(w, "                  (shown only this once: put it in the application's configuration now)")
	}
	fmt.Fprintf(w, "  name:           %s\n", c.Name)
	fmt.Fprintf(w, "  type:           %s%s\n", clientType(c), map[bool]string{true: ", first party (no consent page)", false: ""}[c.FirstParty])
	fmt.Fprintf(w, "  grant types:    %s\n", strings.Join(c.GrantTypes, ", "))
	fmt.Fprintf(w, "  scopes:         %s\n", strings.Join(c.Scopes, " "))
	for _, u := range c.RedirectURIs {
		fmt.Fprintf(w, "  redirect URI:   %s\n", u)
	}
	for _, u := range c.PostLogoutRedirectURIs {
		fmt.Fprintf(w, "  after logout:   %s\n", u)
	}
	if c.BackchannelLogoutURI != "" {
		fmt.Fprintf(w, "  logout tokens:  %s\n", c.BackchannelLogoutURI)
	}
	fmt.Fprintf(w, "  id_token alg:   %s\n", c.IDTokenAlg)
	for _, l := range identity.TextLangs {
		if n := c.DisplayNames.In(l); n != "" {
			fmt.Fprintf(w, "  name (%s):      %s\n", l, n)
		}
		if t := c.WelcomeTexts.In(l); t != "" {
			fmt.Fprintf(w, "  welcome (%s):   %s\n", l, strings.ReplaceAll(t, "\n", " / "))
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
