package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestMessagesScript runs static/messages.js in Chromium on the portal's
// pages over a fake messages API whose event stream the test writes:
// every kind of event it handles changes the open page as it should, and
// the page is never reloaded. (cmd/campus's TestBrowserMessages does it
// with the real services, for new messages, files and the top bar.)
func TestMessagesScript(t *testing.T) {
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	events := make(chan string, 16)
	p.api.handlers = map[string]http.Handler{"GET /messages/v1/events": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 500\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case e := <-events:
				fmt.Fprint(w, e)
				w.(http.Flusher).Flush()
			}
		}
	})}
	p.api.on("GET /messages/v1/conversations/c-direct/messages?after=m9&limit=30", 200,
		`{"items":[{"id":"m10","conversation_id":"c-direct","sender":"u-ben","text":"live","html":"<p>a <em>live</em> one</p>","created_at":"2026-03-02T09:40:00Z"}],"next":""}`)
	cookie := p.signIn(student())
	portal := httptest.NewServer(p.h)
	t.Cleanup(portal.Close)

	ctx, ok := startChromium(t)
	if !ok {
		return
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, done := context.WithTimeout(ctx, 15*time.Second)
		defer done()
		if err := chromedp.Do(c, actions...); err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`"not reloaded: " + window.__stay + ", stream: " + document.body.dataset.stream + "\n" + document.body.innerText`))
			t.Fatalf("%s: %v\n%s", step, err, state)
		}
	}
	poll := func(step, js string) {
		t.Helper()
		run(step, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(25*time.Millisecond)))
	}
	send := func(kind, data string) { events <- "id: 1\nevent: " + kind + "\ndata: " + data + "\n\n" }

	run("sign in", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: cookie, URL: portal.URL})
		return err
	}))
	run("open the conversation", chromedp.Navigate(portal.URL+"/messaging/c-direct"))
	poll("the stream opens", `document.body.dataset.stream === "open" && (window.__stay = true)`)

	// A new message: its server-rendered HTML below the others.
	send("message.created", `{"id":"m10","conversation_id":"c-direct","sender":"u-ben"}`)
	poll("the new message", `window.__stay && document.querySelector("#history > li:last-child")?.id === "m-m10" && document.querySelector("#m-m10 .body em")?.textContent === "live" && document.getElementById("history")?.dataset.last === "m10"`)
	// Edited, then deleted.
	send("message.edited", `{"id":"m8","conversation_id":"c-direct","sender":"subject-1","html":"<p>changed <strong>now</strong></p>","edited_at":"2026-03-02T09:41:00Z"}`)
	poll("the edit", `window.__stay && document.querySelector("#m-m8 .body strong")?.textContent === "now"`)
	send("message.deleted", `{"id":"m9","conversation_id":"c-direct","sender":"u-ben","deleted":true}`)
	poll("the deletion", `window.__stay && document.querySelector("#m-m9 .body.deleted em")?.textContent === `+jsQuote(T(English, "msg.deleted"))+` && !document.querySelector("#m-m9 .files") && !document.querySelector("#m-m9 .msg-actions")`)
	// Ben goes away.
	send("presence", `{"id":"u-ben","active":false}`)
	poll("presence", `window.__stay && !document.querySelector('[data-presence="u-ben"]')?.classList.contains("active") && document.querySelector('[data-presence="u-ben"] .sr-only')?.textContent === "away"`)
	// Read elsewhere: the top bar asks again.
	p.api.on("GET /messages/v1/unread", 200, `{"total":0,"conversations":{}}`)
	send("read", `{"conversation_id":"c-direct","read_up_to":"m10","unread":0}`)
	poll("the top bar", `window.__stay && document.getElementById("unread-total")?.hidden`)

	// On the list: a message in another conversation counts there and in
	// the top bar, and its conversation moves to the top.
	run("open the list", chromedp.Navigate(portal.URL+"/messaging"))
	poll("the stream opens again", `document.body.dataset.stream === "open" && (window.__stay = true)`)
	p.api.on("GET /messages/v1/unread", 200, `{"total":4,"conversations":{}}`)
	send("message.created", `{"id":"g1","conversation_id":"c-group","sender":"u-ben","text":"Group news"}`)
	poll("the list counts it", `window.__stay && !document.querySelector('li[data-conversation="c-group"] .badge')?.hidden && document.querySelector('li[data-conversation="c-group"] .badge .count')?.textContent === "1" && document.querySelector("#conversations li")?.dataset.conversation === "c-group"`)
	poll("the top bar counts it", `window.__stay && document.querySelector("#unread-total .count")?.textContent === "4"`)
	// Reading it in another tab: the list's count goes.
	send("read", `{"conversation_id":"c-group","read_up_to":"g1","unread":0}`)
	poll("read elsewhere", `window.__stay && document.querySelector('li[data-conversation="c-group"] .badge')?.hidden`)
	// A conversation the list does not have yet: the list loads again.
	send("message.created", `{"id":"x1","conversation_id":"c-new","sender":"u-clara","text":"Hi"}`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// The evaluation fails while the page changes: that is "not yet".
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__stay) + " " + document.readyState`))
		if err == nil && got == "undefined complete" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the list was not loaded again for a new conversation (%q, %v)", got, err)
		}
	}
	if got := p.api.sent("GET /messages/v1/events"); len(got) == 0 || got[0].Header.Get("Authorization") != "Bearer access-token" {
		t.Errorf("the stream was asked for %d times, or without the session's token", len(got))
	}
}

func jsQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
