package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"campus/internal/messages"
)

type problemJSON struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func TestGroupAdministration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := tokenOf(alice)
	path := "/v1/conversations/" + e.group.ID

	resp, body := e.do(admin, req{method: "GET", path: path})
	c := decode[conversationJSON](t, body)
	if resp.StatusCode != 200 || c.MyRole != "admin" || len(c.Members) != 2 || c.LastMessage == nil || c.LastMessage.HTML != "<p>Hallo <strong>Gruppe</strong></p>" {
		t.Fatalf("GET: %d %s", resp.StatusCode, body)
	}
	etag := resp.Header.Get("ETag")
	if etag != fmt.Sprintf(`"%d"`, c.Version) {
		t.Errorf("ETag %q for version %d", etag, c.Version)
	}

	t.Run("rename with If-Match", func(t *testing.T) {
		resp, body := e.do(admin, req{method: "PATCH", path: path, body: map[string]any{"name": "  Neue Gruppe "}, header: map[string]string{"If-Match": etag}})
		got := decode[conversationJSON](t, body)
		if resp.StatusCode != 200 || got.Name != "Neue Gruppe" || got.Version <= c.Version || resp.Header.Get("ETag") != fmt.Sprintf(`"%d"`, got.Version) {
			t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
		}
		resp, body = e.do(admin, req{method: "PATCH", path: path, body: map[string]any{"name": "Alt"}, header: map[string]string{"If-Match": etag}})
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Errorf("PATCH with a stale If-Match: %d %s", resp.StatusCode, body)
		}
		resp, _ = e.do(admin, req{method: "PATCH", path: path, body: map[string]any{"name": ""}})
		if resp.StatusCode != e422 {
			t.Errorf("PATCH with an empty name: %d", resp.StatusCode)
		}
		resp, _ = e.do(admin, req{method: "PATCH", path: "/v1/conversations/" + e.direct.ID, body: map[string]any{"name": "X"}})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("renaming a direct conversation: %d, want 409", resp.StatusCode)
		}
	})

	t.Run("members", func(t *testing.T) {
		// mallory shares no course group with alice: out of a student's reach.
		resp, body := e.do(admin, req{method: "PUT", path: path + "/members/" + mallory})
		if resp.StatusCode != e422 {
			t.Errorf("adding someone out of reach: %d %s", resp.StatusCode, body)
		}
		resp, body = e.do(admin, req{method: "PUT", path: path + "/members/" + ghost})
		if resp.StatusCode != e422 {
			t.Errorf("adding someone identity does not know: %d %s", resp.StatusCode, body)
		}
		// carol (staff) shares the programme: within a student's reach.
		resp, body = e.do(admin, req{method: "PUT", path: path + "/members/" + carol, body: map[string]any{"role": "admin"}})
		if resp.StatusCode != none {
			t.Fatalf("adding a course peer: %d %s", resp.StatusCode, body)
		}
		resp, body = e.do(tokenOf(carol), req{method: "GET", path: path})
		if resp.StatusCode != 200 || decode[conversationJSON](t, body).MyRole != "admin" {
			t.Errorf("the new admin reads the group: %d %s", resp.StatusCode, body)
		}
		resp, _ = e.do(admin, req{method: "PUT", path: path + "/members/" + carol, body: map[string]any{"role": "boss"}})
		if resp.StatusCode != e422 {
			t.Errorf("role boss: %d", resp.StatusCode)
		}
		// bob leaves by himself.
		resp, body = e.do(tokenOf(bob), req{method: "DELETE", path: path + "/members/" + bob})
		if resp.StatusCode != none {
			t.Fatalf("leaving: %d %s", resp.StatusCode, body)
		}
		resp, _ = e.do(tokenOf(bob), req{method: "GET", path: path})
		if resp.StatusCode != e404 {
			t.Errorf("after leaving: %d, want 404", resp.StatusCode)
		}
		resp, _ = e.do(admin, req{method: "DELETE", path: "/v1/conversations/" + e.direct.ID + "/members/" + bob})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("removing someone from a direct conversation: %d, want 409", resp.StatusCode)
		}
	})
}

func TestStartConversations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"existing direct", tokenOf(bob), map[string]any{"kind": "direct", "members": []string{alice}}, ok, ""},
		{"course peer", tokenOf(bob), map[string]any{"kind": "direct", "members": []string{carol}}, created, ""},
		{"student out of reach", tokenOf(bob), map[string]any{"kind": "direct", "members": []string{mallory}}, e422, "members"},
		{"unknown person", tokenOf(carol), map[string]any{"kind": "direct", "members": []string{ghost}}, e422, "members"},
		{"staff reach anyone", tokenOf(carol), map[string]any{"kind": "direct", "members": []string{mallory}}, created, ""},
		{"oneself", tokenOf(bob), map[string]any{"kind": "direct", "members": []string{bob}}, e422, "members"},
		{"two people", tokenOf(bob), map[string]any{"kind": "direct", "members": []string{alice, carol}}, e422, "members"},
		{"group", tokenOf(alice), map[string]any{"kind": "group", "name": "Analysis", "members": []string{bob, carol}}, created, ""},
		{"group out of reach", tokenOf(alice), map[string]any{"kind": "group", "name": "Analysis", "members": []string{bob, mallory}}, e422, "members"},
		{"group without name", tokenOf(alice), map[string]any{"kind": "group", "members": []string{bob}}, e422, "name"},
		{"course", tokenOf(alice), map[string]any{"kind": "course", "members": []string{bob}}, e422, "kind"},
		{"unknown field", tokenOf(alice), map[string]any{"kind": "direct", "members": []string{bob}, "admin": true}, e422, "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(tt.token, req{method: "POST", path: "/v1/conversations", body: tt.body})
			if resp.StatusCode != tt.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == created && !strings.HasPrefix(resp.Header.Get("Location"), "conversations/") {
				t.Errorf("Location %q", resp.Header.Get("Location"))
			}
			if tt.field != "" {
				p := decode[problemJSON](t, body)
				if len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
					t.Errorf("errors %+v, want one for %s", p.Errors, tt.field)
				}
			}
		})
	}
}

func TestGroupCreatorsAndRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.do(tokenOf(bob), req{method: "GET", path: "/v1/rules"})
	rules := decode[rulesJSON](t, body)
	if resp.StatusCode != 200 || rules.Reach["student"]["student"] != messages.ReachProgramme {
		t.Fatalf("GET rules: %d %s", resp.StatusCode, body)
	}
	etag := resp.Header.Get("ETag")
	newRules := map[string]any{
		"reach":          map[string]any{"student": map[string]string{"student": "anyone"}, "staff": map[string]string{"student": "anyone"}},
		"group_creators": []string{"staff"},
	}
	resp, body = e.do(tokenOf(root), req{method: "PUT", path: "/v1/rules", body: newRules})
	if resp.StatusCode != http.StatusPreconditionRequired {
		t.Errorf("PUT without If-Match: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(root), req{method: "PUT", path: "/v1/rules", body: newRules, header: map[string]string{"If-Match": `"99"`}})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT with a stale If-Match: %d %s", resp.StatusCode, body)
	}
	bad := map[string]any{"reach": map[string]any{"student": map[string]string{"staff": "everyone"}}, "group_creators": []string{}}
	resp, body = e.do(tokenOf(root), req{method: "PUT", path: "/v1/rules", body: bad, header: map[string]string{"If-Match": etag}})
	if resp.StatusCode != e422 {
		t.Errorf("PUT with reach everyone: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(root), req{method: "PUT", path: "/v1/rules", body: newRules, header: map[string]string{"If-Match": etag}})
	if resp.StatusCode != 200 || decode[rulesJSON](t, body).UpdatedBy != root {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	// Students no longer create groups, and now reach any student.
	resp, body = e.do(tokenOf(alice), req{method: "POST", path: "/v1/conversations", body: map[string]any{"kind": "group", "name": "G", "members": []string{bob}}})
	if resp.StatusCode != e403 {
		t.Errorf("a student creating a group: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(bob), req{method: "POST", path: "/v1/conversations", body: map[string]any{"kind": "direct", "members": []string{mallory}}})
	if resp.StatusCode != created {
		t.Errorf("a student writing to any student: %d %s", resp.StatusCode, body)
	}
}

// TestReachWithoutPeople: without identity's directory, the targets'
// roles are unknown, so only course-group peers can be reached.
func TestReachWithoutPeople(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, nil)
	resp, body := e.do(tokenOf(bob), req{method: "POST", path: "/v1/conversations", body: map[string]any{"kind": "direct", "members": []string{carol}}})
	if resp.StatusCode != created {
		t.Errorf("a course peer: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(oscar), req{method: "POST", path: "/v1/conversations", body: map[string]any{"kind": "direct", "members": []string{bob}}})
	if resp.StatusCode != e422 {
		t.Errorf("staff to a student in no shared course, without People: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(bob), req{method: "GET", path: "/v1/people?id=" + alice})
	if got := decode[list[personJSON]](t, body); resp.StatusCode != 200 || len(got.Items) != 1 || got.Items[0].DisplayName != "" {
		t.Errorf("people without People: %d %s", resp.StatusCode, body)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conv := "/v1/conversations/" + e.group.ID
	resp, body := e.do(tokenOf(bob), req{method: "POST", path: conv + "/messages",
		body: map[string]any{"text": "Hi @alice, siehe <script>x</script> [Plan](javascript:alert(1))", "reply_to": e.message.ID, "mentions": []string{alice, mallory}}})
	m := decode[messageJSON](t, body)
	if resp.StatusCode != created || m.Sender != bob || m.ReplyTo != e.message.ID {
		t.Fatalf("send: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "href=\"javascript") || !strings.Contains(m.HTML, `<span class="mention">@alice</span>`) {
		t.Errorf("html %q", m.HTML)
	}
	if len(m.Mentions) != 1 || m.Mentions[0] != alice {
		t.Errorf("mentions %v: only members stay", m.Mentions)
	}

	resp, body = e.do(tokenOf(bob), req{method: "POST", path: conv + "/messages", body: map[string]any{"text": "x", "reply_to": "nope"}})
	if p := decode[problemJSON](t, body); resp.StatusCode != e422 || len(p.Errors) != 1 || p.Errors[0].Field != "reply_to" {
		t.Errorf("reply to nothing: %d %s", resp.StatusCode, body)
	}
	for _, text := range []string{"", "   ", strings.Repeat("x", messages.MaxTextBytes+1)} {
		resp, _ = e.do(tokenOf(bob), req{method: "POST", path: conv + "/messages", body: map[string]any{"text": text}})
		if resp.StatusCode != e422 {
			t.Errorf("text of %d bytes: %d", len(text), resp.StatusCode)
		}
	}

	resp, body = e.do(tokenOf(bob), req{method: "GET", path: conv + "/messages?limit=1"})
	page := decode[list[messageJSON]](t, body)
	if resp.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].ID != m.ID || page.Next == "" {
		t.Fatalf("history: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(bob), req{method: "GET", path: conv + "/messages?cursor=" + page.Next})
	if page := decode[list[messageJSON]](t, body); resp.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].ID != e.message.ID {
		t.Errorf("history, page 2: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(bob), req{method: "GET", path: conv + "/messages?after=" + e.message.ID})
	if page := decode[list[messageJSON]](t, body); resp.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].ID != m.ID {
		t.Errorf("after: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.do(tokenOf(bob), req{method: "GET", path: conv + "/messages?limit=0"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("limit=0: %d", resp.StatusCode)
	}

	resp, body = e.do(tokenOf(bob), req{method: "PATCH", path: "/v1/messages/" + m.ID, body: map[string]any{"text": "*anders*"}})
	if got := decode[messageJSON](t, body); resp.StatusCode != 200 || got.HTML != "<p><em>anders</em></p>" || got.EditedAt == nil {
		t.Errorf("edit: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(alice), req{method: "PUT", path: conv + "/read", body: map[string]any{"up_to": m.ID}})
	if got := decode[readOutJSON](t, body); resp.StatusCode != 200 || got.ReadUpTo != m.ID || got.Unread != 0 {
		t.Errorf("read: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(bob), req{method: "GET", path: "/v1/search?q=ander"})
	if got := decode[list[messageJSON]](t, body); resp.StatusCode != 200 || len(got.Items) != 1 || got.Items[0].ID != m.ID {
		t.Errorf("search: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.do(tokenOf(bob), req{method: "GET", path: "/v1/search?q=a"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("search for one letter: %d", resp.StatusCode)
	}
	resp, _ = e.do(tokenOf(bob), req{method: "DELETE", path: "/v1/messages/" + m.ID})
	if resp.StatusCode != none {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	resp, _ = e.do(tokenOf(bob), req{method: "PATCH", path: "/v1/messages/" + m.ID, body: map[string]any{"text": "wieder"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("editing a deleted message: %d, want 409", resp.StatusCode)
	}
	resp, body = e.do(tokenOf(alice), req{method: "GET", path: "/v1/unread"})
	if got := decode[unreadJSON](t, body); resp.StatusCode != 200 || got.Conversations == nil {
		t.Errorf("unread: %d %s", resp.StatusCode, body)
	}
}

var (
	png  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	pdf  = []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
	html = []byte("<html><script>alert(1)</script></html>")
)

func TestAttachments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conv := "/v1/conversations/" + e.group.ID + "/messages"
	send := func(fields map[string]string, files ...file) (*http.Response, []byte) {
		t.Helper()
		b, ct := form(t, fields, files...)
		return e.do(tokenOf(bob), req{method: "POST", path: conv, body: b, ctype: ct})
	}

	resp, body := send(map[string]string{"text": "Bild und Skript"}, file{"bild.png", png}, file{`C:\tmp\Skript "1".pdf`, pdf}, file{"noten.csv", []byte("a,b\n1,2\n")})
	m := decode[messageJSON](t, body)
	if resp.StatusCode != created || len(m.Attachments) != 3 {
		t.Fatalf("send with files: %d %s", resp.StatusCode, body)
	}
	want := []struct{ name, ctype, disposition string }{
		{"bild.png", "image/png", "inline"},
		{"Skript 1.pdf", "application/pdf", "attachment"},
		{"noten.csv", "text/csv; charset=utf-8", "attachment"},
	}
	for i, a := range m.Attachments {
		if a.Name != want[i].name || a.ContentType != want[i].ctype || a.URL != "v1/attachments/"+a.ID {
			t.Errorf("attachment %d: %+v, want %+v", i, a, want[i])
		}
		resp, body := e.do(keyBob, req{method: "GET", path: "/" + a.URL})
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != want[i].ctype || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(h.Get("Content-Disposition"), want[i].disposition+";") {
			t.Errorf("download %s: %d %v", a.Name, resp.StatusCode, h)
		}
		if int64(len(body)) != a.Size {
			t.Errorf("download %s: %d bytes, want %d", a.Name, len(body), a.Size)
		}
	}

	tooMany := make([]file, messages.MaxAttachments+1)
	for i := range tooMany {
		tooMany[i] = file{fmt.Sprintf("%d.pdf", i), pdf}
	}
	big := bytes.Repeat([]byte("a"), messages.MaxAttachmentBytes+1)
	nine := bytes.Repeat([]byte("b"), 9<<20)
	tests := []struct {
		name   string
		files  []file
		status int
		names  string // in the detail
	}{
		{"html", []file{{"seite.html", html}}, http.StatusUnsupportedMediaType, "seite.html"},
		{"png named pdf", []file{{"bild.pdf", png}}, http.StatusUnsupportedMediaType, "bild.pdf"},
		{"html named txt", []file{{"a.txt", []byte{0xff, 0xfe, 0}}}, http.StatusUnsupportedMediaType, "a.txt"},
		{"too many", tooMany, http.StatusRequestEntityTooLarge, ""},
		{"too large", []file{{"gross.txt", big}}, http.StatusRequestEntityTooLarge, "gross.txt"},
		{"too much together", []file{{"1.txt", nine}, {"2.txt", nine}, {"3.txt", nine}}, http.StatusRequestEntityTooLarge, ""},
		{"empty", []file{{"leer.txt", nil}}, e422, "leer.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(map[string]string{"text": "x"}, tt.files...)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d, want %d: %.300s", resp.StatusCode, tt.status, body)
			}
			if p := decode[problemJSON](t, body); !strings.Contains(p.Detail, tt.names) {
				t.Errorf("detail %q does not name %q", p.Detail, tt.names)
			}
		})
	}
}

func TestNotices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	notice := map[string]any{"to": []string{bob, alice}, "kind": "grade_published", "text": "A grade for **Analysis**", "text_de": "Eine Note für **Analysis**", "link": "/grades"}
	key := map[string]string{"Idempotency-Key": "grade-1"}
	resp, body := e.do(notifyToken, req{method: "POST", path: "/v1/notices", body: notice, header: key})
	if resp.StatusCode != http.StatusAccepted || !bytes.Contains(body, []byte(`"added":true`)) {
		t.Fatalf("notify: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(notifyToken, req{method: "POST", path: "/v1/notices", body: notice, header: key})
	if resp.StatusCode != http.StatusAccepted || !bytes.Contains(body, []byte(`"added":false`)) {
		t.Errorf("notify again: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.do(notifyToken, req{method: "POST", path: "/v1/notices", body: notice})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("without Idempotency-Key: %d", resp.StatusCode)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("sub-%d", i)
	}
	for name, change := range map[string]map[string]any{"too many": {"to": many}, "kind": {"kind": "Grade!"}, "link": {"link": "https://evil.example"}, "no text": {"text_de": ""}} {
		bad := map[string]any{}
		for k, v := range notice {
			bad[k] = v
		}
		for k, v := range change {
			bad[k] = v
		}
		resp, body := e.do(notifyToken, req{method: "POST", path: "/v1/notices", body: bad, header: map[string]string{"Idempotency-Key": "k-" + name}})
		if resp.StatusCode != e422 {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
	// Bob reads it in his notices, in both languages, and cannot answer.
	_, body = e.do(tokenOf(bob), req{method: "GET", path: "/v1/conversations"})
	var notices *conversationJSON
	for _, c := range decode[list[conversationJSON]](t, body).Items {
		if c.Kind == messages.KindNotices {
			notices = &c
		}
	}
	if notices == nil || notices.LastMessage == nil || notices.LastMessage.HTMLDE != "<p>Eine Note für <strong>Analysis</strong></p>" || notices.LastMessage.Link != "/grades" {
		t.Fatalf("bob's notices: %s", body)
	}
	resp, _ = e.do(tokenOf(bob), req{method: "POST", path: "/v1/conversations/" + notices.ID + "/messages", body: map[string]any{"text": "Danke"}})
	if resp.StatusCode != e403 {
		t.Errorf("writing into notices: %d, want 403", resp.StatusCode)
	}
}

func TestPeopleAndContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.do(tokenOf(bob), req{method: "GET", path: "/v1/people?id=" + alice + "&id=" + mallory + "&id=" + bob + "&id=" + carol})
	got := decode[list[personJSON]](t, body)
	var ids []string
	for _, p := range got.Items {
		ids = append(ids, p.ID)
	}
	if resp.StatusCode != 200 || strings.Join(ids, ",") != alice+","+bob+","+carol || got.Items[0].DisplayName != "Alice Adler" {
		t.Errorf("people: %d %s (mallory shares nothing with bob and must not be named)", resp.StatusCode, body)
	}
	resp, _ = e.do(tokenOf(bob), req{method: "GET", path: "/v1/people"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("people without id: %d", resp.StatusCode)
	}

	resp, body = e.do(tokenOf(bob), req{method: "GET", path: "/v1/contacts"})
	if got := decode[list[personJSON]](t, body); resp.StatusCode != 200 || len(got.Items) != 2 {
		t.Errorf("contacts without q (course peers alice and carol): %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(bob), req{method: "GET", path: "/v1/contacts?q=ma"})
	if got := decode[list[personJSON]](t, body); resp.StatusCode != 200 || len(got.Items) != 0 {
		t.Errorf("contacts ma for a student (mallory out of reach): %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(carol), req{method: "GET", path: "/v1/contacts?q=ma"})
	if got := decode[list[personJSON]](t, body); resp.StatusCode != 200 || len(got.Items) != 1 || got.Items[0].ID != mallory {
		t.Errorf("contacts ma for staff: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.do(tokenOf(carol), req{method: "GET", path: "/v1/contacts?q=m"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("contacts with one letter: %d", resp.StatusCode)
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Any request of alice's makes her present.
	e.do(tokenOf(alice), req{method: "GET", path: "/v1/unread"})
	resp, body := e.do(tokenOf(bob), req{method: "GET", path: "/v1/presence"})
	items := decode[list[presenceJSON]](t, body).Items
	var seen bool
	for _, p := range items {
		if p.ID == alice && p.Active {
			seen = true
		}
	}
	if resp.StatusCode != 200 || !seen {
		t.Errorf("presence: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(tokenOf(alice), req{method: "PUT", path: "/v1/me/presence", body: map[string]any{"hidden": true}})
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"hidden":true`)) {
		t.Fatalf("hide: %d %s", resp.StatusCode, body)
	}
	_, body = e.do(tokenOf(bob), req{method: "GET", path: "/v1/presence"})
	for _, p := range decode[list[presenceJSON]](t, body).Items {
		if p.ID == alice {
			t.Errorf("alice hides her presence, yet: %s", body)
		}
	}
	resp, body = e.do(tokenOf(alice), req{method: "GET", path: "/v1/me/presence"})
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"hidden":true`)) {
		t.Errorf("my presence: %d %s", resp.StatusCode, body)
	}
}

// TestEventsCarryMessages: a replayed message event is the Message JSON
// with its HTML (Enrich), not the store's reference.
func TestEventsCarryMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.do(tokenOf(bob), req{method: "GET", path: "/v1/events?last_event_id=0"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, body)
	}
	var found bool
	for _, block := range strings.Split(string(body), "\n\n") {
		if !strings.Contains(block, "event: message.created") {
			continue
		}
		_, data, _ := strings.Cut(block, "data: ")
		var m messageJSON
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("data %q: %v", data, err)
		}
		if m.ID == e.message.ID && m.HTML == "<p>Hallo <strong>Gruppe</strong></p>" && m.ConversationID == e.group.ID {
			found = true
		}
	}
	if !found {
		t.Errorf("no message.created with the message's HTML in:\n%s", body)
	}
	resp, _ = e.do(readerToken, req{method: "GET", path: "/v1/events"})
	if resp.StatusCode != 200 {
		t.Errorf("events with messages:read only: %d", resp.StatusCode)
	}
}

// TestProblemsInGerman: errors follow Accept-Language.
func TestProblemsInGerman(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name  string
		token string
		r     req
		want  string
	}{
		{"not found", tokenOf(mallory), req{method: "GET", path: "/v1/conversations/" + e.group.ID}, "Diese Unterhaltung, Nachricht oder Datei gibt es nicht"},
		{"anonymous", "", req{method: "GET", path: "/v1/unread"}, "Melden Sie sich an"},
		{"API key writes", keyBob, req{method: "PUT", path: "/v1/me/presence", body: map[string]any{"hidden": true}}, "API-Schlüssel können nur lesen"},
		{"API key streams", keyBob, req{method: "GET", path: "/v1/events"}, "Ereignisstrom"},
		{"out of reach", tokenOf(bob), req{method: "POST", path: "/v1/conversations", body: map[string]any{"kind": "direct", "members": []string{mallory}}}, "außerhalb Ihrer Reichweite"},
		{"file type", tokenOf(bob), func() req {
			b, ct := form(t, map[string]string{"text": "x"}, file{"x.exe", []byte("MZ")})
			return req{method: "POST", path: "/v1/conversations/" + e.group.ID + "/messages", body: b, ctype: ct}
		}(), `x.exe\" kann nicht gesendet werden`},
		{"notice without key", notifyToken, req{method: "POST", path: "/v1/notices", body: map[string]any{}}, "Idempotency-Key"},
		{"stale", tokenOf(alice), req{method: "PATCH", path: "/v1/conversations/" + e.group.ID, body: map[string]any{"name": "X"}, header: map[string]string{"If-Match": `"42"`}}, "geändert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.header = merge(tt.r.header, map[string]string{"Accept-Language": "de"})
			resp, body := e.do(tt.token, tt.r)
			if resp.Header.Get("Content-Type") != "application/problem+json" || resp.Header.Get("Content-Language") != "de" {
				t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
			}
			if !strings.Contains(string(body), tt.want) {
				t.Errorf("%d %s, want %q", resp.StatusCode, body, tt.want)
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestSendTooFast: past the burst a send answers 429 with Retry-After, as
// the spec says, in the caller's language, and stores nothing.
func TestSendTooFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.st.SendLimit = messages.SendLimit{Every: time.Hour, Burst: 2}
	conv := "/v1/conversations/" + e.group.ID + "/messages"
	for i := range 2 {
		if resp, body := e.do(tokenOf(bob), req{method: "POST", path: conv, body: map[string]any{"text": fmt.Sprint("Nachricht ", i)}}); resp.StatusCode != created {
			t.Fatalf("send %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := e.do(tokenOf(bob), req{method: "POST", path: conv, body: map[string]any{"text": "eine zu viel"},
		header: map[string]string{"Accept-Language": "de"}})
	p := decode[problemJSON](t, body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3600" || !strings.Contains(p.Detail, "schneller, als dieser Dienst erlaubt") {
		t.Fatalf("third send: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	_, body = e.do(tokenOf(bob), req{method: "GET", path: conv + "?limit=30"})
	for _, m := range decode[list[messageJSON]](t, body).Items {
		if m.Text == "eine zu viel" {
			t.Fatal("the refused message was stored")
		}
	}
	// Another person's bucket is their own.
	if resp, body := e.do(tokenOf(alice), req{method: "POST", path: conv, body: map[string]any{"text": "Hallo"}}); resp.StatusCode != created {
		t.Fatalf("alice's send: %d %s", resp.StatusCode, body)
	}
}
