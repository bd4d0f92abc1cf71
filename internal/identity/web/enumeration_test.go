package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"campus/internal/identity"
)

// keysOf lists an answer's JSON fields.
func keysOf(r apiResult) []string {
	var out []string
	for k := range r.body {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestAPINoEnumerationOfAddresses: whether an e-mail address has an
// account is not told to whoever asks, by registration or by changing
// one's own address; its owner is told instead. Username and address
// changes are limited per account, in the database.
func TestAPINoEnumerationOfAddresses(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail())
	owner := e.addUser(t, "owner", "owner-password-1", identity.RoleStudent)
	e.addUser(t, "probe", "probe-password-1", identity.RoleStudent)
	e.addUser(t, "fair", "fair-password-12", identity.RoleStudent)
	probe := e.token(t, "probe", "probe-password-1")

	t.Run("changing one's address to a taken one", func(t *testing.T) {
		taken := e.call(t, "PATCH", "/api/v1/me", probe, map[string]any{"email": "owner@uni.example"}, "If-Match", "*")
		free := e.call(t, "PATCH", "/api/v1/me", e.token(t, "fair", "fair-password-12"), map[string]any{"email": "fair@new.example"}, "If-Match", "*")
		if taken.status != http.StatusOK || free.status != http.StatusOK || !slices.Equal(keysOf(taken), keysOf(free)) ||
			taken.str("pending_email") != "owner@uni.example" || taken.str("email") != "probe@uni.example" {
			t.Fatalf("taken: %s\nfree: %s", taken, free)
		}
		notice := e.mailTo(t, "owner@uni.example", "asked to use your address")
		if mailLink.MatchString(notice.Text) {
			t.Fatalf("the owner was sent a link: %s", notice.Text)
		}
		e.mailTo(t, "fair@new.example", "onfirm")
		if r := e.must(t, http.StatusOK, "GET", "/api/v1/users/"+owner.ID, e.token(t, "admin", adminPassword), nil); r.str("email") != "owner@uni.example" {
			t.Fatalf("the owner's account: %s", r)
		}
	})

	t.Run("registering with a taken address", func(t *testing.T) {
		reg := func(username, email string) apiResult {
			return e.call(t, "POST", "/api/v1/registrations", "", map[string]any{"username": username, "email": email,
				"password": "a-fine-passphrase", "given_name": "Reg", "family_name": "Ister"})
		}
		taken, free := reg("newbie", "Owner@uni.example"), reg("freshman", "freshman@uni.example")
		if taken.status != http.StatusCreated || free.status != http.StatusCreated || !slices.Equal(keysOf(taken), keysOf(free)) ||
			taken.header.Get("ETag") != free.header.Get("ETag") || !strings.HasPrefix(taken.header.Get("Location"), "/idp/api/v1/users/") ||
			taken.body["email_verified"] != false || taken.str("id") == owner.ID {
			t.Fatalf("taken: %s %v\nfree: %s %v", taken, taken.header, free, free.header)
		}
		notice := e.mailTo(t, "owner@uni.example", "tried to register")
		if !strings.Contains(notice.Text, e.issuer+"/password/forgot") {
			t.Fatalf("the owner's notice: %s", notice.Text)
		}
		// A username must be unique, so a taken one is said, but nothing
		// about the address that came with it.
		r := reg("owner", "owner@uni.example")
		if r.status != http.StatusConflict || r.fieldErrors()["username"] == "" || r.fieldErrors()["email"] != "" || strings.Contains(r.raw, "e-mail") {
			t.Fatalf("taken username and address: %s", r)
		}
	})

	t.Run("username and address changes are limited per account", func(t *testing.T) {
		// The address change above was the first of five an hour.
		for i := range 4 {
			e.must(t, http.StatusOK, "PATCH", "/api/v1/me", probe, map[string]any{"username": "probe" + strconv.Itoa(i)}, "If-Match", "*")
		}
		r := e.call(t, "PATCH", "/api/v1/me", probe, map[string]any{"username": "owner"}, "If-Match", "*")
		wait, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != http.StatusTooManyRequests || r.header.Get("Content-Type") != "application/problem+json" || wait < 3000 || wait > 3600 {
			t.Fatalf("sixth change: %s %v", r, r.header)
		}
		if r := e.must(t, http.StatusOK, "GET", "/api/v1/me", probe, nil); r.str("username") != "probe3" {
			t.Fatalf("after the refused change: %s", r)
		}
		// Other changes of the profile go on.
		e.must(t, http.StatusOK, "PATCH", "/api/v1/me", probe, map[string]any{"display_name": "Probe"}, "If-Match", "*")
	})
}
