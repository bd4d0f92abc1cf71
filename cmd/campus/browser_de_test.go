package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"campus/internal/i18n"
	identityweb "campus/internal/identity/web"
	"campus/internal/portal"
	"campus/internal/problem"
)

// englishFragments are the pieces of every English message of identity's
// and the portal's pages, and of the APIs' problem texts, that a German
// page must not show: each message
// cut at its values (%s, %d), pieces of at least two words, except those
// that read the same in German.
func englishFragments() []string {
	german := map[string]bool{}
	for _, m := range append(identityweb.Messages(i18n.German), portal.Messages(i18n.German)...) {
		german[m] = true
	}
	verbs := regexp.MustCompile(`%(\[\d+\])?[a-zA-Z]`)
	seen := map[string]bool{}
	var out []string
	english := append(identityweb.Messages(i18n.English), portal.Messages(i18n.English)...)
	// The APIs' problem texts, which reach the pages as field errors.
	english = append(english, problem.Phrases.Phrases(i18n.German)...)
	for _, m := range english {
		if german[m] {
			continue
		}
		for _, f := range verbs.Split(m, -1) {
			f = strings.Trim(f, " .,:;!?()“”\"'·—–-")
			if len(f) < 12 || !strings.Contains(f, " ") || seen[f] {
				continue
			}
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// germanPage checks that the page the browser is on is German: its lang
// attribute, and no English message of campus in its text or in the
// texts its controls show or announce (placeholders, labels for screen
// readers, titles, button values).
func (b *browser) germanPage(step string, english []string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const parts = [document.documentElement.lang, document.title, document.body.innerText];
		for (const e of document.querySelectorAll("[placeholder],[aria-label],[title],input[type=submit],input[type=button]"))
			for (const a of ["placeholder", "aria-label", "title", "value"]) if (e.getAttribute(a)) parts.push(e.getAttribute(a));
		return parts.join("\n");
	})()`))
	if err != nil {
		b.fail(step, "read the page: %v", err)
	}
	if lang, _, _ := strings.Cut(text, "\n"); lang != "de" {
		b.fail(step, "the page's lang is %q, want de", lang)
	}
	for _, f := range english {
		if strings.Contains(text, f) {
			b.fail(step, "the German page shows English: %q", f)
		}
	}
}

// germanBrowser is a person whose browser asks for German (de-DE first).
func germanBrowser(t *testing.T, root context.Context, name, base string) *browser {
	b := person(t, root, name, base)
	b.do("ask for German", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ua, err := chromedp.Evaluate[string](`navigator.userAgent`)(ctx, t)
		if err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, emulation.SetUserAgentOverride,
			emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "de-DE,de;q=0.9,en;q=0.3"})
		return err
	}))
	return b
}

// TestBrowserJourneyInGerman: a German-speaking student, administrator and
// member of staff use campus from the first page to the last, and every
// page they meet (the portal's and identity's, errors included) is German.
// A person with an English browser who switches the portal to German gets
// identity's pages in German too.
func TestBrowserJourneyInGerman(t *testing.T) {
	root := startBrowser(t)
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())
	english := englishFragments()
	if len(english) < 200 {
		t.Fatalf("only %d English fragments to look for: the catalogues are not what this test expects", len(english))
	}

	// A student registers, confirms her address, signs in, looks at her
	// study, profile and API access, and signs out.
	anna := germanBrowser(t, root, "Studentin", r.url)
	anna.open("home", "/")
	anna.germanPage("home", english)
	anna.open("registration page", "/register")
	anna.germanPage("registration page", english)
	anna.do("fill the registration",
		chromedp.SendKeys(chromedp.CSS("#given_name"), "Anna"),
		chromedp.SendKeys(chromedp.CSS("#family_name"), "Jäger"),
		chromedp.SendKeys(chromedp.CSS("#username"), "anna.jaeger"),
		chromedp.SendKeys(chromedp.CSS("#email"), "anna@uni.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), "kurz"),
		chromedp.SendKeys(chromedp.CSS("#password_again"), "kurz"))
	anna.choose("choose a programme", "#programme_id", "M.Sc. Computer Science")
	anna.submit("register with a short password", `form[action$="/register"]`)
	anna.germanPage("the short password is refused in German", english)
	anna.do("retype the passwords",
		setValue("#password", ""), setValue("#password_again", ""),
		chromedp.SendKeys(chromedp.CSS("#password"), "Sonnenblumen-Wiese-42"),
		chromedp.SendKeys(chromedp.CSS("#password_again"), "Sonnenblumen-Wiese-42"))
	anna.submit("register", `form[action$="/register"]`)
	anna.germanPage("registered", english)
	(&idp{dir: dir}).mailTo(t, "anna@uni.example", "")
	anna.open("developer mailbox", "/idp/dev/mail")
	anna.germanPage("developer mailbox", english)
	anna.do("open the mail", navigates(chromedp.Click(chromedp.CSS(`td a[href*="/dev/mail/"]`))))
	anna.germanPage("the mail", english)
	anna.do("open the link", navigates(chromedp.Click(chromedp.CSS(`a[href*="/confirm?token="]`))))
	anna.germanPage("confirm page", english)
	anna.submit("confirm the address", `form[action$="/confirm"]`)
	anna.germanPage("confirmed", english)
	anna.open("sign in", "/auth/login?return=/my")
	anna.germanPage("sign-in page", english)
	anna.signIn("a wrong password", "anna.jaeger", "falsch-falsch-falsch")
	anna.germanPage("the wrong password is refused in German", english)
	anna.signIn("sign in", "anna.jaeger", "Sonnenblumen-Wiese-42")
	anna.germanPage("my study", english)
	for _, path := range []string{"/my?view=detail", "/programmes", "/profile", "/api-access"} {
		anna.open(path, path)
		anna.germanPage(path, english)
	}
	anna.do("name a key", chromedp.SendKeys(chromedp.CSS("#name"), "Kalender"))
	anna.submit("create an API key", `form[action$="/api-access"]`)
	anna.germanPage("the new key", english)
	anna.submit("sign out", `form[action$="/auth/logout"]`)
	anna.germanPage("signed out", english)

	// The page where a command's sign-in is approved (campus login).
	anna.open("device page", "/idp/device")
	anna.germanPage("device page", english)

	// She forgets her password.
	anna.open("sign in again", "/auth/login?return=/my")
	anna.do("forgot the password", navigates(chromedp.Click(chromedp.CSS(`a[href*="/password/forgot"]`))))
	anna.germanPage("forgot page", english)
	anna.do("give the address", chromedp.SendKeys(chromedp.CSS("#login"), "anna@uni.example"))
	anna.submit("ask for a link", `form[action*="/password/forgot"]`)
	anna.germanPage("link sent", english)

	// An administrator looks at users and roles, unlocks editing (the
	// password again) and adds a programme and a module.
	admin := germanBrowser(t, root, "Administrator", r.url)
	admin.open("users", "/admin/users?q=anna")
	admin.germanPage("sign-in page", english)
	admin.signIn("sign in", "admin", adminPassword)
	admin.germanPage("users", english)
	admin.do("open Anna", navigates(chromedp.Click(chromedp.Search(`//a[contains(., "Anna")]`))))
	admin.germanPage("a user", english)
	for _, path := range []string{"/admin", "/admin/roles", "/admin/roles/staff", "/admin/audit", "/admin/audit?person=anna.jaeger", "/admin/events", "/profile", "/admin/programmes"} {
		admin.open(path, path)
		admin.germanPage(path, english)
	}
	admin.submit("unlock editing", `form[action$="/admin/unlock"]`)
	admin.germanPage("the step-up page", english)
	admin.signIn("a wrong password", "admin", "nicht-das-passwort")
	admin.germanPage("the wrong password is refused", english)
	admin.signIn("the right password", "admin", adminPassword)
	admin.germanPage("editing unlocked", english)
	admin.do("fill the programme",
		chromedp.SendKeys(chromedp.CSS("#title"), "Datenwissenschaft"),
		chromedp.SendKeys(chromedp.CSS("#degree"), "M.Sc."),
		setValue("#semesters", "25"),
		setValue("#credits_required", "120"))
	admin.submit("add a programme with a mistake", `form[action$="/admin/programmes"]`)
	admin.sees("the mistake is shown in German", "Die Regelstudienzeit muss zwischen 1 und 20 Semestern liegen.")
	admin.germanPage("the API's field error in German", english)
	admin.do("correct it", setValue("#semesters", "4"))
	admin.submit("add the programme", `form[action$="/admin/programmes"]`)
	admin.germanPage("programme added", english)

	// Staff records a grade.
	staff := germanBrowser(t, root, "Lehrende", r.url)
	staff.open("grading", "/grading")
	staff.signIn("sign in", "f.weber", creds["f.weber"])
	staff.germanPage("grading", english)
	staff.do("open a lecture", navigates(chromedp.Click(chromedp.CSS(`main a[href*="/grading/"]`))))
	staff.germanPage("a lecture", english)

	// An English browser that switches the portal to German meets
	// identity's sign-in page in German as well.
	switcher := person(t, root, "switch", r.url)
	switcher.open("home in English", "/")
	switcher.do("switch to German", navigates(chromedp.Click(chromedp.CSS(`a[href*="/lang?to=de"]`))))
	switcher.germanPage("home after the switch", english)
	switcher.open("sign in", "/auth/login?return=/my")
	switcher.germanPage("identity after the switch", english)
}
