package policy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// PasswordPolicy decides whether a new password is acceptable. It follows
// NIST SP 800-63B: a minimum length and a block list, but no composition
// rules, which push people towards predictable patterns.
//
// A MinLength or MaxLength of zero or less means the default, so that a
// policy filled in from a half-written configuration never ends up without
// bounds. RefuseCommon has no such fallback: use [DefaultPasswordPolicy].
type PasswordPolicy struct {
	MinLength    int  // default 10 (counted in Unicode code points)
	MaxLength    int  // default 256 (argon2 input bound; refuse longer)
	RefuseCommon bool // default true
}

const (
	defaultMinLength = 10
	defaultMaxLength = 256
	// Shorter parts of a username or e-mail address would refuse far too
	// many good passwords ("anna" in "bananarepublic").
	minUserInputLength = 4
)

// DefaultPasswordPolicy returns the policy campus applies unless configured
// otherwise.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: defaultMinLength, MaxLength: defaultMaxLength, RefuseCommon: true}
}

// PasswordError lists every reason a password was refused, so that the form
// can show them all at once instead of one per attempt.
type PasswordError struct {
	Reasons []string // human sentences, each ending in a full stop
}

func (e *PasswordError) Error() string { return strings.Join(e.Reasons, " ") }

// Check returns nil if password is acceptable, otherwise a *PasswordError.
// userInputs are what the person typed elsewhere in the form, typically the
// username and the e-mail address; for an e-mail address only the local part
// counts, since the domain is shared by everyone at the university.
//
// Lengths count Unicode code points, not bytes, so that a password in Greek
// or Chinese is not held to a stricter rule than one in Latin letters.
func (p PasswordPolicy) Check(password string, userInputs ...string) error {
	minLen, maxLen := p.MinLength, p.MaxLength
	if minLen <= 0 {
		minLen = defaultMinLength
	}
	if maxLen <= 0 {
		maxLen = defaultMaxLength
	}
	var reasons []string
	n := utf8.RuneCountInString(password)
	if n < minLen {
		reasons = append(reasons, "Use at least "+strconv.Itoa(minLen)+" characters.")
	}
	if n > maxLen {
		reasons = append(reasons, "Use at most "+strconv.Itoa(maxLen)+" characters.")
	}
	if p.RefuseCommon && IsCommon(password) {
		reasons = append(reasons, "This is one of the most commonly used passwords; choose another.")
	}
	if containsUserInput(password, userInputs) {
		reasons = append(reasons, "Do not use your username or e-mail address in the password.")
	}
	if reasons == nil {
		return nil
	}
	return &PasswordError{Reasons: reasons}
}

func containsUserInput(password string, userInputs []string) bool {
	lower := strings.ToLower(password)
	for _, in := range userInputs {
		if at := strings.LastIndexByte(in, '@'); at >= 0 {
			in = in[:at]
		}
		if utf8.RuneCountInString(in) < minUserInputLength {
			continue
		}
		if strings.Contains(lower, strings.ToLower(in)) {
			return true
		}
	}
	return false
}

// The list of common passwords is passwords.json from the npm package
// @zxcvbn-ts/language-common 4.1.3 (MIT licence, see
// common-passwords.LICENSE; https://github.com/zxcvbn-ts/zxcvbn): 49,233
// lower-case passwords ordered by how often they occur in leaked password
// sets. It was produced with
//
//	cd "$(mktemp -d)" && npm pack @zxcvbn-ts/language-common@4.1.3 &&
//	tar xzf zxcvbn-ts-language-common-4.1.3.tgz &&
//	node -e 'process.stdout.write(require("./package/src/passwords.json").join("\n")+"\n")' |
//	gzip -9n > common-passwords.txt.gz
//
// Most entries are shorter than the default minimum length; they are kept
// because MinLength is configurable and IsCommon is useful on its own.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is built on first use only: the map costs a few megabytes
// and a few milliseconds, which processes that never check a password (the
// study service, command-line tools) should not pay.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("policy: embedded common-passwords.txt.gz is corrupt: " + err.Error())
	}
	set := make(map[string]struct{}, 50_000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		panic("policy: embedded common-passwords.txt.gz is corrupt: " + err.Error())
	}
	return set
})

// IsCommon reports whether password, ignoring case, is in the bundled list
// of the most common passwords. Case is ignored because "Password1" is
// guessed as early as "password1".
func IsCommon(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}
