package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"campus/internal/identity"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
	"campus/internal/lazyregexp"
	"campus/internal/problem"
	"campus/internal/rest"
)

// userView is an account as the API shows it.
type userView struct {
	ID             string             `json:"id"`
	Username       string             `json:"username"`
	Email          string             `json:"email"`
	EmailVerified  bool               `json:"email_verified"`
	DisplayName    string             `json:"display_name"`
	GivenName      string             `json:"given_name"`
	FamilyName     string             `json:"family_name"`
	Semester       int                `json:"semester"`
	ProgrammeID    string             `json:"programme_id"`
	ProgrammeTitle string             `json:"programme_title"`
	Status         string             `json:"status"`
	Roles          []string           `json:"roles"`
	LoginWindow    *store.LoginWindow `json:"login_window"`
	Locked         bool               `json:"locked"`
	LockedUntil    *time.Time         `json:"locked_until"`
	FailedSignIns  int                `json:"failed_sign_ins"`
	LastLoginAt    *time.Time         `json:"last_login_at"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	Version        int                `json:"version"`
	// PendingEmail is a new address waiting for its confirmation.
	PendingEmail string `json:"pending_email,omitempty"`
	// Directory is true for accounts from the university directory.
	Directory bool `json:"directory"`
	// Locale is the language the person chose for mails (en, de), null
	// when none was chosen.
	Locale *string `json:"locale"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func viewUser(r store.AccountRecord, now time.Time) userView {
	roles := r.Roles
	if roles == nil {
		roles = []string{}
	}
	return userView{ID: r.ID, Username: r.Username, Email: r.Email, EmailVerified: r.EmailVerified, DisplayName: r.DisplayName,
		GivenName: r.GivenName, FamilyName: r.FamilyName, Semester: r.Semester, ProgrammeID: r.ProgrammeID,
		ProgrammeTitle: r.ProgrammeTitle, Status: r.Status, Roles: roles, LoginWindow: r.LoginWindow,
		Locked: r.LockedUntil != nil && r.LockedUntil.After(now), LockedUntil: utcPtr(r.LockedUntil), FailedSignIns: r.FailedLogins,
		LastLoginAt: utcPtr(r.LastLoginAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
		Directory: r.DirectoryDN != "", Locale: localeView(r.Locale)}
}

func localeView(l string) *string {
	if l == "" {
		return nil
	}
	return &l
}

func (a *api) writeUser(w http.ResponseWriter, r *http.Request, status int, rec store.AccountRecord) {
	v := viewUser(rec, a.now())
	pending, err := a.store.PendingEmail(r.Context(), rec.ID)
	if err != nil {
		a.logger.ErrorContext(r.Context(), "read pending e-mail", "account", rec.ID, "err", err)
	}
	v.PendingEmail = pending
	rest.Reply(w, status, rec.Version, v)
}

// ---- list

var listParams = []string{"q", "role", "status", "sort", "order", "limit", "cursor"}

func (a *api) handleListUsers(w http.ResponseWriter, r *http.Request, _ *principal) {
	qs := rest.NewQuery(r)
	qs.Only(listParams...)
	q := store.AccountQuery{Search: qs.Get("q"), Role: qs.Get("role"), Status: qs.Get("status"), Sort: qs.Get("sort"), After: qs.Cursor(), Limit: qs.Limit(50, 200)}
	if utf8.RuneCountInString(q.Search) > 200 {
		qs.Invalid("q", "may be at most 200 characters")
	}
	if q.Status != "" && q.Status != identity.StatusActive && q.Status != identity.StatusDisabled {
		qs.Invalid("status", "must be active or disabled")
	}
	if q.Sort == "" {
		q.Sort = store.SortCreatedAt
	}
	switch q.Sort {
	case store.SortCreatedAt, store.SortLastLoginAt:
	case "username", "email":
		// Stored encrypted: the database cannot order by them (decision 100).
		qs.Invalid("sort", "must be created_at or last_login_at: usernames and e-mail addresses are stored encrypted and cannot be sorted by; search for them with q")
	default:
		qs.Invalid("sort", "must be created_at or last_login_at")
	}
	switch qs.Get("order") {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		qs.Invalid("order", "must be asc or desc")
	}
	if qs.Answer(w) {
		return
	}
	page, err := a.store.ListAccounts(r.Context(), q)
	if errors.Is(err, store.ErrBadCursor) {
		rest.BadQuery(w, problem.FieldError{Field: "cursor", Detail: "is not valid for this sort and order; start again without it"})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Items      []userView `json:"items"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}{Items: []userView{}, NextCursor: page.Next}
	now := a.now()
	for _, rec := range page.Accounts {
		out.Items = append(out.Items, viewUser(rec, now))
	}
	if page.Next != "" {
		next := url.Values{}
		for k, v := range qs.Values {
			next[k] = v
		}
		next.Set("cursor", page.Next)
		w.Header().Set("Link", `<`+a.login.base+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// ---- one user

func (a *api) handleGetUser(w http.ResponseWriter, r *http.Request, _ *principal) {
	rec, err := a.store.AccountRecord(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeUser(w, r, http.StatusOK, rec)
}

func (a *api) handleGetMe(w http.ResponseWriter, r *http.Request, p *principal) {
	a.writeUser(w, r, http.StatusOK, *p.account)
}

// profilePatch is a JSON merge patch of an account's profile.
type profilePatch struct {
	Username       optional[string]            `json:"username"`
	Email          optional[string]            `json:"email"`
	DisplayName    optional[string]            `json:"display_name"`
	GivenName      optional[string]            `json:"given_name"`
	FamilyName     optional[string]            `json:"family_name"`
	Semester       optional[int]               `json:"semester"`
	ProgrammeID    optional[string]            `json:"programme_id"`
	ProgrammeTitle optional[string]            `json:"programme_title"`
	LoginWindow    optional[store.LoginWindow] `json:"login_window"`
	Locale         optional[string]            `json:"locale"`
}

// selfPatch is what people change of their own account: the profile, but
// not the login window an administrator set for them.
type selfPatch struct {
	Username       optional[string] `json:"username"`
	Email          optional[string] `json:"email"`
	DisplayName    optional[string] `json:"display_name"`
	GivenName      optional[string] `json:"given_name"`
	FamilyName     optional[string] `json:"family_name"`
	Semester       optional[int]    `json:"semester"`
	ProgrammeID    optional[string] `json:"programme_id"`
	ProgrammeTitle optional[string] `json:"programme_title"`
	Locale         optional[string] `json:"locale"`
}

func (p selfPatch) profile() profilePatch {
	return profilePatch{Username: p.Username, Email: p.Email, DisplayName: p.DisplayName, GivenName: p.GivenName,
		FamilyName: p.FamilyName, Semester: p.Semester, ProgrammeID: p.ProgrammeID, ProgrammeTitle: p.ProgrammeTitle, Locale: p.Locale}
}

// apply validates the patch and applies it to a, returning the names of
// the fields that changed, or the field errors.
func (pp profilePatch) apply(a *store.AccountRecord) (changed []string, errs []problem.FieldError) {
	str := func(name string, o optional[string], dst *string, check func(string) string) {
		if !o.Set {
			return
		}
		if o.Null {
			errs = append(errs, problem.FieldError{Field: name, Detail: "cannot be null; send \"\" to clear it"})
			return
		}
		v := strings.TrimSpace(o.Value)
		if msg := check(v); msg != "" {
			errs = append(errs, problem.FieldError{Field: name, Detail: msg})
			return
		}
		if v != *dst {
			*dst = v
			changed = append(changed, name)
		}
	}
	str("username", pp.Username, &a.Username, checkUsername)
	str("email", pp.Email, &a.Email, checkEmail)
	str("display_name", pp.DisplayName, &a.DisplayName, checkText(200, false))
	str("given_name", pp.GivenName, &a.GivenName, checkText(100, false))
	str("family_name", pp.FamilyName, &a.FamilyName, checkText(100, false))
	str("programme_id", pp.ProgrammeID, &a.ProgrammeID, checkText(64, false))
	str("programme_title", pp.ProgrammeTitle, &a.ProgrammeTitle, checkText(200, false))
	if o := pp.Semester; o.Set {
		switch {
		case o.Null:
			errs = append(errs, problem.FieldError{Field: "semester", Detail: "cannot be null; send 0 for none"})
		case o.Value < 0 || o.Value > 40:
			errs = append(errs, problem.FieldError{Field: "semester", Detail: "must be from 0 (none) to 40"})
		case o.Value != a.Semester:
			a.Semester = o.Value
			changed = append(changed, "semester")
		}
	}
	if o := pp.Locale; o.Set {
		// null (or "") clears the choice: mails follow the browser again.
		l := ""
		if !o.Null {
			l = strings.TrimSpace(o.Value)
		}
		switch {
		case l != "" && l != "en" && l != "de":
			errs = append(errs, problem.FieldError{Field: "locale", Detail: "must be en, de or null"})
		case l != a.Locale:
			a.Locale = l
			changed = append(changed, "locale")
		}
	}
	if o := pp.LoginWindow; o.Set {
		var w *store.LoginWindow
		if !o.Null {
			if msgs := checkWindow(o.Value); msgs != nil {
				for _, msg := range msgs {
					errs = append(errs, problem.FieldError{Field: "login_window", Detail: msg})
				}
				return changed, errs
			}
			w = &o.Value
		}
		if (w == nil) != (a.LoginWindow == nil) || (w != nil && *w != *a.LoginWindow) {
			a.LoginWindow = w
			changed = append(changed, "login_window")
		}
	}
	return changed, errs
}

var usernamePattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$`)

func checkUsername(s string) string {
	if s == "" {
		return "is required"
	}
	if !usernamePattern.MatchString(s) {
		return "use 2 to 64 letters (a-z), digits, '.', '_' or '-', starting with a letter or digit"
	}
	return ""
}

func checkEmail(s string) string {
	if s == "" {
		return "is required"
	}
	addr, err := mail.ParseAddress(s)
	_, domain, _ := strings.Cut(s, "@")
	if err != nil || addr.Address != s || len(s) > 254 || !strings.Contains(domain, ".") {
		return "is not an e-mail address like name@uni.example"
	}
	return ""
}

// checkText allows printable text up to max characters.
func checkText(max int, required bool) func(string) string {
	return func(s string) string {
		if required && s == "" {
			return "is required"
		}
		if !utf8.ValidString(s) {
			return "must be text (UTF-8)"
		}
		if utf8.RuneCountInString(s) > max {
			return fmt.Sprintf("may be at most %d characters", max)
		}
		if strings.ContainsFunc(s, unicode.IsControl) {
			return "may not contain control characters"
		}
		return ""
	}
}

// checkWindow returns every problem of a login window, each one sentence.
func checkWindow(w store.LoginWindow) []string {
	_, err := w.Window()
	var wp *policy.WindowProblems
	if errors.As(err, &wp) {
		return wp.Problems
	}
	if err != nil {
		return []string{err.Error()}
	}
	return nil
}

// handlePatchUser changes another account's profile (or one's own, but
// not one's own login window), in one transaction with one new version.
// A new e-mail address is not taken on trust: it waits, pending, for the
// confirmation link mailed to it, and the current address is told; it
// becomes the account's once confirmed (when mail is not configured, it
// replaces the old one at once, unconfirmed). A new login window ends the
// person's sessions, so that it applies at once.
func (a *api) handlePatchUser(w http.ResponseWriter, r *http.Request, p *principal) {
	var patch profilePatch
	if !decode(w, r, &patch, nil) {
		return
	}
	id := r.PathValue("id")
	version, ok := ifMatch(w, r, a.versionOf(r.Context(), id))
	if !ok {
		return
	}
	c := accountChange{action: "profile_changed"}
	if patch.LoginWindow.Set {
		c.own = "own login window"
	}
	composer, l := a.rc.mail.Composer, lang(r)
	var changed []string
	var fieldErrs []problem.FieldError
	var pending string
	rec, err := a.changeAccount(r, p, id, version, c, func(rec *store.AccountRecord) error {
		was := rec.Email
		if changed, fieldErrs = patch.apply(rec); fieldErrs != nil {
			return errInvalid
		}
		if composer != nil && store.Key(rec.Email) != store.Key(was) {
			pending, rec.Email = rec.Email, was
		}
		return nil
	}, func(before, after store.AccountRecord) ([]store.Issue, []identity.Mail, error) {
		if pending == "" {
			return nil, nil, nil
		}
		is, err := newIssue(composer, a.now(), after.Account, identity.TokenConfirmEmail, pending, l)
		if err != nil {
			return nil, nil, err
		}
		notice, err := composer.EmailChangeByAdmin(after.Account, pending, l)
		return []store.Issue{is}, []identity.Mail{notice}, err
	})
	if errors.Is(err, errInvalid) {
		rest.Invalid(w, fieldErrs...)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	detail := "changed: " + strings.Join(changed, ", ")
	if changed == nil {
		detail = "nothing changed"
	}
	a.audit(r, p, "profile_changed", identity.OutcomeSuccess, id, detail)
	if pending != "" {
		a.rc.mail.notify()
		a.audit(r, p, "email_change_requested", identity.OutcomeSuccess, id,
			"by an administrator: confirmation link mailed to the new address, the current one told")
	}
	if slices.Contains(changed, "login_window") && !a.endSessionsAfter(w, r, id, "The login window is changed") {
		return
	}
	a.writeUser(w, r, http.StatusOK, rec)
}

// handlePatchMe changes the caller's own profile. Whether an address has
// an account is nobody else's business: a new address of one's own
// replaces the old one only once confirmed by the link mailed to it (the
// old address hears of it then), and an address another account has gets
// the same answer, while its owner is told instead of sent a link. Changes
// of username and address are limited per account (identifierChanges).
func (a *api) handlePatchMe(w http.ResponseWriter, r *http.Request, p *principal) {
	var patch selfPatch
	if !decode(w, r, &patch, map[string]string{"login_window": "is set by administrators"}) {
		return
	}
	pp := patch.profile()
	acc := *p.account
	newEmail, newUsername := strings.TrimSpace(pp.Email.Value), strings.TrimSpace(pp.Username.Value)
	wantsEmail := pp.Email.Set && !pp.Email.Null && !strings.EqualFold(newEmail, acc.Email)
	wantsUsername := pp.Username.Set && !pp.Username.Null && store.Key(newUsername) != store.Key(acc.Username)
	var fieldErrs []problem.FieldError
	if msg := checkEmail(newEmail); wantsEmail && msg != "" {
		fieldErrs = append(fieldErrs, problem.FieldError{Field: "email", Detail: msg})
	}
	if msg := checkUsername(newUsername); wantsUsername && msg != "" {
		fieldErrs = append(fieldErrs, problem.FieldError{Field: "username", Detail: msg})
	}
	if wantsUsername || wantsEmail {
		// An event's account keeps the username on its letter, and has no
		// address of its own to confirm.
		event, err := a.store.EventOf(r.Context(), acc.ID)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if event != "" {
			fieldErrs = append(fieldErrs, problem.FieldError{Field: "username",
				Detail: "An event's account keeps its username and has no e-mail address."})
		}
	}
	if fieldErrs != nil {
		rest.Invalid(w, fieldErrs...)
		return
	}
	var what []string
	if wantsUsername {
		what = append(what, "username")
	}
	if wantsEmail {
		what = append(what, "email")
	}
	if what != nil && !a.countIdentifierChange(w, r, p, strings.Join(what, ", ")) {
		return
	}
	// A new address of one's own replaces the old one only once confirmed
	// by the link mailed to it (the old address hears of it then).
	confirm := a.rc.mail.Composer != nil && wantsEmail
	var owner identity.Account
	if confirm {
		if acc.DirectoryDN != "" {
			problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "Your e-mail address comes from the university directory; change it there.",
				Errors: []problem.FieldError{{Field: "email", Detail: "comes from the university directory"}}})
			return
		}
		other, _, err := a.store.AccountByLogin(r.Context(), newEmail)
		switch {
		case err == nil && other.ID != acc.ID:
			owner = other
		case err != nil && !errors.Is(err, identity.ErrNotFound):
			a.fail(w, r, err)
			return
		}
		pp.Email = optional[string]{}
	}
	rec, ok := a.patchProfile(w, r, p, acc.ID, pp, !confirm)
	if !ok || !confirm {
		return
	}
	var err error
	if owner.ID != "" {
		err = a.rc.issueInUse(r, rec.Account, newEmail, owner)
	} else {
		err = a.rc.issue(r.Context(), rec.Account, identity.TokenConfirmEmail, newEmail, lang(r))
	}
	if errors.Is(err, store.ErrRateLimited) {
		w.Header().Set("Retry-After", "60")
		problem.Write(w, problem.Details{Status: http.StatusTooManyRequests,
			Detail: "Your other changes are saved, but a confirmation link was mailed very recently; try the new address again in a minute."})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	detail := "confirmation link mailed to the new address"
	if owner.ID != "" {
		detail = "the address belongs to another account, whose owner was told; no link was mailed"
	}
	a.audit(r, p, "email_change_requested", identity.OutcomeSuccess, acc.ID, detail)
	a.writeUser(w, r, http.StatusOK, rec)
}

// Changes of one's own username or e-mail address, counted per account in
// the audit trail (so across replicas), whether they succeed or not: each
// tells whether a username or address is taken, however the answer reads.
const (
	identifierChangesPerHour = 5
	identifierChangeAction   = "identifier_change_attempt"
)

// countIdentifierChange counts an attempt to change the caller's username
// or address (what), or answers 429 when there were too many.
func (a *api) countIdentifierChange(w http.ResponseWriter, r *http.Request, p *principal, what string) bool {
	wait, err := a.store.CountedAttempt(r.Context(), identity.AuditEvent{Action: identifierChangeAction, Actor: p.subject, Target: p.account.ID,
		ClientID: p.clientID, ClientIP: clientIP(r), Detail: what}, identifierChangesPerHour, time.Hour)
	if errors.Is(err, store.ErrRateLimited) {
		secs := max(1, int(wait.Seconds()))
		a.audit(r, p, identifierChangeAction, identity.OutcomeDenied, p.account.ID, what+": too many changes")
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		problem.Write(w, problem.Details{Status: http.StatusTooManyRequests,
			Detail: fmt.Sprintf("You changed your username or e-mail address too often; try again in %s. Nothing was changed.", humanWait(secs))})
		return false
	}
	if err != nil {
		a.fail(w, r, err)
		return false
	}
	return true
}

// patchProfile applies a profile patch; it writes the answer when it
// fails, or when respond is true.
func (a *api) patchProfile(w http.ResponseWriter, r *http.Request, p *principal, id string, patch profilePatch, respond bool) (store.AccountRecord, bool) {
	version, ok := ifMatch(w, r, a.versionOf(r.Context(), id))
	if !ok {
		return store.AccountRecord{}, false
	}
	var changed []string
	var fieldErrs []problem.FieldError
	rec, err := a.store.UpdateAccount(r.Context(), id, version, func(rec *store.AccountRecord) error {
		changed, fieldErrs = patch.apply(rec)
		if fieldErrs != nil {
			return errInvalid
		}
		return nil
	})
	if errors.Is(err, errInvalid) {
		rest.Invalid(w, fieldErrs...)
		return rec, false
	}
	if err != nil {
		a.fail(w, r, err)
		return rec, false
	}
	detail := "changed: " + strings.Join(changed, ", ")
	if changed == nil {
		detail = "nothing changed"
	}
	a.audit(r, p, "profile_changed", identity.OutcomeSuccess, id, detail)
	if respond {
		a.writeUser(w, r, http.StatusOK, rec)
	}
	return rec, true
}

// errInvalid stops a store update whose input turned out invalid.
var errInvalid = errors.New("invalid input")

func (a *api) versionOf(ctx context.Context, id string) func() (int, error) {
	return func() (int, error) {
		rec, err := a.store.AccountRecord(ctx, id)
		return rec.Version, err
	}
}

// ---- who may change an account

// accountChange is a change made through the admin API to one account, as
// authorizeChange judges it.
type accountChange struct {
	action string // what the audit trail calls it
	// own names the restriction the change would lift when made to one's
	// own account ("own roles"); "" when one may make it to one's own.
	own string
	// roles are the roles the account is to have; nil: unchanged.
	roles []string
}

// refusal is why a change to an account is not allowed: detail for the
// caller, audit for the trail.
type refusal struct{ detail, audit string }

func (r *refusal) Error() string { return r.audit }

// authorizeChange is the one rule for every change made to an account
// through the admin API: authority follows the account. On another
// account the caller must hold every permission of every role the account
// has, and of every role it is to get or lose, so that users:write alone
// never reaches an administrator's address, status or lock; permissions
// over one's own things only (identity.Permission.OwnOnly) do not count. On one's own
// account nobody lifts a restriction that others set: roles, login window,
// lock, status. target is the account as read in the change's
// transaction; rolePerms the permissions of every role.
func authorizeChange(p *principal, target store.AccountRecord, rolePerms map[string][]identity.Permission, c accountChange) error {
	if p.isSelf(target.ID) {
		if c.own != "" {
			return &refusal{detail: ownText(c.own), audit: c.own}
		}
		return nil
	}
	roles := slices.Clone(target.Roles)
	for _, name := range c.roles {
		if !slices.Contains(roles, name) {
			roles = append(roles, name)
		}
	}
	var lacking []string
	for _, name := range roles {
		for _, perm := range rolePerms[name] {
			if !perm.OwnOnly() && !slices.Contains(p.perms, perm) {
				lacking = append(lacking, name+" ("+string(perm)+")")
				break
			}
		}
	}
	if lacking != nil {
		return &refusal{audit: "lacks permissions of " + strings.Join(lacking, ", "),
			detail: fmt.Sprintf("You can only change accounts, and give or take away roles, whose permissions you hold yourself; you lack %s.",
				strings.Join(lacking, ", "))}
	}
	return nil
}

// changeAccount makes a change to the account id as p in one store
// transaction: the read, authorizeChange, change, the write with one new
// version, and the mails of effects (nil: none). It records refusals in
// the audit trail; the caller answers errors (a.fail answers a refusal).
func (a *api) changeAccount(r *http.Request, p *principal, id string, version int, c accountChange, change func(*store.AccountRecord) error,
	effects func(before, after store.AccountRecord) ([]store.Issue, []identity.Mail, error)) (store.AccountRecord, error) {
	rec, err := a.store.ChangeAccount(r.Context(), id, store.AccountChange{Version: version, Change: change, Effects: effects,
		Check: func(target store.AccountRecord, rolePerms map[string][]identity.Permission) error {
			return authorizeChange(p, target, rolePerms, c)
		}})
	var refused *refusal
	switch {
	case errors.As(err, &refused):
		a.audit(r, p, c.action, identity.OutcomeDenied, id, refused.audit)
	case errors.Is(err, store.ErrLastAdmin):
		a.audit(r, p, c.action, identity.OutcomeDenied, id, "last active administrator")
	}
	return rec, err
}

// endSessionsAfter ends every session of the account after a change that
// must apply at once; when that fails it answers 500 saying what was done.
//
// done is one of the sentences in endedText, which says it whole.
func (a *api) endSessionsAfter(w http.ResponseWriter, r *http.Request, id, done string) bool {
	if err := a.endSessions(r.Context(), id, ""); err != nil {
		a.logger.ErrorContext(r.Context(), "end sessions after a change", "account", id, "err", err)
		problem.Write(w, problem.Details{Status: failureStatus(err),
			Detail: endedText(done)})
		return false
	}
	return true
}

// errUnchanged stops a store update that would change nothing.
var errUnchanged = errors.New("unchanged")

// ---- status, lock and roles

// handleSetStatus disables or enables an account. Disabling ends every
// session of the account, which revokes its tokens and tells its
// applications (back-channel logout). Setting the status it has already
// changes nothing, but a disable still ends sessions, so that a retry after
// a failure finishes the job. Nobody enables their own account.
func (a *api) handleSetStatus(status string) func(http.ResponseWriter, *http.Request, *principal) {
	action := map[string]string{identity.StatusDisabled: "account_disabled", identity.StatusActive: "account_enabled"}[status]
	c := accountChange{action: action}
	if status == identity.StatusActive {
		c.own = "own status"
	}
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		id := r.PathValue("id")
		version, ok := ifMatch(w, r, a.versionOf(r.Context(), id))
		if !ok {
			return
		}
		var unchanged store.AccountRecord
		rec, err := a.changeAccount(r, p, id, version, c, func(rec *store.AccountRecord) error {
			if rec.Status == status {
				unchanged = *rec
				return errUnchanged
			}
			rec.Status = status
			return nil
		}, nil)
		switch {
		case errors.Is(err, errUnchanged):
			rec, err = unchanged, nil
		case err == nil:
			a.audit(r, p, action, identity.OutcomeSuccess, id, "")
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if status == identity.StatusDisabled {
			if err := a.endSessions(r.Context(), id, ""); err != nil {
				a.logger.ErrorContext(r.Context(), "end sessions of a disabled account", "account", id, "err", err)
				problem.Write(w, problem.Details{Status: failureStatus(err),
					Detail: "The account is disabled, but not all of its sessions could be ended; disable it again to retry."})
				return
			}
		}
		a.writeUser(w, r, http.StatusOK, rec)
	}
}

// endSessions ends every live session of an account except keep.
func (a *api) endSessions(ctx context.Context, accountID, keep string) error {
	ids, err := a.store.SessionsOf(ctx, accountID)
	if err != nil {
		return err
	}
	var errs []error
	for _, sid := range ids {
		if sid == keep {
			continue
		}
		errs = append(errs, a.storage.EndSession(ctx, identity.Session{ID: sid, AccountID: accountID}))
	}
	return errors.Join(errs...)
}

// handleUnlock clears an account's failed sign-ins and lock; nobody
// unlocks their own.
func (a *api) handleUnlock(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	version, ok := ifMatch(w, r, a.versionOf(r.Context(), id))
	if !ok {
		return
	}
	var was int
	rec, err := a.changeAccount(r, p, id, version, accountChange{action: "unlock", own: "own lock"}, func(rec *store.AccountRecord) error {
		was = rec.FailedLogins
		rec.FailedLogins, rec.LockedUntil = 0, nil
		return nil
	}, nil)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "unlock", identity.OutcomeSuccess, id, fmt.Sprintf("by an administrator; %d failed sign-ins cleared", was))
	a.writeUser(w, r, http.StatusOK, rec)
}

type rolesBody struct {
	Roles []string `json:"roles"`
}

// handlePutRoles replaces an account's roles (authorizeChange: nobody
// changes their own, and nobody hands out or takes away a role that
// carries a permission they do not hold themselves). A change ends the
// person's sessions, so that tokens carrying the old roles stop working.
func (a *api) handlePutRoles(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	var body rolesBody
	if !decode(w, r, &body, nil) {
		return
	}
	version, ok := ifMatch(w, r, a.versionOf(r.Context(), id))
	if !ok {
		return
	}
	roles, err := a.store.Roles(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var errs []problem.FieldError
	if body.Roles == nil {
		errs = append(errs, problem.FieldError{Field: "roles", Detail: "is required: the complete list of roles ([] for none)"})
	}
	for i, name := range body.Roles {
		if !slices.ContainsFunc(roles, func(role store.Role) bool { return role.Name == name }) {
			errs = append(errs, problem.FieldError{Field: "roles[" + strconv.Itoa(i) + "]", Detail: fmt.Sprintf("there is no role %q", name)})
		}
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	var before []string
	rec, err := a.changeAccount(r, p, id, version, accountChange{action: "roles_changed", own: "own roles", roles: body.Roles},
		func(rec *store.AccountRecord) error {
			before = rec.Roles
			rec.Roles = slices.Clone(body.Roles)
			return nil
		}, nil)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "roles_changed", identity.OutcomeSuccess, id, "["+strings.Join(before, ", ")+"] -> ["+strings.Join(rec.Roles, ", ")+"]")
	if symmetricDifference(before, rec.Roles) != nil && !a.endSessionsAfter(w, r, id, "The roles are changed") {
		return
	}
	a.writeUser(w, r, http.StatusOK, rec)
}

// symmetricDifference lists what is in exactly one of a and b.
func symmetricDifference(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ---- password

type passwordBody struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// handleChangePassword changes the caller's password. It needs the current
// one (attempts are limited per account); the new one must pass the
// password policy. Every other session of the person ends: whoever else
// was signed in with the old password is out, this session stays.
func (a *api) handleChangePassword(w http.ResponseWriter, r *http.Request, p *principal) {
	var body passwordBody
	if !decode(w, r, &body, nil) {
		return
	}
	ctx, acc := r.Context(), p.account
	var errs []problem.FieldError
	if body.CurrentPassword == "" {
		errs = append(errs, problem.FieldError{Field: "current_password", Detail: "is required"})
	}
	if err := a.login.cfg.passwordPolicy().Check(body.NewPassword, acc.Username, acc.Email, acc.GivenName, acc.FamilyName, acc.DisplayName); err != nil {
		errs = append(errs, passwordErrors("new_password", err)...)
	} else if body.NewPassword == body.CurrentPassword {
		errs = append(errs, problem.FieldError{Field: "new_password", Detail: "must differ from the current password"})
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	if ok, retry, err := a.pwLimiter.Allow(ctx, acc.ID); err != nil {
		a.fail(w, r, err)
		return
	} else if !ok {
		wait := retrySeconds(retry)
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		problem.Write(w, problem.Details{Status: http.StatusTooManyRequests, Detail: fmt.Sprintf("Too many attempts; try again in %s.", humanWait(wait))})
		return
	}
	hash, err := a.store.PasswordHash(ctx, acc.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if hash == "" {
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "This account signs in through the university directory; change the password there."})
		return
	}
	ok, _, err := password.VerifyContext(ctx, body.CurrentPassword, hash, a.params)
	if errors.Is(err, password.ErrBusy) {
		a.fail(w, r, err)
		return
	}
	if err != nil || !ok {
		a.audit(r, p, "password_changed", identity.OutcomeFailure, acc.ID, "current password wrong")
		rest.Invalid(w, problem.FieldError{Field: "current_password", Detail: "is not right"})
		return
	}
	newHash, err := password.HashContext(ctx, body.NewPassword, a.params)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.store.SetPasswordHash(ctx, acc.ID, newHash); err != nil {
		a.fail(w, r, err)
		return
	}
	keep, err := a.store.AccessTokenSession(ctx, p.jti)
	if err != nil && !errors.Is(err, identity.ErrNotFound) {
		a.logger.ErrorContext(ctx, "find the token's session", "err", err)
	}
	a.audit(r, p, "password_changed", identity.OutcomeSuccess, acc.ID, "by the account holder; other sessions ended")
	if err := a.endSessions(ctx, acc.ID, keep); err != nil {
		a.logger.ErrorContext(ctx, "end other sessions after a password change", "account", acc.ID, "err", err)
		problem.Write(w, problem.Details{Status: failureStatus(err),
			Detail: "The password was changed, but not all other sessions could be ended. Sign out everywhere to be sure."})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// passwordErrors turns the policy's reasons into field errors.
func passwordErrors(field string, err error) []problem.FieldError {
	var pe *policy.PasswordError
	if !errors.As(err, &pe) {
		return []problem.FieldError{{Field: field, Detail: err.Error()}}
	}
	var out []problem.FieldError
	for _, reason := range pe.Reasons {
		out = append(out, problem.FieldError{Field: field, Detail: reason})
	}
	return out
}

// ownText is the detail of a refused change to one's own account.
func ownText(own string) string {
	switch own {
	case "own lock":
		return "Nobody changes their own lock; ask another administrator."
	case "own roles":
		return "Nobody changes their own roles; ask another administrator."
	case "own login window":
		return "Nobody changes their own login window; ask another administrator."
	case "own status":
		return "Nobody changes their own status; ask another administrator."
	case "own second factors":
		return "Nobody resets their own second factors here: remove one on the sign-in security page (it asks for your password), or ask another administrator."
	}
	return "Nobody lifts a restriction on their own account; ask another administrator."
}

// endedText is the detail of a change that is made but could not end the
// account's sessions.
func endedText(done string) string {
	switch done {
	case "The login window is changed":
		return "The login window is changed, but not every session of the account could be ended; its tokens stop working when they expire."
	case "The roles are changed":
		return "The roles are changed, but not every session of the account could be ended; its tokens stop working when they expire."
	}
	return "The change is made, but not every session of the account could be ended; its tokens stop working when they expire."
}
