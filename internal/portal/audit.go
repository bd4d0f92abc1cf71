package portal

import (
	"bufio"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"campus/internal/csvsafe"
	"campus/internal/lazyregexp"
)

// The audit trail as administrators read it (users:read): identity's
// GET /api/v1/audit, a page at a time, with the people named, and the same
// selection as a CSV file.

// auditEvent is one event as identity's audit API shows it.
type auditEvent struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Action   string    `json:"action"`
	Outcome  string    `json:"outcome"`
	Actor    string    `json:"actor"`
	Target   string    `json:"target"`
	ClientIP string    `json:"client_ip"`
	ClientID string    `json:"client_id"`
	Detail   string    `json:"detail"`
}

// AuditEvents reads a page of the audit trail; q holds the API's filters
// (auditFilter.apiQuery), encoded here.
func (c identityClient) AuditEvents(ctx context.Context, sess *session, q url.Values) (listPage[auditEvent], error) {
	var list listPage[auditEvent]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/audit?" + q.Encode()}, &list)
	return list, err
}

// auditActions are the actions identity records, in the order the filter
// offers them; each has a label "audit.action.<action>". Others (a newer
// identity's) show their code only.
var auditActions = []string{
	"sign_in", "lock", "unlock", "password_changed", "password_reset", "reset_password_link",
	"email_confirmed", "confirm_email_link", "email_change_requested", "profile_changed", "identifier_change_attempt",
	"registered", "roles_changed", "account_disabled", "account_enabled", "role_created", "role_changed",
	"consent", "consent_withdrawn", "device_authorization", "session_ended", "sessions_ended", "api_key_created", "api_key_revoked",
	"client_added", "client_removed", "directory_sync", "mail_retry", "service_mail",
	"event_created", "event_accounts_generated", "event_ended",
}

var auditOutcomes = []string{"success", "failure", "denied"}

const (
	auditPageSize = 50
	// auditExportMax bounds a CSV export: a longer trail is narrowed with
	// the filters (docs/operations.md, "The audit trail").
	auditExportMax = 100_000
	// auditExportPage is what the export asks identity for at a time (the
	// API's maximum).
	auditExportPage = 500
	auditDate       = "2006-01-02"
)

var auditActionCode = lazyregexp.New(`^[a-z][a-z0-9_]{0,63}$`)

// auditFilter is the selection as typed into the form (and carried by
// the paging links); from and until are days in the portal's time zone.
type auditFilter struct {
	Person, Action, Outcome, From, Until string
	Cursor                               string
	// since and until are the day bounds, until exclusive (the day after).
	since, until time.Time
}

// auditFilterOf reads the selection and checks it; errors are by field,
// in lang, the values kept as typed.
func auditFilterOf(q url.Values, lang Lang) (auditFilter, map[string]string) {
	f := auditFilter{Person: strings.TrimSpace(q.Get("person")), Action: strings.TrimSpace(q.Get("action")),
		Outcome: q.Get("outcome"), From: strings.TrimSpace(q.Get("from")), Until: strings.TrimSpace(q.Get("until")), Cursor: q.Get("cursor")}
	errs := map[string]string{}
	if utf8.RuneCountInString(f.Person) > 200 {
		errs["person"] = T(lang, "audit.person.long")
	}
	if f.Action != "" && !auditActionCode.MatchString(f.Action) {
		errs["action"] = T(lang, "audit.action.bad")
	}
	if f.Outcome != "" && !slices.Contains(auditOutcomes, f.Outcome) {
		errs["outcome"] = T(lang, "audit.outcome.bad")
	}
	day := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation(auditDate, s, time.Local)
		if err != nil {
			errs[field] = T(lang, "audit.date.bad")
		}
		return d
	}
	f.since = day("from", f.From)
	if u := day("until", f.Until); !u.IsZero() {
		f.until = u.AddDate(0, 0, 1) // the whole day
	}
	if !f.since.IsZero() && !f.until.IsZero() && !f.since.Before(f.until) {
		errs["until"] = T(lang, "audit.date.order")
	}
	return f, errs
}

// values is the selection as the page's links carry it (no cursor).
func (f auditFilter) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"person": f.Person, "action": f.Action, "outcome": f.Outcome, "from": f.From, "until": f.Until} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// apiQuery is the selection as identity's API takes it: the person by
// id, the days as RFC 3339 instants.
func (f auditFilter) apiQuery(personID string, limit int) url.Values {
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	if personID != "" {
		v.Set("person", personID)
	}
	if f.Action != "" {
		v.Set("action", f.Action)
	}
	if f.Outcome != "" {
		v.Set("outcome", f.Outcome)
	}
	if !f.since.IsZero() {
		v.Set("since", f.since.UTC().Format(time.RFC3339))
	}
	if !f.until.IsZero() {
		v.Set("until", f.until.UTC().Format(time.RFC3339))
	}
	if f.Cursor != "" {
		v.Set("cursor", f.Cursor)
	}
	return v
}

// party is an actor or a target: an account by name, or an id that is
// not an account's (an application, a role, the directory).
type party struct {
	ID, Username, Name string
	Account            bool
}

type auditRow struct {
	auditEvent
	When          string // local time, to the second
	Label         string // the action in words, "" when unknown
	Actor, Target party
}

type auditView struct {
	Filter  auditFilter
	Errors  map[string]string
	Actions []auditOption
	// Person is the account the person filter found, nil when none.
	Person *party
	Rows   []auditRow
	// Query is the selection (for the CSV link and the newest page), Next
	// the older page's; both encoded here.
	Query, Next template.URL
	Searched    bool // events were asked for (the filters were valid)
	ExportMax   string
}

type auditOption struct{ Code, Label string }

// audit is the audit trail page.
func (s *server) audit(w http.ResponseWriter, r *http.Request, sess *session) {
	lang := langOf(r)
	f, errs := auditFilterOf(r.URL.Query(), lang)
	v := auditView{Filter: f, Errors: errs, ExportMax: groupDigits(auditExportMax, lang), Query: template.URL(f.values().Encode())}
	for _, a := range auditActions {
		v.Actions = append(v.Actions, auditOption{a, T(lang, "audit.action."+a)})
	}
	if len(errs) > 0 {
		s.render(w, http.StatusUnprocessableEntity, "audit", s.page(r, "audit.title", v))
		return
	}
	personID, who, err := s.auditPerson(r.Context(), sess, f.Person)
	if s.apiFailed(w, r, err) {
		return
	}
	v.Person = who
	list, err := s.identity.AuditEvents(r.Context(), sess, f.apiQuery(personID, auditPageSize))
	if statusOf(err) == http.StatusBadRequest { // a cursor identity does not take
		v.Errors["form"] = T(lang, "audit.badquery")
		s.render(w, http.StatusUnprocessableEntity, "audit", s.page(r, "audit.title", v))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	v.Searched = true
	names := s.auditNames(r.Context(), sess, list.Items, nil)
	for _, e := range list.Items {
		row := auditRow{auditEvent: e, When: e.At.Local().Format("2006-01-02 15:04:05 MST"),
			Actor: names.party(e.Actor), Target: names.party(e.Target)}
		if slices.Contains(auditActions, e.Action) {
			row.Label = T(lang, "audit.action."+e.Action)
		}
		v.Rows = append(v.Rows, row)
	}
	if list.NextCursor != "" {
		q := f.values()
		q.Set("cursor", list.NextCursor)
		v.Next = template.URL(q.Encode())
	}
	s.render(w, http.StatusOK, "audit", s.page(r, "audit.title", v))
}

// auditPerson finds whom the person filter means: an account by id, else
// by its username or e-mail address (exactly, in any case), else the
// value itself stands for an id that is not an account's (an application,
// a role). who is the account found, nil for none.
func (s *server) auditPerson(ctx context.Context, sess *session, typed string) (id string, who *party, err error) {
	if typed == "" {
		return "", nil, nil
	}
	people, err := s.identity.People(ctx, sess, []string{typed})
	if err != nil {
		return "", nil, err
	}
	for _, p := range people {
		if p.ID == typed {
			return p.ID, &party{ID: p.ID, Username: p.Username, Name: p.DisplayName, Account: true}, nil
		}
	}
	list, err := s.identity.Users(ctx, sess, userQuery{Q: typed})
	if statusOf(err) == http.StatusBadRequest {
		return typed, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	for _, u := range list.Items {
		if strings.EqualFold(u.Username, typed) || strings.EqualFold(u.Email, typed) {
			return u.ID, &party{ID: u.ID, Username: u.Username, Name: u.DisplayName, Account: true}, nil
		}
	}
	return typed, nil, nil
}

// auditNameMap holds identity's names of ids; nil for an id that is no
// account's.
type auditNameMap map[string]*person

func (m auditNameMap) party(id string) party {
	if p := m[id]; p != nil {
		return party{ID: id, Username: p.Username, Name: p.DisplayName, Account: true}
	}
	return party{ID: id}
}

// auditNames names the accounts among events' actors and targets, asking
// identity for the ids not in known yet; known (nil: a new one) is
// returned with them added, ids that are no account's included.
func (s *server) auditNames(ctx context.Context, sess *session, events []auditEvent, known auditNameMap) auditNameMap {
	if known == nil {
		known = auditNameMap{}
	}
	var ids []string
	for _, e := range events {
		for _, id := range []string{e.Actor, e.Target} {
			if _, ok := known[id]; !ok && id != "" {
				known[id] = nil
				ids = append(ids, id)
			}
		}
	}
	people, err := s.identity.People(ctx, sess, ids)
	for _, p := range people {
		known[p.ID] = &p
	}
	if err != nil {
		// The ids stand in for the names; the next page asks again.
		s.d.Logger.WarnContext(ctx, "name the people of the audit trail", "err", err)
		for _, id := range ids {
			if known[id] == nil {
				delete(known, id)
			}
		}
	}
	return known
}

// auditCSV is the selection as a CSV file, newest first, read from
// identity a page at a time and written as it comes, at most
// auditExportMax events. Times are UTC (RFC 3339); every cell goes
// through csvsafe, since details and names are typed by people.
func (s *server) auditCSV(w http.ResponseWriter, r *http.Request, sess *session) {
	lang := langOf(r)
	f, errs := auditFilterOf(r.URL.Query(), lang)
	f.Cursor = ""
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, m := range errs {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		s.fail(w, r, http.StatusUnprocessableEntity, strings.Join(msgs, " "))
		return
	}
	personID, _, err := s.auditPerson(r.Context(), sess, f.Person)
	if s.apiFailed(w, r, err) {
		return
	}
	q := f.apiQuery(personID, auditExportPage)
	// The first page is read before anything is written, so that a refusal
	// or an outage is a page, not a broken file.
	list, err := s.identity.AuditEvents(r.Context(), sess, q)
	if s.apiFailed(w, r, err) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="campus-audit-`+s.now().Local().Format("20060102")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	bw := bufio.NewWriter(w)
	csvsafe.WriteRecord(bw, []string{"id", "time_utc", "action", "outcome", "actor", "actor_username", "actor_name",
		"target", "target_username", "target_name", "client_ip", "client_id", "detail"})
	var names auditNameMap
	written := 0
	for {
		names = s.auditNames(r.Context(), sess, list.Items, names)
		for _, e := range list.Items {
			if written == auditExportMax {
				bw.Flush() //nolint:errcheck // the file ends here either way
				return
			}
			a, t := names.party(e.Actor), names.party(e.Target)
			csvsafe.WriteRecord(bw, []string{e.ID, e.At.UTC().Format(time.RFC3339), e.Action, e.Outcome,
				e.Actor, a.Username, a.Name, e.Target, t.Username, t.Name, e.ClientIP, e.ClientID, e.Detail})
			written++
		}
		if list.NextCursor == "" || written == auditExportMax {
			break
		}
		if len(names) > 10_000 { // names of a long trail are not all kept
			names = nil
		}
		q.Set("cursor", list.NextCursor)
		if list, err = s.identity.AuditEvents(r.Context(), sess, q); err != nil {
			// The status went out with the first page: a cut connection
			// tells the browser the download failed, rather than leaving a
			// file that looks whole.
			s.d.Logger.WarnContext(r.Context(), "audit export cut short", "rows", written, "err", err)
			bw.Flush() //nolint:errcheck // aborting anyway
			panic(http.ErrAbortHandler)
		}
	}
	bw.Flush() //nolint:errcheck // a client gone away gets a short file
}

// groupDigits writes n with its thousands grouped as lang writes them
// (100,000; 100.000).
func groupDigits(n int, lang Lang) string {
	sep := ","
	if lang == German {
		sep = "."
	}
	d := strconv.Itoa(n)
	for i := len(d) - 3; i > 0; i -= 3 {
		d = d[:i] + sep + d[i:]
	}
	return d
}
