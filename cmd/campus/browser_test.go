package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"campus/internal/db"
	"campus/internal/testenv"
)

// The end-to-end suite: a real Chromium (Debian's chromium package, which
// .ci/run installs) clicks through the real `campus serve --demo` on a
// random port, as a student, an administrator and a member of staff. Each
// step checks what the page shows; a failing step leaves a screenshot in
// the test's artifact directory (go test -artifacts -outputdir DIR keeps it).

// chromium finds the browser, or skips (fails in CI) without it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CAMPUS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	testenv.Missing(t, "Chromium is not installed (apt-get install chromium, or set CAMPUS_CHROMIUM)")
	return ""
}

// browser is one person's browser: its own cookies, one tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	name string
	base string
}

// startBrowser starts Chromium headless for the test, with the flags this
// closed network needs, trusting campus's self-signed certificate.
func startBrowser(t *testing.T) context.Context {
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return root
}

// person opens a separate browser context (its own cookies) for someone.
func person(t *testing.T, root context.Context, name, base string) *browser {
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser for %s: %v", name, err)
	}
	return &browser{t: t, ctx: ctx, name: name, base: base}
}

// do runs a step's actions; on failure it keeps a screenshot and stops.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, "%v", err)
	}
}

func (b *browser) fail(step, format string, args ...any) {
	b.t.Helper()
	shot := filepath.Join(b.t.ArtifactDir(), strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' {
			return '-'
		}
		return r
	}, b.name+"-"+step)+".png")
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(shot, png, 0o644)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	b.t.Fatalf("%s: %s: "+format+"\nat %s (screenshot %s)\n%s", append([]any{b.name, step}, append(args, loc, shot, text)...)...)
}

// shot keeps a screenshot of the page when CAMPUS_SCREENSHOTS names a
// directory (for looking at the pages, and for the docs).
func (b *browser) shot(name string) {
	dir := os.Getenv("CAMPUS_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

// sees checks that the page's main content shows every text.
func (b *browser) sees(step string, texts ...string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	main, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.fail(step, "read the page: %v", err)
	}
	for _, want := range texts {
		if !strings.Contains(main, want) {
			b.fail(step, "the page does not show %q", want)
		}
	}
}

// choose selects the option of a select whose text starts with label.
func (b *browser) choose(step, sel, label string) {
	b.t.Helper()
	js := `(() => { const s = document.querySelector(` + jsString(sel) + `); for (const o of s.options) if (o.text.trim().startsWith(` + jsString(label) + `)) { s.value = o.value; return o.value } return "" })()`
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil || v == "" {
		b.fail(step, "no option %q in %s (%v)", label, sel, err)
	}
}

// setValue sets a form field's value as typing over it would, firing the
// input and change events.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return false; e.value = `+jsString(value)+
			`; e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === `+jsString(value)+` })()`)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("no field %s to set to %q", sel, value)
		}
		return err
	})
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// signIn fills identity's sign-in form, which the browser is on.
func (b *browser) signIn(step, username, password string) {
	b.t.Helper()
	b.do(step,
		chromedp.WaitVisible(chromedp.CSS("#password")),
		setValue("#username", ""),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		navigates(chromedp.Click(chromedp.CSS("form button[type=submit]"))))
}

// navigates runs an action that leads to another page and waits until
// that page has loaded (not merely until the old one is still there).
func navigates(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Evaluate[bool](`window.__campusOld = true`)(ctx, t); err != nil {
			return err
		}
		if _, err := a(ctx, t); err != nil {
			return err
		}
		// The page changes under the evaluation: an error there means "not
		// yet"; the step's deadline bounds the wait.
		for {
			done, err := chromedp.Evaluate[bool](`window.__campusOld === undefined && document.readyState === "complete"`)(ctx, t)
			if err == nil && done {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the next page did not load: %w", ctx.Err())
			case <-time.After(25 * time.Millisecond):
			}
		}
	})
}

func (b *browser) open(step, path string) {
	b.t.Helper()
	b.do(step, navigates(chromedp.Navigate(b.base+path)))
}

func (b *browser) submit(step, form string) {
	b.t.Helper()
	b.do(step, navigates(chromedp.Click(chromedp.CSS(form+" button[type=submit]"))))
}

func TestBrowserJourney(t *testing.T) {
	root := startBrowser(t)
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())

	// A student registers, signs in, sees her study as list and detailed
	// list, edits her profile and signs out.
	rita := person(t, root, "student", r.url)
	rita.open("registration page", "/register")
	rita.do("fill the registration",
		chromedp.SendKeys(chromedp.CSS("#given_name"), "Rita"),
		chromedp.SendKeys(chromedp.CSS("#family_name"), "Roth"),
		chromedp.SendKeys(chromedp.CSS("#username"), "rita.roth"),
		chromedp.SendKeys(chromedp.CSS("#email"), "rita@uni.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), "Sunflower-Meadow-42"),
		chromedp.SendKeys(chromedp.CSS("#password_again"), "Sunflower-Meadow-41"))
	rita.choose("choose a programme", "#programme_id", "M.Sc. Computer Science")
	rita.submit("register with a typo", `form[action$="/register"]`)
	rita.sees("the typo is shown", "The two new passwords differ.")
	rita.do("retype the passwords",
		chromedp.SendKeys(chromedp.CSS("#password"), "Sunflower-Meadow-42"),
		chromedp.SendKeys(chromedp.CSS("#password_again"), "Sunflower-Meadow-42"))
	rita.submit("register", `form[action$="/register"]`)
	rita.sees("registered", "Your account is made.", "We sent you a mail with a link")
	// No SMTP server here: the mail waits in identity's developer mailbox
	// (the outbox puts it there a moment after the registration).
	(&idp{dir: dir}).mailTo(t, "rita@uni.example", "")
	rita.open("developer mailbox", "/idp/dev/mail")
	rita.sees("the mailbox lists the mail", "Developer mailbox", "rita@uni.example")
	rita.do("open the mail", navigates(chromedp.Click(chromedp.CSS(`td a[href*="/dev/mail/"]`))))
	rita.do("open the link", navigates(chromedp.Click(chromedp.CSS(`a[href*="/confirm?token="]`))))
	rita.submit("confirm the address", `form[action$="/confirm"]`)
	rita.sees("confirmed", "rita@uni.example is confirmed")
	rita.do("continue to campus", navigates(chromedp.Click(chromedp.CSS(`main a[href]`))))
	rita.open("sign in", "/auth/login?return=/my")
	rita.signIn("sign in", "rita.roth", "Sunflower-Meadow-42")
	rita.sees("my study", "You are enrolled in M.Sc. Computer Science", "ECTS credits earned", "Semester 1")
	rita.do("detailed list", navigates(chromedp.Click(chromedp.CSS(`a[href$="view=detail"]`))))
	rita.sees("detailed list", "(lecture)")
	rita.shot("my-study-detailed")
	rita.open("profile", "/profile")
	rita.do("edit the profile", setValue("#display_name", ""), chromedp.SendKeys(chromedp.CSS("#display_name"), "Rita R."))
	rita.submit("save the profile", `form[action$="/profile"]`)
	rita.sees("profile saved", "Your profile is saved.", "Signed in as Rita R.")
	rita.submit("sign out", `form[action$="/auth/logout"]`)
	rita.sees("signed out", "Sign in")

	// An administrator lists users, adds a role, fails and then succeeds at
	// unlocking editing, adds a programme, a module and a lecture, and edits
	// the module.
	admin := person(t, root, "admin", r.url)
	admin.open("users", "/admin/users?q=rita")
	admin.signIn("sign in", "admin", adminPassword)
	admin.sees("users", "Rita R.", "rita@uni.example")
	admin.shot("admin-users")
	admin.open("roles", "/admin/roles")
	admin.do("fill the role",
		chromedp.SendKeys(chromedp.CSS("#name"), "exam-office"),
		chromedp.SendKeys(chromedp.CSS("#description"), "The examination office"),
		chromedp.Click(chromedp.CSS(`input[value="grades:read"]`)),
		chromedp.Click(chromedp.CSS(`input[value="grades:write"]`)))
	admin.submit("add the role", `form[action$="/admin/roles"]`)
	admin.sees("role added", "The role exam-office is added.", "The examination office")

	admin.open("catalogue", "/admin/programmes")
	admin.sees("editing locked", "The catalogue is locked", "unlock editing first")
	admin.submit("unlock editing", `form[action$="/admin/unlock"]`)
	admin.sees("asked for the password", "Confirm your password")
	admin.signIn("a wrong password", "admin", "not-the-password")
	admin.sees("the wrong password is refused", "The username or password is not right.")
	admin.signIn("the right password", "admin", adminPassword)
	admin.sees("editing unlocked", "Editing is unlocked for")

	admin.do("fill the programme",
		chromedp.SendKeys(chromedp.CSS("#title"), "Data Science"),
		chromedp.SendKeys(chromedp.CSS("#degree"), "M.Sc."),
		setValue("#semesters", "4"),
		setValue("#credits_required", "120"))
	admin.submit("add the programme", `form[action$="/admin/programmes"]`)
	admin.sees("programme added", "The programme is added.", "M.Sc. Data Science")

	admin.open("catalogue again", "/admin/programmes")
	admin.do("open M.Sc. Computer Science", navigates(chromedp.Click(chromedp.Search(`//a[contains(., "M.Sc. Computer Science")]`))))
	admin.do("fill the module",
		chromedp.SendKeys(chromedp.CSS("#mcode"), "DS-9"),
		chromedp.SendKeys(chromedp.CSS("#mtitle"), "Data Ethics"),
		setValue("#credits", "5"))
	admin.submit("add the module", `form:has(input[value="add-module"])`)
	admin.sees("module added", "It is added.", "Data Ethics")
	section := `//section[.//h3/span[@class="code" and text()="DS-9"]]`
	admin.do("add a lecture",
		chromedp.Click(chromedp.Search(section+`//summary`)),
		chromedp.SendKeys(chromedp.Search(section+`//input[@name="code"]`), "DS-9-V"),
		chromedp.SendKeys(chromedp.Search(section+`//input[@name="title"]`), "Data Ethics (lecture)"),
		navigates(chromedp.Click(chromedp.Search(section+`//form[.//input[@value="add-lecture"]]//button`))))
	admin.sees("lecture added", "Data Ethics (lecture)")
	admin.shot("admin-programme")
	admin.do("edit the module", navigates(chromedp.Click(chromedp.Search(section+`//a[contains(@href, "/admin/modules/")]`))),
		setValue("#title", ""), chromedp.SendKeys(chromedp.CSS("#title"), "Data Ethics and Law"))
	admin.submit("save the module", `form[action*="/admin/modules/"]`)
	admin.sees("module saved", "The changes are saved.", "Data Ethics and Law")

	// The student sees the change.
	rita.open("my study again", "/my")
	rita.signIn("sign in again", "rita.roth", "Sunflower-Meadow-42")
	rita.sees("the new module", "Data Ethics and Law")

	// Staff records her grade; she sees it with the module grade.
	subject := accountID(t, dir, "rita.roth")
	staff := person(t, root, "staff", r.url)
	staff.open("grading", "/grading?q=DS-9-V")
	staff.signIn("sign in", "f.weber", creds["f.weber"])
	staff.do("open the lecture", navigates(chromedp.Click(chromedp.Search(`//a[contains(., "DS-9-V")]`))))
	staff.do("choose the grade", setValue(`select[name="grade:`+subject+`"]`, "1.3"), chromedp.Click(chromedp.CSS("#final")))
	staff.submit("store the grade", `form:has(#final)`)
	staff.sees("grade stored", "Grades stored: 1.", "Final grades: 1; mean 1.3; passed: 100%.")
	staff.shot("lecture-grading")

	rita.open("my grades", "/my?view=detail")
	body, _ := chromedp.Run(rita.ctx, chromedp.Text(chromedp.Search(`//tr[contains(., "Data Ethics and Law")]`)))
	if !regexp.MustCompile(`1\.3\s+passed`).MatchString(body) {
		rita.fail("module grade", "the module's row shows %q, want grade 1.3 and passed", body)
	}
}

// accountID reads an account's subject from identity's database.
func accountID(t *testing.T, dir, username string) string {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, _, err := identityStore(t, d, dir).AccountByLogin(context.Background(), username)
	if err != nil {
		t.Fatalf("account %s: %v", username, err)
	}
	return a.ID
}

// evaluate runs a script in the page and returns its value.
func (b *browser) evaluate(step, js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.fail(step, "%v", err)
	}
	return v
}

// TestBrowserPhoneAndKeyboard checks the site at phone width (nothing wider
// than the screen) and used with the keyboard only (skip link, sign-in).
func TestBrowserPhoneAndKeyboard(t *testing.T) {
	root := startBrowser(t)
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())

	// Keyboard only: the first Tab reaches the skip link, Enter moves to
	// the content; signing in needs no mouse.
	kb := person(t, root, "keyboard", r.url)
	kb.open("home", "/")
	kb.do("tab to the skip link", chromedp.KeyEvent("\t"))
	if got := kb.evaluate("focus", `document.activeElement.className + "|" + document.activeElement.getAttribute("href")`); got != "skip|#main" {
		kb.fail("skip link first", "the first Tab focuses %q, want the skip link", got)
	}
	kb.do("follow the skip link", chromedp.KeyEvent("\r"))
	if got := kb.evaluate("at the content", `location.hash`); got != "#main" {
		kb.fail("skip link works", "after Enter the page is at %q", got)
	}
	kb.open("sign in", "/auth/login?return=/my")
	kb.do("type the username and password",
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.KeyEvent("ben.krueger"), // the username field has the focus
		chromedp.KeyEvent("\t"),
		chromedp.KeyEvent(creds["ben.krueger"]),
		navigates(chromedp.KeyEvent("\r")))
	kb.sees("signed in with the keyboard", "Signed in as", "My study")

	// Phone width: every page fits the screen (wide tables scroll inside
	// themselves).
	admin := person(t, root, "phone", r.url)
	admin.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	admin.open("sign in", "/auth/login?return=/admin/users")
	admin.signIn("sign in", "admin", adminPassword)
	for _, path := range []string{"/", "/programmes", "/register", "/profile", "/admin", "/admin/users", "/admin/roles", "/admin/programmes", "/grading"} {
		admin.open(path, path)
		got := admin.evaluate(path, `String(document.documentElement.scrollWidth) + "/" + String(window.innerWidth)`)
		t.Logf("%s: scroll width / screen width %s", path, got)
		if func() bool {
			var w, iw int
			fmt.Sscanf(got, "%d/%d", &w, &iw)
			return w > 390 || iw > 390 // a mobile browser widens its viewport to fit wide content
		}() {
			admin.fail(path, "the page is wider than the phone (scroll width / screen width %s)", got)
		}
	}
}
