package portal

import (
	"net/http"
	"strings"
)

// An API's 401 says in WWW-Authenticate why it refused. Most 401s mean
// the token is no good (the person is signed out), but the study API may
// also answer a valid token whose sign-in lacked a second factor with
// RFC 9470's step-up challenge, which the portal tells apart so that the
// person is asked for a second factor instead of being signed out.

// authChallenge is one challenge of a WWW-Authenticate field (RFC 9110
// section 11.6.1): its scheme, and either a token68 or auth-params
// (names lower-cased, values unquoted).
type authChallenge struct {
	Scheme  string
	Token68 string
	Params  map[string]string
}

// parseChallenges reads the challenges of every WWW-Authenticate field of
// h. The grammar (RFC 9110 sections 11.6.1, 11.2, 5.6.2 to 5.6.4):
//
//	WWW-Authenticate = #challenge
//	challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param       = token BWS "=" BWS ( token / quoted-string )
//	token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// A challenge broken off by a syntax error ends the list: what was read
// before it stands, nothing after it is guessed at. A parameter named
// twice keeps its first value.
func parseChallenges(h http.Header) []authChallenge {
	var out []authChallenge
	for _, field := range h.Values("WWW-Authenticate") {
		p := challengeParser{s: field}
		out = append(out, p.challenges()...)
	}
	return out
}

type challengeParser struct {
	s string
	i int
}

func (p *challengeParser) challenges() []authChallenge {
	var out []authChallenge
	for {
		p.skipListSeparators()
		if p.i >= len(p.s) {
			return out
		}
		scheme := p.token()
		if scheme == "" {
			return out
		}
		c := authChallenge{Scheme: scheme}
		// The scheme is followed by at least one space before its
		// token68 or parameters, else by the list's comma or the end.
		spaced := p.skipSpace()
		if !spaced && p.i < len(p.s) && p.s[p.i] != ',' {
			return out
		}
		if spaced && p.i < len(p.s) && p.s[p.i] != ',' {
			if t, ok := p.token68(); ok {
				c.Token68 = t
			} else if !p.params(&c) {
				return out
			}
		}
		out = append(out, c)
	}
}

// token68 reads a token68 when one stands here: its characters, then
// only "=" padding, then the end, a comma or whitespace. Otherwise it
// reads nothing.
func (p *challengeParser) token68() (string, bool) {
	j := p.i
	for j < len(p.s) && isToken68Char(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", false
	}
	k := j
	for k < len(p.s) && p.s[k] == '=' {
		k++
	}
	// "name=value" is an auth-param, not a token68 with padding.
	end := k
	for end < len(p.s) && (p.s[end] == ' ' || p.s[end] == '\t') {
		end++
	}
	if end < len(p.s) && p.s[end] != ',' {
		return "", false
	}
	t := p.s[p.i:k]
	p.i = end
	return t, true
}

// params reads the comma-separated auth-params of c, stopping before the
// next challenge (a token not followed by "="); false on a syntax error.
func (p *challengeParser) params(c *authChallenge) bool {
	c.Params = map[string]string{}
	for first := true; ; first = false {
		start := p.i
		name := p.token()
		if name == "" {
			return false
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			if first { // neither a token68 nor a parameter
				return false
			}
			// Not a parameter: the scheme of the next challenge.
			p.i = start
			return true
		}
		p.i++
		p.skipSpace()
		var value string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			v, ok := p.quoted()
			if !ok {
				return false
			}
			value = v
		} else if value = p.token(); value == "" {
			return false
		}
		name = strings.ToLower(name)
		if _, seen := c.Params[name]; !seen {
			c.Params[name] = value
		}
		p.skipSpace()
		if p.i >= len(p.s) {
			return true
		}
		if p.s[p.i] != ',' {
			return false
		}
		p.skipListSeparators()
		if p.i >= len(p.s) {
			return true
		}
	}
}

// quoted reads a quoted-string and returns its value, quoted-pairs
// undone (RFC 9110 section 5.6.4).
func (p *challengeParser) quoted() (string, bool) {
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			p.i = j + 1
			return b.String(), true
		case c == '\\':
			if j+1 == len(p.s) {
				return "", false
			}
			j++
			b.WriteByte(p.s[j])
		case c == '\t' || c >= 0x20 && c != 0x7f:
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return "", false // no closing quote
}

func (p *challengeParser) token() string {
	j := p.i
	for j < len(p.s) && isTokenChar(p.s[j]) {
		j++
	}
	t := p.s[p.i:j]
	p.i = j
	return t
}

// skipSpace skips optional whitespace and reports whether there was any.
func (p *challengeParser) skipSpace() bool {
	j := p.i
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
	return p.i > j
}

// skipListSeparators skips whitespace and the empty elements a list may
// have (RFC 9110 section 5.6.1).
func (p *challengeParser) skipListSeparators() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

// isTokenChar is tchar (RFC 9110 section 5.6.2).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

// insufficientUserAuthentication is RFC 9470 section 3's error code: the
// token is valid, but its sign-in was not strong enough.
const insufficientUserAuthentication = "insufficient_user_authentication"

// stepUp is an RFC 9470 step-up challenge: what the API said, and the
// authentication context classes a new token must satisfy.
type stepUp struct {
	Description string
	ACRValues   string
}

// stepUpOf finds a Bearer challenge with error
// insufficient_user_authentication among h's WWW-Authenticate fields.
func stepUpOf(h http.Header) (stepUp, bool) {
	for _, c := range parseChallenges(h) {
		if strings.EqualFold(c.Scheme, "Bearer") && c.Params["error"] == insufficientUserAuthentication {
			return stepUp{Description: c.Params["error_description"], ACRValues: c.Params["acr_values"]}, true
		}
	}
	return stepUp{}, false
}
