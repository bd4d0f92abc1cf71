package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"campus/internal/messages"
	"campus/internal/messages/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

// page reads a list's limit (1 to 100; 0, the store's default, when
// absent) and cursor.
func page(q *rest.Query) store.Page {
	return store.Page{Limit: q.Limit(0, 100), Cursor: q.Cursor()}
}

func (s *server) listConversations(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := rest.NewQuery(r)
	q.Only("limit", "cursor", "key")
	pg := page(q)
	if q.Answer(w) {
		return
	}
	cs, next, err := s.store.Conversations(r.Context(), p.Subject, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := list[conversationJSON]{Items: make([]conversationJSON, len(cs)), Next: next}
	for i, c := range cs {
		out.Items[i] = conversationOut(c, nil)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

type newConversationJSON struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// validSubject: identity's subject ids are short printable strings.
func validSubject(sub string) bool {
	return sub != "" && len(sub) <= 100 && !strings.ContainsFunc(sub, func(r rune) bool { return r < 0x21 || r > 0x7e })
}

// groupName checks a group's name: 1 to 100 characters after trimming,
// no control characters.
func groupName(name string) (string, bool) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	return name, utf8.ValidString(name) && n >= 1 && n <= 100 &&
		!strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func (s *server) createConversation(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in newConversationJSON
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	var members []string
	var errs []problem.FieldError
	for _, m := range in.Members {
		if !validSubject(m) {
			errs = append(errs, problem.FieldError{Field: "members", Detail: "Name people by their subject id at identity."})
			break
		}
		if m != p.Subject && !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	nc := store.NewConversation{Kind: in.Kind, Members: members}
	switch in.Kind {
	case messages.KindDirect:
		if in.Name != "" {
			errs = append(errs, problem.FieldError{Field: "name", Detail: "A direct conversation has no name."})
		}
		if len(members) != 1 || len(in.Members) != 1 {
			errs = append(errs, problem.FieldError{Field: "members", Detail: "A direct conversation has exactly one other person."})
		}
	case messages.KindGroup:
		name, ok := groupName(in.Name)
		if !ok {
			errs = append(errs, problem.FieldError{Field: "name", Detail: "Give the group a name of 1 to 100 characters."})
		}
		nc.Name = name
		if len(members) > messages.MaxGroupMembers {
			errs = append(errs, problem.FieldError{Field: "members", Detail: fmt.Sprintf("A group may start with at most %d members.", messages.MaxGroupMembers)})
		}
	default:
		errs = append(errs, problem.FieldError{Field: "kind", Detail: "Use direct or group; course groups and notices are made by campus."})
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	if in.Kind == messages.KindGroup {
		rules, err := s.store.Rules(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !mayCreateGroups(rules, p.Roles) {
			problem.Write(w, problem.Details{Status: http.StatusForbidden,
				Detail: "Your role may not create groups; the administrators decide who may (GET /v1/rules)."})
			return
		}
	}
	if !s.reachable(w, r, p, "members", members) {
		return
	}
	c, created, err := s.store.CreateConversation(r.Context(), p.Subject, nc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "conversations/"+c.ID)
	}
	rest.Reply(w, status, c.Version, conversationOut(c, nil))
}

// reachable answers 422 (naming field) unless the caller may write to
// every one of targets, and 503 when identity cannot tell.
func (s *server) reachable(w http.ResponseWriter, r *http.Request, p *Principal, field string, targets []string) bool {
	out, err := s.unreachable(r.Context(), p, targets)
	switch {
	case errors.Is(err, errPeopleUnavailable):
		s.logger.WarnContext(r.Context(), "messages API: people", "err", err)
		peopleUnavailable(w)
		return false
	case err != nil:
		s.fail(w, r, err)
		return false
	case len(out) > 0:
		// One answer for "no such person" and "out of reach", so that the
		// API is no directory of who exists.
		problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Cannot be reached",
			Detail: fmt.Sprintf("You cannot write to %s: unknown, or out of your reach under the rules (GET /v1/rules).", strings.Join(out, ", ")),
			Errors: []problem.FieldError{{Field: field, Detail: "Out of your reach."}}})
		return false
	}
	return true
}

func (s *server) getConversation(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	c, err := s.store.Conversation(r.Context(), p.Subject, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	members, err := s.store.Members(r.Context(), p.Subject, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if members == nil {
		members = []messages.Member{}
	}
	rest.Reply(w, http.StatusOK, c.Version, conversationOut(c, members))
}

type patchConversationJSON struct {
	Name *string `json:"name"`
}

// patchConversation renames a group; If-Match, when sent, must name its
// current version (412 otherwise, RFC 9110 section 13.1.1).
func (s *server) patchConversation(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	current := func() (int, error) {
		c, err := s.store.Conversation(r.Context(), p.Subject, id)
		return c.Version, err
	}
	version, ok := rest.IfMatch(w, r, rest.Match{Current: current})
	if !ok {
		return
	}
	var in patchConversationJSON
	if !rest.Decode(w, r, &in, map[string]string{"members": "Change members with PUT or DELETE /v1/conversations/{id}/members/{sub}."}) {
		return
	}
	if in.Name == nil {
		rest.Invalid(w, problem.FieldError{Field: "name", Detail: "Give the group a name of 1 to 100 characters."})
		return
	}
	name, valid := groupName(*in.Name)
	if !valid {
		rest.Invalid(w, problem.FieldError{Field: "name", Detail: "Give the group a name of 1 to 100 characters."})
		return
	}
	c, err := s.store.RenameGroup(r.Context(), p.Subject, id, name, version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, c.Version, conversationOut(c, nil))
}

type memberRoleJSON struct {
	Role string `json:"role"`
}

// putMember adds a person to a group or changes their role: a group's
// admins only, and a new member must be within the admin's reach.
func (s *server) putMember(w http.ResponseWriter, r *http.Request, p *Principal) {
	id, sub := r.PathValue("id"), r.PathValue("sub")
	in := memberRoleJSON{Role: messages.RoleMember}
	if r.ContentLength != 0 && r.Header.Get("Content-Type") != "" {
		if !rest.Decode(w, r, &in, nil) {
			return
		}
	}
	if in.Role == "" {
		in.Role = messages.RoleMember
	}
	if in.Role != messages.RoleMember && in.Role != messages.RoleAdmin {
		rest.Invalid(w, problem.FieldError{Field: "role", Detail: "Use member or admin."})
		return
	}
	c, err := s.store.Conversation(r.Context(), p.Subject, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if c.Kind != messages.KindGroup {
		s.fail(w, r, messages.ErrConflict)
		return
	}
	if c.MyRole != messages.RoleAdmin {
		s.fail(w, r, messages.ErrForbidden)
		return
	}
	if !validSubject(sub) {
		rest.Invalid(w, problem.FieldError{Field: "sub", Detail: "Name people by their subject id at identity."})
		return
	}
	already, err := s.store.IsMember(r.Context(), sub, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !already {
		if c.Members >= messages.MaxGroupMembers {
			problem.Write(w, problem.Details{Status: http.StatusConflict,
				Detail: fmt.Sprintf("A group has at most %d members.", messages.MaxGroupMembers)})
			return
		}
		if !s.reachable(w, r, p, "sub", []string{sub}) {
			return
		}
	}
	if err := s.store.AddMember(r.Context(), p.Subject, id, sub, in.Role); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteMember removes a member from a group (its admins), or the caller
// themselves (leaving).
func (s *server) deleteMember(w http.ResponseWriter, r *http.Request, p *Principal) {
	if err := s.store.RemoveMember(r.Context(), p.Subject, r.PathValue("id"), r.PathValue("sub")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type readJSON struct {
	UpTo string `json:"up_to"`
}

type readOutJSON struct {
	ReadUpTo string `json:"read_up_to"`
	Unread   int    `json:"unread"`
}

func (s *server) markRead(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in readJSON
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	if in.UpTo == "" || len(in.UpTo) > 100 {
		rest.Invalid(w, problem.FieldError{Field: "up_to", Detail: "Name the newest message read by its id."})
		return
	}
	id := r.PathValue("id")
	m, err := s.store.MarkRead(r.Context(), p.Subject, id, in.UpTo)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The count only, not the whole conversation with its last message.
	unread, err := s.store.UnreadIn(r.Context(), p.Subject, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, readOutJSON{ReadUpTo: m.ReadUpTo, Unread: unread})
}

type unreadJSON struct {
	Total         int            `json:"total"`
	Conversations map[string]int `json:"conversations"`
}

func (s *server) unread(w http.ResponseWriter, r *http.Request, p *Principal) {
	u, err := s.store.Unread(r.Context(), p.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if u.Conversations == nil {
		u.Conversations = map[string]int{}
	}
	rest.Reply(w, http.StatusOK, 0, unreadJSON{Total: u.Total, Conversations: u.Conversations})
}
