package identity

import "time"

// Device authorization states (RFC 8628): a request is pending until the
// person approves or denies it on identity's verification page; approved
// becomes used when the device receives its tokens (the device code is
// single use).
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceUsed     = "used"
)

// DeviceAuthorization is one device authorization request (RFC 8628
// section 3.1) and what became of it.
type DeviceAuthorization struct {
	ClientID string
	Scopes   []string // as requested
	State    string
	// Set on approval: who signed in, in which session, and the scopes
	// granted (those of Scopes the person's roles allow).
	AccountID     string
	SessionID     string
	AuthTime      time.Time
	AMR           []string
	GrantedScopes []string
	StepUp        bool          // the password was entered for this very approval
	Interval      time.Duration // the polling interval the device must keep
	LastPolledAt  *time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// DevicePoll is the answer to one poll of the token endpoint with a device
// code (RFC 8628 section 3.5).
type DevicePoll struct {
	DeviceAuthorization
	// SlowDown: the device polled sooner than its interval allows; the
	// interval grew by 5 seconds.
	SlowDown bool
	// Issue: the request was approved and this poll spent the device
	// code; tokens are to be issued now, and never again for it.
	Issue bool
	// Expired: the request expired, or its device code was spent before.
	Expired bool
}
