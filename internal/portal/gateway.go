package portal

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"campus/internal/problem"
	"campus/internal/tokencheck"
)

// The same-origin API gateway: /api/study/... is the study API's /...
// and /api/identity/... identity's, on the portal's own origin, so that a
// page or a program needs one address and no CORS. The caller is a portal
// session (its access token is attached) or an API key (checked at
// identity before anything goes upstream; keys read the study API only).
// Answers stream through unbuffered.

// keyChecker checks API keys at identity's introspection endpoint (found
// by discovery) with the portal's client, remembering answers for at most
// a minute, as the study service does.
type keyChecker struct {
	rp   *relyingParty
	once sync.Mutex
	in   *tokencheck.Introspector
}

var errKeyInactive = errors.New("the API key is not valid: unknown, expired or revoked")

// The gateway's answers: problem details, sentences that start with a
// capital and end with a full stop, saying what to do next.
const (
	gwKeyInactive   = "The API key is not valid: it is unknown, expired or revoked. Create a new one on the portal's API access page."
	gwKeyIdentity   = "API keys read the study API (/api/study/...) only; identity's API needs a portal session or an access token."
	gwKeyUnchecked  = "API keys cannot be checked right now: identity cannot be reached. Try again in a moment."
	gwUpstreamDown  = "The service behind this address did not answer. Try again in a moment."
	gwMisconfigured = "The portal's API gateway is misconfigured; please tell the university's administrators."
	gwSignIn        = "Sign in to the portal, or send an API key (Authorization: Bearer KEY)."
	gwSignInToken   = "Sign in to the portal, or send an access token (Authorization: Bearer TOKEN)."
	gwIdentityDown  = "Your session's token cannot be renewed right now: identity cannot be reached. Try again in half a minute."
	gwSessionEnded  = "Your session has ended; sign in again."
)

func (k *keyChecker) check(ctx context.Context, key string) error {
	k.once.Lock()
	if k.in == nil {
		p, err := k.rp.discover(ctx)
		if err != nil {
			k.once.Unlock()
			return err
		}
		var meta struct {
			Introspection string `json:"introspection_endpoint"`
		}
		if err := p.Claims(&meta); err != nil || meta.Introspection == "" {
			k.once.Unlock()
			return errors.New("identity offers no introspection endpoint")
		}
		k.in = &tokencheck.Introspector{URL: meta.Introspection, ClientID: k.rp.cfg.ClientID, ClientSecret: k.rp.cfg.ClientSecret,
			Client: k.rp.cfg.Client, TTL: time.Minute, Now: k.rp.now}
	}
	in := k.in
	k.once.Unlock()
	_, err := in.Introspect(ctx, key)
	if errors.Is(err, tokencheck.ErrInactive) {
		return errKeyInactive
	}
	return err
}

// proxyBuffers reuses the copy buffers of the gateway's answers.
var proxyBuffers = &bufferPool{sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return *b.p.Get().(*[]byte) }
func (b *bufferPool) Put(v []byte) { b.p.Put(&v) }

// apiKeyOf returns the request's API key, if it carries one.
func apiKeyOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(strings.TrimSpace(tok), "campus_") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if k := r.URL.Query().Get("key"); strings.HasPrefix(k, "campus_") {
		return k
	}
	return ""
}

func gatewayProblem(w http.ResponseWriter, status int, detail string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="campus"`)
	}
	problem.Write(w, problem.Details{Status: status, Detail: detail})
}

// gateway returns the handler for one upstream, mounted at prefix.
func (s *server) gateway(prefix, upstream string, keysAllowed bool) http.Handler {
	target, err := url.Parse(upstream)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimSuffix(target.Path, "/") + strings.TrimPrefix(pr.In.URL.Path, prefix)
			pr.Out.URL.RawPath = ""
			pr.Out.Host = target.Host
			pr.Out.Header.Del("Cookie") // the portal's cookies stay here
			pr.SetXForwarded()
		},
		FlushInterval: 100 * time.Millisecond, // stream: a CSV export passes as it is written
		BufferPool:    proxyBuffers,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.d.Logger.ErrorContext(r.Context(), "API gateway", "path", r.URL.Path, "err", err)
			gatewayProblem(w, http.StatusBadGateway, gwUpstreamDown)
		},
	}
	if s.d.API != nil && s.d.API.Transport != nil {
		proxy.Transport = s.d.API.Transport
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			gatewayProblem(w, http.StatusBadGateway, gwMisconfigured)
			return
		}
		if key := apiKeyOf(r); key != "" {
			if !keysAllowed {
				gatewayProblem(w, http.StatusForbidden, gwKeyIdentity)
				return
			}
			switch err := s.keys.check(r.Context(), key); {
			case errors.Is(err, errKeyInactive):
				gatewayProblem(w, http.StatusUnauthorized, gwKeyInactive)
				return
			case err != nil:
				s.d.Logger.ErrorContext(r.Context(), "API gateway: check a key", "err", err)
				gatewayProblem(w, http.StatusBadGateway, gwKeyUnchecked)
				return
			}
			proxy.ServeHTTP(w, r) // the study service takes the key itself
			return
		}
		if r.Header.Get("Authorization") != "" {
			proxy.ServeHTTP(w, r) // the caller's own token: the API checks it
			return
		}
		sess := s.rp.current(r)
		if sess == nil {
			if keysAllowed {
				gatewayProblem(w, http.StatusUnauthorized, gwSignIn)
			} else {
				gatewayProblem(w, http.StatusUnauthorized, gwSignInToken)
			}
			return
		}
		tok, err := s.rp.accessToken(r.Context(), sess)
		if errors.Is(err, errIdentityDown) {
			w.Header().Set("Retry-After", "30")
			gatewayProblem(w, http.StatusServiceUnavailable, gwIdentityDown)
			return
		}
		if err != nil {
			gatewayProblem(w, http.StatusUnauthorized, gwSessionEnded)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
		proxy.ServeHTTP(w, r)
	})
}
