package tokencheck

import (
	"context"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientCredentials makes token sources for a service's own client at
// identity (the client credentials grant, RFC 6749 section 4.4, with the
// secret in the Authorization header, section 2.3.1), asking for scope.
// Each call of the returned function starts a new source, to replace one
// whose token a server refused. The sources outlive requests: they use
// client (nil: the default transport) under a timeout of their own rather
// than a request's context.
func ClientCredentials(issuer, clientID, clientSecret, scope string, client *http.Client) func() oauth2.TokenSource {
	hc := &http.Client{Timeout: 10 * time.Second}
	if client != nil {
		cp := *client
		cp.Timeout = 10 * time.Second
		hc = &cp
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	cc := clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: strings.TrimSuffix(issuer, "/") + "/oauth/token",
		Scopes: []string{scope}, AuthStyle: oauth2.AuthStyleInHeader}
	return func() oauth2.TokenSource { return cc.TokenSource(ctx) }
}
