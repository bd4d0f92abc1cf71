package oidcop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/identity"
)

// The OAuth 2.0 Device Authorization Grant (RFC 8628). The library serves
// the device authorization endpoint (section 3.1) and the device_code grant
// at the token endpoint (section 3.4); campus keeps the requests in
// identity's database (store/device.go), so that the device may poll any
// replica while the person approves on identity's verification page
// (web/device.go) on any other.
//
// What the library leaves to the storage, and how campus answers (section
// 3.5):
//   - authorization_pending until the person answers;
//   - slow_down for a poll sooner than the interval (the interval then grows
//     by 5 seconds, as the device must do): the library maps an error
//     wrapping context.DeadlineExceeded to slow_down;
//   - access_denied when the person denied, and for an unknown device code
//     (the library answers every other storage error so);
//   - expired_token when the request expired, or its device code was spent:
//     a device code gives tokens once.
//
// A poll that meets a database outage is 503 server_error, as at every
// endpoint (decision 57: the outage note rewrites the library's answer).

// UserCode is the user code's shape: 8 characters of the base-20 alphabet
// without vowels, in two groups (BCDF-GHJK), RFC 8628 section 6.1: about
// 34 bits, which the rate limit of the verification page (section 5.1)
// and the short lifetime protect.
var UserCode = op.UserCodeBase20

// NormalizeUserCode reads a user code as a person types it: any case,
// with or without the dash or spaces (RFC 8628 section 6.1). It returns ""
// when the rest is not a code of UserCode's shape.
func NormalizeUserCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case strings.ContainsRune(UserCode.CharSet, r):
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '\t':
		default:
			return ""
		}
	}
	if b.Len() != UserCode.CharAmount {
		return ""
	}
	return b.String()
}

// FormatUserCode writes a normalized user code as it is shown: BCDF-GHJK.
func FormatUserCode(normalized string) string {
	if d := UserCode.DashInterval; d > 0 && len(normalized) > d {
		return normalized[:d] + "-" + normalized[d:]
	}
	return normalized
}

// HashUserCode is how a user code is stored and looked up: normalized,
// then hashed. "" for something that is not a user code.
func HashUserCode(code string) string {
	n := NormalizeUserCode(code)
	if n == "" {
		return ""
	}
	return HashToken("device user code\x00" + n)
}

// deviceConfig is the library's configuration of the grant; the
// verification page is at the issuer's path + "/device".
func (s *Storage) deviceConfig(issuerPath string) op.DeviceAuthorizationConfig {
	return op.DeviceAuthorizationConfig{
		Lifetime:     s.cfg.DeviceCodeTTL,
		PollInterval: s.cfg.DevicePollInterval,
		UserFormPath: strings.TrimSuffix(issuerPath, "/") + DevicePath,
		UserCode:     UserCode,
	}
}

// DevicePath is the verification page's path relative to the issuer.
const DevicePath = "/device"

// StoreDeviceAuthorization stores a device authorization request (RFC 8628
// section 3.2). The scopes are those of the request the client may ask for
// (the others are dropped, as RFC 6749 section 3.3 allows; the token
// response's scope says what was granted). The library has taken expires
// from the wall clock; the provider's clock decides instead.
func (s *Storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, _ time.Time, scopes []string) error {
	c, err := s.client(ctx, clientID)
	if err != nil {
		return err
	}
	var allowed []string
	for _, sc := range scopes {
		if slices.Contains(c.Client.Scopes, sc) && !slices.Contains(allowed, sc) {
			allowed = append(allowed, sc)
		}
	}
	now := s.now().UTC()
	err = s.store.CreateDeviceAuthorization(ctx, identity.DeviceAuthorization{ClientID: clientID, Scopes: allowed,
		Interval: s.cfg.DevicePollInterval, CreatedAt: now, ExpiresAt: now.Add(s.cfg.DeviceCodeTTL)},
		HashToken(deviceCode), HashUserCode(userCode))
	if errors.Is(err, identity.ErrConflict) {
		// The same user code as a live request: about one in 10^10 per
		// live request. The device asks again.
		return errors.New("user code taken; try again")
	}
	return err
}

// errSlowDown makes the library answer slow_down (RFC 8628 section 3.5).
var errSlowDown = fmt.Errorf("poll sooner than the interval: %w", context.DeadlineExceeded)

// GetDeviceAuthorizatonState answers one poll of the token endpoint with a
// device code (RFC 8628 section 3.4); see the top of this file. An
// approved request whose session ended since, or whose account was
// disabled, is denied: its tokens would outlive what ended.
func (s *Storage) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	p, err := s.store.PollDeviceAuthorization(ctx, HashToken(deviceCode), clientID)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return nil, errors.New("unknown device code")
	case err != nil:
		return nil, err
	}
	// The library compares Expires with the wall clock; give it the time
	// left by the provider's clock.
	state := &op.DeviceAuthorizationState{ClientID: clientID, Audience: slices.Clone(s.cfg.APIAudiences), Scopes: p.Scopes,
		Expires: time.Now().Add(p.ExpiresAt.Sub(s.now()))}
	switch {
	case p.Expired:
		state.Expires = time.Time{}
	case p.SlowDown:
		return nil, errSlowDown
	case p.State == identity.DeviceDenied:
		state.Denied = true
	case p.Issue:
		if !s.approvalStands(ctx, p) {
			state.Denied = true
			return state, nil
		}
		state.Done, state.Subject, state.AMR, state.AuthTime, state.Scopes = true, p.AccountID, p.AMR, p.AuthTime, p.GrantedScopes
		if i := issueFrom(ctx); i != nil {
			i.device = &p
		}
	}
	return state, nil
}

// approvalStands reports whether the session the approval signed in and
// its account are still live when the tokens are issued.
func (s *Storage) approvalStands(ctx context.Context, p identity.DevicePoll) bool {
	sess, err := s.store.Session(ctx, p.SessionID)
	if err != nil || sess.AccountID != p.AccountID {
		s.logger.InfoContext(ctx, "device grant refused: the session that approved it ended", "client", p.ClientID, "sub", p.AccountID)
		return false
	}
	acc, err := s.store.Account(ctx, p.AccountID)
	if err != nil || acc.Status != identity.StatusActive {
		s.logger.InfoContext(ctx, "device grant refused: the account is disabled", "client", p.ClientID, "sub", p.AccountID)
		return false
	}
	return true
}

// deviceSession is the session of the device authorization this token
// request spent, "" if none.
func deviceSession(ctx context.Context) string {
	if i := issueFrom(ctx); i != nil && i.device != nil {
		return i.device.SessionID
	}
	return ""
}
