package identity

import (
	"errors"
	"time"
)

// ErrTokenReused means a refresh token or authorization code was presented
// a second time; everything issued from it has been revoked.
var ErrTokenReused = errors.New("token reused")

// Client is an application that signs its users in through identity.
type Client struct {
	ID                     string
	Name                   string
	SecretHash             string // "" for public clients
	Public                 bool
	FirstParty             bool // skips consent
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Scopes                 []string // scopes it may ask for
	BackchannelLogoutURI   string
	IDTokenAlg             string // RS256 (default), ES256 or EdDSA
	// DisplayNames and WelcomeTexts are what the sign-in page says when
	// this client starts the sign-in, per language ("en", "de"); a
	// language missing falls back to Name and the configured welcome text.
	DisplayNames         Texts
	WelcomeTexts         Texts
	Source               string // db, config or builtin
	CreatedAt, UpdatedAt time.Time
}

// AuthRequest is an authorization request between /authorize and the code
// being redeemed.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int
	LoginHint           string
	// HintSubject is the person the client expects (the sub of its
	// id_token_hint); whoever signs in for the request must be them.
	HintSubject string
	// UILocales is the request's ui_locales, the languages the sign-in
	// pages should speak, space-separated (OIDC Core 3.1.2.1).
	UILocales string
	// ACRValues are the authentication context classes the client asked
	// for, in order of preference (OIDC Core 3.1.2.1, acr_values).
	ACRValues     []string
	AccountID     string // set once the person signed in
	SessionID     string
	AuthTime      time.Time
	AMR           []string
	StepUp        bool // the password was entered for this very request
	Done          bool
	CodeExpiresAt *time.Time
	RedeemedAt    *time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Session is a person's sign-in at identity, shared by every application
// they use (single sign-on). ID is the sid claim.
type Session struct {
	ID        string
	AccountID string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   *time.Time
	// LastUsedAt is when an application last got tokens from the session
	// (kept to the minute, see Store.TouchSession).
	LastUsedAt time.Time
	// ClientIP and UserAgent are where the session was signed in: the
	// address the server trusts and the browser's own, untrusted words.
	ClientIP, UserAgent string
}

// MaxUserAgent bounds the user agent a session keeps, in bytes.
const MaxUserAgent = 256

// RefreshToken is one link of a rotating refresh token chain.
type RefreshToken struct {
	ID            string
	FamilyID      string
	AuthRequestID string
	ClientID      string
	AccountID     string
	SessionID     string
	Scopes        []string
	AMR           []string
	AuthTime      time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        *time.Time
	RevokedAt     *time.Time
}

// AccessToken records an access token issued to a person, by its jti.
type AccessToken struct {
	ID            string
	FamilyID      string
	AuthRequestID string
	SessionID     string
	ClientID      string
	AccountID     string
	Scopes        []string
	ExpiresAt     time.Time
}

// SigningKey is a stored signing key; the private key is encrypted.
type SigningKey struct {
	ID         string
	Alg        string
	State      string // next, current, previous, retired
	PrivateKey []byte
	PublicJWK  string
	CreatedAt  time.Time
}

// AuditEvent is one entry of the audit trail. It never holds a secret.
type AuditEvent struct {
	ID       string
	At       time.Time
	Action   string // sign_in, sign_out, lock, unlock, password_changed, roles_changed, account_disabled, ...
	Outcome  string // success, failure, denied
	Actor    string // who acted: an account or client id, "" when anonymous
	Target   string // what was acted upon: an account, role or client
	ClientIP string
	ClientID string
	Detail   string
}

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// AuditFilter selects audit events; zero fields do not filter.
type AuditFilter struct {
	// Person is an id that acted or was acted upon: everything about them.
	Action, Actor, Target, Person, Outcome string
	Since, Until                           time.Time
	Limit                                  int    // default 100, at most 1000
	Before                                 string // page: events older than this id
}

// LogoutDelivery is one back-channel logout notice to one client.
type LogoutDelivery struct {
	ID            string
	ClientID      string
	URI           string
	AccountID     string
	SessionID     string
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	FailedAt      *time.Time // gave up
	LastError     string
}
