package service

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/mail"
	"campus/internal/metrics"
)

// Config is identity's configuration: its settings, which cmd/campus binds
// to flags, environment variables and the config file, and where it runs,
// which the command fills in.
type Config struct {
	Admin            AdminConfig
	KeyEncryptionKey string
	Welcome          string
	WelcomeDE        string // "": the built-in German text
	AccessTokenTTL   time.Duration
	IDTokenTTL       time.Duration
	RefreshTokenTTL  time.Duration
	StepUpTTL        time.Duration
	// DeviceCodeTTL and DevicePollInterval are the device authorization
	// grant's (RFC 8628): how long a request waits for the person, and
	// the interval between a device's polls.
	DeviceCodeTTL      time.Duration
	DevicePollInterval time.Duration
	SessionTTL         time.Duration
	LogoutRetryBase    time.Duration // first delay before a failed back-channel logout is sent again (0: 10 s)
	MaxLoginAttempts   int
	LockoutMinutes     int
	// MFARoles are the roles that require multi-factor sign-in; "none"
	// alone means no role.
	MFARoles           []string
	SignInsPerIPMinute int
	TimeZone           string
	SigningKeyFile     string
	Argon2MemoryKiB    int
	Argon2Time         int
	Argon2Threads      int
	Clients            []ClientSpec
	PasswordMinLength  int
	RefuseCommon       bool
	Mail               MailConfig
	Directory          DirectoryConfig
	// JobLease is how long a background job's lease lasts without renewal
	// (directory sync, mail outbox, back-channel logout): the longest a
	// replica that died keeps its jobs from the others.
	JobLease time.Duration

	// Where identity runs, set by the command rather than by settings.

	Issuer string // identity's issuer URL
	Base   string // its path on the origin ("/idp" in all-in-one mode)
	// DataDir holds the generated key-encryption key when KeyEncryptionKey
	// is not set.
	DataDir string
	// PortalOrigin, when set, registers the portal's and the study
	// service's clients (all-in-one mode).
	PortalOrigin string
	// HTTPClient delivers back-channel logout tokens; nil: a client that
	// trusts CAFile, or the system's roots when CAFile is empty.
	HTTPClient *http.Client
	// Metrics, when set, is the process's registry: identity counts its
	// audit events, tokens, directory syncs and deliveries there, and has
	// its outboxes read at each scrape.
	Metrics *metrics.Registry
	// CAFile is a PEM file of the CA certificates identity's outgoing calls
	// trust (back-channel logout deliveries), e.g. a portal's private CA.
	CAFile string
	// Mailbox, when set, is the developer mailbox's directory: mail goes
	// there when no SMTP server is configured (all-in-one mode).
	Mailbox string
	// Home is where people continue after confirming or resetting (the
	// portal), "" when identity runs alone.
	Home string
	// Out is the terminal: the first administrator's credentials and
	// generated client secrets are shown there, never in the log.
	Out io.Writer
}

// PasswordParams are the argon2id parameters from the settings.
func (c *Config) PasswordParams() password.Params {
	p := password.Default
	p.Memory, p.Time, p.Threads = uint32(c.Argon2MemoryKiB), uint32(c.Argon2Time), uint8(c.Argon2Threads)
	return p
}

// PasswordPolicy is the policy new passwords must meet, the first
// administrator's included.
func (c *Config) PasswordPolicy() policy.PasswordPolicy {
	return policy.PasswordPolicy{MinLength: c.PasswordMinLength, MaxLength: 256, RefuseCommon: c.RefuseCommon}
}

// Validate reports every problem of the settings at once.
func (c *Config) Validate() []error {
	errs := c.Admin.Validate(c.PasswordPolicy())
	errs = append(errs, c.Mail.Validate()...)
	errs = append(errs, c.Directory.Validate()...)
	if err := ValidateJobLease(c.JobLease); err != nil {
		errs = append(errs, err)
	}
	if c.KeyEncryptionKey != "" {
		if _, err := DecodeKey(c.KeyEncryptionKey); err != nil {
			errs = append(errs, fmt.Errorf("CAMPUS_KEY_ENCRYPTION_KEY: %v", err))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--access-token-ttl", c.AccessTokenTTL}, {"--id-token-ttl", c.IDTokenTTL}, {"--refresh-token-ttl", c.RefreshTokenTTL},
		{"--step-up-ttl", c.StepUpTTL}, {"--session-ttl", c.SessionTTL}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s %s: must be positive", d.name, d.v))
		}
	}
	// The study token lasts --step-up-ttl exactly: a few minutes of
	// editing, never longer than an hour (it is not revocable by its
	// holder's sign-out alone: resource servers check it until it expires).
	if c.StepUpTTL > 0 && (c.StepUpTTL < time.Minute || c.StepUpTTL > time.Hour) {
		errs = append(errs, fmt.Errorf("--step-up-ttl %s: want 1m to 1h", c.StepUpTTL))
	}
	if c.DeviceCodeTTL < time.Minute || c.DeviceCodeTTL > time.Hour {
		errs = append(errs, fmt.Errorf("--device-code-ttl %s: want 1m to 1h", c.DeviceCodeTTL))
	}
	if c.DevicePollInterval < time.Second || c.DevicePollInterval > time.Minute || c.DevicePollInterval%time.Second != 0 {
		errs = append(errs, fmt.Errorf("--device-poll-interval %s: want whole seconds from 1s to 1m", c.DevicePollInterval))
	}
	if c.LogoutRetryBase != 0 && (c.LogoutRetryBase < 100*time.Millisecond || c.LogoutRetryBase > time.Hour) {
		errs = append(errs, fmt.Errorf("--logout-retry-base %s: want 100ms to 1h", c.LogoutRetryBase))
	}
	if c.MaxLoginAttempts < 1 {
		errs = append(errs, fmt.Errorf("--max-login-attempts %d: must be at least 1", c.MaxLoginAttempts))
	}
	if c.LockoutMinutes < 1 {
		errs = append(errs, fmt.Errorf("--lockout-minutes %d: must be at least 1", c.LockoutMinutes))
	}
	// OWASP's floor: 7 MiB at 5 passes down to 19 MiB at 2; never less than 7 MiB or 1 pass.
	if c.Argon2MemoryKiB < 7168 || c.Argon2MemoryKiB > 4<<20 {
		errs = append(errs, fmt.Errorf("--argon2-memory-kib %d: want 7168 (7 MiB) to 4194304 (4 GiB)", c.Argon2MemoryKiB))
	}
	if c.Argon2Time < 1 || c.Argon2Time > 100 {
		errs = append(errs, fmt.Errorf("--argon2-time %d: want 1 to 100", c.Argon2Time))
	}
	if c.Argon2Threads < 1 || c.Argon2Threads > 255 {
		errs = append(errs, fmt.Errorf("--argon2-threads %d: want 1 to 255", c.Argon2Threads))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		errs = append(errs, fmt.Errorf("--timezone %q: not a time zone name such as Europe/Berlin or UTC", c.TimeZone))
	}
	for _, w := range []struct{ flag, text string }{{"--welcome-text", c.Welcome}, {"--welcome-text-de", c.WelcomeDE}} {
		if err := identity.CheckPlainText(w.text, identity.MaxWelcomeText); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", w.flag, err))
		}
	}
	errs = append(errs, ValidateClientSpecs(c.Clients)...)
	if c.PasswordMinLength < 8 || c.PasswordMinLength > 128 {
		errs = append(errs, fmt.Errorf("--password-min-length %d: want 8 to 128", c.PasswordMinLength))
	}
	if c.SignInsPerIPMinute < 1 {
		errs = append(errs, fmt.Errorf("--sign-ins-per-ip-minute %d: must be at least 1", c.SignInsPerIPMinute))
	}
	return errs
}

// DecodeKey reads a 32-byte key given in base64 (standard or URL alphabet).
func DecodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(strings.TrimSpace(s)); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("want 32 bytes, got %d (make one with: openssl rand -base64 32)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64 (make one with: openssl rand -base64 32)")
}

// AdminConfig is the first administrator's.
type AdminConfig struct {
	Email    string
	Password string
}

// Validate reports the problems of the administrator's settings; a
// password given must meet the configured password policy, as every other
// new password does.
func (a *AdminConfig) Validate(pol policy.PasswordPolicy) []error {
	var errs []error
	if at := strings.LastIndex(a.Email, "@"); at < 1 || at == len(a.Email)-1 || strings.ContainsAny(a.Email, " \t<>") {
		errs = append(errs, fmt.Errorf("--admin-email %q: not an e-mail address", a.Email))
	}
	if a.Password == "" {
		return errs
	}
	// The minimum of the domain holds even where the policy asks for less.
	minLength := max(pol.MinLength, identity.MinPasswordLength)
	if n := utf8.RuneCountInString(a.Password); n < minLength {
		errs = append(errs, fmt.Errorf("CAMPUS_ADMIN_PASSWORD is too short: at least %d characters", minLength))
	}
	return errs
}

// CheckPassword holds the administrator's password to the whole policy.
// It runs only when the administrator is about to be created, not on every
// start: the list of common passwords and the strength estimate cost 20 ms
// and 5 MB that a later start has no use for.
func (a *AdminConfig) CheckPassword(pol policy.PasswordPolicy) error {
	if a.Password == "" {
		return nil
	}
	if err := pol.Check(a.Password); err != nil {
		return fmt.Errorf("CAMPUS_ADMIN_PASSWORD does not meet the password policy: %v", err)
	}
	return nil
}

// MailConfig is identity's mail: the SMTP server, the sender, and how
// long mailed links are valid.
type MailConfig struct {
	SMTP                            mail.SMTPConfig
	SiteName                        string
	Language                        string
	ConfirmTTL, ResetTTL, RetryBase time.Duration
	UnconfirmedSignIn               bool
}

// Validate reports every problem of the mail settings.
func (o *MailConfig) Validate() []error {
	var errs []error
	if o.SMTP.Host != "" {
		for _, p := range o.SMTP.Validate() {
			errs = append(errs, errors.New(p))
		}
	} else if o.SMTP.From != "" || o.SMTP.Username != "" {
		errs = append(errs, fmt.Errorf("--smtp-host: needed when other smtp settings are given"))
	}
	if o.RetryBase < 100*time.Millisecond || o.RetryBase > time.Hour {
		errs = append(errs, fmt.Errorf("--mail-retry-base %s: want 100ms to 1h", o.RetryBase))
	}
	if !slices.Contains([]string{"en", "de"}, o.Language) {
		errs = append(errs, fmt.Errorf("--mail-language %q: want en or de", o.Language))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--email-confirmation-ttl", o.ConfirmTTL}, {"--password-reset-ttl", o.ResetTTL}} {
		if d.v < time.Minute || d.v > 7*24*time.Hour {
			errs = append(errs, fmt.Errorf("%s %s: want 1m to 168h", d.name, d.v))
		}
	}
	return errs
}

// Bounds of --job-lease: below a few seconds a database pause loses
// leases of live holders; above a few minutes a dead holder's jobs wait
// that long.
const (
	MinJobLease = 2 * time.Second
	MaxJobLease = 10 * time.Minute
)

// ValidateJobLease checks --job-lease; 0 means the default.
func ValidateJobLease(d time.Duration) error {
	if d != 0 && (d < MinJobLease || d > MaxJobLease) {
		return fmt.Errorf("--job-lease %s: want %s to %s", d, MinJobLease, MaxJobLease)
	}
	return nil
}

// DirectoryConfig connects identity to the university directory.
type DirectoryConfig struct {
	LDAP           directory.Config
	SyncInterval   time.Duration
	DisableMissing bool
	// NewAccounts is how new directory accounts sign in: "bind" (their
	// directory password) or "password" (a generated one, mailed).
	NewAccounts string
	Role        string
}

// Validate reports every problem of the directory settings; none when no
// directory is configured.
func (o *DirectoryConfig) Validate() []error {
	if o.LDAP.URL == "" {
		return nil
	}
	var errs []error
	for _, p := range o.LDAP.Validate() {
		errs = append(errs, errors.New(p))
	}
	if o.SyncInterval < 0 || (o.SyncInterval > 0 && o.SyncInterval < time.Minute) {
		errs = append(errs, fmt.Errorf("--ldap-sync-interval %s: want 0 (on demand only) or at least 1m", o.SyncInterval))
	}
	if o.NewAccounts != "bind" && o.NewAccounts != "password" {
		errs = append(errs, fmt.Errorf("--ldap-new-accounts %q: want bind or password", o.NewAccounts))
	}
	if strings.TrimSpace(o.Role) == "" {
		errs = append(errs, fmt.Errorf("--ldap-role: must name a role"))
	}
	return errs
}
