package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/study"
	studystore "campus/internal/study/store"
)

// longNamedStudents adds n students with long names (and long usernames)
// to the running demo and enrols them in the B.Sc., whose first lecture
// INF-B-110-V they then take: a grading page with many wide rows.
func longNamedStudents(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	idb, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer idb.Close()
	sdb, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "study.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	ist, sst := identityStore(t, idb, dir), studystore.New(sdb, time.Now)
	progs, _, err := sst.Programmes(ctx, studystore.ProgrammeQuery{Degree: "B.Sc.", Page: studystore.Page{Limit: 5}})
	if err != nil || len(progs) == 0 {
		t.Fatalf("the demo's B.Sc.: %v, %v", progs, err)
	}
	for i := range n {
		given := "Maximiliane-Theodora-Wilhelmine"
		family := fmt.Sprintf("Hohenzollern-Sigmaringen-Schaumburg-Lippe-Wittgensteinberleburg%02d", i)
		acc, err := ist.CreateAccount(ctx, identity.Account{Username: fmt.Sprintf("maximiliane.theodora.hohenzollernsigmaringen%02d", i),
			Email:       fmt.Sprintf("maximiliane.theodora.wilhelmine.hohenzollern.%02d@students.demo.campus.example", i),
			DisplayName: given + " " + family, GivenName: given, FamilyName: family, Semester: 1, EmailVerified: true,
			Roles: []string{identity.RoleStudent}}, "not-a-password-hash")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sst.Enrol(ctx, study.Enrolment{Subject: acc.ID, ProgrammeID: progs[0].ID}, false); err != nil {
			t.Fatal(err)
		}
	}
}

// widthOf is the page's scroll width and the window's inner width.
func (b *browser) widthOf(step string) (scroll, window int) {
	b.t.Helper()
	got := b.evaluate(step, `String(document.documentElement.scrollWidth) + "/" + String(window.innerWidth)`)
	fmt.Sscanf(got, "%d/%d", &scroll, &window)
	return scroll, window
}

// fits checks that the page is no wider than the window (wide tables
// scroll inside their own container).
func (b *browser) fits(step string, width int) {
	b.t.Helper()
	scroll, window := b.widthOf(step)
	b.t.Logf("%s at %d px: scroll width %d, window %d", step, width, scroll, window)
	if scroll > window || window > width {
		wide := b.evaluate(step, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > `+fmt.Sprint(width)+`).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " " + e.getBoundingClientRect().right + " " + (e.textContent || "").slice(0, 60)).join("; ")`)
		b.fail(step, "the page is wider than the window at %d px: scroll width %d, window %d; beyond it: %s", width, scroll, window, wide)
	}
}

// console collects what the browser's console shows for a person.
type console struct {
	mu   sync.Mutex
	msgs []string
}

func (b *browser) console() *console {
	c := &console{}
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || strings.Contains(m.Text, "404") {
				c.mu.Lock()
				c.msgs = append(c.msgs, m.String()+" "+m.URL)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *console) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// TestBrowserPageWidths: the grading page of a lecture with many students
// with long names fits the window at 1280 px and at phone width (375 px),
// as do the other wide pages at 375 px; every page's icons load (no 404
// for /favicon.ico or the linked icon), and the console shows no errors.
func TestBrowserPageWidths(t *testing.T) {
	root := startBrowser(t)
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	creds := demoCredentials(t, r.stdout.String())
	longNamedStudents(t, dir, 40)

	staff := person(t, root, "staff", r.url)
	log := staff.console()
	staff.do("desktop width", chromedp.EmulateViewport(1280, 800))
	staff.open("grading", "/grading?q=INF-B-110-V")
	staff.signIn("sign in", "f.weber", creds["f.weber"])
	staff.do("open the lecture", navigates(chromedp.Click(chromedp.Search(`//a[contains(., "INF-B-110-V")]`))))
	staff.sees("the long names", "Maximiliane-Theodora-Wilhelmine Hohenzollern-Sigmaringen-Schaumburg-Lippe-Wittgensteinberleburg39")
	lecture := staff.evaluate("where", `location.pathname`)
	staff.fits("grading page", 1280)
	staff.shot("lecture-grading-wide")
	// The icons the page links, and the one browsers ask for at the root.
	hc := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))
	links := staff.evaluate("icons", `[...document.querySelectorAll('link[rel=icon]')].map(l => l.href).join(" ")`)
	var icons []string
	for _, u := range append(strings.Fields(links), r.url+"/favicon.ico") {
		resp := get(t, hc, u)
		icons = append(icons, fmt.Sprint(resp.status, " ", resp.header.Get("Content-Type")))
	}
	if got := strings.Join(icons, ", "); len(icons) != 3 || !strings.HasPrefix(icons[0], "200 image/svg+xml") ||
		!strings.HasPrefix(icons[1], "200 image/") || icons[2] != "200 image/x-icon" {
		staff.fail("icons", "the icons %s answer %s", links, got)
	}
	staff.do("phone width", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	for _, path := range []string{lecture, "/grading", "/my", "/profile", "/api-access"} {
		staff.open(path, path)
		staff.fits(path, 375)
		staff.shot("phone" + strings.ReplaceAll(path, "/", "-"))
	}

	admin := person(t, root, "admin", r.url)
	adminLog := admin.console()
	admin.do("phone width", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	admin.open("sign in", "/auth/login?return=/admin/users")
	admin.signIn("sign in", "admin", adminPassword)
	admin.open("a long-named student", "/admin/users?q=hohenzollernsigmaringen07")
	admin.do("open the account", navigates(chromedp.Click(chromedp.Search(`//a[contains(., "Wittgensteinberleburg07")]`))))
	user := admin.evaluate("where", `location.pathname`)
	for _, path := range []string{"/", "/programmes", "/admin", "/admin/users", "/admin/users?q=maximiliane", user, "/admin/roles", "/admin/roles/student", "/admin/audit", "/admin/events", "/profile",
		"/admin/programmes", lecture} {
		admin.open(path, path)
		admin.fits(path, 375)
		admin.shot("phone-admin" + strings.NewReplacer("/", "-", "?", "-").Replace(path))
	}
	// The browser asks for icons after a page has loaded; one more page
	// lets those requests of the last one finish before the console is read.
	admin.open("home", "/")
	staff.open("home", "/")
	for _, msgs := range [][]string{log.errors(), adminLog.errors()} {
		for _, m := range msgs {
			t.Errorf("the console shows: %s", m)
		}
	}
}
