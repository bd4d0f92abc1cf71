package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/httpserver"
	identityservice "campus/internal/identity/service"
	identityweb "campus/internal/identity/web"
	messagesservice "campus/internal/messages/service"
	studyservice "campus/internal/study/service"
)

// serverOptions are the settings every serving command shares.
type serverOptions struct {
	DataDir       string
	Addr          string
	PublicURL     string
	TLSCert       string
	TLSKey        string
	ACMEDomains   []string
	ACMEEmail     string
	PlainHTTP     bool
	LogFormat     string
	LogLevel      string
	ShutdownGrace time.Duration
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []string
	// AllowRoot lets a server start as root where the build refuses it.
	AllowRoot bool
	Tracing   tracingOptions
	Metrics   metricsOptions
}

func (o *serverOptions) register(s *config.Set) {
	o.registerData(s)
	s.String(&o.Addr, "addr", "addr", "CAMPUS_ADDR", ":8443", "Address to listen on, HOST:PORT (port 0 picks a free one)")
	s.String(&o.PublicURL, "public_url", "public-url", "CAMPUS_PUBLIC_URL", "", "URL people and services reach campus at; links, redirects and the issuer use it (default: derived from --addr)")
	s.String(&o.TLSCert, "tls.cert", "tls-cert", "CAMPUS_TLS_CERT", "", "PEM certificate (chain) to serve; reloaded when the file changes")
	s.String(&o.TLSKey, "tls.key", "tls-key", "CAMPUS_TLS_KEY", "", "PEM private key of --tls-cert")
	s.StringList(&o.ACMEDomains, "tls.acme_domains", "acme-domain", "CAMPUS_ACME_DOMAIN", "", "Domain(s) to get a Let's Encrypt certificate for (port 443 must reach campus)")
	s.String(&o.ACMEEmail, "tls.acme_email", "acme-email", "CAMPUS_ACME_EMAIL", "", "Contact e-mail for the ACME account")
	s.Bool(&o.PlainHTTP, "plain_http", "plain-http", "CAMPUS_PLAIN_HTTP", "false", "Serve plain HTTP; only behind a proxy that terminates TLS")
	s.String(&o.LogFormat, "log.format", "log-format", "CAMPUS_LOG_FORMAT", "text", "Log format: text (for a terminal) or json")
	s.String(&o.LogLevel, "log.level", "log-level", "CAMPUS_LOG_LEVEL", "info", "Log level: debug, info, warn or error")
	s.Duration(&o.ShutdownGrace, "shutdown_grace", "shutdown-grace", "CAMPUS_SHUTDOWN_GRACE", "15s", "How long requests in flight may finish after Ctrl-C or SIGTERM")
	s.StringList(&o.TrustedProxies, "trusted_proxies", "trusted-proxies", "CAMPUS_TRUSTED_PROXIES", "",
		"Addresses or CIDR ranges of load balancers and of a portal running apart, whose X-Forwarded-For names the client for per-address limits")
	s.Bool(&o.AllowRoot, "allow_root", "allow-root", "CAMPUS_ALLOW_ROOT", "false",
		"Start even as root (the container image's build refuses to otherwise); files in the data directory then belong to root")
	o.Tracing.register(s)
	o.Metrics.register(s)
}

func (o *serverOptions) registerData(s *config.Set) {
	s.String(&o.DataDir, "data", "data", "CAMPUS_DATA", "./campus-data", "Data directory: SQLite databases, the self-signed certificate, the ACME cache")
}

func (o *serverOptions) validate() []error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	if _, _, err := splitAddr(o.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %v", o.Addr, err))
	}
	if o.PublicURL != "" {
		if err := checkBaseURL(o.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("--public-url %q: %v", o.PublicURL, err))
		}
	}
	if _, err := httpserver.ParseProxies(o.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %v; give addresses or ranges such as 10.0.0.0/8", err))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together: give both or neither"))
	}
	if len(o.ACMEDomains) > 0 && o.TLSCert != "" {
		errs = append(errs, errors.New("--acme-domain and --tls-cert exclude each other: choose one source of certificates"))
	}
	if o.PlainHTTP && (o.TLSCert != "" || len(o.ACMEDomains) > 0) {
		errs = append(errs, errors.New("--plain-http serves no TLS, so --tls-cert and --acme-domain make no sense with it"))
	}
	for _, d := range o.ACMEDomains {
		if d == "" || strings.ContainsAny(d, "/:* ") {
			errs = append(errs, fmt.Errorf("--acme-domain %q: want a plain domain name such as campus.example.edu", d))
		}
	}
	if o.LogFormat != "text" && o.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", o.LogFormat))
	}
	switch o.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.LogLevel))
	}
	if o.ShutdownGrace <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-grace %s: must be positive", o.ShutdownGrace))
	}
	errs = append(errs, o.Metrics.validate()...)
	return append(errs, o.Tracing.validate()...)
}

// scheme is the scheme campus itself serves.
func (o *serverOptions) scheme() string {
	if o.PlainHTTP {
		return "http"
	}
	return "https"
}

// publicURL is --public-url, or derived from the address actually bound:
// :8443 gives https://localhost:8443, 127.0.0.1:9000 https://127.0.0.1:9000.
func (o *serverOptions) publicURL(bound net.Addr) string {
	if o.PublicURL != "" {
		return strings.TrimSuffix(o.PublicURL, "/")
	}
	host, port, _ := splitAddr(o.Addr)
	if tcp, ok := bound.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
	}
	u := url.URL{Scheme: o.scheme(), Host: net.JoinHostPort(host, port)}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		u.Host = host
		if strings.Contains(host, ":") {
			u.Host = "[" + host + "]"
		}
	}
	return u.String()
}

func splitAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", errors.New("want HOST:PORT, as in :8443 or 127.0.0.1:9000")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", errors.New("the port must be a number from 0 to 65535")
	}
	return host, port, nil
}

// checkBaseURL accepts an absolute http(s) URL without query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("want an absolute https:// URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must not have a query, fragment or user info")
	}
	return nil
}

// checkServiceURL is checkBaseURL plus: plain http only to a loopback host,
// since tokens and keys travel over it.
func checkServiceURL(s string) error {
	if err := checkBaseURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return errors.New("must be https:// (plain http only to localhost)")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dbOption is one service's --db setting. Its default lives in the data
// directory; "{data}" stands for it so that help and `campus config` show
// where the file will be.
type dbOption struct {
	service string
	DSN     string
}

func (d *dbOption) register(s *config.Set, flag string) {
	s.String(&d.DSN, d.service+".db", flag, "CAMPUS_"+strings.ToUpper(d.service)+"_DB", "sqlite:{data}/"+d.service+".db",
		"Database of the "+d.service+" service: sqlite:PATH or postgres://USER@HOST:PORT/DB")
}

// serviceDBs returns the --db settings of the four services.
func serviceDBs() (identity, study, portal, messages dbOption) {
	return dbOption{service: "identity"}, dbOption{service: "study"}, dbOption{service: "portal"}, dbOption{service: "messages"}
}

func (d *dbOption) validate() []error {
	if err := db.ValidateDSN(d.DSN); err != nil {
		return []error{fmt.Errorf("%s database: %v", d.service, err)}
	}
	return nil
}

// resolve replaces {data} with the data directory.
func (d *dbOption) resolve(dataDir string) string {
	if rest, ok := strings.CutPrefix(d.DSN, "sqlite:{data}"); ok {
		return "sqlite:" + filepath.Join(dataDir, rest)
	}
	return d.DSN
}

func (d *dbOption) isSQLite() bool { return strings.HasPrefix(d.DSN, "sqlite:") }

// registerIdentity binds identity's settings, for serve and identity.
func registerIdentity(s *config.Set, o *identityservice.Config) {
	registerAdmin(s, &o.Admin)
	registerMail(s, &o.Mail)
	registerDirectory(s, &o.Directory)
	registerJobLease(s, &o.JobLease)
	s.String(&o.KeyEncryptionKey, "identity.key_encryption_key", "", "CAMPUS_KEY_ENCRYPTION_KEY", "",
		"32 bytes, base64: encrypts the signing keys in the database (default: generated in the data dir; set it when replicas share a database)",
		config.Secret(), config.EnvOnly())
	s.String(&o.Welcome, "identity.welcome_text", "welcome-text", "CAMPUS_WELCOME_TEXT",
		identityweb.DefaultWelcome, "Text shown on the sign-in page in English (plain text; the config file may give a mapping: welcome_text: {en: ..., de: ...})",
		config.Variants(map[string]string{"en": "", "de": "identity.welcome_text_de"}))
	s.String(&o.WelcomeDE, "identity.welcome_text_de", "welcome-text-de", "CAMPUS_WELCOME_TEXT_DE", "",
		"Text shown on the sign-in page in German (empty: \""+identityweb.DefaultWelcomeDE+"\", never the English text)")
	s.Duration(&o.AccessTokenTTL, "identity.access_token_ttl", "access-token-ttl", "CAMPUS_ACCESS_TOKEN_TTL", "10m", "Lifetime of access tokens")
	s.Duration(&o.IDTokenTTL, "identity.id_token_ttl", "id-token-ttl", "CAMPUS_ID_TOKEN_TTL", "1h", "Lifetime of id_tokens")
	s.Duration(&o.RefreshTokenTTL, "identity.refresh_token_ttl", "refresh-token-ttl", "CAMPUS_REFRESH_TOKEN_TTL", "336h", "Lifetime of refresh tokens (each use rotates them)")
	s.Duration(&o.StepUpTTL, "identity.step_up_ttl", "step-up-ttl", "CAMPUS_STEP_UP_TTL", "15m", "Lifetime of an access token carrying studies:write (the study token), exactly, 1m to 1h")
	s.Duration(&o.SessionTTL, "identity.session_ttl", "session-ttl", "CAMPUS_SESSION_TTL", "12h", "Lifetime of a sign-in session at identity (single sign-on)")
	s.Duration(&o.LogoutRetryBase, "identity.logout_retry_base", "logout-retry-base", "CAMPUS_LOGOUT_RETRY_BASE", "10s",
		"Delay before a back-channel logout that failed is sent again; it doubles per attempt up to an hour, and is given up after 72 hours")
	s.StringList(&o.MFARoles, "identity.mfa_roles", "mfa-roles", "CAMPUS_MFA_ROLES", "admin",
		"Roles whose members sign in with a second factor (passkey or authenticator app) and enrol one right after the password if they have none, e.g. admin,staff; none: no role")
	s.Int(&o.MaxLoginAttempts, "identity.max_login_attempts", "max-login-attempts", "CAMPUS_MAX_LOGIN_ATTEMPTS", "5", "Failed sign-ins before an account is locked")
	s.Int(&o.LockoutMinutes, "identity.lockout_minutes", "lockout-minutes", "CAMPUS_LOCKOUT_MINUTES", "10", "How long a locked account stays locked")
	s.String(&o.SigningKeyFile, "identity.signing_key_file", "signing-key-file", "CAMPUS_SIGNING_KEY_FILE", "",
		"PEM private key that signs instead of the generated keys of its algorithm (RSA: RS256, P-256: ES256, Ed25519: EdDSA)")
	s.Int(&o.PasswordMinLength, "identity.password.min_length", "password-min-length", "CAMPUS_PASSWORD_MIN_LENGTH", "10", "Shortest new password accepted (characters)")
	s.Bool(&o.RefuseCommon, "identity.password.refuse_common", "password-refuse-common", "CAMPUS_PASSWORD_REFUSE_COMMON", "true", "Refuse new passwords from the bundled list of the most common ones")
	s.Int(&o.Argon2MemoryKiB, "identity.argon2.memory_kib", "argon2-memory-kib", "CAMPUS_ARGON2_MEMORY_KIB", "19456", "argon2id memory per password hash in KiB (OWASP: 19456 with time 2)")
	s.Int(&o.Argon2Time, "identity.argon2.time", "argon2-time", "CAMPUS_ARGON2_TIME", "2", "argon2id passes")
	s.Int(&o.Argon2Threads, "identity.argon2.threads", "argon2-threads", "CAMPUS_ARGON2_THREADS", "1", "argon2id lanes")
	s.File(&o.Clients, "identity.clients", "Applications (OAuth clients) declared in the config file: id, name, public, first_party, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, grant_types, scopes, id_token_alg, display_name and welcome_text (each a mapping by language: {en: ..., de: ...})")
	s.String(&o.TimeZone, "identity.timezone", "timezone", "CAMPUS_TIMEZONE", "UTC", "Time zone of login windows, e.g. Europe/Berlin")
	s.Duration(&o.DeviceCodeTTL, "identity.device_code_ttl", "device-code-ttl", "CAMPUS_DEVICE_CODE_TTL", "10m", "How long a device authorization (campus login) waits for the person's approval")
	s.Duration(&o.DevicePollInterval, "identity.device_poll_interval", "device-poll-interval", "CAMPUS_DEVICE_POLL_INTERVAL", "5s", "Interval a device (campus login) must keep between polls of the token endpoint")
	s.Int(&o.SignInsPerIPMinute, "identity.sign_ins_per_ip_minute", "sign-ins-per-ip-minute", "CAMPUS_SIGN_INS_PER_IP_MINUTE", "30", "Sign-in attempts allowed per client address and minute")
}

// registerAdmin binds the settings of the first administrator.
func registerAdmin(s *config.Set, a *identityservice.AdminConfig) {
	s.String(&a.Email, "admin.email", "admin-email", "CAMPUS_ADMIN_EMAIL", "admin@localhost", "E-mail of the administrator created on the first start")
	s.String(&a.Password, "admin.password", "", "CAMPUS_ADMIN_PASSWORD", "",
		"Password of the administrator created on the first start (default: generated and printed once)", config.Secret(), config.EnvOnly())
}

// upstreamOptions tell a service running alone where identity is.
type upstreamOptions struct {
	Issuer string
	CAFile string
}

func (u *upstreamOptions) register(s *config.Set) {
	s.String(&u.Issuer, "issuer", "issuer", "CAMPUS_ISSUER", "", "Identity's issuer URL, e.g. https://id.example.edu (required)")
	s.String(&u.CAFile, "ca_file", "ca-file", "CAMPUS_CA_FILE", "", "PEM file of CA certificates to trust when calling other services (default: the system's)")
}

func (u *upstreamOptions) validate() []error {
	if u.Issuer == "" {
		return []error{errors.New("--issuer is required: the identity service's issuer URL")}
	}
	if err := checkServiceURL(u.Issuer); err != nil {
		return []error{fmt.Errorf("--issuer %q: %v", u.Issuer, err)}
	}
	return nil
}

// registerStudy binds the study service's rules: how many attempts a
// person has per examination.
func registerStudy(s *config.Set, c *studyservice.Config) {
	s.Int(&c.MaxAttempts, "study.max_attempts", "max-attempts", "CAMPUS_MAX_ATTEMPTS", "3", "Attempts a person has per examination")
}

// registerStudyAccess binds who may change things through the study API,
// for serve and study (not demo load, which writes to the database).
func registerStudyAccess(s *config.Set, c *studyservice.Config) {
	s.Bool(&c.RequireMFA, "study.require_mfa", "study-require-mfa", "CAMPUS_STUDY_REQUIRE_MFA", "false",
		"Refuse changes to the catalogue and to grades (studies:write, grades:write) unless the person signed in with a second factor (passkey, authenticator app), with 401 insufficient_user_authentication (RFC 9470); people's own enrolments stay open")
}

// registerMessages binds the messages service's settings, for serve and
// messages.
func registerMessages(s *config.Set, c *messagesservice.Config) {
	s.Duration(&c.DigestAfter, "messages.digest_after", "digest-after", "CAMPUS_DIGEST_AFTER", "4h",
		"How old an unread message must be before its reader gets one digest mail about the unread messages (0: no digest mails)")
	s.Duration(&c.RosterInterval, "messages.roster_interval", "roster-interval", "CAMPUS_ROSTER_INTERVAL", "30s",
		"How often the course groups are brought in step with the study service's enrolments")
	s.Int(&c.SendBurst, "messages.send_burst", "send-burst", "CAMPUS_SEND_BURST", "30",
		"How many messages one person may send at once, before --send-every applies")
	s.Duration(&c.SendEvery, "messages.send_every", "send-every", "CAMPUS_SEND_EVERY", "1s",
		"After the burst, one message per this for each person (0: no limit); refused sends answer 429 with Retry-After")
}
