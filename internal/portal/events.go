package portal

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"campus/internal/lazyregexp"
)

// Events as administrators run them (events:write): an exam, an open day,
// an election, whose accounts identity generates in batches, each with a
// random username and a numeric PIN, signing in only inside the event's
// window and only to its applications. The pages list and create events,
// make a batch (shown once on a page, or passed on as identity's CSV file
// or PDF letters) and end an event. The PINs pass through the portal and
// are never kept: a page that shows them is not cached.

const (
	scopeEvents = "events:write"
	// batchTimeout bounds the one call that makes a batch: identity
	// hashes every PIN with argon2id, about a minute for 2,000 accounts
	// on two quiet cores, several on a busy machine; the answer is the
	// only copy of the PINs, so the portal waits as long as the web entry
	// does (deploy/compose/nginx.conf).
	batchTimeout = 15 * time.Minute
	// maxBatch is identity's limit of accounts per batch; maxLabel of the
	// characters of one name.
	maxBatch = 5000
	maxLabel = 100
	// downloadCookie tells the events page's script that a file it asked
	// for has started to download (static/events.js).
	downloadCookie = "campus_download"
)

// Formats of a batch: on the page, or identity's file.
var batchFormats = map[string]string{"show": "", "csv": "text/csv", "pdf": "application/pdf"}

var downloadToken = lazyregexp.New(`^[A-Za-z0-9]{8,64}$`)

// requireEvents is requireSession for the events pages: the person's
// token must carry events:write; others get 403.
func (s *server) requireEvents(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return s.requireSession(func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !slices.Contains(sess.Scopes, scopeEvents) {
			s.fail(w, r, http.StatusForbidden, T(langOf(r), "events.forbidden"))
			return
		}
		h(w, r, sess)
	})
}

// slowClient is c with a time limit of at least limit, for a call that
// takes long by design.
func slowClient(c *http.Client, limit time.Duration) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	slow := *c
	if slow.Timeout != 0 && slow.Timeout < limit {
		slow.Timeout = limit
	}
	return &slow
}

// eventState is where the event stands on day (YYYY-MM-DD, the portal's
// time zone): "upcoming", "running" or "ended" (ended by hand, or past its
// last day, when identity ends it by itself).
func eventState(e event, day string) string {
	switch {
	case e.EndedAt != nil || (e.Window.LastDate != "" && day > e.Window.LastDate):
		return "ended"
	case e.Window.FirstDate != "" && day < e.Window.FirstDate:
		return "upcoming"
	}
	return "running"
}

// eventDates says an event's days and daily times in words.
func eventDates(lang Lang, w loginWindow) string {
	days := w.FirstDate
	if w.LastDate != w.FirstDate {
		days = T(lang, "events.days", w.FirstDate, w.LastDate)
	}
	return days + ", " + T(lang, "admin.window.daily", w.Earliest, w.Latest)
}

type eventRow struct {
	event
	State string
	Dates string
}

// eventForm is the create form as typed.
type eventForm struct {
	Name, Description                     string
	FirstDate, LastDate, Earliest, Latest string
	Apps                                  []string
	AppsText                              string // the applications typed, when they cannot be listed
	Role, Prefix, PINLength, Afterwards   string
}

func readEventForm(form url.Values) eventForm {
	f := eventForm{Name: strings.TrimSpace(form.Get("name")), Description: strings.TrimSpace(form.Get("description")),
		FirstDate: strings.TrimSpace(form.Get("first_date")), LastDate: strings.TrimSpace(form.Get("last_date")),
		Earliest: strings.TrimSpace(form.Get("earliest")), Latest: strings.TrimSpace(form.Get("latest")),
		Apps: form["application"], AppsText: strings.TrimSpace(form.Get("applications_text")),
		Role: strings.TrimSpace(form.Get("role")), Prefix: strings.TrimSpace(form.Get("username_prefix")),
		PINLength: strings.TrimSpace(form.Get("pin_length")), Afterwards: form.Get("afterwards")}
	if f.Apps == nil {
		f.Apps = []string{}
	}
	return f
}

// applications are the chosen ones and those typed (separated by commas
// or spaces), each once.
func (f eventForm) applications() []string {
	typed := strings.FieldsFunc(f.AppsText, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	apps := append(slices.Clone(f.Apps), typed...)
	out := []string{}
	for _, id := range apps {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// check checks what the portal can before identity does, field by field
// so that each message stands beside its field, and returns the event.
func (f eventForm) check(lang Lang) (newEvent, map[string]string) {
	errs := map[string]string{}
	if f.Name == "" {
		errs["name"] = T(lang, "events.name.missing")
	}
	win := windowForm{Earliest: f.Earliest, Latest: f.Latest, FirstDate: f.FirstDate, LastDate: f.LastDate}
	_, werrs := win.window(lang)
	for k, v := range werrs {
		errs[k] = v
	}
	// An event's window has all four (a login window may have no dates,
	// or nothing at all).
	for name, v := range map[string]string{"first_date": f.FirstDate, "last_date": f.LastDate, "earliest": f.Earliest, "latest": f.Latest} {
		switch {
		case v != "":
		case strings.HasSuffix(name, "_date"):
			errs[name] = T(lang, "events.date.missing")
		default:
			errs[name] = T(lang, "admin.window.badtime")
		}
	}
	pin, err := strconv.Atoi(f.PINLength)
	if err != nil || pin < 6 || pin > 12 {
		errs["pin_length"] = T(lang, "events.pin.bad")
	}
	if f.Afterwards != "delete" && f.Afterwards != "disable" {
		errs["afterwards"] = T(lang, "events.afterwards.bad")
	}
	return newEvent{Name: f.Name, Description: f.Description,
		Window:       loginWindow{Earliest: f.Earliest, Latest: f.Latest, FirstDate: f.FirstDate, LastDate: f.LastDate},
		Applications: f.applications(), Role: f.Role, UsernamePrefix: f.Prefix, PINLength: pin, Afterwards: f.Afterwards}, errs
}

// eventFields puts identity's field errors about an event where the form
// shows them; what fits no field is the form's.
func eventFields(prob apiProblem, errs map[string]string) {
	for field, msg := range prob.fields() {
		switch {
		case slices.Contains([]string{"name", "description", "role", "username_prefix", "pin_length", "afterwards", "window"}, field):
			errs[field] = msg
		case field == "applications" || strings.HasPrefix(field, "applications["):
			errs["applications"] = strings.TrimSpace(errs["applications"] + " " + msg)
		case strings.HasPrefix(field, "window."):
			errs["window"] = msg
		default:
			errs["form"] = strings.TrimSpace(errs["form"] + " " + msg)
		}
	}
	if len(errs) == 0 {
		errs["form"] = prob.Detail
	}
}

// formProblem is one line of a form's list of mistakes, linking to its
// field.
type formProblem struct{ Field, Message string }

// summary lists errs in the order of the form's fields (order: error key,
// then the id of the field it links to).
func summary(errs map[string]string, order ...string) []formProblem {
	var out []formProblem
	for i := 0; i+1 < len(order); i += 2 {
		if msg, ok := errs[order[i]]; ok {
			out = append(out, formProblem{Field: order[i+1], Message: msg})
		}
	}
	return out
}

type eventsView struct {
	Rows    []eventRow
	Form    eventForm
	Errors  map[string]string
	Summary []formProblem
	// Apps are the applications to choose from (AppsKnown: identity
	// listed them; else the ids are typed); AppNames names them by id.
	Apps      []application
	AppsKnown bool
	AppNames  map[string]string
	// Roles are those an event's accounts may have besides their own
	// (RolesKnown: identity listed them; else the role is typed).
	Roles      []string
	RolesKnown bool
	// Admin: the administration overview is open to the person.
	Admin bool
}

// applicationsOf lists identity's applications; known is false when the
// person may not list them (users:read).
func (s *server) applicationsOf(ctx context.Context, sess *session) (apps []application, known bool, err error) {
	apps, err = s.identity.Applications(ctx, sess)
	if errors.Is(err, errForbidden) {
		return nil, false, nil
	}
	return apps, err == nil, err
}

func appNames(apps []application) map[string]string {
	names := make(map[string]string, len(apps))
	for _, a := range apps {
		names[a.ID] = a.Name
	}
	return names
}

func (s *server) eventsPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v eventsView) {
	lang := langOf(r)
	list, err := s.identity.Events(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	apps, known, err := s.applicationsOf(r.Context(), sess)
	if s.apiFailed(w, r, err) {
		return
	}
	v.Apps, v.AppsKnown, v.AppNames = apps, known, appNames(apps)
	if known {
		// An application chosen that identity no longer lists stays in view.
		for _, id := range v.Form.Apps {
			if _, ok := v.AppNames[id]; !ok {
				v.Apps = append(v.Apps, application{ID: id, Name: T(lang, "admin.role.apps.unknown")})
			}
		}
	}
	roles, err := s.identity.Roles(r.Context(), sess)
	switch {
	case errors.Is(err, errForbidden):
	case s.apiFailed(w, r, err):
		return
	default:
		v.RolesKnown = true
		// Identity refuses admin and the events' own roles.
		own := map[string]bool{"admin": true}
		for _, e := range list {
			own[e.OwnRole] = true
		}
		for _, ro := range roles {
			if !own[ro.Name] {
				v.Roles = append(v.Roles, ro.Name)
			}
		}
	}
	day := s.now().Local().Format(time.DateOnly)
	for _, e := range list {
		v.Rows = append(v.Rows, eventRow{event: e, State: eventState(e, day), Dates: eventDates(lang, e.Window)})
	}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	v.Summary = summary(v.Errors, "name", "name", "description", "description", "window", "first_date", "first_date", "first_date",
		"last_date", "last_date", "earliest", "earliest", "latest", "latest", "applications", "applications", "role", "role",
		"username_prefix", "username_prefix", "pin_length", "pin_length", "afterwards", "afterwards-delete")
	v.Admin = slices.Contains(sess.Scopes, "users:read")
	s.render(w, status, "events", s.page(r, "events.title", v))
}

func (s *server) eventsList(w http.ResponseWriter, r *http.Request, sess *session) {
	s.eventsPage(w, r, sess, http.StatusOK, eventsView{Form: eventForm{Earliest: "08:00", Latest: "18:00", PINLength: "8", Afterwards: "delete", Apps: []string{}}})
}

// createEvent makes an event at identity and shows its page.
func (s *server) createEvent(w http.ResponseWriter, r *http.Request, sess *session) {
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	f := readEventForm(r.PostForm)
	body, errs := f.check(lang)
	if len(errs) == 0 {
		e, err := s.identity.CreateEvent(r.Context(), sess, body)
		switch st := statusOf(err); {
		case err == nil:
			http.Redirect(w, r, s.d.Base+"/admin/events/"+url.PathEscape(e.ID)+"?done=created", http.StatusSeeOther)
			return
		case st/100 == 4 && st != http.StatusUnauthorized:
			eventFields(problemOf(err), errs)
		default:
			s.apiFailed(w, r, err)
			return
		}
	}
	s.eventsPage(w, r, sess, http.StatusUnprocessableEntity, eventsView{Form: f, Errors: errs})
}

// batchForm is the generate form as typed.
type batchForm struct {
	Count, Labels, Format string
}

// batch checks the form and returns what identity is asked for: one
// account per non-empty line of the names, or the number.
func (f batchForm) batch(lang Lang) (batch, map[string]string) {
	errs := map[string]string{}
	if _, ok := batchFormats[f.Format]; !ok {
		errs["format"] = T(lang, "events.format.bad")
	}
	var labels []string
	for line := range strings.Lines(f.Labels) {
		if line = strings.TrimSpace(line); line != "" {
			labels = append(labels, line)
		}
	}
	n, err := strconv.Atoi(f.Count)
	switch {
	case len(labels) > maxBatch:
		errs["labels"] = T(lang, "events.labels.many", groupDigits(maxBatch, lang))
	case len(labels) > 0 && f.Count != "" && (err != nil || n != len(labels)):
		errs["count"] = T(lang, "events.count.both", groupDigits(len(labels), lang))
	case len(labels) > 0:
		for _, l := range labels {
			if len([]rune(l)) > maxLabel {
				errs["labels"] = T(lang, "events.labels.long")
				break
			}
		}
	case f.Count == "":
		errs["count"] = T(lang, "events.count.missing")
	case err != nil || n < 1 || n > maxBatch:
		errs["count"] = T(lang, "events.count.bad", groupDigits(maxBatch, lang))
	}
	if len(labels) > 0 {
		return batch{Labels: labels}, errs
	}
	return batch{Count: n}, errs
}

type eventView struct {
	Event    event
	State    string
	Dates    string
	AppNames map[string]string
	Form     batchForm
	Errors   map[string]string
	Summary  []formProblem
	Notice   string
	Error    string
	// CookiePath is where the download cookie is set (static/events.js).
	CookiePath string
	Max        string
}

func (s *server) eventPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v eventView) {
	lang := langOf(r)
	e, err := s.identity.Event(r.Context(), sess, r.PathValue("id"))
	if errors.Is(err, errNotFound) || statusOf(err) == http.StatusBadRequest {
		s.fail(w, r, http.StatusNotFound, T(lang, "events.none"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	// The names of the applications are a help, not the page's point.
	if apps, _, err := s.applicationsOf(r.Context(), sess); err == nil {
		v.AppNames = appNames(apps)
	} else {
		s.d.Logger.WarnContext(r.Context(), "event page: applications", "err", err)
	}
	v.Event, v.State, v.Dates = e, eventState(e, s.now().Local().Format(time.DateOnly)), eventDates(lang, e.Window)
	if v.Form.Format == "" {
		v.Form.Format = "show"
	}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	v.Summary = summary(v.Errors, "count", "count", "labels", "labels", "format", "format-show")
	v.CookiePath, v.Max = s.d.Base+"/admin/events/", groupDigits(maxBatch, lang)
	p := s.page(r, "events.title", v)
	p.Title = e.Name
	p.Scripts = []string{"events.js"}
	s.render(w, status, "event", p)
}

func (s *server) eventShow(w http.ResponseWriter, r *http.Request, sess *session) {
	v := eventView{}
	switch done := r.URL.Query().Get("done"); done {
	case "created", "ended":
		v.Notice = T(langOf(r), "events.done."+done)
	}
	s.eventPage(w, r, sess, http.StatusOK, v)
}

// generateAccounts asks identity for the event's new batch, which replaces
// the previous one, and shows it on a page or passes identity's file on.
func (s *server) generateAccounts(w http.ResponseWriter, r *http.Request, sess *session) {
	lang := langOf(r)
	// Identity takes about a minute for 2,000 accounts: longer than the
	// server's limits for a request, which this one extends for itself.
	// Without the read deadline too, the connection's read would time out
	// and cancel the request's context.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(batchTimeout + time.Minute))  //nolint:errcheck // not every writer has deadlines
	rc.SetWriteDeadline(time.Now().Add(batchTimeout + time.Minute)) //nolint:errcheck // as above
	// Names of up to 100 characters, each of up to 4 bytes, percent-encoded.
	r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	f := batchForm{Count: strings.TrimSpace(r.PostForm.Get("count")), Labels: r.PostForm.Get("labels"), Format: r.PostForm.Get("format")}
	b, errs := f.batch(lang)
	if len(errs) > 0 {
		s.eventPage(w, r, sess, http.StatusUnprocessableEntity, eventView{Form: f, Errors: errs})
		return
	}
	id := r.PathValue("id")
	var err error
	if mediaType := batchFormats[f.Format]; mediaType != "" {
		var resp *http.Response
		if resp, err = s.batches.GenerateFile(r.Context(), sess, id, b, mediaType); err == nil {
			s.passFile(w, r, resp, mediaType)
			return
		}
	} else {
		var g generated
		if g, err = s.batches.GenerateAccounts(r.Context(), sess, id, b); err == nil {
			s.showAccounts(w, r, g)
			return
		}
	}
	st, prob := statusOf(err), problemOf(err)
	switch {
	case errors.Is(err, errNotFound):
		s.fail(w, r, http.StatusNotFound, T(lang, "events.none"))
	case st == http.StatusConflict:
		s.eventPage(w, r, sess, http.StatusConflict, eventView{Form: f, Error: T(lang, "events.generate.ended")})
	case st == http.StatusServiceUnavailable && prob.Detail != "":
		// Identity answered: it is making another batch (one at a time).
		w.Header().Set("Retry-After", "10")
		s.eventPage(w, r, sess, http.StatusServiceUnavailable, eventView{Form: f, Error: T(lang, "events.generate.busy")})
	case st == http.StatusUnprocessableEntity || st == http.StatusBadRequest:
		for field, msg := range prob.fields() {
			switch field {
			case "count", "labels":
				errs[field] = msg
			default:
				errs["form"] = strings.TrimSpace(errs["form"] + " " + msg)
			}
		}
		if len(errs) == 0 {
			errs["form"] = prob.Detail
		}
		s.eventPage(w, r, sess, http.StatusUnprocessableEntity, eventView{Form: f, Errors: errs})
	default:
		s.apiFailed(w, r, err)
	}
}

// passFile passes identity's file of a batch on as a download: its type
// and name as identity gave them, never cached. A cookie tells the page's
// script that the download has started (static/events.js).
func (s *server) passFile(w http.ResponseWriter, r *http.Request, resp *http.Response, mediaType string) {
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != mediaType {
		s.d.Logger.ErrorContext(r.Context(), "event accounts: identity answered another type", "want", mediaType, "got", ct)
		s.fail(w, r, http.StatusBadGateway, T(langOf(r), "events.generate.badfile"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", "attachment")
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		h.Set("Content-Length", cl)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if t := r.PostForm.Get("download"); downloadToken.MatchString(t) {
		http.SetCookie(w, &http.Cookie{Name: downloadCookie, Value: t, Path: s.d.Base + "/admin/events/", MaxAge: 600,
			Secure: s.rp.secure, SameSite: http.SameSiteStrictMode})
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, resp.Body); err != nil {
		// The status went out: a cut connection tells the browser the
		// download failed, rather than leaving a file that looks whole.
		s.d.Logger.WarnContext(r.Context(), "event accounts: the file was cut short", "err", err)
		panic(http.ErrAbortHandler)
	}
}

type accountsView struct {
	Event     event
	SignInURL string
	Accounts  []credential
	Labels    bool // some account has a label
	Count     string
	Dates     string
}

// showAccounts shows a new batch, the only time its PINs are shown.
func (s *server) showAccounts(w http.ResponseWriter, r *http.Request, g generated) {
	lang := langOf(r)
	v := accountsView{Event: g.Event, SignInURL: g.SignInURL, Accounts: g.Accounts, Count: groupDigits(len(g.Accounts), lang),
		Dates: eventDates(lang, g.Event.Window)}
	v.Labels = slices.ContainsFunc(g.Accounts, func(c credential) bool { return c.Label != "" })
	p := s.page(r, "events.title", v)
	p.Title = T(lang, "events.accounts.of", g.Event.Name)
	p.Scripts = []string{"events.js"}
	s.render(w, http.StatusOK, "eventaccounts", p)
}

// endEvent ends an event now at identity: its accounts are deleted or
// disabled and signed out.
func (s *server) endEvent(w http.ResponseWriter, r *http.Request, sess *session) {
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.eventPage(w, r, sess, http.StatusUnprocessableEntity, eventView{Errors: map[string]string{"confirm": T(lang, "events.end.confirm.missing")}})
		return
	}
	id := r.PathValue("id")
	_, err := s.identity.EndEvent(r.Context(), sess, id)
	switch {
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/admin/events/"+url.PathEscape(id)+"?done=ended", http.StatusSeeOther)
	case errors.Is(err, errNotFound):
		s.fail(w, r, http.StatusNotFound, T(lang, "events.none"))
	default:
		s.apiFailed(w, r, err)
	}
}
