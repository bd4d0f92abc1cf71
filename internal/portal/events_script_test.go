package portal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestEventsScript runs static/events.js in Chromium on the event page
// over a fake identity that takes its time: while a batch is made the
// button is disabled and an indeterminate progress bar says how many
// accounts are being made; the page of accounts follows. For a download
// the page stays, and once the file comes the button works again.
func TestEventsScript(t *testing.T) {
	// The download cookie is Secure on an https origin: this portal is
	// served over plain HTTP.
	p := newPortal(t, func(d *Deps, _ *fakeAPI) { d.Origin = "http://127.0.0.1" })
	p.eventsAPI()
	release := make(chan struct{}, 2)
	p.api.handlers = map[string]http.Handler{"POST /idp/api/v1/events/ev-3/accounts": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		if r.Header.Get("Accept") == "text/csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="election-accounts.csv"`)
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("username,pin\nvote7kq2mxpa,40917352\n"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(batchJSON))
	})}
	cookie := p.signIn(admin())
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
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\n%s", step, err, state)
		}
	}
	// poll waits for js to be true; an evaluation that fails because the
	// page is changing (a form sent) is "not yet".
	poll := func(step, js string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(25 * time.Millisecond) {
			// Each evaluation is bounded: one may wait on a page that is
			// being replaced, which counts as "not yet".
			c, done := context.WithTimeout(ctx, 2*time.Second)
			ok, err := chromedp.Run(c, chromedp.Evaluate[bool](`Boolean(`+js+`)`))
			done()
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
				t.Fatalf("%s: not so after 10 s (%v)\n%s", step, err, state)
			}
		}
	}
	// submitAndCheck clicks the form's button and checks, in the same
	// evaluation, that the button is disabled and js holds.
	submitAndCheck := func(step, js string) {
		t.Helper()
		c, done := context.WithTimeout(ctx, 15*time.Second)
		defer done()
		// The script disables the button a task after the click (a disabled
		// button would not send the form): the check waits for that task.
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](`(async () => { const b = document.querySelector('#generate button[type="submit"]'); b.click();
			await new Promise(r => setTimeout(r, 0)); return b.disabled && Boolean(`+js+`) })()`, chromedp.EvalAwaitPromise))
		if err != nil || !ok {
			t.Fatalf("%s: %v, %v", step, ok, err)
		}
	}
	downloads := t.TempDir()
	run("sign in", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: cookie, URL: portal.URL})
		return err
	}))

	// Shown on the page.
	run("open the event", chromedp.Navigate(portal.URL+"/admin/events/ev-3"))
	poll("the form is there", `document.getElementById("generate") !== null && document.getElementById("generate-progress").hidden`)
	run("ask for 2,000", chromedp.SendKeys("#count", "2000"))
	making := strings.ReplaceAll(T(English, "events.making", "{n}"), "{n}", "2,000")
	// The script's change is read in the evaluation that clicks, before the
	// form's request leaves: evaluating while the page waits for its
	// answer (which the fake holds until release) may wait for it.
	submitAndCheck("it says it is working", `!document.getElementById("generate-progress").hidden && !document.getElementById("generate-progress").hasAttribute("value") && document.getElementById("generate-status").textContent === `+jsQuote(making))
	release <- struct{}{}
	poll("the accounts", `document.querySelector("h1")?.textContent === `+jsQuote(T(English, "events.accounts.of", "Student council election"))+` && !document.getElementById("print").hidden && document.body.innerText.includes("88120476")`)

	// A download: the page stays and is ready again once the file comes.
	run("open the event again", chromedp.Navigate(portal.URL+"/admin/events/ev-3"))
	poll("the form again", `document.getElementById("generate") !== null`)
	run("ask for a CSV file", chromedp.SendKeys("#labels", "Room 1\nRoom 2\n"), chromedp.Click("#format-csv"))
	submitAndCheck("it says it is working", `document.getElementById("generate-status").textContent.startsWith(`+jsQuote(strings.Split(T(English, "events.making", "2"), "…")[0])+`)`)
	release <- struct{}{}
	poll("the file came", `!document.querySelector('#generate button[type="submit"]').disabled && document.getElementById("generate-progress").hidden && document.getElementById("generate-status").textContent === `+jsQuote(T(English, "events.downloaded"))+` && !document.cookie.includes("campus_download")`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(downloads + "/election-accounts.csv"); err == nil && strings.Contains(string(b), "vote7kq2mxpa") {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("the file was not downloaded: %v", entries)
		}
	}
}
