package identity

import "time"

// Kinds of second factor.
const (
	// FactorTOTP is an authenticator app: time-based one-time codes
	// (RFC 6238).
	FactorTOTP = "totp"
	// FactorWebAuthn is a passkey or security key (Web Authentication).
	FactorWebAuthn = "webauthn"
)

// Factor is one of a person's second factors.
type Factor struct {
	ID, AccountID string
	Kind          string // FactorTOTP or FactorWebAuthn
	Name          string // chosen by the person ("Phone", "YubiKey")
	CreatedAt     time.Time
	LastUsedAt    *time.Time
	// Secret is a TOTP factor's shared secret (base32), in the clear here;
	// the store keeps it sealed.
	Secret string
	// CredentialID and Credential are a WebAuthn factor's credential id
	// (base64url) and its record as go-webauthn keeps it (JSON).
	CredentialID string
	Credential   []byte
	// LastStep is, when a TOTP factor is added, the time step of the code
	// that confirmed it: stored with the factor, so that this code and
	// every earlier one are refused from the first moment (RFC 6238,
	// section 5.2).
	LastStep int64
}

// Ceremony purposes (Ceremony.Purpose).
const (
	// CeremonySecondFactor: the password was right, the second factor is
	// awaited before the sign-in completes.
	CeremonySecondFactor = "second-factor"
	// CeremonyEnrol: the password was right, and a role of the person
	// requires a second factor they do not have yet.
	CeremonyEnrol = "enrol"
	// CeremonyEnrolled: the enrolment is done and the recovery codes are
	// shown; the sign-in goes on when the person continues.
	CeremonyEnrolled = "enrolled"
	// CeremonyPasskey: a sign-in with a passkey alone (the WebAuthn
	// challenge of a discoverable login).
	CeremonyPasskey = "passkey"
	// CeremonyRegister: a signed-in person adds a passkey or security key
	// (the WebAuthn challenge of a registration).
	CeremonyRegister = "register"
)

// Ceremony is a sign-in or enrolment step in progress, kept in the
// database so that any replica can finish it.
type Ceremony struct {
	IDHash, AccountID, Purpose, AuthRequestID string
	AMR                                       []string // how the person has proved themselves so far
	// Data is the step's own state: go-webauthn's session data, or the
	// secret of an authenticator app not yet confirmed. Sealed in the
	// store.
	Data      string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
}
