package mfa

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestCheckTOTP: RFC 6238's own test vector, one step of skew either way
// and no more, and the step that matched.
func TestCheckTOTP(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" (base32
	// below) gives 94287082 at T=59 s; six digits are its last six.
	const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if step, ok := CheckTOTP(rfcSecret, "287082", time.Unix(59, 0)); !ok || step != 1 {
		t.Fatalf("RFC 6238 vector at 59 s: step %d, %v", step, ok)
	}
	secret, _, err := NewTOTP("campus (uni.example)", "ada")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 10, 0, 15, 0, time.UTC)
	code := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(secret, at, validateOpts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	current := now.Unix() / Period
	for _, tc := range []struct {
		name string
		code string
		want int64 // 0: refused
	}{
		{"now", code(now), current},
		{"one step behind", code(now.Add(-Period * time.Second)), current - 1},
		{"one step ahead", code(now.Add(Period * time.Second)), current + 1},
		{"two steps behind", code(now.Add(-2 * Period * time.Second)), 0},
		{"two steps ahead", code(now.Add(2 * Period * time.Second)), 0},
		{"with a space", code(now)[:3] + " " + code(now)[3:], current},
		{"five digits", code(now)[:5], 0},
		{"letters", "abcdef", 0},
		{"empty", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := CheckTOTP(secret, tc.code, now)
			if ok != (tc.want != 0) || (ok && step != tc.want) {
				t.Fatalf("CheckTOTP(%q) = %d, %v; want step %d", tc.code, step, ok, tc.want)
			}
		})
	}
}

func TestURI(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(URI("campus (uni.example)", "ada@uni.example", "JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/campus (uni.example):ada@uni.example" ||
		q.Get("secret") != "JBSWY3DPEHPK3PXP" || q.Get("issuer") != "campus (uni.example)" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("URI = %s", u)
	}
	if png, err := QRCode(u.String(), 200); err != nil || len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Fatalf("QR code: %d bytes, %v", len(png), err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes := NewRecoveryCodes()
	if len(codes) != RecoveryCodes {
		t.Fatalf("%d codes", len(codes))
	}
	shape := regexp.MustCompile(`^[2-9a-hjkmnp-z]{5}-[2-9a-hjkmnp-z]{5}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !shape.MatchString(c) || seen[c] {
			t.Fatalf("code %q (seen before: %v)", c, seen[c])
		}
		seen[c] = true
		typed := " " + c[:3] + " " + c[3:] + " "
		if NormaliseRecoveryCode(typed) != NormaliseRecoveryCode(c) || !LooksLikeRecoveryCode(typed) {
			t.Fatalf("%q typed as %q does not match", c, typed)
		}
	}
	if NormaliseRecoveryCode("ABCDE-FGHJK") != "abcdefghjk" || LooksLikeRecoveryCode("123456") {
		t.Fatal("normalising or telling codes apart is wrong")
	}
}

func TestRelyingParty(t *testing.T) {
	t.Parallel()
	if _, err := NewRP("https://127.0.0.1:8443/idp", "campus"); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("an IP issuer: %v, want ErrNoDomain", err)
	}
	if _, err := NewRP("https://[::1]:8443/idp", "campus"); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("an IPv6 issuer: %v, want ErrNoDomain", err)
	}
	rp, err := NewRP("https://localhost:8443/idp", "campus")
	if err != nil {
		t.Fatal(err)
	}
	options, session, err := rp.BeginPasskey()
	if err != nil || len(options) == 0 || session == "" {
		t.Fatalf("BeginPasskey: %s, %q, %v", options, session, err)
	}
	if _, _, err := rp.FinishPasskey(session, []byte(`{"id":"x"}`), nil); err == nil {
		t.Fatal("a malformed assertion was accepted")
	}
}

// BenchmarkCheckTOTP: the CPU of checking one code of the second step
// (three time steps, each an HMAC-SHA-1).
//
//	go test -run '^$' -bench CheckTOTP ./internal/identity/mfa
func BenchmarkCheckTOTP(b *testing.B) {
	secret, _, err := NewTOTP("campus", "ada")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	valid := map[string]bool{}
	for _, s := range []time.Duration{-Period * time.Second, 0, Period * time.Second} {
		c, _ := totp.GenerateCodeCustom(secret, now.Add(s), validateOpts)
		valid[c] = true
	}
	wrong := "000000"
	for i := 1; valid[wrong]; i++ {
		wrong = fmt.Sprintf("%06d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := CheckTOTP(secret, wrong, now); ok {
			b.Fatal("a wrong code passed")
		}
	}
}
