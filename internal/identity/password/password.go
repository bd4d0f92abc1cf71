// Package password hashes and verifies passwords with argon2id
// (golang.org/x/crypto/argon2) in the PHC string format, and generates
// strong random passwords. It does not decide password policy.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// Default follows the OWASP Password Storage Cheat Sheet's first argon2id
// option: 19 MiB, two passes, one lane.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

var b64 = base64.RawStdEncoding

// Hash returns the PHC string $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Decoy returns a PHC string of p's parameters with a random salt and a
// random key, for sign-ins of unknown names: no password verifies against
// it (the key is 2^-256 likely to match), and verifying one costs what
// verifying a real hash of the same parameters costs, since the cost is
// the argon2id of the password typed, not anything of the stored value.
// Unlike a hash of a random password, it costs nothing to make.
func Decoy(p Params) string {
	salt, key := make([]byte, p.SaltLen), make([]byte, p.KeyLen)
	rand.Read(salt) // crypto/rand.Read never fails (Go 1.24)
	rand.Read(key)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// ErrMalformed means a stored hash is not an argon2id PHC string.
var ErrMalformed = errors.New("password hash is not an argon2id PHC string")

// Verify reports whether pw matches the PHC string, comparing in constant
// time, and whether the hash was made with other parameters than p and
// should be replaced now that the password is known.
func Verify(pw, phc string, p Params) (ok, rehash bool, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, ErrMalformed
	}
	var have Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &have.Memory, &have.Time, &have.Threads); err != nil {
		return false, false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, false, ErrMalformed
	}
	got := argon2.IDKey([]byte(pw), salt, have.Time, have.Memory, have.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	rehash = have.Memory != p.Memory || have.Time != p.Time || have.Threads != p.Threads ||
		uint32(len(salt)) != p.SaltLen || uint32(len(want)) != p.KeyLen
	return true, rehash, nil
}

// Generate returns a random password of 24 characters in groups of four
// (about 140 bits), from an alphabet without look-alike characters, so it
// can be read off a terminal and typed.
func Generate() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var sb strings.Builder
	for i := range 24 {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[randIndex(len(alphabet))])
	}
	return sb.String()
}

// randIndex draws uniformly from [0, n) by rejection, without modulo bias.
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}
