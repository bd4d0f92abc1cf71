package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// authenticator adds a virtual WebAuthn authenticator to the browser's tab
// (the DevTools WebAuthn domain): it answers navigator.credentials at once,
// as a person touching it would.
func (b *browser) authenticator(step string, o webauthn.VirtualAuthenticatorOptions) webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.fail(step, "enable WebAuthn: %v", err)
	}
	o.Protocol, o.AutomaticPresenceSimulation = webauthn.AuthenticatorProtocolCtap2, true
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &o})
	if err != nil {
		b.fail(step, "add a virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// credentials are the credentials a virtual authenticator holds.
func (b *browser) credentials(step string, id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.fail(step, "read the authenticator's credentials: %v", err)
	}
	return res.Credentials
}

// webauthnButton presses the button of a page's WebAuthn ceremony (which
// webauthn.js shows once it runs) and waits for the page the form it
// fills in leads to.
func webauthnButton(kind string) chromedp.Action[chromedp.Void] {
	sel := chromedp.CSS(`div[data-webauthn="` + kind + `"] button`)
	return chromedp.Steps(chromedp.WaitVisible(sel), navigates(chromedp.Click(sel)))
}

// TestBrowserPasskeys is issue 17's "done when" in Chromium, with its
// virtual authenticators: an administrator (whose role requires a second
// factor) enrols a passkey right after the password, keeps the recovery
// codes, signs in again with the passkey alone, unlocks editing with the
// password and the passkey, and adds a security key on identity's
// security page, which then serves as the second factor after the
// password, and removes it again; a student is not asked for a second factor. Passkeys
// need a domain name, so campus is reached as localhost.
func TestBrowserPasskeys(t *testing.T) {
	root := startBrowser(t)
	addr := freeAddr(t)
	base := "https://localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_MFA_ROLES": "admin"},
		"serve", "--addr", addr, "--public-url", base, "--data", t.TempDir(), "--demo")
	if r.url != base {
		t.Fatalf("campus serves at %s, want %s", r.url, base)
	}
	creds := demoCredentials(t, r.stdout.String())

	admin := person(t, root, "admin", r.url)
	laptop := admin.authenticator("laptop's passkey", webauthn.VirtualAuthenticatorOptions{
		Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true, IsUserVerified: true})

	// The password, then the enrolment the role requires: a passkey, the
	// recovery codes once, and the sign-in completes.
	admin.open("sign in", "/auth/login?return=/")
	admin.signIn("sign in", "admin", adminPassword)
	admin.sees("enrolment", "Set up a second factor", "Add a passkey or security key", "An authenticator app")
	admin.shot("mfa-enrol")
	admin.do("add the passkey", setValue("#passkey-name", "Laptop"), webauthnButton("create"))
	admin.sees("recovery codes", "Your recovery codes", "They are shown only now.")
	admin.shot("mfa-recovery-codes")
	if n := admin.evaluate("count the codes", `String(document.querySelectorAll("ol.codes li code").length)`); n != "10" {
		admin.fail("count the codes", "%s recovery codes, want 10", n)
	}
	if got := len(admin.credentials("the passkey is on the laptop", laptop)); got != 1 {
		admin.fail("the passkey is on the laptop", "the platform authenticator holds %d credentials, want 1", got)
	}
	admin.submit("continue", `form[action$="/login/enrol/done"]`)
	admin.sees("signed in", "Signed in as")

	// Signed out, the passkey alone signs in again: no username, no
	// password.
	admin.submit("sign out", `form[action$="/auth/logout"]`)
	admin.open("sign in with the passkey", "/auth/login?return=/admin")
	admin.do("the sign-in page", chromedp.WaitVisible(chromedp.CSS("#password")))
	if v := admin.evaluate("the password field", `document.querySelector("#username").value + document.querySelector("#password").value`); v != "" {
		admin.fail("the password field", "the sign-in form holds %q, want it empty", v)
	}
	admin.do("sign in with the passkey", webauthnButton("get"))
	admin.sees("signed in with the passkey", "Signed in as")
	admin.open("audit of sign-ins", "/admin/audit?person=admin&action=sign_in")
	// amr (RFC 8176) as identity records it: the enrolment's sign-in had
	// the password and the new key; the passkey's has no "pwd".
	admin.sees("the passkey's sign-in in the audit", "multi-factor (pwd hwk user mfa)", "multi-factor (hwk user mfa)")
	admin.shot("mfa-audit")

	// Unlocking editing asks for the password and then the second factor.
	admin.open("catalogue", "/admin/programmes")
	admin.sees("editing locked", "The catalogue is locked")
	admin.submit("unlock editing", `form[action$="/admin/unlock"]`)
	admin.sees("asked for the password", "Confirm your password")
	admin.signIn("the password", "admin", adminPassword)
	admin.sees("asked for the second factor", "Second step", "Use a passkey or security key")
	admin.shot("mfa-factor")
	admin.do("unlock with the passkey", webauthnButton("get"))
	admin.sees("editing unlocked", "Editing is unlocked for")
	admin.open("audit of the step-up", "/admin/audit?person=admin&action=sign_in")
	admin.sees("the step-up in the audit", "step-up for studies:write (pwd hwk user mfa)")

	// A security key (USB, no resident key) added on the security page,
	// with the password; the laptop is put away first, so that the key
	// answers.
	admin.open("security page", "/idp/security")
	admin.sees("security page", "Sign-in security", "Laptop", "Recovery codes left: 10.")
	ctx, cancel := context.WithTimeout(admin.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: laptop}); err != nil {
		admin.fail("put the laptop away", "%v", err)
	}
	key := admin.authenticator("security key", webauthn.VirtualAuthenticatorOptions{Transport: webauthn.AuthenticatorTransportUsb})
	admin.do("add the security key",
		setValue("#passkey-name", "USB key"),
		chromedp.SendKeys(chromedp.CSS("#passkey-password"), adminPassword),
		webauthnButton("create"))
	admin.sees("security key added", "USB key", "Laptop")
	admin.shot("mfa-security")
	if got := len(admin.credentials("the key holds it", key)); got != 1 {
		admin.fail("the key holds it", "the security key holds %d credentials, want 1", got)
	}
	// The key is a second factor like the passkey: after the password, the
	// factor page asks for either and the key answers.
	admin.open("portal", "/")
	admin.submit("sign out again", `form[action$="/auth/logout"]`)
	admin.open("sign in again", "/auth/login?return=/")
	admin.signIn("sign in again", "admin", adminPassword)
	admin.sees("the factor page", "Second step")
	admin.do("sign in with the security key", webauthnButton("get"))
	admin.sees("signed in with the security key", "Signed in as")
	// Removing it asks for the password too; the passkey stays.
	admin.open("security page again", "/idp/security")
	row := `//tr[td[1][text()="USB key"]]`
	admin.do("remove the security key",
		chromedp.Click(chromedp.Search(row+`//summary`)),
		chromedp.SendKeys(chromedp.Search(row+`//input[@type="password"]`), adminPassword),
		navigates(chromedp.Click(chromedp.Search(row+`//button[@type="submit"]`))))
	admin.sees("security key removed", "The second factor was removed.", "Laptop")
	if n := admin.evaluate("the key is gone", `String(document.evaluate('count(`+row+`)', document, null, XPathResult.NUMBER_TYPE, null).numberValue)`); n != "0" {
		admin.fail("the key is gone", "%s rows name the USB key, want none", n)
	}

	// A student's role requires no second factor: the password signs in.
	student := person(t, root, "student", r.url)
	student.open("sign in", "/auth/login?return=/my")
	student.signIn("sign in", "ben.krueger", creds["ben.krueger"])
	student.sees("signed in without a second factor", "Signed in as", "My study")
}
