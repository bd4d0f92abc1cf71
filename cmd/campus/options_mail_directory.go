package main

import (
	"time"

	"campus/internal/config"
	identityservice "campus/internal/identity/service"
)

// registerMail binds identity's mail settings: the SMTP server, the sender,
// and how long mailed links are valid.
func registerMail(s *config.Set, o *identityservice.MailConfig) {
	s.String(&o.SMTP.Host, "identity.smtp_host", "smtp-host", "CAMPUS_SMTP_HOST", "",
		"SMTP server that sends identity's mail (empty: in serve, mail goes to the developer mailbox in the data dir)")
	s.Int(&o.SMTP.Port, "identity.smtp_port", "smtp-port", "CAMPUS_SMTP_PORT", "0", "SMTP port (0: 587 for starttls, 465 for tls, 25 for none)")
	s.String(&o.SMTP.TLS, "identity.smtp_tls", "smtp-tls", "CAMPUS_SMTP_TLS", "starttls",
		"starttls (required, never falls back to clear text), tls (implicit TLS) or none (only for a relay on this machine)")
	s.String(&o.SMTP.Username, "identity.smtp_username", "smtp-username", "CAMPUS_SMTP_USERNAME", "", "SMTP user name (empty: no authentication)")
	s.String(&o.SMTP.Password, "identity.smtp_password", "", "CAMPUS_SMTP_PASSWORD", "", "SMTP password", config.Secret(), config.EnvOnly())
	s.String(&o.SMTP.From, "identity.smtp_from", "smtp-from", "CAMPUS_SMTP_FROM", "", `Sender of identity's mail, e.g. "Campus <noreply@uni.example>" (required with --smtp-host)`)
	s.String(&o.SMTP.CAFile, "identity.smtp_ca_file", "smtp-ca-file", "CAMPUS_SMTP_CA_FILE", "", "PEM certificates the SMTP server's certificate must chain to (empty: the system's)")
	s.String(&o.SiteName, "identity.site_name", "site-name", "CAMPUS_SITE_NAME", "campus", "Name of this installation in mail subjects and greetings")
	s.String(&o.Language, "identity.mail_language", "mail-language", "CAMPUS_MAIL_LANGUAGE", "en",
		"Language of mails no browser asked for (directory welcomes): en or de")
	s.Duration(&o.ConfirmTTL, "identity.email_confirmation_ttl", "email-confirmation-ttl", "CAMPUS_EMAIL_CONFIRMATION_TTL", "1h",
		"How long an e-mail confirmation link is valid")
	s.Duration(&o.ResetTTL, "identity.password_reset_ttl", "password-reset-ttl", "CAMPUS_PASSWORD_RESET_TTL", "1h", "How long a password reset link is valid")
	s.Duration(&o.RetryBase, "identity.mail_retry_base", "mail-retry-base", "CAMPUS_MAIL_RETRY_BASE", "30s",
		"Delay before a mail that failed is tried again; it doubles per attempt up to an hour, and mail is given up after 72 hours")
	s.Bool(&o.UnconfirmedSignIn, "identity.unconfirmed_sign_in", "unconfirmed-sign-in", "CAMPUS_UNCONFIRMED_SIGN_IN", "false",
		"Let accounts sign in before they confirmed their e-mail address")
}

// registerDirectory binds the settings that connect identity to the
// university directory.
func registerDirectory(s *config.Set, o *identityservice.DirectoryConfig) {
	s.String(&o.LDAP.URL, "identity.ldap.url", "ldap-url", "CAMPUS_LDAP_URL", "", "Directory server, ldap://host:389 or ldaps://host:636 (empty: no directory)")
	s.Bool(&o.LDAP.StartTLS, "identity.ldap.start_tls", "ldap-start-tls", "CAMPUS_LDAP_START_TLS", "false", "Upgrade an ldap:// connection with StartTLS")
	s.String(&o.LDAP.CAFile, "identity.ldap.ca_file", "ldap-ca-file", "CAMPUS_LDAP_CA_FILE", "", "PEM certificates the directory's certificate must chain to (empty: the system's)")
	s.String(&o.LDAP.BindDN, "identity.ldap.bind_dn", "ldap-bind-dn", "CAMPUS_LDAP_BIND_DN", "", "DN of the service account that reads the directory")
	s.String(&o.LDAP.BindPassword, "identity.ldap.bind_password", "", "CAMPUS_LDAP_BIND_PASSWORD", "", "Password of the service account", config.Secret(), config.EnvOnly())
	s.String(&o.LDAP.BaseDN, "identity.ldap.base_dn", "ldap-base-dn", "CAMPUS_LDAP_BASE_DN", "", "Where people are searched, e.g. dc=uni,dc=example")
	s.String(&o.LDAP.UserFilter, "identity.ldap.user_filter", "ldap-user-filter", "CAMPUS_LDAP_USER_FILTER", "(objectClass=user)", "LDAP filter of person entries")
	s.String(&o.LDAP.GroupDN, "identity.ldap.group_dn", "ldap-group-dn", "CAMPUS_LDAP_GROUP_DN", "", "DN of the group whose members get accounts")
	s.String(&o.LDAP.AttrUsername, "identity.ldap.attr_username", "ldap-attr-username", "CAMPUS_LDAP_ATTR_USERNAME", "sAMAccountName", "Attribute holding the username")
	s.String(&o.LDAP.AttrEmail, "identity.ldap.attr_email", "ldap-attr-email", "CAMPUS_LDAP_ATTR_EMAIL", "mail", "Attribute holding the e-mail address")
	s.String(&o.LDAP.AttrGivenName, "identity.ldap.attr_given_name", "ldap-attr-given-name", "CAMPUS_LDAP_ATTR_GIVEN_NAME", "givenName", "Attribute holding the given name")
	s.String(&o.LDAP.AttrFamilyName, "identity.ldap.attr_family_name", "ldap-attr-family-name", "CAMPUS_LDAP_ATTR_FAMILY_NAME", "sn", "Attribute holding the family name")
	s.Duration(&o.LDAP.Timeout, "identity.ldap.timeout", "ldap-timeout", "CAMPUS_LDAP_TIMEOUT", "10s", "Time limit of each directory operation")
	s.Duration(&o.SyncInterval, "identity.ldap.sync_interval", "ldap-sync-interval", "CAMPUS_LDAP_SYNC_INTERVAL", "15m", "How often the group is synced (0: only on demand)")
	s.Bool(&o.DisableMissing, "identity.ldap.disable_missing", "ldap-disable-missing", "CAMPUS_LDAP_DISABLE_MISSING", "true", "Disable the accounts of people who left the group")
	s.String(&o.NewAccounts, "identity.ldap.new_accounts", "ldap-new-accounts", "CAMPUS_LDAP_NEW_ACCOUNTS", "bind",
		"How new directory accounts sign in: bind (their directory password) or password (a generated one, mailed)")
	s.String(&o.Role, "identity.ldap.role", "ldap-role", "CAMPUS_LDAP_ROLE", "student", "Role of new directory accounts")
}

// registerJobLease binds the lease length of identity's background jobs.
func registerJobLease(s *config.Set, d *time.Duration) {
	s.Duration(d, "identity.job_lease", "job-lease", "CAMPUS_JOB_LEASE", "30s",
		"How long a background job's lease lasts without renewal (directory sync, mail, back-channel logout): how soon another replica takes over from one that died")
}
