package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"campus/internal/portal"
)

// TestBrowserMessages: two students of one programme hold a conversation
// in the portal, each in a browser of their own (the demo's Anna and Ben,
// both in the B.Sc.): Anna finds Ben and writes; Ben, with the
// conversation open, sees her message appear without reloading, with its
// Markdown rendered and her @mention of him marked; he answers with a
// file, which reaches Anna's open page the same way and downloads through
// the portal; and while Anna is on another page, the top bar counts Ben's
// next message as it comes. Then the same in German (Clara and Emma, both
// in the M.Sc.), every page checked for English; the B.Sc.'s course
// group, where its lecturer writes and Ben sees it come; and the pages at
// phone width.
func TestBrowserMessages(t *testing.T) {
	root := startBrowser(t)
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())

	// The administrator lets students write to any student: the default
	// reach (the programme's course group) would wait for the roster sync.
	admin := person(t, root, "admin", r.url)
	admin.open("messaging rules", "/admin/messaging")
	admin.signIn("sign in", "admin", adminPassword)
	admin.do("students reach students", setValue("#reach-student-student", "anyone"))
	admin.submit("save the rules", `form[action$="/admin/messaging"]`)
	admin.sees("rules saved", portal.T(portal.English, "msgadmin.saved"))

	var conv string
	t.Run("English", func(t *testing.T) {
		conv = chat(t, root, r.url, creds, portal.English, chatter{"anna", "anna.lehmann", "Anna Lehmann"}, chatter{"ben", "ben.krueger", "Ben Krüger"},
			chatText{first: "Hello @ben.krueger, **lab** at ten?", bold: "lab", reply: "Yes, here are my notes.", file: "notes.txt", content: "Lab notes: bring a laptop.", next: "See you there."})
	})
	t.Run("German", func(t *testing.T) {
		chat(t, root, r.url, creds, portal.German, chatter{"clara", "clara.vogel", "Clara Vogel"}, chatter{"emma", "emma.roth", "Emma Roth"},
			chatText{first: "Hallo @emma.roth, **Labor** um zehn?", bold: "Labor", reply: "Ja, hier sind meine Notizen.", file: "notizen.txt", content: "Labornotizen: Laptop mitbringen.", next: "Bis gleich."})
	})
	// The course group of the B.Sc., which campus made from the study
	// service's enrolments and responsible staff: its lecturer, Franziska
	// Weber, writes into it, and Ben, with it open, sees it come.
	t.Run("course group", func(t *testing.T) {
		const group, text = "B.Sc. Computer Science", "The lab moves to room 2.04."
		openGroup := func(br *browser, who string) {
			br.open("messages", "/messaging")
			br.signIn("sign in", who, creds[who])
			br.sees("the course group", group)
			br.do("open the course group", navigates(chromedp.Click(chromedp.Search(`//a[@class="conv-title" and contains(., "`+group+`")]`))))
			br.sees("the course group's page", group)
		}
		ben := person(t, root, "ben-group", r.url)
		openGroup(ben, "ben.krueger")
		ben.waitLive("ben's group page is live")
		ben.evaluate("remember this page", `String(window.__campusStay = true)`)
		weber := person(t, root, "weber", r.url)
		openGroup(weber, "f.weber")
		weber.do("write", chromedp.SendKeys(chromedp.CSS("#text"), text))
		weber.submit("send", "#compose-form")
		weber.sees("sent", text)
		ben.poll("the lecturer's message appears without reloading", `window.__campusStay === true && [...document.querySelectorAll("#history li.msg")].some(li => li.textContent.includes(`+jsString(text)+`) && li.textContent.includes("Franziska Weber"))`)
	})
	if conv == "" {
		return
	}

	// At phone width the messaging pages fit the screen.
	phone := person(t, root, "phone", r.url)
	phone.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	phone.open("sign in", "/auth/login?return=/messaging")
	phone.signIn("sign in", "ben.krueger", creds["ben.krueger"])
	for _, path := range []string{"/messaging", "/messaging?q=Anna", conv, "/profile"} {
		phone.open(path, path)
		got := phone.evaluate(path, `String(document.documentElement.scrollWidth) + "/" + String(window.innerWidth)`)
		if w, iw, _ := strings.Cut(got, "/"); w != "390" || iw != "390" {
			phone.fail(path, "the page is wider than the phone (scroll width / screen width %s)", got)
		}
	}
}

type chatter struct{ name, username, display string }

type chatText struct{ first, bold, reply, file, content, next string }

// chat is one conversation between a and b in lang's browsers.
// It returns the conversation's path.
func chat(t *testing.T, root context.Context, base string, creds map[string]string, lang portal.Lang, a, b chatter, text chatText) string {
	T := func(key string, args ...any) string { return portal.T(lang, key, args...) }
	var english []string
	open := func(name string) *browser { return person(t, root, name, base) }
	if lang == portal.German {
		english = englishFragments()
		open = func(name string) *browser { return germanBrowser(t, root, name, base) }
	}
	check := func(br *browser, step string) {
		if lang == portal.German {
			br.germanPage(step, english)
		}
	}

	// a finds b and opens their conversation.
	ab := open(a.name)
	ab.open("messages", "/messaging")
	ab.signIn("sign in", a.username, creds[a.username])
	// Only the course groups campus made are there yet.
	ab.sees("the course groups", "Computer Science")
	check(ab, "messages")
	ab.do("search", chromedp.SendKeys(chromedp.CSS("#q"), strings.Fields(b.display)[0]))
	ab.submit("find", `form[role=search]`)
	ab.sees("found", b.display)
	check(ab, "people found")
	ab.do("write to b", navigates(chromedp.Click(chromedp.Search(`//button[@name="direct" and contains(., "`+b.display+`")]`))))
	ab.sees("the conversation", b.display, T("msg.history.none"))
	check(ab, "the new conversation")
	conv := ab.evaluate("the conversation's address", `location.pathname`)
	ab.waitLive("a's page is live")

	// b opens it and waits, live.
	bb := open(b.name)
	bb.open("the conversation", conv)
	bb.signIn("sign in", b.username, creds[b.username])
	bb.sees("a's conversation", a.display)
	bb.waitLive("b's page is live")
	bb.evaluate("remember this page", `String(window.__campusStay = true)`)

	// a writes; b's open page shows it without reloading.
	ab.do("write", chromedp.SendKeys(chromedp.CSS("#text"), text.first))
	ab.submit("send", "#compose-form")
	ab.sees("sent", strings.SplitN(text.first, "**", 2)[0])
	bb.poll("the message appears without reloading", `window.__campusStay === true && !!document.querySelector("#history li.msg strong") && document.querySelector("#history li.msg strong").textContent === `+jsString(text.bold))
	bb.sees("the message", a.display, T("msg.mentioned"))
	bb.poll("the mention is marked", `!!document.querySelector("#history li.mentions-me .mention")`)
	bb.shot("messages-conversation-" + string(lang))
	check(bb, "the message came")

	// b answers with a file; a's open page shows it, and the file comes
	// through the portal.
	file := filepath.Join(t.TempDir(), text.file)
	if err := os.WriteFile(file, []byte(text.content), 0o644); err != nil {
		t.Fatal(err)
	}
	ab.waitLive("a's page is live again")
	ab.evaluate("remember this page", `String(window.__campusStay = true)`)
	bb.do("write the answer", chromedp.SendKeys(chromedp.CSS("#text"), text.reply), chromedp.SetUploadFiles(chromedp.CSS("#attachment"), []string{file}))
	bb.submit("send the answer", "#compose-form")
	bb.sees("answer sent", text.reply, text.file)
	check(bb, "the answer sent")
	ab.poll("the answer appears without reloading", `window.__campusStay === true && [...document.querySelectorAll("#history .files a")].some(a => a.textContent === `+jsString(text.file)+`)`)
	check(ab, "the answer came")
	got := ab.evaluateAsync("download the file", `(async () => { const a = [...document.querySelectorAll("#history .files a")].find(a => a.textContent === `+jsString(text.file)+`); const r = await fetch(a.href); return r.status + " " + (r.headers.get("Content-Disposition") || "") + " " + await r.text(); })()`)
	if !strings.HasPrefix(got, "200 attachment") || !strings.HasSuffix(got, text.content) {
		ab.fail("download the file", "the file came as %q", got)
	}

	// a goes elsewhere; the top bar counts b's next message as it comes.
	ab.open("programmes", "/programmes")
	ab.waitLive("the programmes page is live")
	ab.evaluate("remember this page", `String(window.__campusStay = true)`)
	bb.do("write again", chromedp.SendKeys(chromedp.CSS("#text"), text.next))
	bb.submit("send again", "#compose-form")
	ab.poll("the top bar counts it", `window.__campusStay === true && !document.getElementById("unread-total").hidden && document.querySelector("#unread-total .count").textContent === "1"`)
	ab.open("messages again", "/messaging")
	ab.sees("the list", b.display, text.next)
	ab.shot("messages-list-" + string(lang))
	check(ab, "the list with an unread message")
	ab.do("open the conversation", navigates(chromedp.Click(chromedp.Search(`//a[@class="conv-title" and contains(., "`+b.display+`")]`))))
	ab.sees("read", text.next)
	if n := ab.evaluate("the count after reading", `document.getElementById("unread-total").hidden ? "hidden" : document.querySelector("#unread-total .count").textContent`); n != "hidden" {
		ab.fail("the count after reading", "the top bar still shows %q", n)
	}
	return conv
}

// waitLive waits until messages.js has the event stream open.
func (b *browser) waitLive(step string) {
	b.t.Helper()
	b.poll(step, `document.body.dataset.stream === "open"`)
}

// poll waits until the expression is true in the page, without its
// reloading in between (a reload ends the wait with an error).
func (b *browser) poll(step, js string) {
	b.t.Helper()
	b.do(step, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// evaluateAsync runs a script whose value is a promise and returns what
// it resolves to.
func (b *browser) evaluateAsync(step, js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step, "%v", err)
	}
	return v
}
