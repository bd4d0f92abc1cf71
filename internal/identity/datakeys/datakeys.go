// Package datakeys encrypts identity's personal data at rest: usernames,
// e-mail addresses, names and directory DNs are stored sealed with
// AES-256-GCM (crypto/cipher), and found again through keyed blind indexes
// (HMAC-SHA-256), never in plain text.
//
// Keys are derived from the key-encryption key (the one that already
// protects the signing keys) with HKDF (RFC 5869, crypto/hkdf):
//
//   - data key version N: HKDF-SHA-256(KEK, salt_N, "campus identity data key v"+N),
//     where salt_N is a random 32-byte salt stored with the version;
//   - the index key: HKDF-SHA-256(KEK, nil, "campus identity blind index key").
//
// A new version (campus keys rotate --data-key) has a new salt and so an
// independent key; older versions keep decrypting, so that rows are
// re-encrypted in batches while campus runs. The index key does not
// rotate with the data key: changing it would mean re-indexing every row
// in one step, which is what changing the key-encryption key itself does.
//
// A sealed value reads "enc:v<N>:" followed by the base64 of the nonce and
// the ciphertext. The associated data names the table, the row id and the
// column, so that a value copied into another row or column does not
// decrypt (NIST SP 800-38D, section 5.2.1.2).
package datakeys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Prefix starts every sealed value; the key version follows it.
const Prefix = "enc:v"

// IndexPrefix starts every blind index value, so that an index made from a
// key can be told from a plain one left by an older version of campus.
const IndexPrefix = "bi:"

// ErrUnknownVersion means a value was sealed with a key version this ring
// has not loaded (made by a newer process: reload the versions).
var ErrUnknownVersion = errors.New("sealed with an unknown data key version")

// Ring holds the data key versions and the index key of one process.
// It is safe for concurrent use.
type Ring struct {
	kek    []byte
	index  []byte
	locked error // a ring without keys (Locked): why

	mu      sync.RWMutex
	aeads   map[int]cipher.AEAD
	current int
}

// New returns a ring for a 32-byte key-encryption key, with no data key
// version yet (Add them as the store reads them).
func New(kek []byte) (*Ring, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("key-encryption key must be 32 bytes, got %d", len(kek))
	}
	index, err := hkdf.Key(sha256.New, kek, nil, "campus identity blind index key", 32)
	if err != nil {
		return nil, err
	}
	return &Ring{kek: append([]byte(nil), kek...), index: index, aeads: map[int]cipher.AEAD{}}, nil
}

// Random returns a ring for a random key-encryption key: for tests and
// throwaway databases, whose data nobody reads again after the process.
func Random() *Ring {
	kek := make([]byte, 32)
	rand.Read(kek)
	r, _ := New(kek)
	return r
}

// Check is a value only this key-encryption key gives, stored beside the
// versions so that a process started with another key refuses to run
// instead of writing what the others cannot read.
func (r *Ring) Check() string { return r.Index("check", "campus identity") }

// testKEK is the key-encryption key of Test: public, so for tests only.
var testKEK = []byte("campus tests only: never a real key")[:32]

// Test returns a new ring for a fixed, public key-encryption key, so that
// the stores of one test (replicas of one database) read each other's
// data. Never for real data.
func Test() *Ring {
	r, _ := New(testKEK)
	return r
}

// Locked returns a ring without keys, for a process that was not given
// the key-encryption key and needs no personal data (e.g. `campus clients
// add`): sealing and opening fail with why, look-ups find nothing.
func Locked(why error) *Ring {
	return &Ring{locked: why, aeads: map[int]cipher.AEAD{}}
}

// Locked is why this ring has no keys; nil when it has them.
func (r *Ring) Locked() error { return r.locked }

// NewSalt returns the random salt of a new version.
func NewSalt() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// Add derives version v's key from its salt. The highest version added is
// the one new values are sealed with.
func (r *Ring) Add(v int, salt []byte) error {
	if r.locked != nil {
		return r.locked
	}
	if v < 1 {
		return fmt.Errorf("data key version %d: versions start at 1", v)
	}
	key, err := hkdf.Key(sha256.New, r.kek, salt, "campus identity data key v"+strconv.Itoa(v), 32)
	if err != nil {
		return err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aeads[v] = aead
	r.current = max(r.current, v)
	return nil
}

// Has reports whether version v is loaded.
func (r *Ring) Has(v int) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.aeads[v] != nil
}

// Current is the version new values are sealed with (0: none loaded).
func (r *Ring) Current() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

func aad(table, id, column string) []byte {
	return []byte(table + "\x00" + id + "\x00" + column)
}

// Seal encrypts plain for a column of a row with the current version. The
// empty string stays empty: it says nothing about a person, and keeps
// "no display name" cheap.
func (r *Ring) Seal(plain, table, id, column string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if r.locked != nil {
		return "", r.locked
	}
	r.mu.RLock()
	v, aead := r.current, r.aeads[r.current]
	r.mu.RUnlock()
	if aead == nil {
		return "", errors.New("no data key loaded")
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, []byte(plain), aad(table, id, column))
	return Prefix + strconv.Itoa(v) + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Version is the key version a stored value was sealed with; 0 for a plain
// value (written before encryption was on) or the empty string.
func Version(stored string) int {
	rest, ok := strings.CutPrefix(stored, Prefix)
	if !ok {
		return 0
	}
	num, _, ok := strings.Cut(rest, ":")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(num)
	if err != nil || v < 1 {
		return 0
	}
	return v
}

// Open decrypts a stored value of a column of a row. A value without the
// prefix is returned as it is: it was written before the installation's
// data was encrypted, and the migration has not reached it yet.
func (r *Ring) Open(stored, table, id, column string) (string, error) {
	if !strings.HasPrefix(stored, Prefix) {
		return stored, nil
	}
	if r.locked != nil {
		return "", r.locked
	}
	v := Version(stored)
	if v == 0 {
		return "", fmt.Errorf("%s.%s of %s: malformed sealed value", table, column, id)
	}
	r.mu.RLock()
	aead := r.aeads[v]
	r.mu.RUnlock()
	if aead == nil {
		return "", fmt.Errorf("%s.%s of %s: version %d: %w", table, column, id, v, ErrUnknownVersion)
	}
	_, b64, _ := strings.Cut(stored[len(Prefix):], ":")
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("%s.%s of %s: malformed sealed value", table, column, id)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad(table, id, column))
	if err != nil {
		return "", fmt.Errorf("%s.%s of %s does not decrypt (another key-encryption key, or a value moved from another row): %w", table, column, id, err)
	}
	return string(plain), nil
}

// Index is the blind index of a normalised value of a kind ("username",
// "email", "dn"): equal values give equal indexes, and without the key
// nobody can compute or reverse one. "" stays "".
func (r *Ring) Index(kind, normalised string) string {
	if normalised == "" || r.locked != nil {
		return ""
	}
	return IndexPrefix + base64.RawStdEncoding.EncodeToString(r.mac(kind, normalised))
}

func (r *Ring) mac(kind, value string) []byte {
	if r.locked != nil {
		// Nothing is found: a random hash, never an index of anything.
		b := make([]byte, sha256.Size)
		rand.Read(b)
		return b
	}
	m := hmac.New(sha256.New, r.index)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// WordLen is the longest prefix of a word the search index holds: a longer
// search term is looked up by its first WordLen characters, and the
// matches are checked against the decrypted values.
const WordLen = 12

// wordHashLen bytes of the HMAC are kept per prefix: 96 bits make a
// collision between two of a few million prefixes practically impossible,
// and the index stays small.
const wordHashLen = 12

// Word is the keyed hash of one search prefix (already folded).
func (r *Ring) Word(prefix string) []byte {
	return r.mac("word", prefix)[:wordHashLen]
}

// Prefixes returns the keyed hashes of every prefix (1 to WordLen
// characters) of each word, without duplicates.
func (r *Ring) Prefixes(words []string) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, w := range words {
		runes := []rune(w)
		for n := 1; n <= len(runes) && n <= WordLen; n++ {
			p := string(runes[:n])
			if seen[p] {
				continue
			}
			seen[p] = true
			out = append(out, r.Word(p))
		}
	}
	return out
}

// Term is what a search term is looked up by: the hash of its first
// WordLen characters, and whether the matches must be checked further
// (the term is longer than that).
func (r *Ring) Term(folded string) (hash []byte, longer bool) {
	runes := []rune(folded)
	if len(runes) > WordLen {
		return r.Word(string(runes[:WordLen])), true
	}
	return r.Word(folded), false
}
