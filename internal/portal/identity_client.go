package portal

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// identityClient is identity's admin API (api/identity.yaml, under
// /api/v1 of the issuer) as the portal uses it, as the signed-in person.
type identityClient struct {
	apiClient
}

// versionTag is the entity tag of a version, the same in both APIs
// (internal/rest.ETag).
func versionTag(version int) string { return `"` + strconv.Itoa(version) + `"` }

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
	// Locale is the language of the person's mails, "" when not chosen.
	Locale string `json:"locale"`
}

func (c identityClient) Me(ctx context.Context, sess *session) (me, error) {
	var m me
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/me"}, &m)
	return m, err
}

// UpdateMe changes the person's account (a merge patch) made from version;
// a new address is confirmed by a mail in acceptLanguage.
func (c identityClient) UpdateMe(ctx context.Context, sess *session, version int, patch map[string]any, acceptLanguage string) error {
	return c.do(ctx, sess, call{method: http.MethodPatch, path: "/me", ifMatch: versionTag(version), body: patch,
		headers: []string{"Accept-Language", acceptLanguage}}, nil)
}

// SetLocale sets the language of the person's mails, whatever else
// changed meanwhile (If-Match: *): it touches only that field.
func (c identityClient) SetLocale(ctx context.Context, sess *session, lang string) error {
	return c.do(ctx, sess, call{method: http.MethodPatch, path: "/me", ifMatch: "*", body: map[string]string{"locale": lang}}, nil)
}

func (c identityClient) ChangePassword(ctx context.Context, sess *session, current, next string) error {
	return c.do(ctx, sess, call{method: http.MethodPost, path: "/me/password",
		body: map[string]string{"current_password": current, "new_password": next}}, nil)
}

// Register makes an account (anonymously) and tells whether its address
// is confirmed already. clientAddr is the browser's, which identity's
// limit per address counts; acceptLanguage the confirmation mail's.
func (c identityClient) Register(ctx context.Context, body map[string]string, clientAddr, acceptLanguage string) (emailVerified bool, err error) {
	var answer struct {
		EmailVerified bool `json:"email_verified"`
	}
	err = c.do(ctx, nil, call{method: http.MethodPost, path: "/registrations", body: body,
		headers: []string{"X-Forwarded-For", clientAddr, "Accept-Language", acceptLanguage}}, &answer)
	return answer.EmailVerified, err
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

func (c identityClient) APIKeys(ctx context.Context, sess *session) ([]apiKey, error) {
	var list listPage[apiKey]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/me/api-keys"}, &list)
	return list.Items, err
}

// CreateAPIKey makes a key; the answer holds its secret, this once. body
// is name and expires_at.
func (c identityClient) CreateAPIKey(ctx context.Context, sess *session, body map[string]any) (apiKey, error) {
	var k apiKey
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/me/api-keys", body: body}, &k)
	return k, err
}

func (c identityClient) RevokeAPIKey(ctx context.Context, sess *session, id string) error {
	return c.do(ctx, sess, call{method: http.MethodDelete, path: "/me/api-keys/" + esc(id)}, nil)
}

// person is how identity names a subject to those who grade.
type person struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// maxPeopleAsked is what identity's GET /api/v1/people names at a time.
const maxPeopleAsked = 200

// People names subjects, asking identity for maxPeopleAsked at a time. On
// an error it returns those named before it too.
func (c identityClient) People(ctx context.Context, sess *session, ids []string) ([]person, error) {
	var named []person
	for start := 0; start < len(ids); start += maxPeopleAsked {
		q := url.Values{"id": ids[start:min(start+maxPeopleAsked, len(ids))]}
		var list listPage[person]
		if err := c.do(ctx, sess, call{method: http.MethodGet, path: "/people?" + q.Encode()}, &list); err != nil {
			return named, err
		}
		named = append(named, list.Items...)
	}
	return named, nil
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
	// LoginWindow is the account's own login window; nil: none.
	LoginWindow *loginWindow `json:"login_window"`
}

// userQuery asks for a page of accounts, searched and filtered.
type userQuery struct {
	Q, Role, Status, Cursor string
}

// values is the query identity takes (and the users page links to).
func (q userQuery) values() url.Values {
	v := url.Values{"limit": {"50"}}
	for k, val := range map[string]string{"q": q.Q, "role": q.Role, "status": q.Status, "cursor": q.Cursor} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func (c identityClient) Users(ctx context.Context, sess *session, q userQuery) (listPage[account], error) {
	var list listPage[account]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/users?" + q.values().Encode()}, &list)
	return list, err
}

func (c identityClient) User(ctx context.Context, sess *session, id string) (account, error) {
	var u account
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/users/" + esc(id)}, &u)
	return u, err
}

// SetRoles gives an account exactly these roles, against version.
func (c identityClient) SetRoles(ctx context.Context, sess *session, id string, version int, roles []string) error {
	if roles == nil {
		roles = []string{}
	}
	return c.do(ctx, sess, call{method: http.MethodPut, path: "/users/" + esc(id) + "/roles", ifMatch: versionTag(version),
		body: map[string][]string{"roles": roles}}, nil)
}

// Disable, Enable and Unlock change an account, against version.
func (c identityClient) Disable(ctx context.Context, sess *session, id string, version int) error {
	return c.userAction(ctx, sess, id, "disable", version)
}

func (c identityClient) Enable(ctx context.Context, sess *session, id string, version int) error {
	return c.userAction(ctx, sess, id, "enable", version)
}

func (c identityClient) Unlock(ctx context.Context, sess *session, id string, version int) error {
	return c.userAction(ctx, sess, id, "unlock", version)
}

func (c identityClient) userAction(ctx context.Context, sess *session, id, action string, version int) error {
	return c.do(ctx, sess, call{method: http.MethodPost, path: "/users/" + esc(id) + "/" + action, ifMatch: versionTag(version)}, nil)
}

type role struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Builtin     bool     `json:"builtin"`
	Permissions []string `json:"permissions"`
	Version     int      `json:"version"`
	// AllowedClients limits the members' sign-in to these applications;
	// empty: any. LoginWindow limits it in time; nil: none.
	AllowedClients []string     `json:"allowed_clients"`
	LoginWindow    *loginWindow `json:"login_window"`
	// Event is the event whose own role this is ("" for others): it
	// changes with the event, not here.
	Event string `json:"event"`
}

func (c identityClient) Roles(ctx context.Context, sess *session) ([]role, error) {
	var list listPage[role]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/roles"}, &list)
	return list.Items, err
}

func (c identityClient) AddRole(ctx context.Context, sess *session, name, description string, permissions []string) error {
	if permissions == nil {
		permissions = []string{}
	}
	return c.do(ctx, sess, call{method: http.MethodPost, path: "/roles",
		body: map[string]any{"name": name, "description": description, "permissions": permissions}}, nil)
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

func (c identityClient) Directory(ctx context.Context, sess *session) (directoryStatus, error) {
	var d directoryStatus
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/directory"}, &d)
	return d, err
}

// SyncDirectory runs the directory sync now.
func (c identityClient) SyncDirectory(ctx context.Context, sess *session) error {
	return c.do(ctx, sess, call{method: http.MethodPost, path: "/directory/sync"}, nil)
}

// mailStatus is the status part of identity's GET /api/v1/mail.
type mailStatus struct {
	Pending          int  `json:"pending"`
	Retrying         int  `json:"retrying"`
	Failed           int  `json:"failed"`
	SentLast24h      int  `json:"sent_last_24h"`
	DeveloperMailbox bool `json:"developer_mailbox"`
}

func (c identityClient) MailStatus(ctx context.Context, sess *session) (mailStatus, error) {
	var queue struct {
		Status mailStatus `json:"status"`
	}
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/mail?limit=1"}, &queue)
	return queue.Status, err
}
