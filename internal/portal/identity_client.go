package portal

import "time"

// me is the person's own account at identity (GET /api/v1/me).
type me struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	Email       string   `json:"email"`
	DisplayName string   `json:"display_name"`
	GivenName   string   `json:"given_name"`
	FamilyName  string   `json:"family_name"`
	Semester    int      `json:"semester"`
	Roles       []string `json:"roles"`
	ProgrammeID string   `json:"programme_id"`
	Version     int      `json:"version"`
	// PendingEmail is a new address whose confirmation link was mailed.
	PendingEmail string `json:"pending_email"`
}

// account is a user as identity's API shows it to administrators.
type account struct {
	ID             string     `json:"id"`
	Username       string     `json:"username"`
	Email          string     `json:"email"`
	EmailVerified  bool       `json:"email_verified"`
	DisplayName    string     `json:"display_name"`
	ProgrammeTitle string     `json:"programme_title"`
	Semester       int        `json:"semester"`
	Status         string     `json:"status"`
	Roles          []string   `json:"roles"`
	Locked         bool       `json:"locked"`
	LockedUntil    *time.Time `json:"locked_until"`
	FailedSignIns  int        `json:"failed_sign_ins"`
	LastLoginAt    *time.Time `json:"last_login_at"`
	CreatedAt      time.Time  `json:"created_at"`
	Version        int        `json:"version"`
}

type role struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Builtin     bool     `json:"builtin"`
	Permissions []string `json:"permissions"`
	Version     int      `json:"version"`
}

// directoryReport and directoryStatus are identity's GET /api/v1/directory.
type directoryReport struct {
	Members, Created, Updated, Enabled, Disabled, Unchanged int
	Skipped                                                 []string
}

type directoryStatus struct {
	URL        string           `json:"url"`
	GroupDN    string           `json:"group_dn"`
	Running    bool             `json:"running"`
	LastEnd    *time.Time       `json:"last_end"`
	LastError  string           `json:"last_error"`
	LastReport *directoryReport `json:"last_report"`
}

// mailStatus is the status part of identity's GET /api/v1/mail.
type mailStatus struct {
	Pending          int  `json:"pending"`
	Retrying         int  `json:"retrying"`
	Failed           int  `json:"failed"`
	SentLast24h      int  `json:"sent_last_24h"`
	DeveloperMailbox bool `json:"developer_mailbox"`
}

type apiKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}
