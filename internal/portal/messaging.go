package portal

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"campus/internal/lazyregexp"
)

// Messaging: the portal's pages over the messages API. Every page works
// with forms and reloads alone; static/messages.js only makes them live
// (the event stream through /messaging/events, new messages fetched as
// server-rendered fragments). The API checks membership on every call, so
// the portal shows what it is given and decides nothing about who may
// read what.

// messagingOn tells whether the portal was given the messages API.
func (s *server) messagingOn() bool { return s.d.MessagesURL != "" }

// scopeMessagesRead is the scope the messages API reads with; every
// built-in role grants it (and messages:write).
const scopeMessagesRead = "messages:read"

// requireMessaging is requireSession for the messaging pages, which are
// not found when the portal runs without the messages API, and forbidden
// to a person whose roles do not let them read messages.
func (s *server) requireMessaging(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return s.requireSession(s.ifMessaging(func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !slices.Contains(sess.Scopes, scopeMessagesRead) {
			s.fail(w, r, http.StatusForbidden, T(langOf(r), "msg.forbidden"))
			return
		}
		h(w, r, sess)
	}))
}

// ifMessaging serves h when the portal has the messages API, else answers
// not found.
func (s *server) ifMessaging(h func(w http.ResponseWriter, r *http.Request, sess *session)) func(w http.ResponseWriter, r *http.Request, sess *session) {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !s.messagingOn() {
			s.notFound(w, r)
			return
		}
		h(w, r, sess)
	}
}

// The top bar's unread count is asked for once per session in
// unreadTTL (Deps.UnreadTTL), and given up on after unreadWait, so that it never slows a
// page noticeably; the person's own reading clears it at once.
const (
	unreadTTL  = 5 * time.Second
	unreadWait = 300 * time.Millisecond
	// unreadMax bounds the remembered counts (one per active session).
	unreadMax = 10000
)

type unreadCache struct {
	mu sync.Mutex
	m  map[string]unreadEntry
}

type unreadEntry struct {
	n  int
	at time.Time
}

// unreadTotal is the session's total of unread messages for the top bar,
// -1 when it is not known (the messages API did not answer in time).
func (s *server) unreadTotal(r *http.Request, sess *session) int {
	now := s.now()
	c := &s.unread
	c.mu.Lock()
	ttl := cmp.Or(s.d.UnreadTTL, unreadTTL)
	if e, ok := c.m[sess.idHash]; ok && ttl > 0 && now.Sub(e.at) < ttl {
		c.mu.Unlock()
		return e.n
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), unreadWait)
	defer cancel()
	u, err := s.messages.Unread(ctx, sess)
	n := u.Total
	if err != nil {
		s.d.Logger.DebugContext(r.Context(), "top bar: unread count", "err", err)
		n = -1
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= unreadMax {
		c.m = map[string]unreadEntry{} // the simplest bound: start again
	}
	c.m[sess.idHash] = unreadEntry{n, now}
	c.mu.Unlock()
	return n
}

// forgetUnread drops the session's remembered count after the person read
// or sent something.
func (s *server) forgetUnread(sess *session) {
	s.unread.mu.Lock()
	delete(s.unread.m, sess.idHash)
	s.unread.mu.Unlock()
}

func (s *server) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now()
	}
	return time.Now()
}

// The list of conversations and starting one.

type conversationsView struct {
	Items      []conversation
	Next       string
	Q          string
	Candidates []person
	Searched   bool
	Name       string
	Chosen     []string
	Errors     map[string]string
	Notice     string
}

func (s *server) conversations(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	v := conversationsView{Q: strings.TrimSpace(q.Get("q")), Errors: map[string]string{}}
	if q.Get("done") == "left" {
		v.Notice = T(langOf(r), "msg.done.left")
	}
	s.conversationsPage(w, r, sess, http.StatusOK, v)
}

func (s *server) conversationsPage(w http.ResponseWriter, r *http.Request, sess *session, status int, v conversationsView) {
	ctx := r.Context()
	list, err := s.messages.Conversations(ctx, sess, r.URL.Query().Get("cursor"))
	if s.apiFailed(w, r, err) {
		return
	}
	if err := s.nameConversations(ctx, sess, langOf(r), list.Items); err != nil {
		s.d.Logger.WarnContext(r.Context(), "messages: name the conversations", "err", err)
	}
	v.Items, v.Next = list.Items, list.Next
	if v.Q != "" {
		v.Searched = true
		if len([]rune(v.Q)) < 2 {
			v.Errors["q"] = T(langOf(r), "msg.search.short")
		} else {
			v.Candidates, err = s.messages.Contacts(ctx, sess, v.Q)
			if s.apiFailed(w, r, err) {
				return
			}
		}
	}
	s.render(w, status, "messages", s.page(r, "msg.title", v))
}

// nameConversations sets each conversation's Title: a group's name, the
// other person's name for a direct one, "Notices" for campus's. Lists
// name a direct conversation's peer; without it (an older messages
// service) its members are read apart (a page of them, side by side).
func (s *server) nameConversations(ctx context.Context, sess *session, lang Lang, items []conversation) error {
	var wg sync.WaitGroup
	for i := range items {
		c := &items[i]
		if c.Kind == "direct" && len(c.Members) == 0 && c.Peer != "" {
			c.Members = []member{{ID: sess.Subject}, {ID: c.Peer}}
		}
		if c.Kind == "direct" && len(c.Members) == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if full, err := s.messages.Conversation(ctx, sess, c.ID); err == nil {
					c.Members = full.Members
				}
			}()
		}
	}
	wg.Wait()
	var ids []string
	for _, c := range items {
		if other := otherMember(c, sess.Subject); other != "" {
			ids = append(ids, other)
		}
		if c.LastMessage != nil && c.LastMessage.Sender != "" {
			ids = append(ids, c.LastMessage.Sender)
		}
	}
	names, err := s.messages.People(ctx, sess, unique(ids))
	for i := range items {
		items[i].Title = conversationTitle(lang, items[i], sess.Subject, names)
	}
	return err
}

func otherMember(c conversation, me string) string {
	if c.Kind != "direct" {
		return ""
	}
	for _, m := range c.Members {
		if m.ID != me {
			return m.ID
		}
	}
	return ""
}

func conversationTitle(lang Lang, c conversation, me string, names map[string]person) string {
	switch {
	case c.Kind == "notices":
		return T(lang, "msg.notices")
	case c.Kind == "direct":
		if p, ok := names[otherMember(c, me)]; ok {
			return p.Label()
		}
		if c.Name != "" {
			return c.Name
		}
		return T(lang, "msg.someone")
	case c.Name != "":
		return c.Name
	}
	return T(lang, "msg.unnamed")
}

func unique(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// startConversation opens a direct conversation (the button beside a
// person found) or makes a group of the people ticked.
func (s *server) startConversation(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	lang := langOf(r)
	if sub := r.PostForm.Get("direct"); sub != "" {
		c, err := s.messages.StartDirect(r.Context(), sess, sub)
		if st := statusOf(err); st/100 == 4 && st != http.StatusUnauthorized {
			s.conversationsPage(w, r, sess, http.StatusUnprocessableEntity, conversationsView{Q: r.PostForm.Get("q"),
				Errors: map[string]string{"form": cmpOr(problemOf(err).Detail, T(lang, "msg.refused"))}})
			return
		}
		if s.apiFailed(w, r, err) {
			return
		}
		http.Redirect(w, r, s.d.Base+"/messaging/"+url.PathEscape(c.ID), http.StatusSeeOther)
		return
	}
	name, chosen := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm["member"]
	v := conversationsView{Q: r.PostForm.Get("q"), Name: name, Chosen: chosen, Errors: map[string]string{}}
	if name == "" {
		v.Errors["name"] = T(lang, "msg.group.name.missing")
		s.conversationsPage(w, r, sess, http.StatusUnprocessableEntity, v)
		return
	}
	c, err := s.messages.CreateGroup(r.Context(), sess, name, chosen)
	if st := statusOf(err); st/100 == 4 && st != http.StatusUnauthorized {
		v.Errors = fieldErrors(problemOf(err))
		if len(v.Errors) == 0 {
			v.Errors = map[string]string{"form": cmpOr(problemOf(err).Detail, T(lang, "msg.refused"))}
		}
		s.conversationsPage(w, r, sess, http.StatusUnprocessableEntity, v)
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	http.Redirect(w, r, s.d.Base+"/messaging/"+url.PathEscape(c.ID), http.StatusSeeOther)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// One conversation.

// messageView is a message as a page shows it.
type messageView struct {
	chatMessage
	// Body is the API's rendering of the text (its html field), which the
	// API made safe: the only HTML the portal takes from elsewhere.
	Body       template.HTML
	Plain      string // the text, for the edit form
	SenderName string
	Mine       bool
	Editing    bool
	ReplyName  string // who wrote the message answered, when it is on the page
	Notice     bool
	MentionsMe bool
}

type conversationView struct {
	Conv       conversation
	Messages   []messageView // oldest first
	Older      string        // cursor of the older page, "" at the beginning
	Newest     string        // id of the newest message shown
	Me         string
	Admin      bool // may change the group's settings
	Group      bool
	CanSend    bool
	ReplyTo    *messageView
	Text       string // what was typed, when sending failed
	EditText   string
	Errors     map[string]string
	Notice     string
	AddQ       string
	Candidates []person
	Presence   map[string]bool
	MaxFiles   int
	// Live says the page shows the newest messages, below which
	// messages.js adds those that come.
	Live bool
}

func (s *server) conversationPage(w http.ResponseWriter, r *http.Request, sess *session) {
	s.showConversation(w, r, sess, http.StatusOK, conversationView{Errors: map[string]string{}})
}

// showConversation renders a conversation with the newest page of its
// history (or the page at ?cursor=), and moves the read marker to the
// newest message when that page is the newest.
func (s *server) showConversation(w http.ResponseWriter, r *http.Request, sess *session, status int, v conversationView) {
	ctx, id, q, lang := r.Context(), r.PathValue("id"), r.URL.Query(), langOf(r)
	c, err := s.messages.Conversation(ctx, sess, id)
	if errors.Is(err, errNotFound) {
		s.fail(w, r, http.StatusNotFound, T(lang, "msg.notfound"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	cursor := q.Get("cursor")
	hist, err := s.messages.History(ctx, sess, id, cursor, "")
	if s.apiFailed(w, r, err) {
		return
	}
	v.Conv, v.Older, v.Me = c, hist.Next, sess.Subject
	v.Group = c.Kind == "group"
	v.Admin = v.Group && c.MyRole == "admin"
	v.CanSend = c.Kind != "notices"
	v.MaxFiles = maxFiles
	v.Live = cursor == ""
	if v.Notice == "" {
		v.Notice = doneNotice(lang, q.Get("done"))
	}
	ids := []string{}
	for _, m := range c.Members {
		ids = append(ids, m.ID)
	}
	for _, m := range hist.Items {
		ids = append(ids, m.Sender)
	}
	if v.Group && v.Admin {
		v.AddQ = strings.TrimSpace(q.Get("add"))
		if len([]rune(v.AddQ)) >= 2 {
			if v.Candidates, err = s.messages.Contacts(ctx, sess, v.AddQ); err != nil {
				s.d.Logger.WarnContext(r.Context(), "messages: contacts", "err", err)
			}
		}
	}
	names, err := s.messages.People(ctx, sess, unique(ids))
	if err != nil {
		s.d.Logger.WarnContext(r.Context(), "messages: names", "err", err)
	}
	pres, err := s.messages.Presence(ctx, sess, id)
	if err != nil {
		s.d.Logger.DebugContext(r.Context(), "messages: presence", "err", err)
	}
	v.Presence = map[string]bool{}
	for i := range c.Members {
		m := &c.Members[i]
		m.Name = nameOf(lang, names, m.ID)
		m.Active = pres[m.ID].Active
		v.Presence[m.ID] = m.Active
	}
	v.Conv.Members = c.Members
	v.Conv.Title = conversationTitle(lang, c, sess.Subject, names)
	v.Messages = s.messageViews(lang, sess, names, hist.Items, q.Get("edit"))
	if rt := q.Get("reply"); rt != "" && v.ReplyTo == nil {
		for i := range v.Messages {
			if v.Messages[i].ID == rt {
				v.ReplyTo = &v.Messages[i]
			}
		}
	}
	if len(hist.Items) > 0 {
		v.Newest = hist.Items[0].ID
		if cursor == "" && v.Newest != c.ReadUpTo && c.Unread > 0 {
			if err := s.messages.MarkRead(ctx, sess, id, v.Newest); err != nil {
				s.d.Logger.WarnContext(r.Context(), "messages: mark read", "err", err)
			} else {
				v.Conv.Unread = 0
				s.forgetUnread(sess)
			}
		}
	}
	p := s.page(r, "msg.conversation.title", v)
	p.Title = v.Conv.Title
	s.render(w, status, "conversation", p)
}

// maxFiles is how many files a message may carry (the API's limit).
const maxFiles = 10

func nameOf(lang Lang, names map[string]person, id string) string {
	if id == "" {
		return T(lang, "msg.campus")
	}
	if p, ok := names[id]; ok {
		return p.Label()
	}
	return T(lang, "msg.someone")
}

// messageViews turns a page of history (newest first) into what the page
// shows, oldest first.
func (s *server) messageViews(lang Lang, sess *session, names map[string]person, items []chatMessage, editing string) []messageView {
	out := make([]messageView, 0, len(items))
	senders := map[string]string{}
	for _, m := range items {
		senders[m.ID] = m.Sender
	}
	for i := len(items) - 1; i >= 0; i-- {
		m := items[i]
		v := messageView{chatMessage: m, Plain: m.Text, SenderName: nameOf(lang, names, m.Sender), Notice: m.Sender == "",
			Mine: m.Sender != "" && m.Sender == sess.Subject && !m.Deleted}
		html := m.HTML
		if lang == German && m.HTMLDE != "" {
			html = m.HTMLDE
		}
		v.Body = template.HTML(html) // the API's sanitised rendering (internal/messages/markdown)
		v.Editing = v.Mine && editing == m.ID
		v.MentionsMe = slices.Contains(m.Mentions, sess.Subject)
		if m.ReplyTo != "" {
			if sub, ok := senders[m.ReplyTo]; ok {
				v.ReplyName = nameOf(lang, names, sub)
			}
		}
		out = append(out, v)
	}
	return out
}

func doneNotice(lang Lang, done string) string {
	switch done {
	case "renamed", "added", "removed", "edited", "deleted", "role":
		return T(lang, "msg.done."+done)
	}
	return ""
}

// fragment is the HTML of the messages after ?after= (oldest first), for
// messages.js to put below the history; it marks them read, as the page
// does, since the person has the conversation open.
func (s *server) fragment(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx, id, lang := r.Context(), r.PathValue("id"), langOf(r)
	after := r.URL.Query().Get("after")
	var items []chatMessage
	var err error
	if after == "" {
		var p cursorPage[chatMessage]
		p, err = s.messages.History(ctx, sess, id, "", "")
		items = p.Items
	} else {
		var p cursorPage[chatMessage]
		p, err = s.messages.History(ctx, sess, id, "", after)
		items = p.Items
		slices.Reverse(items) // oldest first from the API; messageViews wants newest first
	}
	if err != nil {
		status := http.StatusBadGateway
		if st := statusOf(err); st == http.StatusNotFound || st == http.StatusUnauthorized {
			status = st
		}
		http.Error(w, T(lang, "error.unavailable"), status)
		return
	}
	ids := []string{}
	for _, m := range items {
		ids = append(ids, m.Sender)
	}
	names, _ := s.messages.People(ctx, sess, unique(ids))
	views := s.messageViews(lang, sess, names, items, "")
	if len(items) > 0 {
		if err := s.messages.MarkRead(ctx, sess, id, items[0].ID); err == nil {
			s.forgetUnread(sess)
		}
	}
	p := s.page(r, "msg.conversation.title", conversationView{Messages: views, Me: sess.Subject, Conv: conversation{ID: id}, CanSend: true})
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", s.csp)
	t, err := s.pages.get("conversation")
	if err == nil {
		err = t.ExecuteTemplate(w, "history-items", p)
	}
	if err != nil {
		s.d.Logger.ErrorContext(r.Context(), "render fragment", "err", err)
	}
}

// sendMessage sends the form's message: text, an answered message, files. With
// files the form is multipart, and is passed on as multipart, read as it
// is sent.
func (s *server) sendMessage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, lang := r.PathValue("id"), langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxMessageUpload)
	// Files beyond 1 MB wait in temporary files, not in memory.
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.showConversation(w, r, sess, http.StatusRequestEntityTooLarge, conversationView{Errors: map[string]string{"attachment": T(lang, "msg.files.toolarge")}})
			return
		}
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	text, replyTo := strings.TrimSpace(r.FormValue("text")), r.FormValue("reply_to")
	var files []*multipart.FileHeader
	if r.MultipartForm != nil {
		for _, f := range r.MultipartForm.File["attachment"] {
			if f.Filename != "" && f.Size > 0 {
				files = append(files, f)
			}
		}
	}
	errs := map[string]string{}
	switch {
	case text == "" && len(files) == 0:
		errs["text"] = T(lang, "msg.text.missing")
	case len(files) > maxFiles:
		errs["attachment"] = T(lang, "msg.files.toomany", maxFiles)
	case len(text) > maxText:
		errs["text"] = T(lang, "msg.text.toolong", maxText/1024)
	}
	if replyTo != "" {
		r.URL.RawQuery = "reply=" + url.QueryEscape(replyTo) // the form comes back still answering it
	}
	if len(errs) > 0 {
		s.showConversation(w, r, sess, http.StatusUnprocessableEntity, conversationView{Errors: errs, Text: text})
		return
	}
	mentions := s.mentions(r.Context(), sess, id, text)
	var err error
	if len(files) == 0 {
		_, err = s.messages.Send(r.Context(), sess, id, text, replyTo, mentions)
	} else {
		body, contentType := multipartBody(text, replyTo, mentions, files)
		_, err = s.messages.SendMultipart(r.Context(), sess, id, body, contentType)
		body.Close()
	}
	if st := statusOf(err); st/100 == 4 && st != http.StatusUnauthorized && st != http.StatusNotFound {
		prob := problemOf(err)
		errs = prob.fields()
		if st == http.StatusRequestEntityTooLarge {
			errs["attachment"] = cmpOr(prob.Detail, T(lang, "msg.files.toolarge"))
		} else if len(errs) == 0 || errs["text"] == "" && errs["attachment"] == "" {
			errs["text"] = cmpOr(prob.Detail, T(lang, "msg.refused"))
		}
		s.showConversation(w, r, sess, http.StatusUnprocessableEntity, conversationView{Errors: errs, Text: text})
		return
	}
	if errors.Is(err, errNotFound) {
		s.fail(w, r, http.StatusNotFound, T(lang, "msg.notfound"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	s.forgetUnread(sess)
	http.Redirect(w, r, s.d.Base+"/messaging/"+url.PathEscape(id)+"#compose", http.StatusSeeOther)
}

// mentionWord is "@username" in a message's text.
var mentionWord = lazyregexp.New(`(?:^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*[\p{L}\p{N}_]|[\p{L}\p{N}_])`)

// mentions are the members of the conversation the text names as
// @username (the API takes mentions as subject ids, and notifies only
// members). Without an @ nothing is asked; when the members cannot be read
// the message goes without mentions.
func (s *server) mentions(ctx context.Context, sess *session, id, text string) []string {
	words := mentionWord.FindAllStringSubmatch(text, -1)
	if len(words) == 0 {
		return nil
	}
	c, err := s.messages.Conversation(ctx, sess, id)
	if err != nil {
		return nil
	}
	var ids []string
	for _, m := range c.Members {
		if m.ID != sess.Subject {
			ids = append(ids, m.ID)
		}
	}
	names, _ := s.messages.People(ctx, sess, ids)
	byName := map[string]string{}
	for _, p := range names {
		if p.ID != sess.Subject && slices.Contains(ids, p.ID) {
			byName[strings.ToLower(p.Username)] = p.ID
		}
	}
	var out []string
	for _, w := range words {
		if sub, ok := byName[strings.ToLower(w[1])]; ok && !slices.Contains(out, sub) {
			out = append(out, sub)
		}
	}
	return out
}

// Limits the portal checks before it sends (the API checks them again).
const (
	maxText          = 16 << 10
	maxMessageUpload = 26 << 20 // the API's 25 MB of files and the form around them
)

// multipartBody writes the message as multipart/form-data into a pipe,
// as the API reads it: fields text and reply_to, files in "attachment".
func multipartBody(text, replyTo string, mentions []string, files []*multipart.FileHeader) (io.ReadCloser, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			if err := mw.WriteField("text", text); err != nil {
				return err
			}
			if replyTo != "" {
				if err := mw.WriteField("reply_to", replyTo); err != nil {
					return err
				}
			}
			for _, m := range mentions {
				if err := mw.WriteField("mentions", m); err != nil {
					return err
				}
			}
			for _, fh := range files {
				h := make(map[string][]string)
				h["Content-Disposition"] = []string{`form-data; name="attachment"; filename="` + quoteEscaper.Replace(fh.Filename) + `"`}
				ct := fh.Header.Get("Content-Type")
				if ct == "" {
					ct = "application/octet-stream"
				}
				h["Content-Type"] = []string{ct}
				part, err := mw.CreatePart(h)
				if err != nil {
					return err
				}
				f, err := fh.Open()
				if err != nil {
					return err
				}
				_, err = io.Copy(part, f)
				f.Close()
				if err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// changeMessage edits or deletes one's own message (action edit, delete).
func (s *server) changeMessage(w http.ResponseWriter, r *http.Request, sess *session) {
	id, mid, lang := r.PathValue("id"), r.PathValue("mid"), langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxText+4<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	var err error
	done := ""
	switch r.PostForm.Get("action") {
	case "edit":
		text := strings.TrimSpace(r.PostForm.Get("text"))
		if text == "" {
			r.URL.RawQuery = "edit=" + url.QueryEscape(mid)
			s.showConversation(w, r, sess, http.StatusUnprocessableEntity, conversationView{Errors: map[string]string{"edit": T(lang, "msg.text.missing")}})
			return
		}
		err, done = s.messages.Edit(r.Context(), sess, mid, text), "edited"
	case "delete":
		err, done = s.messages.Delete(r.Context(), sess, mid), "deleted"
	default:
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	if s.refused(w, r, sess, err) {
		return
	}
	http.Redirect(w, r, s.d.Base+"/messaging/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// refused shows the conversation with the API's reason when it refused a
// change (403, 409, 412, 422), and answers other failures; it reports
// whether it answered.
func (s *server) refused(w http.ResponseWriter, r *http.Request, sess *session, err error) bool {
	lang := langOf(r)
	switch st := statusOf(err); {
	case err == nil:
		return false
	case errors.Is(err, errStale):
		s.showConversation(w, r, sess, http.StatusConflict, conversationView{Errors: map[string]string{"form": T(lang, "msg.stale")}})
	case st == http.StatusNotFound:
		s.fail(w, r, http.StatusNotFound, T(lang, "msg.notfound"))
	case st == http.StatusForbidden || st == http.StatusConflict || st == http.StatusUnprocessableEntity || st == http.StatusBadRequest:
		detail := problemOf(err).Detail
		if detail == "" {
			detail = T(lang, "msg.refused")
		}
		s.showConversation(w, r, sess, http.StatusUnprocessableEntity, conversationView{Errors: map[string]string{"form": detail}})
	default:
		s.apiFailed(w, r, err)
	}
	return true
}

// settings changes a group: rename (If-Match), add, remove, make admin,
// leave. The API allows the changes to the group's admins only (and
// leaving to anyone); the page offers them accordingly.
func (s *server) settings(w http.ResponseWriter, r *http.Request, sess *session) {
	id, lang := r.PathValue("id"), langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	f := r.PostForm
	ctx := r.Context()
	var err error
	done := ""
	switch f.Get("action") {
	case "rename":
		name := strings.TrimSpace(f.Get("name"))
		if name == "" {
			s.showConversation(w, r, sess, http.StatusUnprocessableEntity, conversationView{Errors: map[string]string{"name": T(lang, "msg.group.name.missing")}})
			return
		}
		err, done = s.messages.Rename(ctx, sess, id, version(f.Get("version")), name), "renamed"
	case "add":
		err, done = s.messages.SetMember(ctx, sess, id, f.Get("member"), "member"), "added"
	case "admin":
		err, done = s.messages.SetMember(ctx, sess, id, f.Get("member"), "admin"), "role"
	case "remove":
		err, done = s.messages.RemoveMember(ctx, sess, id, f.Get("member")), "removed"
	case "leave":
		if err = s.messages.RemoveMember(ctx, sess, id, sess.Subject); err == nil {
			s.forgetUnread(sess)
			http.Redirect(w, r, s.d.Base+"/messaging?done=left", http.StatusSeeOther)
			return
		}
	default:
		s.fail(w, r, http.StatusBadRequest, T(lang, "error.badform"))
		return
	}
	if s.refused(w, r, sess, err) {
		return
	}
	http.Redirect(w, r, s.d.Base+"/messaging/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// attachment passes a file on from the API with the person's token, with
// the API's headers that keep a browser from running it.
func (s *server) attachment(w http.ResponseWriter, r *http.Request, sess *session) {
	resp, err := s.messages.open(r.Context(), sess, s.streamClient(), "/v1/attachments/"+esc(r.PathValue("id")), nil)
	if errors.Is(err, errNotFound) {
		s.fail(w, r, http.StatusNotFound, T(langOf(r), "msg.notfound"))
		return
	}
	if s.apiFailed(w, r, err) {
		return
	}
	defer resp.Body.Close()
	h := w.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Disposition", "ETag", "Last-Modified"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	// Whatever the API said: the file is never a page of the portal's.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", "attachment")
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(10 * time.Minute)) //nolint:errcheck // best effort: a large file on a slow line
	io.Copy(w, resp.Body)
}

// streamClient reaches the messages API for answers that last (the event
// stream, files): the API client's transport without its overall timeout.
func (s *server) streamClient() *http.Client {
	if s.d.API == nil {
		return http.DefaultClient
	}
	return &http.Client{Transport: s.d.API.Transport, CheckRedirect: s.d.API.CheckRedirect, Jar: s.d.API.Jar}
}

// excerpt is the start of a text for the list, at most n characters.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// when is a message's time as the pages show it: the server's local
// time, to the minute.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// fileSize is a file's size in B, KB or MB (1024-based, one decimal).
func fileSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}
