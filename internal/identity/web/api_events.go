package web

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/events"
	"campus/internal/identity/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

// eventView is an event as the API shows it.
type eventView struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	Window         store.LoginWindow `json:"window"`
	Applications   []string          `json:"applications"`
	Role           string            `json:"role"`
	OwnRole        string            `json:"own_role"`
	UsernamePrefix string            `json:"username_prefix"`
	PINLength      int               `json:"pin_length"`
	Afterwards     string            `json:"afterwards"`
	Accounts       int               `json:"accounts"`
	GeneratedAt    *time.Time        `json:"generated_at"`
	EndedAt        *time.Time        `json:"ended_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Version        int               `json:"version"`
}

func viewEvent(e store.Event) eventView {
	apps := e.Clients
	if apps == nil {
		apps = []string{}
	}
	return eventView{ID: e.ID, Name: e.Name, Description: e.Description, Window: e.Window, Applications: apps, Role: e.Role,
		OwnRole: e.OwnRole, UsernamePrefix: e.Prefix, PINLength: e.PINLength, Afterwards: e.Afterwards, Accounts: e.Accounts,
		GeneratedAt: e.GeneratedAt, EndedAt: e.EndedAt, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), Version: e.Version}
}

// eventCreate is the body of POST /api/v1/events.
type eventCreate struct {
	Name           string             `json:"name"`
	Description    string             `json:"description"`
	Window         *store.LoginWindow `json:"window"`
	Applications   []string           `json:"applications"`
	Role           string             `json:"role"`
	UsernamePrefix string             `json:"username_prefix"`
	PINLength      *int               `json:"pin_length"`
	Afterwards     string             `json:"afterwards"`
}

func (a *api) handleListEvents(w http.ResponseWriter, r *http.Request, _ *principal) {
	list, err := a.store.ListEvents(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]eventView, len(list))
	for i, e := range list {
		out[i] = viewEvent(e)
	}
	rest.Reply(w, http.StatusOK, 0, map[string]any{"items": out})
}

func (a *api) handleGetEvent(w http.ResponseWriter, r *http.Request, _ *principal) {
	e, err := a.store.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, e.Version, viewEvent(e))
}

// handleCreateEvent records an event with the role that carries its
// window and applications. Its accounts come with a batch (generate).
func (a *api) handleCreateEvent(w http.ResponseWriter, r *http.Request, p *principal) {
	var body eventCreate
	if !decode(w, r, &body, map[string]string{"accounts": "are made with POST /api/v1/events/{id}/accounts"}) {
		return
	}
	e := store.Event{Name: strings.TrimSpace(body.Name), Description: strings.TrimSpace(body.Description),
		Clients: body.Applications, Role: strings.TrimSpace(body.Role), Prefix: strings.TrimSpace(body.UsernamePrefix),
		PINLength: events.DefaultPIN, Afterwards: body.Afterwards, CreatedBy: p.subject}
	if body.PINLength != nil {
		e.PINLength = *body.PINLength
	}
	if e.Afterwards == "" {
		e.Afterwards = store.EventDelete
	}
	if body.Window != nil {
		e.Window = *body.Window
	}
	var errs []problem.FieldError
	problems := events.Problems(e)
	for _, f := range slicesSorted(problems) {
		if f == "window" && body.Window != nil {
			for _, msg := range checkWindow(e.Window) {
				errs = append(errs, problem.FieldError{Field: "window", Detail: msg})
			}
			if len(checkWindow(e.Window)) > 0 {
				continue
			}
		}
		errs = append(errs, problem.FieldError{Field: f, Detail: problems[f]})
	}
	for i, c := range e.Clients {
		if _, err := a.store.Client(r.Context(), c); errors.Is(err, identity.ErrNotFound) {
			errs = append(errs, problem.FieldError{Field: fmt.Sprintf("applications[%d]", i), Detail: fmt.Sprintf("there is no application %q", c)})
		} else if err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if e.Role != "" {
		if _, err := a.store.Role(r.Context(), e.Role); errors.Is(err, identity.ErrNotFound) {
			errs = append(errs, problem.FieldError{Field: "role", Detail: fmt.Sprintf("there is no role %q", e.Role)})
		} else if err != nil {
			a.fail(w, r, err)
			return
		} else if own, err := a.store.EventRole(r.Context(), e.Role); err != nil {
			a.fail(w, r, err)
			return
		} else if own != "" || e.Role == identity.RoleAdmin {
			// An event's accounts are anonymous and handed out on paper:
			// they never administer campus, nor join another event.
			errs = append(errs, problem.FieldError{Field: "role", Detail: "An event's accounts cannot have this role."})
		} else if a.login.cfg.roleRequiresMFA(e.Role) {
			// A PIN on paper is all an event's account has (mfa.go).
			errs = append(errs, problem.FieldError{Field: "role", Detail: fmt.Sprintf(
				"The role %q requires a second factor (--mfa-roles), which an event's accounts cannot have.", e.Role)})
		}
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	created, err := a.store.CreateEvent(r.Context(), e)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "event_created", identity.OutcomeSuccess, created.ID, describeEvent(created))
	w.Header().Set("Location", a.login.base+"/api/v1/events/"+created.ID)
	rest.Reply(w, http.StatusCreated, created.Version, viewEvent(created))
}

func slicesSorted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describeEvent is an event's settings for the audit trail: never a
// username or PIN.
func describeEvent(e store.Event) string {
	return fmt.Sprintf("event %q; window %s to %s, daily %s-%s; applications [%s]; role %q; afterwards %s",
		e.Name, e.Window.FirstDate, e.Window.LastDate, e.Window.Earliest, e.Window.Latest,
		strings.Join(e.Clients, ", "), e.Role, e.Afterwards)
}

// batchRequest is the body of POST /api/v1/events/{id}/accounts.
type batchRequest struct {
	Count  int      `json:"count"`
	Labels []string `json:"labels"`
}

// handleGenerate makes the event's accounts, replacing its previous
// batch in one transaction (their sessions end, their tokens die), and
// answers with the usernames and PINs: the only time the PINs are shown.
// Accept picks the form: JSON (default), CSV or PDF letters.
func (a *api) handleGenerate(w http.ResponseWriter, r *http.Request, p *principal) {
	var body batchRequest
	if !decode(w, r, &body, nil) {
		return
	}
	e, err := a.store.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if e.EndedAt != nil {
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "The event has ended; create a new event for new accounts."})
		return
	}
	b := events.Batch{Count: body.Count, Labels: body.Labels}
	if msg := b.Problem(); msg != "" {
		field := "count"
		if len(body.Labels) > 0 {
			field = "labels"
		}
		rest.Invalid(w, problem.FieldError{Field: field, Detail: msg})
		return
	}
	format, ok := batchFormat(r)
	if !ok {
		problem.Write(w, problem.Details{Status: http.StatusNotAcceptable,
			Detail: "The accounts can be had as application/json, text/csv or application/pdf."})
		return
	}
	// A batch of thousands takes minutes of argon2id: longer than the
	// server's read and write timeouts, which would cancel it half-way.
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(time.Duration(b.Size())*100*time.Millisecond + time.Minute)
	_ = rc.SetReadDeadline(deadline)  // ErrNotSupported (in-process): no timeout to extend
	_ = rc.SetWriteDeadline(deadline) // the same
	started := a.now()
	creds, err := events.Make(r.Context(), a.store, e, b, a.params, nil)
	if errors.Is(err, events.ErrBusy) {
		w.Header().Set("Retry-After", "10")
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Detail: "Another batch of accounts is being made. Try again when it is done; nothing was changed."})
		return
	}
	if errors.Is(err, store.ErrEventEnded) {
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "The event has ended; create a new event for new accounts."})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "event_accounts_generated", identity.OutcomeSuccess, e.ID,
		fmt.Sprintf("%d accounts for event %q, replacing %d, in %s", len(creds), e.Name, e.Accounts, a.now().Sub(started).Round(time.Millisecond)))
	e, err = a.store.Event(r.Context(), e.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case "text/csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+eventFileName(e)+`.csv"`)
		w.WriteHeader(http.StatusCreated)
		events.CSV(w, e, a.signIn, creds)
	case "application/pdf":
		var buf bytes.Buffer
		if err := events.Letters(&buf, i18n.FromRequest(r), e, a.signIn, a.login.cfg.Location, creds); err != nil {
			a.logger.ErrorContext(r.Context(), "event letters", "event", e.ID, "err", err)
			problem.Write(w, problem.Details{Status: http.StatusInternalServerError,
				Detail: "The accounts were made, but their letters could not be written. Ask for them again: a new batch replaces this one."})
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+eventFileName(e)+`.pdf"`)
		w.WriteHeader(http.StatusCreated)
		w.Write(buf.Bytes())
	default:
		rest.Reply(w, http.StatusCreated, 0, map[string]any{"event": viewEvent(e), "sign_in_url": a.signIn, "accounts": creds})
	}
}

// batchFormat is the form Accept asks for (RFC 9110 section 12.5.1): the
// first of JSON, CSV and PDF it names, JSON when it names none of them
// but accepts anything.
func batchFormat(r *http.Request) (string, bool) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return "application/json", true
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			fmt.Sscanf(v, "%g", &q)
		}
		if q <= 0 {
			continue
		}
		var f string
		switch mt {
		case "application/json", "application/*":
			f = "application/json"
		case "text/csv", "text/*":
			f = "text/csv"
		case "application/pdf":
			f = "application/pdf"
		case "*/*":
			f = "application/json"
			q -= 0.0001 // a named type of the same weight wins over */*
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = f, q
		}
	}
	return best, best != ""
}

// eventFileName is a file name made from the event's name.
func eventFileName(e store.Event) string {
	var b strings.Builder
	for _, c := range strings.ToLower(e.Name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 60 {
		name = strings.Trim(name[:60], "-")
	}
	if name == "" {
		name = "event"
	}
	return name + "-accounts"
}

// handleEndEvent ends an event now: its accounts are deleted or disabled
// as the event says, their sessions end and their tokens die.
func (a *api) handleEndEvent(w http.ResponseWriter, r *http.Request, p *principal) {
	before, err := a.store.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	e, err := a.store.EndEvent(r.Context(), before.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if before.EndedAt == nil {
		a.audit(r, p, "event_ended", identity.OutcomeSuccess, e.ID,
			fmt.Sprintf("event %q: %d accounts %sd", e.Name, before.Accounts, before.Afterwards))
	}
	rest.Reply(w, http.StatusOK, e.Version, viewEvent(e))
}
