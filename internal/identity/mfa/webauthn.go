package mfa

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"campus/internal/identity"
)

// RP is identity as a Web Authentication relying party. Its id is the
// issuer's host and its one origin the issuer's: every ceremony runs on
// identity's own pages (W3C Web Authentication Level 3, section 5.1.3
// step 9 compares the client's origin with it).
type RP struct {
	w *webauthn.WebAuthn
}

// ErrNoDomain: identity's issuer is an IP address, and a relying party id
// must be a domain (Web Authentication Level 3, section 5.1.3: browsers
// refuse IP addresses), so passkeys and security keys are off.
var ErrNoDomain = errors.New("webauthn: the issuer's host is an IP address; passkeys need a domain name")

// ErrNoCredential: the person has no passkey or security key to ask for.
var ErrNoCredential = errors.New("webauthn: no passkey or security key is registered")

// NewRP makes the relying party for identity at issuer.
func NewRP(issuer, name string) (*RP, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("webauthn: issuer %q is not an absolute URL", issuer)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return nil, ErrNoDomain
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: name,
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &RP{w: w}, nil
}

// User is a person as WebAuthn sees them: the user handle is the subject
// id (random, opaque, never personal data), the names are for the
// authenticator's account chooser.
type User struct {
	Account identity.Account
	Factors []identity.Factor // the person's WebAuthn factors
	creds   []webauthn.Credential
}

// NewUser collects acc's WebAuthn credentials from its factors.
func NewUser(acc identity.Account, factors []identity.Factor) (*User, error) {
	u := &User{Account: acc}
	for _, f := range factors {
		if f.Kind != identity.FactorWebAuthn {
			continue
		}
		var c webauthn.Credential
		if err := json.Unmarshal(f.Credential, &c); err != nil {
			return nil, fmt.Errorf("read WebAuthn credential %s: %w", f.ID, err)
		}
		u.Factors = append(u.Factors, f)
		u.creds = append(u.creds, c)
	}
	return u, nil
}

func (u *User) WebAuthnID() []byte   { return []byte(u.Account.ID) }
func (u *User) WebAuthnName() string { return u.Account.Username }
func (u *User) WebAuthnDisplayName() string {
	if u.Account.DisplayName != "" {
		return u.Account.DisplayName
	}
	return u.Account.Username
}
func (u *User) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// factor finds the factor of a credential the person used.
func (u *User) factor(c *webauthn.Credential) (identity.Factor, bool) {
	for i, have := range u.creds {
		if bytes.Equal(have.ID, c.ID) {
			return u.Factors[i], true
		}
	}
	return identity.Factor{}, false
}

// Used is a credential that passed a ceremony: the factor it belongs to
// and its record to store back (its counter and flags move).
type Used struct {
	Factor identity.Factor
	Record []byte
	// AMR is how it proved the person (RFC 8176): "hwk" for a key bound to
	// its device, "swk" for one that may be synced (backup eligible);
	// with "user" verification (PIN or biometrics) on the authenticator.
	AMR []string
}

func used(u *User, c *webauthn.Credential, verified bool) (Used, error) {
	f, ok := u.factor(c)
	if !ok {
		return Used{}, errors.New("webauthn: the credential is not one of the person's")
	}
	rec, err := json.Marshal(c)
	if err != nil {
		return Used{}, err
	}
	return Used{Factor: f, Record: rec, AMR: amrOf(c, verified)}, nil
}

// amrOf is how a credential proved the person (RFC 8176 section 2).
func amrOf(c *webauthn.Credential, verified bool) []string {
	amr := []string{"hwk"}
	if c.Flags.BackupEligible {
		amr = []string{"swk"}
	}
	if verified {
		amr = append(amr, "user")
	}
	return amr
}

// BeginRegistration starts adding a passkey or security key for u: the
// options for navigator.credentials.create (JSON) and the session data to
// keep until it finishes. A discoverable credential is preferred (a
// passkey that signs in alone); the person's keys are excluded.
func (rp *RP) BeginRegistration(u *User) (options []byte, session string, err error) {
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	cc, sd, err := rp.w.BeginRegistration(u,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, "", fmt.Errorf("webauthn: begin registration: %w", err)
	}
	return marshalCeremony(cc, sd)
}

// Registered is a passkey or security key that passed its registration:
// its credential id (base64url), its record to store, and how it proved
// the person while it was made (amr, as Used.AMR).
type Registered struct {
	CredentialID string
	Record       []byte
	AMR          []string
}

// FinishRegistration checks the authenticator's answer (the JSON of the
// PublicKeyCredential) against the session.
func (rp *RP) FinishRegistration(u *User, session string, answer []byte) (Registered, error) {
	sd, err := sessionData(session)
	if err != nil {
		return Registered{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return Registered{}, fmt.Errorf("webauthn: read the answer: %w", err)
	}
	c, err := rp.w.CreateCredential(u, sd, parsed)
	if err != nil {
		return Registered{}, fmt.Errorf("webauthn: %w", err)
	}
	rec, err := json.Marshal(c)
	if err != nil {
		return Registered{}, err
	}
	return Registered{CredentialID: base64.RawURLEncoding.EncodeToString(c.ID), Record: rec,
		AMR: amrOf(c, parsed.Response.AttestationObject.AuthData.Flags.HasUserVerified())}, nil
}

// BeginLogin asks u for one of their credentials, as a second factor.
func (rp *RP) BeginLogin(u *User) (options []byte, session string, err error) {
	ca, sd, err := rp.w.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, "", fmt.Errorf("webauthn: begin login: %w", err)
	}
	return marshalCeremony(ca, sd)
}

// FinishLogin checks a second factor's assertion.
func (rp *RP) FinishLogin(u *User, session string, answer []byte) (Used, error) {
	sd, err := sessionData(session)
	if err != nil {
		return Used{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return Used{}, fmt.Errorf("webauthn: read the answer: %w", err)
	}
	c, err := rp.w.ValidateLogin(u, sd, parsed)
	if err != nil {
		return Used{}, fmt.Errorf("webauthn: %w", err)
	}
	return used(u, c, parsed.Response.AuthenticatorData.Flags.HasUserVerified())
}

// BeginPasskey starts a sign-in with a passkey alone: any discoverable
// credential of this relying party, with user verification required (the
// passkey is then two factors: the device and its PIN or biometrics).
func (rp *RP) BeginPasskey() (options []byte, session string, err error) {
	ca, sd, err := rp.w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", fmt.Errorf("webauthn: begin passkey login: %w", err)
	}
	return marshalCeremony(ca, sd)
}

// FinishPasskey checks a passkey's assertion; lookup finds the person of
// the user handle (the subject id) with their factors.
func (rp *RP) FinishPasskey(session string, answer []byte, lookup func(subject string) (*User, error)) (*User, Used, error) {
	sd, err := sessionData(session)
	if err != nil {
		return nil, Used{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, Used{}, fmt.Errorf("webauthn: read the answer: %w", err)
	}
	var who *User
	handler := func(_, userHandle []byte) (webauthn.User, error) {
		u, err := lookup(string(userHandle))
		if err != nil {
			return nil, err
		}
		who = u
		return u, nil
	}
	c, err := rp.w.ValidateDiscoverableLogin(handler, sd, parsed)
	if err != nil {
		return nil, Used{}, fmt.Errorf("webauthn: %w", err)
	}
	if who == nil {
		return nil, Used{}, errors.New("webauthn: no person for the passkey")
	}
	u, err := used(who, c, parsed.Response.AuthenticatorData.Flags.HasUserVerified())
	return who, u, err
}

func marshalCeremony(options any, sd *webauthn.SessionData) ([]byte, string, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, "", err
	}
	s, err := json.Marshal(sd)
	if err != nil {
		return nil, "", err
	}
	return o, string(s), nil
}

func sessionData(s string) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(s), &sd); err != nil {
		return sd, fmt.Errorf("webauthn: read the ceremony: %w", err)
	}
	return sd, nil
}
