package portal

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The messaging pages against a fake of the messages API (under
// /messages of the fake, as in all-in-one mode).

func withMessaging(d *Deps, api *fakeAPI) { d.MessagesURL = api.srv.URL + "/messages" }

// The signed-in person in these tests is subject-1 (portalTest.signIn).
const (
	convListJSON = `{"items":[
		{"id":"c-direct","kind":"direct","name":"","created_by":"subject-1","created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-01T09:00:00Z","version":1,
		 "last_message_at":"2026-03-02T09:30:00Z","my_role":"member","read_up_to":"","unread":2,"member_count":2,
		 "last_message":{"id":"m9","conversation_id":"c-direct","sender":"u-ben","text":"See you at the **lab**","html":"<p>See you at the <strong>lab</strong></p>","created_at":"2026-03-02T09:30:00Z","deleted":false}},
		{"id":"c-group","kind":"group","name":"Databases study group","created_by":"subject-1","created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-01T09:00:00Z","version":3,
		 "last_message_at":"2026-03-01T12:00:00Z","my_role":"admin","read_up_to":"m5","unread":0,"member_count":3,"last_message":null},
		{"id":"c-notices","kind":"notices","name":"","created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-01T09:00:00Z","version":1,
		 "last_message_at":"2026-03-01T10:00:00Z","my_role":"member","read_up_to":"","unread":1,"member_count":1,
		 "last_message":{"id":"n1","conversation_id":"c-notices","sender":"","text":"Your grade for Databases is published.","text_de":"Ihre Note für Datenbanken ist veröffentlicht.","html":"<p>Your grade for Databases is published.</p>","html_de":"<p>Ihre Note für Datenbanken ist veröffentlicht.</p>","created_at":"2026-03-01T10:00:00Z","deleted":false,"notice_kind":"grade_published","link":"/my"}}],
		"next":""}`
	directJSON = `{"id":"c-direct","kind":"direct","name":"","created_by":"subject-1","version":1,"my_role":"member","read_up_to":"","unread":2,"member_count":2,
		"members":[{"id":"subject-1","role":"member","joined_at":"2026-03-01T09:00:00Z","read_up_to":""},{"id":"u-ben","role":"member","joined_at":"2026-03-01T09:00:00Z","read_up_to":"m9"}]}`
	groupJSON = `{"id":"c-group","kind":"group","name":"Databases study group","created_by":"subject-1","version":3,"my_role":"admin","read_up_to":"m5","unread":0,"member_count":3,
		"members":[{"id":"subject-1","role":"admin"},{"id":"u-ben","role":"member"},{"id":"u-clara","role":"member"}]}`
	peopleMsgJSON = `{"items":[{"id":"subject-1","display_name":"Ada Student","username":"ada"},{"id":"u-ben","display_name":"Ben Krüger","username":"ben.krueger"},
		{"id":"u-clara","display_name":"Clara Vogel","username":"clara.vogel"}]}`
	historyJSON = `{"items":[
		{"id":"m9","conversation_id":"c-direct","sender":"u-ben","text":"See you at the **lab** <script>alert(1)</script>","html":"<p>See you at the <strong>lab</strong> &lt;script&gt;</p>","reply_to":"m8",
		 "mentions":["subject-1"],"attachments":[{"id":"a1","name":"notes.pdf","content_type":"application/pdf","size":20480,"sha256":"ab"}],"created_at":"2026-03-02T09:30:00Z","edited_at":null,"deleted":false},
		{"id":"m8","conversation_id":"c-direct","sender":"subject-1","text":"Lab at *ten*?","html":"<p>Lab at <em>ten</em>?</p>","created_at":"2026-03-02T09:00:00Z","edited_at":"2026-03-02T09:05:00Z","deleted":false},
		{"id":"m7","conversation_id":"c-direct","sender":"subject-1","text":"","html":"","created_at":"2026-03-02T08:00:00Z","deleted":true}],
		"next":"cur-older"}`
	presenceJSON = `{"items":[{"id":"u-ben","active":true,"last_active_at":"2026-03-02T09:59:00Z"},{"id":"subject-1","active":true}]}`
	rulesJSON    = `{"reach":{"student":{"student":"programme","staff":"programme"},"staff":{"student":"anyone","staff":"anyone","admin":"anyone"},
		"admin":{"student":"anyone","staff":"anyone","admin":"anyone"}},"group_creators":["student","staff","admin"],"version":4}`
)

// messagingAPI sets the messages API's answers the pages read.
func (p *portalTest) messagingAPI() {
	p.api.on("GET /messages/v1/unread", 200, `{"total":3,"conversations":{"c-direct":2,"c-notices":1}}`)
	p.api.on("GET /messages/v1/conversations", 200, convListJSON)
	p.api.on("GET /messages/v1/conversations/c-direct", 200, directJSON)
	p.api.on("GET /messages/v1/conversations/c-group", 200, groupJSON)
	p.api.on("GET /messages/v1/people", 200, peopleMsgJSON)
	p.api.on("GET /messages/v1/conversations/c-direct/messages", 200, historyJSON)
	p.api.on("GET /messages/v1/conversations/c-group/messages", 200, `{"items":[],"next":""}`)
	p.api.on("GET /messages/v1/presence", 200, presenceJSON)
	p.api.on("PUT /messages/v1/conversations/c-direct/read", 200, `{"read_up_to":"m9","unread":0}`)
	p.api.on("GET /messages/v1/contacts", 200, `{"items":[{"id":"u-ben","display_name":"Ben Krüger","username":"ben.krueger"},{"id":"u-clara","display_name":"Clara Vogel","username":"clara.vogel"}]}`)
	p.api.on("GET /messages/v1/rules", 200, rulesJSON)
	p.api.on("GET /messages/v1/me/presence", 200, `{"hidden":false}`)
}

// TestMessagingOff: without the messages API's URL the portal has no
// messaging: no pages, no link, no script, and the CSP allows none.
func TestMessagingOff(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	stud := p.signIn(student())
	r := p.get(stud, "/profile")
	r.want(t, http.StatusOK)
	r.lacks(t, "/messaging", "<script", msg("msg.presence.title"))
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "script-src") {
		t.Errorf("CSP without messaging allows scripts: %s", csp)
	}
	p.get(stud, "/messaging").want(t, http.StatusNotFound)
	p.get(stud, "/messaging/c-direct").want(t, http.StatusNotFound)
	p.api.none(t, "GET /messages/v1/unread")
}

// TestMessagingNeedsTheScope: a person whose roles do not grant
// messages:read sees no messaging, and its pages are forbidden.
func TestMessagingNeedsTheScope(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.catalogueAPI()
	tok := student()
	tok.Scopes = []string{"openid", "profile"}
	who := p.signIn(tok)
	p.get(who, "/programmes").lacks(t, "/messaging", "<script")
	p.get(who, "/messaging").want(t, http.StatusForbidden, msg("msg.forbidden"))
	p.api.none(t, "GET /messages/v1/unread", "GET /messages/v1/conversations")
}

// TestMessagesList: the list names direct conversations after the other
// person (members read apart when the list has none), shows unread counts
// and the latest message, and the top bar shows the total; the page loads
// only the portal's own script.
func TestMessagesList(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	stud := p.signIn(student())
	r := p.get(stud, "/messaging")
	r.want(t, http.StatusOK, "Ben Krüger", "Databases study group", msg("msg.notices"), "See you at the **lab**",
		`id="unread-total"> <span class="count">3</span>`, `<script src="/static/messages.js" defer></script>`,
		`data-me="subject-1"`, `href="/messaging/c-direct"`, msg("msg.kind.group", 3))
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'; connect-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	if n := strings.Count(r.body, "<script"); n != 1 {
		t.Errorf("%d scripts on the page, want the one file", n)
	}
	if got := p.api.only(t, "GET /messages/v1/people").Query; !strings.Contains(got, "id=u-ben") {
		t.Errorf("people asked for %q", got)
	}
	wantHeader(t, p.api.only(t, "GET /messages/v1/conversations"), "Authorization", "Bearer access-token")

	// A search for people to write to.
	r = p.get(stud, "/messaging?q=be")
	r.want(t, http.StatusOK, msg("msg.write", "Ben Krüger"), `name="direct" value="u-ben"`, msg("msg.group.create"))
	if q := p.api.only(t, "GET /messages/v1/contacts").Query; q != "q=be" {
		t.Errorf("contacts asked with %q", q)
	}
	p.get(stud, "/messaging?q=b").want(t, http.StatusOK, msg("msg.search.short"))

	// German: the notice in German.
	p.germanGet(stud, "/messaging").want(t, http.StatusOK, "Ihre Note für Datenbanken ist veröffentlicht.", "Mitteilungen von campus")
}

// TestUnreadInTopBar: the top bar's total is asked for once per session
// within a few seconds, on every page; reading clears it.
func TestUnreadInTopBar(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.catalogueAPI()
	stud := p.signIn(student())
	p.get(stud, "/programmes").want(t, http.StatusOK, `<span class="count">3</span>`)
	p.get(stud, "/programmes/p1").want(t, http.StatusOK, `<span class="count">3</span>`)
	if n := len(p.api.sent("GET /messages/v1/unread")); n != 1 {
		t.Errorf("unread asked %d times for two pages, want once", n)
	}
	p.get("", "/programmes").lacks(t, "unread-total")
	// Opening the conversation marks it read: its page asks again, after
	// reading, and the next page takes that.
	p.get(stud, "/messaging/c-direct").want(t, http.StatusOK)
	p.get(stud, "/programmes").want(t, http.StatusOK)
	if n := len(p.api.sent("GET /messages/v1/unread")); n != 2 {
		t.Errorf("unread asked %d times, want 2 (once more after reading)", n)
	}
	// The messages API down: pages are shown without the count.
	p.api.on("GET /messages/v1/unread", 503, `{"status":503}`)
	p.get(stud, "/messaging/unread").want(t, http.StatusBadGateway)
	p.get(stud, "/programmes").want(t, http.StatusOK, `id="unread-total" hidden`)
	p.api.on("GET /messages/v1/unread", 200, `{"total":5,"conversations":{}}`)
	p.get(stud, "/messaging/unread").want(t, http.StatusOK, `{"total":5}`)
}

// TestConversationPage: the history oldest first with names, the API's
// HTML (and only it) as HTML, files through the portal, edit and delete
// for one's own messages only, the older page's link, presence, and the
// read marker moved to the newest message.
func TestConversationPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	stud := p.signIn(student())
	r := p.get(stud, "/messaging/c-direct")
	r.want(t, http.StatusOK, "<title>Ben Krüger · campus</title>", "<p>See you at the <strong>lab</strong> &lt;script&gt;</p>",
		`href="/messaging/attachments/a1">notes.pdf</a>`, "20.0 KB", `href="/messaging/c-direct?cursor=cur-older"`,
		`<p>Lab at <em>ten</em>?</p>`, msg("msg.edited"), msg("msg.deleted"), msg("msg.inreply.to", "Ada Student"),
		`class="presence active" data-presence="u-ben"`, `data-last="m9"`, `data-live="true"`,
		`enctype="multipart/form-data"`, `action="/messaging/c-direct/send"`, `class="msg mentions-me"`, msg("msg.mentioned"))
	r.lacks(t, "<script>alert", msg("msg.settings"))
	if i, j := strings.Index(r.body, `id="m8"`), strings.Index(r.body, `id="m9"`); i < 0 || j < i {
		t.Errorf("history not oldest first (m8 at %d, m9 at %d)", i, j)
	}
	// Edit and delete only under one's own message (m8), not Ben's (m9).
	if !strings.Contains(r.body, `href="/messaging/c-direct?edit=m8#m-m8"`) || strings.Contains(r.body, `?edit=m9`) {
		t.Error("edit links: want one for m8 only")
	}
	wantJSON(t, p.api.only(t, "PUT /messages/v1/conversations/c-direct/read"), `{"up_to":"m9"}`)

	// The older page does not move the marker; the edit form is in place.
	p.get(stud, "/messaging/c-direct?cursor=cur-older").want(t, http.StatusOK, msg("msg.newest"))
	if n := len(p.api.sent("PUT /messages/v1/conversations/c-direct/read")); n != 1 {
		t.Errorf("read marker moved %d times", n)
	}
	p.get(stud, "/messaging/c-direct?edit=m8").want(t, http.StatusOK, `name="action" value="edit"`, ">Lab at *ten*?</textarea>")
	// Not a member (the API's 404): not found.
	p.api.on("GET /messages/v1/conversations/c-other", 404, `{"status":404}`)
	p.get(stud, "/messaging/c-other").want(t, http.StatusNotFound, msg("msg.notfound"))
	// The messages API down: 503 naming it.
	p.api.on("GET /messages/v1/conversations", 503, `{"status":503}`)
	p.get(stud, "/messaging").want(t, http.StatusServiceUnavailable, msg("error.messages.down"))
}

// TestGroupPage: an admin of the group gets its settings; a member only
// leaving.
func TestGroupPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	stud := p.signIn(student())
	p.get(stud, "/messaging/c-group?add=cl").want(t, http.StatusOK, msg("msg.settings"), `name="version" value="3"`, msg("msg.rename"),
		msg("msg.add.one", "Clara Vogel"), `value="remove"`, msg("msg.leave"), msg("msg.history.none"))
	p.api.on("GET /messages/v1/conversations/c-group", 200, strings.Replace(groupJSON, `"my_role":"admin"`, `"my_role":"member"`, 1))
	r := p.get(stud, "/messaging/c-group")
	r.want(t, http.StatusOK, msg("msg.settings.adminsonly"), msg("msg.leave"))
	r.lacks(t, msg("msg.rename"), `value="remove"`)
}

// TestSendMessage: the form's text goes as JSON, with files as multipart
// with the files in "attachment"; mistakes come back beside the field
// with what was typed.
func TestSendMessage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("POST /messages/v1/conversations/c-direct/messages", 201, `{"id":"m10"}`)
	stud := p.signIn(student())

	p.post(stud, "/messaging/c-direct/send", url.Values{"text": {" Hello *Ben* "}, "reply_to": {"m9"}}).redirects(t, "/messaging/c-direct#compose")
	wantJSON(t, p.api.only(t, "POST /messages/v1/conversations/c-direct/messages"), `{"text":"Hello *Ben*","reply_to":"m9"}`)

	// With two files.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("text", "The slides")
	for _, f := range []struct{ name, content string }{{"a.txt", "first file"}, {"b.pdf", "%PDF-1.4 second"}} {
		fw, _ := mw.CreateFormFile("attachment", f.name)
		io.WriteString(fw, f.content)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/messaging/c-direct/send", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	p.do(stud, req).redirects(t, "/messaging/c-direct#compose")
	sent := p.api.sent("POST /messages/v1/conversations/c-direct/messages")[1]
	mt, params, err := mime.ParseMediaType(sent.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("sent %q", sent.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(strings.NewReader(sent.Body), params["boundary"])
	var parts []string
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(part)
		parts = append(parts, part.FormName()+"|"+part.FileName()+"|"+string(b))
	}
	if want := "text||The slides;attachment|a.txt|first file;attachment|b.pdf|%PDF-1.4 second"; strings.Join(parts, ";") != want {
		t.Errorf("multipart sent %q, want %q", strings.Join(parts, ";"), want)
	}

	// @username names a member: a mention (by subject id); an unknown
	// name, an address and oneself are not.
	p.post(stud, "/messaging/c-direct/send", url.Values{"text": {"@Ben.Krueger look, and @nobody, mail ada@uni.example, @ada"}}).redirects(t, "/messaging/c-direct#compose")
	wantJSON(t, p.api.sent("POST /messages/v1/conversations/c-direct/messages")[2], `{"text":"@Ben.Krueger look, and @nobody, mail ada@uni.example, @ada","mentions":["u-ben"]}`)

	// Nothing written: the page says so, nothing is sent.
	p.post(stud, "/messaging/c-direct/send", url.Values{"text": {"  "}}).want(t, http.StatusUnprocessableEntity, msg("msg.text.missing"), `aria-invalid="true"`)
	// The API refuses: its reason beside the field, the text kept.
	p.api.on("POST /messages/v1/conversations/c-direct/messages", 422, `{"status":422,"detail":"The message is too long.","errors":[{"field":"text","detail":"At most 16 KB."}]}`)
	p.post(stud, "/messaging/c-direct/send", url.Values{"text": {"kept <b>text</b>"}}).want(t, http.StatusUnprocessableEntity, "At most 16 KB.", "kept &lt;b&gt;text&lt;/b&gt;</textarea>")
	if n := len(p.api.sent("POST /messages/v1/conversations/c-direct/messages")); n != 4 {
		t.Errorf("sent %d times, want 4", n)
	}
}

// TestMessagingCSRF: a change sent from another site is refused before
// anything reaches the API (as the portal's other forms).
func TestMessagingCSRF(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	stud := p.signIn(student())
	for _, target := range []string{"/messaging/c-direct/send", "/messaging", "/messaging/c-direct/messages/m8", "/messaging/c-group/settings", "/admin/messaging", "/profile/presence"} {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader("text=hi&action=delete&direct=u-ben&hidden=true"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		p.do(stud, r).want(t, http.StatusForbidden)
	}
	if got := p.api.changes(); len(got) != 0 {
		t.Errorf("cross-site forms reached the API: %v", got)
	}
}

// TestEditDeleteAndSettings: every change is a form and a redirect, no
// script needed; group settings with If-Match.
func TestEditDeleteAndSettings(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("PATCH /messages/v1/messages/m8", 200, `{"id":"m8"}`)
	p.api.on("DELETE /messages/v1/messages/m8", 204, ``)
	p.api.on("PATCH /messages/v1/conversations/c-group", 200, groupJSON)
	p.api.on("PUT /messages/v1/conversations/c-group/members/u-clara", 204, ``)
	p.api.on("DELETE /messages/v1/conversations/c-group/members/u-ben", 204, ``)
	p.api.on("DELETE /messages/v1/conversations/c-group/members/subject-1", 204, ``)
	stud := p.signIn(student())

	p.post(stud, "/messaging/c-direct/messages/m8", url.Values{"action": {"edit"}, "text": {"Lab at *eleven*?"}}).redirects(t, "/messaging/c-direct?done=edited")
	wantJSON(t, p.api.only(t, "PATCH /messages/v1/messages/m8"), `{"text":"Lab at *eleven*?"}`)
	p.post(stud, "/messaging/c-direct/messages/m8", url.Values{"action": {"delete"}}).redirects(t, "/messaging/c-direct?done=deleted")
	p.api.only(t, "DELETE /messages/v1/messages/m8")
	p.get(stud, "/messaging/c-direct?done=deleted").want(t, http.StatusOK, msg("msg.done.deleted"))

	p.post(stud, "/messaging/c-group/settings", url.Values{"action": {"rename"}, "version": {"3"}, "name": {"DB group"}}).redirects(t, "/messaging/c-group?done=renamed")
	rn := p.api.only(t, "PATCH /messages/v1/conversations/c-group")
	wantJSON(t, rn, `{"name":"DB group"}`)
	wantHeader(t, rn, "If-Match", `"3"`)
	p.post(stud, "/messaging/c-group/settings", url.Values{"action": {"add"}, "member": {"u-clara"}}).redirects(t, "/messaging/c-group?done=added")
	wantJSON(t, p.api.only(t, "PUT /messages/v1/conversations/c-group/members/u-clara"), `{"role":"member"}`)
	p.post(stud, "/messaging/c-group/settings", url.Values{"action": {"remove"}, "member": {"u-ben"}}).redirects(t, "/messaging/c-group?done=removed")
	p.post(stud, "/messaging/c-group/settings", url.Values{"action": {"leave"}}).redirects(t, "/messaging?done=left")
	p.api.only(t, "DELETE /messages/v1/conversations/c-group/members/subject-1")

	// Renamed meanwhile (412): the page as it is now, nothing overwritten.
	p.api.on("PATCH /messages/v1/conversations/c-group", 412, `{"status":412}`)
	p.post(stud, "/messaging/c-group/settings", url.Values{"action": {"rename"}, "version": {"2"}, "name": {"Old"}}).want(t, http.StatusConflict, msg("msg.stale"), `name="version" value="3"`)
	// Another's message (403): the API's reason.
	p.api.on("DELETE /messages/v1/messages/m9", 403, `{"status":403,"detail":"Only the sender may delete a message."}`)
	p.post(stud, "/messaging/c-direct/messages/m9", url.Values{"action": {"delete"}}).want(t, http.StatusUnprocessableEntity, "Only the sender may delete a message.")
	// Rename without a name: said beside the field, nothing sent.
	p.post(stud, "/messaging/c-group/settings", url.Values{"action": {"rename"}, "version": {"3"}, "name": {" "}}).want(t, http.StatusUnprocessableEntity, msg("msg.group.name.missing"))
	if n := len(p.api.sent("PATCH /messages/v1/conversations/c-group")); n != 2 {
		t.Errorf("renamed %d times, want 2", n)
	}
}

// TestStartConversation: write to someone found, or make a group of the
// people ticked.
func TestStartConversation(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("POST /messages/v1/conversations", 200, directJSON)
	stud := p.signIn(student())
	p.post(stud, "/messaging", url.Values{"q": {"be"}, "member": {"u-clara"}, "direct": {"u-ben"}}).redirects(t, "/messaging/c-direct")
	wantJSON(t, p.api.only(t, "POST /messages/v1/conversations"), `{"kind":"direct","members":["u-ben"]}`)

	p.post(stud, "/messaging", url.Values{"q": {"be"}, "member": {"u-ben"}, "kind": {"group"}, "name": {""}}).want(t, http.StatusUnprocessableEntity,
		msg("msg.group.name.missing"), `id="m-u-ben" name="member" value="u-ben" checked`)
	p.api.on("POST /messages/v1/conversations", 201, groupJSON)
	p.post(stud, "/messaging", url.Values{"q": {"be"}, "member": {"u-ben", "u-clara"}, "kind": {"group"}, "name": {"Databases study group"}}).redirects(t, "/messaging/c-group")
	wantJSON(t, p.api.sent("POST /messages/v1/conversations")[1], `{"kind":"group","name":"Databases study group","members":["u-ben","u-clara"]}`)
	// Out of reach (the API's 403 or 422): its reason on the list page.
	p.api.on("POST /messages/v1/conversations", 403, `{"status":403,"detail":"You may not write to this person."}`)
	p.post(stud, "/messaging", url.Values{"direct": {"u-far"}}).want(t, http.StatusUnprocessableEntity, "You may not write to this person.")
}

// TestAttachmentThroughThePortal: a file comes with the person's token and
// leaves with headers that keep the browser from running it.
func TestAttachmentThroughThePortal(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.onRaw("GET /messages/v1/attachments/a1", 200, http.Header{"Content-Type": {"text/html"}, "Content-Disposition": {`attachment; filename="notes.html"`}}, "<script>alert(1)</script>")
	stud := p.signIn(student())
	r := p.get(stud, "/messaging/attachments/a1")
	r.want(t, http.StatusOK, "<script>alert(1)</script>")
	for k, v := range map[string]string{"Content-Disposition": `attachment; filename="notes.html"`, "X-Content-Type-Options": "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox"} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s %q, want %q", k, got, v)
		}
	}
	wantHeader(t, p.api.only(t, "GET /messages/v1/attachments/a1"), "Authorization", "Bearer access-token")
	p.get(stud, "/messaging/attachments/nope").want(t, http.StatusNotFound)
	p.get("", "/messaging/attachments/a1").redirects(t, "/auth/login?return=%2Fmessaging%2Fattachments%2Fa1")
}

// TestEventStreamThroughThePortal: the stream passes as it comes, with
// the session's token and the browser's Last-Event-ID; signed out, 204
// stops the browser's reconnecting.
func TestEventStreamThroughThePortal(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	stream := "retry: 3000\n\nid: 42\nevent: message.created\ndata: {\"id\":\"m10\",\"conversation_id\":\"c-direct\"}\n\n: hb\n\n"
	p.api.onRaw("GET /messages/v1/events", 200, http.Header{"Content-Type": {"text/event-stream"}}, stream)
	stud := p.signIn(student())
	req := httptest.NewRequest(http.MethodGet, "/messaging/events", nil)
	req.Header.Set("Last-Event-ID", "41")
	r := p.do(stud, req)
	r.want(t, http.StatusOK)
	if r.body != stream || r.header.Get("Content-Type") != "text/event-stream" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("stream %q with %v", r.body, r.header)
	}
	sent := p.api.only(t, "GET /messages/v1/events")
	wantHeader(t, sent, "Last-Event-ID", "41")
	wantHeader(t, sent, "Authorization", "Bearer access-token")
	p.get("", "/messaging/events").want(t, http.StatusNoContent)
	// The API down: an empty stream that asks to come back later.
	p.api.on("GET /messages/v1/events", 503, `{"status":503}`)
	p.get(stud, "/messaging/events").want(t, http.StatusOK, "retry: 15000")
	// The API refuses the token: stop.
	p.api.on("GET /messages/v1/events", 401, `{"status":401}`)
	p.get(stud, "/messaging/events").want(t, http.StatusNoContent)
}

// TestFragment: the new messages after one, as list items only (no page
// around them), marked read.
func TestFragment(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("GET /messages/v1/conversations/c-direct/messages?after=m8&limit=30", 200,
		`{"items":[{"id":"m9","conversation_id":"c-direct","sender":"u-ben","text":"new","html":"<p>new <strong>one</strong></p>","created_at":"2026-03-02T09:30:00Z"},
		{"id":"m10","conversation_id":"c-direct","sender":"subject-1","text":"mine","html":"<p>mine</p>","created_at":"2026-03-02T09:31:00Z"}],"next":""}`)
	p.api.on("PUT /messages/v1/conversations/c-direct/read", 200, `{"read_up_to":"m10","unread":0}`)
	stud := p.signIn(student())
	r := p.get(stud, "/messaging/fragments/c-direct?after=m8")
	r.want(t, http.StatusOK, `<li id="m-m9"`, "<p>new <strong>one</strong></p>", "Ben Krüger", `<li id="m-m10" class="msg mine"`, msg("msg.reply"))
	r.lacks(t, "<html", "<body")
	if i, j := strings.Index(r.body, "m-m9"), strings.Index(r.body, "m-m10"); j < i {
		t.Error("fragment not oldest first")
	}
	wantJSON(t, p.api.only(t, "PUT /messages/v1/conversations/c-direct/read"), `{"up_to":"m10"}`)
}

// TestMessagingRules: the administrators' table of who may write to whom,
// saved whole with If-Match.
func TestMessagingRules(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("PUT /messages/v1/rules", 200, rulesJSON)
	adm, stud := p.signIn(admin()), p.signIn(student())
	p.get(adm, "/admin").want(t, http.StatusOK, `href="/admin/messaging"`)
	r := p.get(adm, "/admin/messaging")
	r.want(t, http.StatusOK, `name="version" value="4"`, `name="reach:student:staff"`, `<option value="programme" selected>`, `id="creator-staff" name="creator" value="staff" checked`)
	form := url.Values{"version": {"4"}, "role": {"student", "staff", "admin"}, "reach:student:student": {"programme"}, "reach:student:staff": {"anyone"},
		"reach:staff:student": {"anyone"}, "reach:admin:admin": {"none"}, "creator": {"staff", "admin"}}
	p.post(adm, "/admin/messaging", form).redirects(t, "/admin/messaging?done=saved")
	put := p.api.only(t, "PUT /messages/v1/rules")
	wantHeader(t, put, "If-Match", `"4"`)
	wantJSON(t, put, `{"reach":{"student":{"student":"programme","staff":"anyone"},"staff":{"student":"anyone"}},"group_creators":["staff","admin"]}`)
	p.api.on("PUT /messages/v1/rules", 412, `{"status":412}`)
	p.post(adm, "/admin/messaging", form).want(t, http.StatusConflict, msg("msgadmin.stale"))
	p.get(stud, "/admin/messaging").want(t, http.StatusForbidden)
	if n := len(p.api.sent("PUT /messages/v1/rules")); n != 2 {
		t.Errorf("rules sent %d times", n)
	}
}

// TestHidePresence: the profile's switch for one's online status.
func TestHidePresence(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	p.api.on("PUT /messages/v1/me/presence", 200, `{"hidden":true}`)
	stud := p.signIn(student())
	p.get(stud, "/profile").want(t, http.StatusOK, msg("msg.presence.shown"), `name="hidden" value="true"`, msg("msg.presence.hide"))
	p.post(stud, "/profile/presence", url.Values{"hidden": {"true"}}).redirects(t, "/profile?done=presence")
	wantJSON(t, p.api.only(t, "PUT /messages/v1/me/presence"), `{"hidden":true}`)
	p.api.on("GET /messages/v1/me/presence", 200, `{"hidden":true}`)
	p.get(stud, "/profile?done=presence").want(t, http.StatusOK, msg("msg.presence.saved"), msg("msg.presence.hidden"), msg("msg.presence.show"))
}

// TestPeopleInBatches: names are asked for 100 at a time (the API's
// limit), for a course group of hundreds.
func TestPeopleInBatches(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	var members []string
	for i := range 250 {
		members = append(members, fmt.Sprintf(`{"id":"u%03d","role":"member"}`, i))
	}
	p.api.on("GET /messages/v1/conversations/c-course", 200, `{"id":"c-course","kind":"course","name":"B.Sc. Computer Science","version":1,"my_role":"member","member_count":250,"members":[`+strings.Join(members, ",")+`]}`)
	p.api.on("GET /messages/v1/conversations/c-course/messages", 200, `{"items":[],"next":""}`)
	p.get(p.signIn(student()), "/messaging/c-course").want(t, http.StatusOK, "B.Sc. Computer Science", msg("msg.members", 250))
	sent := p.api.sent("GET /messages/v1/people")
	if len(sent) != 3 {
		t.Fatalf("people asked %d times, want 3 batches", len(sent))
	}
	n := 0
	for _, r := range sent {
		q, _ := url.ParseQuery(r.Query)
		if len(q["id"]) > 100 {
			t.Errorf("a batch of %d", len(q["id"]))
		}
		n += len(q["id"])
	}
	if n != 250 {
		t.Errorf("%d people asked for, want 250", n)
	}
}
