package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestIsCommon(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{name: "top of the list", password: "123456", want: true},
		{name: "lower case entry", password: "password", want: true},
		{name: "upper case is the same password", password: "PASSWORD", want: true},
		{name: "mixed case long entry", password: "Password123", want: true},
		{name: "keyboard walk", password: "qwertyuiop", want: true},
		{name: "last line of the list", password: "xpcrew", want: true},
		{name: "passphrase", password: "correct horse battery staple", want: false},
		{name: "surrounding space is part of the password", password: " password ", want: false},
		{name: "empty", password: "", want: false},
		{name: "non-ASCII", password: "Grüße aus Köln", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsCommon(tt.password); got != tt.want {
				t.Errorf("IsCommon(%q) = %v, want %v", tt.password, got, tt.want)
			}
		})
	}
}

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	if n := len(commonPasswords()); n < 10_000 {
		t.Errorf("list has %d entries, want at least 10,000", n)
	}
	if n := len(commonPasswordsGz); n >= 1<<20 {
		t.Errorf("embedded list is %d bytes, want well under 1 MiB", n)
	}
}

func TestPasswordPolicyCheck(t *testing.T) {
	t.Parallel()
	var (
		short    = "Use at least 10 characters."
		long     = "Use at most 256 characters."
		common   = "This is one of the most commonly used passwords; choose another."
		personal = "Do not use your username or e-mail address in the password."
	)
	def := DefaultPasswordPolicy()
	// A 256-character password that is no pattern: zxcvbn sees its first
	// 64 characters only.
	maxPassword := strings.Repeat("lantern orbit velvet gT4#kq9!Lz ", 8)
	tests := []struct {
		name     string
		policy   PasswordPolicy
		password string
		inputs   []string
		want     []string // nil = accepted
	}{
		{name: "good passphrase", policy: def, password: "lantern orbit velvet", inputs: []string{"emuster", "erika.muster@uni.example"}},
		{name: "exactly the minimum", policy: def, password: "gT4#kq9!Lz"},
		{name: "one below the minimum", policy: def, password: "gT4#kq9!L", want: []string{short}},
		{name: "empty", policy: def, password: "", want: []string{short}},
		{name: "length counts code points not bytes", policy: def, password: "ßüöäéñçøåæ"},
		{name: "nine multi-byte code points are too short", policy: def, password: "日本語のパスワード", want: []string{short}},
		{name: "exactly the maximum", policy: def, password: maxPassword},
		{name: "one above the maximum", policy: def, password: maxPassword + "y", want: []string{long}},
		{name: "maximum counts code points", policy: PasswordPolicy{MinScore: -1}, password: strings.Repeat("ü", 256)},
		{name: "common", policy: def, password: "password123", want: []string{common}},
		{name: "common in other case", policy: def, password: "PassWord123", want: []string{common}},
		{name: "common allowed when not refused", policy: PasswordPolicy{MinLength: 10, MaxLength: 256, MinScore: -1}, password: "password123"},
		{name: "short and common", policy: def, password: "password", want: []string{short, common}},
		{name: "contains the username", policy: def, password: "emuster-2026-secret", inputs: []string{"emuster"}, want: []string{personal}},
		{name: "username ignoring case", policy: def, password: "EMuster-2026-secret", inputs: []string{"emuSTER"}, want: []string{personal}},
		{name: "same as the username", policy: def, password: "emustermann", inputs: []string{"emustermann"}, want: []string{personal}},
		{name: "contains the e-mail local part", policy: def, password: "hi erika.muster!", inputs: []string{"erika.muster@uni.example"}, want: []string{personal}},
		{name: "e-mail domain does not count", policy: def, password: "uni.example rocks", inputs: []string{"erika.muster@uni.example"}},
		{name: "username of exactly four characters counts", policy: def, password: "annabelle-lee-poem", inputs: []string{"anna"}, want: []string{personal}},
		{name: "username of three characters is ignored", policy: def, password: "bobsleigh champion", inputs: []string{"bob"}},
		{name: "e-mail local part of three characters is ignored", policy: def, password: "bobsleigh champion", inputs: []string{"bob@uni.example"}},
		{name: "empty inputs are ignored", policy: def, password: "lantern orbit velvet", inputs: []string{"", "@uni.example"}},
		{name: "several personal matches give one reason", policy: def, password: "emuster erika.muster", inputs: []string{"emuster", "erika.muster@uni.example"}, want: []string{personal}},
		{name: "every reason at once", policy: def, password: "anna", inputs: []string{"anna"}, want: []string{short, common, personal}},
		{name: "custom minimum", policy: PasswordPolicy{MinLength: 12, MaxLength: 20, RefuseCommon: true}, password: "gT4#kq9!Lz1", want: []string{"Use at least 12 characters."}},
		{name: "custom maximum", policy: PasswordPolicy{MinLength: 4, MaxLength: 12}, password: "gT4#kq9!Lz1aa", want: []string{"Use at most 12 characters."}},
		{name: "custom minimum score", policy: PasswordPolicy{MinScore: 4}, password: "gT4#kq9!Lz", want: []string{weakGuess}},

		// The strength estimate (zxcvbn).
		{name: "repeated digit", policy: def, password: "0000000000", want: []string{weakRepeat}},
		{name: "repeated letter", policy: def, password: "aaaaaaaaaaaa", want: []string{weakRepeat}},
		{name: "alphabet", policy: def, password: "abcdefghijkl", want: []string{weakSequence}},
		{name: "descending digits", policy: def, password: "9876543210", want: []string{weakSequence}},
		{name: "keyboard row", policy: def, password: "qwertyuiopas", want: []string{weakKeyboard}},
		{name: "keyboard walk", policy: def, password: "zxcvbnm,./1", want: []string{weakKeyboard}},
		{name: "repeated group", policy: def, password: "abcabcabcabc", want: []string{weakRepeat}},
		{name: "a date", policy: def, password: "19.07.1996", want: []string{weakDate}},
		{name: "a common password changed a little", policy: def, password: "Password12345", want: []string{weakCommon}},
		{name: "a name and a year", policy: def, password: "Elizabeth2024", want: []string{weakWord}},
		{name: "the username reversed", policy: def, password: "retsumeerika", inputs: []string{"emuster", "erika.muster@uni.example"}, want: []string{weakPersonal}},
		{name: "the username reversed is fine for someone else", policy: def, password: "retsumeerika", inputs: []string{"jdoe", "jane.doe@uni.example"}},
		{name: "the username reversed and a year", policy: def, password: "retsumE2026", inputs: []string{"emuster"}, want: []string{weakPersonal}},
		{name: "the names in the e-mail address", policy: def, password: "MusterErika", inputs: []string{"erika.muster@uni.example"}, want: []string{weakPersonal}},
		{name: "common words passphrase", policy: def, password: "correct horse battery staple"},
		{name: "mixed passphrase", policy: def, password: "Tr4in-Spotting-Berlin-1996", inputs: []string{"emuster", "erika.muster@uni.example"}},
		{name: "weak start of a long password is refused", policy: def, password: strings.Repeat("a", 100) + "lantern orbit velvet", want: []string{weakRepeat}},
		{name: "strong start of a long password is enough", policy: def, password: "lantern orbit velvet gT4#kq9!Lz " + strings.Repeat("a", 150)},
		{name: "no estimate when turned off", policy: PasswordPolicy{MinScore: -1}, password: "aaaaaaaaaaaa"},
		{name: "invalid UTF-8 is estimated", policy: def, password: "aaaaaaaaaa\xff\xfe", want: []string{weakRepeat}},
		{name: "zero lengths fall back to the defaults", policy: PasswordPolicy{}, password: "gT4#kq9!L", want: []string{short}},
		{name: "zero maximum falls back to the default", policy: PasswordPolicy{}, password: strings.Repeat("a", 257), want: []string{long}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Check(tt.password, tt.inputs...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			var pe *PasswordError
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%q) = %v, want a *PasswordError", tt.password, err)
			}
			if !slices.Equal(pe.Reasons, tt.want) {
				t.Errorf("Check(%q) reasons = %q, want %q", tt.password, pe.Reasons, tt.want)
			}
			if got, want := err.Error(), strings.Join(tt.want, " "); got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestDefaultPasswordPolicy(t *testing.T) {
	t.Parallel()
	if got, want := DefaultPasswordPolicy(), (PasswordPolicy{MinLength: 10, MaxLength: 256, RefuseCommon: true, MinScore: 3}); got != want {
		t.Errorf("DefaultPasswordPolicy() = %+v, want %+v", got, want)
	}
}

func BenchmarkIsCommon(b *testing.B) {
	IsCommon("") // load the list outside the measurement
	passwords := []string{"password123", "Correct Horse Battery Staple", "qwertyuiop", "lantern orbit velvet"}
	for i := 0; b.Loop(); i++ {
		IsCommon(passwords[i%len(passwords)])
	}
}

// BenchmarkPasswordPolicyCheck is the cost of one check with the default
// policy, strength estimate included, for passwords of typical and of the
// greatest estimated length.
//
//	go test -run '^$' -bench PasswordPolicyCheck ./internal/identity/policy
func BenchmarkPasswordPolicyCheck(b *testing.B) {
	IsCommon("") // load the list outside the measurement
	p := DefaultPasswordPolicy()
	inputs := []string{"emuster", "erika.muster@uni.example"}
	for _, bm := range []struct{ name, password string }{
		{"passphrase", "correct horse battery staple"},
		{"weak", "qwertyuiopas"},
		{"random-16", "gT4#kq9!Lz1x&Vb2"},
		{"256-characters", strings.Repeat("lantern orbit velvet gT4#kq9!Lz ", 8)},
		// The worst kind known: every character a l33t substitute, so
		// that every substring is looked up again for each substitution.
		{"256-l33t-characters", strings.Repeat("4@3!1|0$5+7(8{9[2%", 15)[:256]},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				_ = p.Check(bm.password, inputs...)
			}
		})
	}
}
