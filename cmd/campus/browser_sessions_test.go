package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSessionsAndAudit: the administrator signs in on a laptop and
// on a phone, sees both sessions on the profile (the laptop's marked as
// this one), signs out everywhere else from the laptop, and the phone is
// signed out (identity's back-channel logout reaches the portal); the
// audit trail shows it, filtered by the action.
func TestBrowserSessionsAndAudit(t *testing.T) {
	root := startBrowser(t)
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword},
		"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())

	laptop := person(t, root, "laptop", r.url)
	phone := person(t, root, "phone", r.url)
	for _, b := range []*browser{phone, laptop} {
		b.open("profile", "/profile")
		b.signIn("sign in", "admin", adminPassword)
		b.sees("profile", "Your sessions")
	}
	laptop.sees("both sessions", "Where you are signed in", "(this session)", "Sign out everywhere else")
	laptop.submit("sign out everywhere else", `form[action$="/profile/sessions"]:not(:has(input[name=sid]))`)
	laptop.sees("signed out elsewhere", "You are signed out everywhere else.", "(this session)")

	// The phone's next page asks it to sign in again: its portal session
	// ended when the back-channel logout arrived.
	ctx, cancel := context.WithTimeout(phone.ctx, 20*time.Second)
	defer cancel()
	for {
		if _, err := chromedp.Run(ctx, chromedp.Navigate(phone.base+"/profile")); err != nil {
			phone.fail("open the profile again", "%v", err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#password").length`))
		if err == nil && n == 1 {
			break
		}
		select {
		case <-ctx.Done():
			phone.fail("signed out", "the phone is still signed in")
		case <-time.After(200 * time.Millisecond):
		}
	}

	laptop.open("audit trail", "/admin/audit?action=sessions_ended")
	laptop.sees("audit trail", "Audit trail", "Sessions ended", "every other session, by the account holder")
	laptop.open("audit of sign-ins", "/admin/audit?person=admin&action=sign_in")
	laptop.sees("sign-ins", "Everything about", "Sign-in", "succeeded")
}
