package mfa

import (
	"crypto/rand"
	"strings"
)

// RecoveryCodes is how many recovery codes a person gets at a time.
const RecoveryCodes = 10

// recoveryAlphabet has no look-alikes (no 0/o, 1/l/i): 31 symbols, so a
// code of 10 carries 49.5 bits; it is tried online only, under the
// lockout, and stored as a keyed hash.
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// NewRecoveryCodes makes RecoveryCodes fresh codes, shown as xxxxx-xxxxx.
func NewRecoveryCodes() []string {
	out := make([]string, RecoveryCodes)
	for i := range out {
		var b strings.Builder
		for j := range 10 {
			if j == 5 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[randN(len(recoveryAlphabet))])
		}
		out[i] = b.String()
	}
	return out
}

// randN returns a uniform random number below n (n < 256), by rejection.
func randN(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NormaliseRecoveryCode is the form a code is stored and compared in:
// lower case, without the dash and spaces a person may type.
func NormaliseRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, code)
}

// LooksLikeRecoveryCode tells a recovery code from an app's six digits.
func LooksLikeRecoveryCode(code string) bool {
	return len(NormaliseRecoveryCode(code)) == 10
}
