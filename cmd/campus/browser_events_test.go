package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserEvents: an administrator, in German, creates an event for the
// portal, makes two accounts shown on the page and reads a username and
// PIN off it; a polling station signs in with them in its own browser and
// is in the portal; the administrator ends the event and the account is
// gone.
func TestBrowserEvents(t *testing.T) {
	root := startBrowser(t)
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword},
		"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	english := englishFragments()
	// The window runs to tomorrow, so that a run across midnight (UTC)
	// still signs in inside it.
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

	admin := germanBrowser(t, root, "Administrator", r.url)
	admin.open("events", "/admin/events")
	admin.signIn("sign in", "admin", adminPassword)
	admin.germanPage("events", english)
	admin.do("describe the event",
		chromedp.SendKeys(chromedp.CSS("#name"), "Wahl zum Studierendenrat"),
		setValue("#first_date", today), setValue("#last_date", tomorrow),
		setValue("#earliest", "00:00"), setValue("#latest", "23:59"),
		chromedp.Click(chromedp.CSS(`input[name=application][value="campus-portal"]`)))
	admin.submit("create the event", `form[action$="/admin/events"]`)
	admin.germanPage("the event", english)
	admin.sees("the event", "Wahl zum Studierendenrat")
	admin.do("two accounts, on the page", setValue("#count", "2"), chromedp.Click(chromedp.CSS("#format-show")))
	admin.submit("make the accounts", `form#generate`)
	admin.germanPage("the accounts", english)
	admin.sees("the accounts", "nur dieses eine Mal")
	row := admin.evaluate("read the first account", `(() => { const r = document.querySelector("table.accounts tbody tr"); return r.cells[0].textContent.trim() + " " + r.cells[1].textContent.trim() })()`)
	m := regexp.MustCompile(`^(\S+) ([0-9]{8})$`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("the first account reads %q", row)
	}
	event := admin.evaluate("the event's page", `document.querySelector("a[href*='/admin/events/']").getAttribute("href")`)

	station := person(t, root, "polling station", r.url)
	station.open("the portal", "/profile")
	station.signIn("sign in with the letter", m[1], m[2])
	station.sees("signed in", m[1])

	admin.open("the event again", event)
	admin.do("confirm the end", chromedp.Click(chromedp.CSS("#confirm")))
	admin.submit("end the event", `form[action$="/end"]`)
	admin.germanPage("ended", english)

	other := person(t, root, "after the event", r.url)
	other.open("the portal", "/profile")
	other.signIn("sign in after the end", m[1], m[2])
	other.sees("refused", "The username or password is not right.")
}
