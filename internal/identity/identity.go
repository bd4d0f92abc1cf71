package identity

import (
	"errors"
	"fmt"
	"time"

	"campus/internal/mail"
)

// Sentinel errors of the identity stores; handlers map them to HTTP status.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Permission is one entry of the fixed permission catalogue. Roles carry
// permissions; a user's roles decide the scopes their tokens may carry.
type Permission string

const (
	PermUsersRead    Permission = "users:read"
	PermUsersWrite   Permission = "users:write"
	PermRolesWrite   Permission = "roles:write"
	PermStudiesWrite Permission = "studies:write"
	PermGradesWrite  Permission = "grades:write"
	PermGradesRead   Permission = "grades:read"
	// PermMessagesRead and PermMessagesWrite are the messages service's:
	// reading one's conversations, and writing in them (every built-in
	// role has both).
	PermMessagesRead  Permission = "messages:read"
	PermMessagesWrite Permission = "messages:write"
	// PermEventsWrite manages events and generates their accounts
	// (usernames and PINs): only administrators have it by default.
	PermEventsWrite Permission = "events:write"
)

// Permissions returns the whole catalogue, a new slice on every call. Each
// permission is also the OAuth scope of that name: this is the one list
// the provider's scopes and the clients' allowed scopes derive from.
func Permissions() []Permission {
	return []Permission{PermUsersRead, PermUsersWrite, PermRolesWrite, PermStudiesWrite, PermGradesWrite, PermGradesRead,
		PermMessagesRead, PermMessagesWrite, PermEventsWrite}
}

// OwnOnly tells whether the permission acts only on what is the holder's
// own (their conversations and messages), never on other accounts, so
// that it is no power one must hold to change another's account: every
// person has the messages permissions, and a help-desk role with
// users:write but without them still manages students.
func (p Permission) OwnOnly() bool {
	return p == PermMessagesRead || p == PermMessagesWrite
}

// Service scopes are what campus's services are granted as themselves,
// with client credentials: never a permission, so no role carries them
// and no person's token ever does (the grant of a person's token keeps
// only their roles' permissions).
const (
	// ScopePeopleRead looks people up by id and searches them by name
	// (GET /api/v1/people), with their roles.
	ScopePeopleRead = "people:read"
	// ScopeMailSend mails a person through identity's outbox
	// (POST /api/v1/people/{id}/mail).
	ScopeMailSend = "mail:send"
	// ScopeRostersRead reads the study service's rosters.
	ScopeRostersRead = "rosters:read"
	// ScopeMessagesNotify posts notices to the messages service.
	ScopeMessagesNotify = "messages:notify"
)

// ServiceScopes returns the service scopes, a new slice on every call.
func ServiceScopes() []string {
	return []string{ScopePeopleRead, ScopeMailSend, ScopeRostersRead, ScopeMessagesNotify}
}

// Built-in roles; administrators may add more.
const (
	RoleAdmin   = "admin"
	RoleStaff   = "staff"
	RoleStudent = "student"
)

// Account status values.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Account is a person who can sign in. ID is the opaque, stable subject id
// (the sub claim) that other services know the person by.
type Account struct {
	ID             string
	Username       string
	Email          string
	DisplayName    string
	GivenName      string
	FamilyName     string
	Semester       int
	ProgrammeID    string
	ProgrammeTitle string
	Status         string
	EmailVerified  bool
	Roles          []string
	// DirectoryDN links the account to its entry in the university's
	// directory ("" for a local account); directory accounts without a
	// local password sign in by an LDAP bind.
	DirectoryDN string
	// Locale is the language the person chose for mails ("en" or "de"),
	// "" when none was chosen: mails then follow the browser that asked,
	// else the configured default (mailer.Composer picks).
	Locale      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt *time.Time
}

// APIKey is a person's key for programs, without its secret.
type APIKey struct {
	ID         string
	AccountID  string
	Name       string
	Prefix     string // the key's first characters, for recognising it
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Active tells whether the key may be used at now.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// Mail is a message for the outbox, stored with the change that causes it.
type Mail struct {
	Kind      string // mail.Kind...: what the mail is for, shown in the queue
	AccountID string // whom it concerns, "" for nobody in particular
	Message   mail.Message
}

// OutboxMail is a mail in the outbox with its delivery state.
type OutboxMail struct {
	ID, Kind, To, AccountID string
	// Message is the rendered mail; empty once sent or given up, since it
	// may hold a single-use link or a generated password.
	Message       mail.Message
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	FailedAt      *time.Time // gave up
	LastError     string
}

// Purposes of single-use tokens sent by mail.
const (
	TokenConfirmEmail  = "confirm_email"
	TokenResetPassword = "reset_password"
)

// Token is a single-use token to store, sent by mail in Mail. Only its
// hash is stored. Email is the address a confirmation token confirms.
type Token struct {
	Purpose   string
	Hash      string
	Email     string
	ExpiresAt time.Time
}

// DirectoryEntry is a member of the directory group as identity keeps it.
type DirectoryEntry struct {
	DN, Username, Email, GivenName, FamilyName string
}

// DirectoryReport is what a directory sync did.
type DirectoryReport struct {
	Members   int      `json:"members"`
	Created   int      `json:"created"`
	Updated   int      `json:"updated"`
	Enabled   int      `json:"enabled"`
	Disabled  int      `json:"disabled"`
	Unchanged int      `json:"unchanged"`
	Skipped   []string `json:"skipped"` // why a member got no account or no update
	// DisabledIDs are the accounts the sync disabled.
	DisabledIDs []string `json:"-"`
}

func (r DirectoryReport) String() string {
	members := fmt.Sprintf("%d members", r.Members)
	if r.Members == 1 {
		members = "1 member"
	}
	return fmt.Sprintf("%s: %d created, %d updated, %d enabled again, %d disabled, %d unchanged, %d skipped",
		members, r.Created, r.Updated, r.Enabled, r.Disabled, r.Unchanged, len(r.Skipped))
}

// DirectoryStatus tells how the directory sync goes.
type DirectoryStatus struct {
	URL        string           `json:"url"`
	GroupDN    string           `json:"group_dn"`
	Interval   string           `json:"interval"` // "0s": on demand only
	Running    bool             `json:"running"`
	LastStart  *time.Time       `json:"last_start,omitempty"`
	LastEnd    *time.Time       `json:"last_end,omitempty"`
	LastError  string           `json:"last_error,omitempty"`
	LastReport *DirectoryReport `json:"last_report,omitempty"`
	// Reachable tells whether the directory answered just now, for this
	// answer; ReachError says why not. Directory sign-ins fail while it
	// is false; local accounts are not affected.
	Reachable  bool   `json:"reachable"`
	ReachError string `json:"reach_error,omitempty"`
}
