package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"campus/internal/lazyregexp"
	"campus/internal/messages"
	"campus/internal/messages/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

// maxPeople is how many people one request names or finds.
const maxPeople = 100

// listPeople names people, but only those sharing a conversation with
// the caller (and the caller): the API is no directory of the
// university. Without People the items carry ids only.
func (s *server) listPeople(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := rest.NewQuery(r)
	q.Only("id", "key")
	ids := q.Values["id"]
	if len(ids) == 0 || len(ids) > maxPeople {
		q.Invalid("id", fmt.Sprintf("Name 1 to %d people by their subject id (id=...&id=...).", maxPeople))
	}
	if q.Answer(w) {
		return
	}
	// Only those asked for are looked up, in one query, instead of
	// everyone the caller knows.
	known, err := s.store.PeopleSharing(r.Context(), p.Subject, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var asked []string
	for _, id := range ids {
		if slices.Contains(known, id) && !slices.Contains(asked, id) {
			asked = append(asked, id)
		}
	}
	items, ok := s.named(w, r, asked)
	if !ok {
		return
	}
	rest.Reply(w, http.StatusOK, 0, list[personJSON]{Items: items})
}

// named returns ids with their names from identity, in the order given,
// leaving out those identity does not know; without People, ids only.
func (s *server) named(w http.ResponseWriter, r *http.Request, ids []string) ([]personJSON, bool) {
	items := []personJSON{}
	if s.people == nil {
		for _, id := range ids {
			items = append(items, personJSON{ID: id})
		}
		return items, true
	}
	if len(ids) == 0 {
		return items, true
	}
	found, err := s.people.Lookup(r.Context(), ids)
	if err != nil {
		s.logger.WarnContext(r.Context(), "messages API: people", "err", err)
		peopleUnavailable(w)
		return nil, false
	}
	for _, id := range ids {
		if pp, ok := found[id]; ok {
			items = append(items, personJSON{ID: pp.ID, DisplayName: pp.DisplayName, Username: pp.Username})
		}
	}
	return items, true
}

// contacts finds people the caller may start a conversation with: with
// q, identity's search filtered by the reach rules; without, the people
// sharing a course group with the caller.
func (s *server) contacts(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := rest.NewQuery(r)
	q.Only("q", "key")
	text := strings.TrimSpace(q.Get("q"))
	if text != "" && (utf8.RuneCountInString(text) < 2 || len(text) > 100) {
		q.Invalid("q", "Search for 2 to 100 characters, or leave q out for the people of your courses.")
	}
	if q.Answer(w) {
		return
	}
	if text == "" || s.people == nil {
		peers, err := s.store.CourseGroupPeers(r.Context(), p.Subject, maxPeople)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		peers = slices.DeleteFunc(peers, func(id string) bool { return id == p.Subject })
		items, ok := s.named(w, r, peers)
		if !ok {
			return
		}
		rest.Reply(w, http.StatusOK, 0, list[personJSON]{Items: items})
		return
	}
	found, err := s.people.Search(r.Context(), text, maxPeople)
	if err != nil {
		s.logger.WarnContext(r.Context(), "messages API: people", "err", err)
		peopleUnavailable(w)
		return
	}
	rules, err := s.store.Rules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := []personJSON{}
	for _, pp := range found {
		if pp.ID == p.Subject {
			continue
		}
		switch widest(rules, p.Roles, pp.Roles) {
		case messages.ReachNone:
			continue
		case messages.ReachProgramme:
			shares, err := s.store.SharesCourseGroup(r.Context(), p.Subject, pp.ID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if !shares {
				continue
			}
		}
		items = append(items, personJSON{ID: pp.ID, DisplayName: pp.DisplayName, Username: pp.Username})
	}
	rest.Reply(w, http.StatusOK, 0, list[personJSON]{Items: items})
}

func (s *server) presence(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := rest.NewQuery(r)
	q.Only("conversation", "key")
	if q.Answer(w) {
		return
	}
	ps, err := s.store.Presence(r.Context(), p.Subject, q.Get("conversation"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]presenceJSON, len(ps))
	for i, x := range ps {
		items[i] = presenceJSON{ID: x.Subject, Active: x.Active}
		if !x.LastActiveAt.IsZero() {
			t := x.LastActiveAt.UTC()
			items[i].LastActiveAt = &t
		}
	}
	rest.Reply(w, http.StatusOK, 0, list[presenceJSON]{Items: items})
}

type myPresenceJSON struct {
	Hidden bool `json:"hidden"`
}

func (s *server) myPresence(w http.ResponseWriter, r *http.Request, p *Principal) {
	hidden, err := s.store.PresenceHidden(r.Context(), p.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, myPresenceJSON{Hidden: hidden})
}

// setMyPresence hides or shows the caller's presence; hiding tells their
// contacts at once that they went away, showing that they are here.
func (s *server) setMyPresence(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in struct {
		Hidden *bool `json:"hidden"`
	}
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	if in.Hidden == nil {
		rest.Invalid(w, problem.FieldError{Field: "hidden", Detail: "Say true or false."})
		return
	}
	was, err := s.store.PresenceHidden(r.Context(), p.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if was != *in.Hidden {
		if *in.Hidden && s.hub != nil {
			// Before hiding: afterwards the hub publishes nothing of them.
			if err := s.hub.PublishPresence(r.Context(), p.Subject, false); err != nil {
				s.logger.WarnContext(r.Context(), "messages API: publish presence", "err", err)
			}
		}
		if err := s.store.SetPresenceHidden(r.Context(), p.Subject, *in.Hidden); err != nil {
			s.fail(w, r, err)
			return
		}
		if !*in.Hidden && s.hub != nil {
			if err := s.hub.PublishPresence(r.Context(), p.Subject, true); err != nil {
				s.logger.WarnContext(r.Context(), "messages API: publish presence", "err", err)
			}
		}
	}
	rest.Reply(w, http.StatusOK, 0, myPresenceJSON{Hidden: *in.Hidden})
}

// events is the caller's event stream (realtime.Hub.Serve), until their
// token expires.
func (s *server) events(w http.ResponseWriter, r *http.Request, p *Principal) {
	if s.hub == nil {
		problem.Unavailable(w)
		return
	}
	// The guard ends the stream (stop) when identity revokes the token;
	// done ends the watch, when the stream has ended (which may be after
	// this returns: see realtime.Hub.Serve).
	var stop chan struct{}
	var done func()
	if s.streams != nil && p.claims != nil {
		stop = make(chan struct{})
		var once sync.Once
		done = s.streams.watch(p.claims, func() { once.Do(func() { close(stop) }) })
	}
	s.hub.Serve(w, r, p.Subject, p.Expiry, stop, done)
}

type noticeJSON struct {
	To     []string `json:"to"`
	Kind   string   `json:"kind"`
	Text   string   `json:"text"`
	TextDE string   `json:"text_de"`
	Link   string   `json:"link"`
}

// maxRecipients is how many people one notice may go to.
const maxRecipients = 1000

var noticeKind = lazyregexp.New(`^[a-z][a-z0-9_]{0,49}$`)

// notify takes a notice from one of campus's services. The
// Idempotency-Key header makes a retry (after a lost answer) a no-op.
func (s *server) notify(w http.ResponseWriter, r *http.Request, p *Principal) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" || len(key) > 200 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Idempotency-Key required",
			Detail: "Send an Idempotency-Key header (up to 200 printable characters) that stays the same when the notice is sent again."})
		return
	}
	var in noticeJSON
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	var errs []problem.FieldError
	if len(in.To) == 0 || len(in.To) > maxRecipients {
		errs = append(errs, problem.FieldError{Field: "to", Detail: fmt.Sprintf("Name 1 to %d recipients.", maxRecipients)})
	}
	var to []string
	for _, sub := range in.To {
		if !validSubject(sub) {
			errs = append(errs, problem.FieldError{Field: "to", Detail: "Name people by their subject id at identity."})
			break
		}
		if !slices.Contains(to, sub) {
			to = append(to, sub)
		}
	}
	if !noticeKind.MatchString(in.Kind) {
		errs = append(errs, problem.FieldError{Field: "kind", Detail: "Name the kind of notice in lower case, like grade_published."})
	}
	for _, t := range []struct{ field, text string }{{"text", in.Text}, {"text_de", in.TextDE}} {
		if !utf8.ValidString(t.text) || strings.TrimSpace(t.text) == "" || len(t.text) > messages.MaxTextBytes {
			errs = append(errs, problem.FieldError{Field: t.field, Detail: "Write the notice's text, at most 16 KiB."})
		}
	}
	if in.Link != "" && (!strings.HasPrefix(in.Link, "/") || strings.HasPrefix(in.Link, "//") || strings.ContainsAny(in.Link, "\\ \t\r\n") || len(in.Link) > 500) {
		errs = append(errs, problem.FieldError{Field: "link", Detail: "Give a path in the portal, like /grades."})
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	added, err := s.store.Notify(r.Context(), store.NewNotice{To: to, Kind: in.Kind, Text: in.Text, TextDE: in.TextDE, Link: in.Link,
		Key: p.ClientID + ":" + key})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusAccepted, 0, map[string]bool{"added": added})
}

func (s *server) getRules(w http.ResponseWriter, r *http.Request, p *Principal) {
	rules, err := s.store.Rules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, rules.Version, rulesOut(rules))
}

type rulesInJSON struct {
	Reach         map[string]map[string]messages.Reach `json:"reach"`
	GroupCreators []string                             `json:"group_creators"`
}

var roleName = lazyregexp.New(`^[a-z][a-z0-9_-]{0,49}$`)

// putRules replaces the reach rules: administrators only, against the
// version read (If-Match required, RFC 6585 section 3).
func (s *server) putRules(w http.ResponseWriter, r *http.Request, p *Principal) {
	if !slices.Contains(p.Roles, "admin") {
		problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: "Only administrators change the rules."})
		return
	}
	current := func() (int, error) {
		rules, err := s.store.Rules(r.Context())
		return rules.Version, err
	}
	version, ok := rest.IfMatch(w, r, rest.Match{Required: true, Current: current})
	if !ok {
		return
	}
	if version == rest.AnyVersion {
		v, err := current()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		version = v
	}
	var in rulesInJSON
	if !rest.Decode(w, r, &in, map[string]string{"version": "The version goes in If-Match.", "updated_at": "Set by the service.", "updated_by": "Set by the service."}) {
		return
	}
	var errs []problem.FieldError
	if in.Reach == nil {
		errs = append(errs, problem.FieldError{Field: "reach", Detail: "Give the reach of each pair of roles: none, programme or anyone."})
	}
	for from, tos := range in.Reach {
		if !roleName.MatchString(from) {
			errs = append(errs, problem.FieldError{Field: "reach", Detail: fmt.Sprintf("%q is not a role name.", from)})
		}
		for to, reach := range tos {
			if !roleName.MatchString(to) {
				errs = append(errs, problem.FieldError{Field: "reach", Detail: fmt.Sprintf("%q is not a role name.", to)})
			}
			if reach != messages.ReachNone && reach != messages.ReachProgramme && reach != messages.ReachAnyone {
				errs = append(errs, problem.FieldError{Field: "reach", Detail: fmt.Sprintf("The reach from %s to %s must be none, programme or anyone.", from, to)})
			}
		}
	}
	for _, role := range in.GroupCreators {
		if !roleName.MatchString(role) {
			errs = append(errs, problem.FieldError{Field: "group_creators", Detail: fmt.Sprintf("%q is not a role name.", role)})
		}
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	if in.GroupCreators == nil {
		in.GroupCreators = []string{}
	}
	rules, err := s.store.SetRules(r.Context(), p.Subject, messages.Rules{Reach: in.Reach, GroupCreators: in.GroupCreators}, version)
	if err != nil {
		if errors.Is(err, messages.ErrVersionMismatch) {
			rest.Stale(w)
			return
		}
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, rules.Version, rulesOut(rules))
}
