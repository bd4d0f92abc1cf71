package policy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/match"
	"github.com/trustelem/zxcvbn/matching"
	"github.com/trustelem/zxcvbn/scoring"
)

// PasswordPolicy decides whether a new password is acceptable. It follows
// NIST SP 800-63B: a minimum length, a block list and a strength estimate
// (zxcvbn, which recognises repeats, sequences, keyboard walks, dates,
// words and names), but no composition rules, which push people towards
// predictable patterns.
//
// A MinLength, MaxLength or MinScore of zero means the default, so that a
// policy filled in from a half-written configuration never ends up without
// bounds; a negative MinScore turns the estimate off. RefuseCommon has no
// such fallback: use [DefaultPasswordPolicy].
type PasswordPolicy struct {
	MinLength    int  // default 10 (counted in Unicode code points)
	MaxLength    int  // default 256 (argon2 input bound; refuse longer)
	RefuseCommon bool // default true
	MinScore     int  // default 3: zxcvbn's score from 0 to 4; below it is refused
}

const (
	defaultMinLength = 10
	defaultMaxLength = 256
	// Score 3 means zxcvbn expects an attacker to need at least about 10^8
	// guesses; 4, at least about 10^10.
	defaultMinScore = 3
	// zxcvbn's matching grows with the square of the length (every
	// substring is looked up in every list, again for each l33t
	// substitution), so only this many leading code points are estimated.
	// A password that is strong in its first 64 characters is strong; the
	// cost stays a few milliseconds for a long passphrase and about a
	// quarter of the 0.15 s that 100 l33t characters take, so an
	// anonymous registration form cannot be made to spend much CPU (see
	// docs/performance.md).
	maxEstimated = 64
	// Shorter parts of a username or e-mail address would refuse far too
	// many good passwords ("anna" in "bananarepublic").
	minUserInputLength = 4
)

// DefaultPasswordPolicy returns the policy campus applies unless configured
// otherwise.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: defaultMinLength, MaxLength: defaultMaxLength, RefuseCommon: true, MinScore: defaultMinScore}
}

// PasswordError lists every reason a password was refused, so that the form
// can show them all at once instead of one per attempt.
type PasswordError struct {
	Reasons []string // human sentences, each ending in a full stop
}

func (e *PasswordError) Error() string { return strings.Join(e.Reasons, " ") }

// Check returns nil if password is acceptable, otherwise a *PasswordError.
// userInputs are what the person typed elsewhere in the form, typically the
// username and the e-mail address (and the names, where the caller has
// them); for an e-mail address only the local part counts, since the domain
// is shared by everyone at the university.
//
// Lengths count Unicode code points, not bytes, so that a password in Greek
// or Chinese is not held to a stricter rule than one in Latin letters.
//
// The strength is estimated only for a password that passes the other
// rules: one that is too short, too long, common or personal has a reason
// already, and the estimate would only repeat it in other words.
func (p PasswordPolicy) Check(password string, userInputs ...string) error {
	minLen, maxLen, minScore := p.MinLength, p.MaxLength, p.MinScore
	if minLen <= 0 {
		minLen = defaultMinLength
	}
	if maxLen <= 0 {
		maxLen = defaultMaxLength
	}
	if minScore == 0 {
		minScore = defaultMinScore
	}
	var reasons []string
	n := utf8.RuneCountInString(password)
	if n < minLen {
		reasons = append(reasons, fmt.Sprintf("Use at least %d characters.", minLen))
	}
	if n > maxLen {
		reasons = append(reasons, fmt.Sprintf("Use at most %d characters.", maxLen))
	}
	if p.RefuseCommon && IsCommon(password) {
		reasons = append(reasons, "This is one of the most commonly used passwords; choose another.")
	}
	if containsUserInput(password, userInputs) {
		reasons = append(reasons, "Do not use your username or e-mail address in the password.")
	}
	if reasons == nil && minScore > 0 {
		if score, why := estimate(password, userInputs); score < minScore {
			reasons = append(reasons, why)
		}
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

// What the strength estimate found, as the reason for a refusal. Each says
// why and what to do instead, in one sentence like the other reasons.
const (
	weakRepeat   = "This password repeats a pattern; add more words or characters that don't follow a pattern."
	weakSequence = "This password is a sequence like abc or 4321; add more words or characters that don't follow a pattern."
	weakKeyboard = "This password is a keyboard sequence; add more words or characters that don't follow a pattern."
	weakDate     = "This password is mostly a date or a year; add more words or characters that don't follow a pattern."
	weakCommon   = "This password is close to a commonly used password; add more words or characters that don't follow a pattern."
	weakWord     = "This password is mostly a common word or name; add more words or characters that don't follow a pattern."
	weakPersonal = "This password is built from your username, e-mail address or name; add more words or characters that don't follow a pattern."
	weakGuess    = "This password is too easy to guess; add more words or characters that don't follow a pattern."
)

// estimate returns zxcvbn's score (0 to 4) for the first maxEstimated code
// points of password, and the reason to give if it is too low: the kind of
// the longest pattern zxcvbn built its guess on, as zxcvbn's own feedback
// does (this Go port has none).
func estimate(password string, userInputs []string) (int, string) {
	// The matchers index by code point; a form may carry invalid UTF-8.
	password = strings.ToValidUTF8(password, "\uFFFD")
	i := 0
	for n := range password {
		if i == maxEstimated {
			password = password[:n]
			break
		}
		i++
	}
	matches := matching.Omnimatch(password, estimateInputs(userInputs))
	seq := scoring.MostGuessableMatchSequence(password, matches, false)
	score := guessesToScore(seq.Guesses)
	var longest *match.Match
	for _, m := range seq.Sequence {
		if longest == nil || m.J-m.I > longest.J-longest.I {
			longest = m
		}
	}
	if longest == nil {
		return score, weakGuess
	}
	switch longest.Pattern {
	case "repeat":
		return score, weakRepeat
	case "sequence":
		return score, weakSequence
	case "spatial":
		return score, weakKeyboard
	case "date", "regex":
		return score, weakDate
	case "dictionary":
		// A keyboard walk that leaked often ("qwertyuiop") is in the
		// password list too; naming the walk tells more.
		for _, m := range matches {
			if m.Pattern == "spatial" && m.I == longest.I && m.J == longest.J {
				return score, weakKeyboard
			}
		}
		switch longest.DictionaryName {
		case "user_inputs":
			return score, weakPersonal
		case "passwords":
			return score, weakCommon
		default:
			return score, weakWord
		}
	}
	return score, weakGuess
}

// guessesToScore is zxcvbn's scale (guesses_to_score in zxcvbn 4.4.2,
// which the port follows but does not export).
func guessesToScore(guesses float64) int {
	const delta = 5
	switch {
	case guesses < 1e3+delta:
		return 0
	case guesses < 1e6+delta:
		return 1
	case guesses < 1e8+delta:
		return 2
	case guesses < 1e10+delta:
		return 3
	default:
		return 4
	}
}

// estimateInputs are the words zxcvbn should treat as guessed first: each
// input, and for an e-mail address its local part and the parts of that
// ("erika.muster" gives "erika" and "muster", usually the person's names).
func estimateInputs(userInputs []string) []string {
	var out []string
	for _, in := range userInputs {
		if in == "" {
			continue
		}
		out = append(out, in)
		if at := strings.LastIndexByte(in, '@'); at >= 0 {
			in = in[:at]
			out = append(out, in)
		}
		parts := strings.FieldsFunc(in, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if len(parts) > 1 {
			out = append(out, parts...)
		}
	}
	return out
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
