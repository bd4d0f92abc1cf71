package datakeys

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func ring(t *testing.T, kek byte, versions ...int) *Ring {
	t.Helper()
	r, err := New(bytes.Repeat([]byte{kek}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if err := r.Add(v, []byte{byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	r := ring(t, 1, 1)
	sealed, err := r.Seal("anna.schmidt@uni.example", "accounts", "id-1", "email")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "enc:v1:") || strings.Contains(sealed, "anna") || Version(sealed) != 1 {
		t.Fatalf("sealed = %q", sealed)
	}
	again, _ := r.Seal("anna.schmidt@uni.example", "accounts", "id-1", "email")
	if again == sealed {
		t.Fatal("two seals of one value are equal: the nonce repeats")
	}
	if got, err := r.Open(sealed, "accounts", "id-1", "email"); err != nil || got != "anna.schmidt@uni.example" {
		t.Fatalf("open = %q, %v", got, err)
	}
	// The associated data binds the value to its row and column.
	for _, where := range [][3]string{{"accounts", "id-2", "email"}, {"accounts", "id-1", "username"}, {"mail_outbox", "id-1", "email"}} {
		if _, err := r.Open(sealed, where[0], where[1], where[2]); err == nil {
			t.Errorf("a value moved to %v decrypts", where)
		}
	}
	// Another key-encryption key does not decrypt it.
	if _, err := ring(t, 2, 1).Open(sealed, "accounts", "id-1", "email"); err == nil {
		t.Error("another key-encryption key decrypts")
	}
	// A tampered value does not decrypt.
	b := []byte(sealed)
	b[len(b)-3] ^= 1
	if _, err := r.Open(string(b), "accounts", "id-1", "email"); err == nil {
		t.Error("a tampered value decrypts")
	}
	// Plain values (before the migration) and "" pass through.
	if got, err := r.Open("anna", "accounts", "id-1", "username"); err != nil || got != "anna" {
		t.Errorf("plain value: %q, %v", got, err)
	}
	if s, _ := r.Seal("", "accounts", "id-1", "display_name"); s != "" {
		t.Errorf("empty value sealed to %q", s)
	}
	for _, bad := range []string{"enc:v", "enc:vx:abc", "enc:v1:!!!", "enc:v1:YQ"} {
		if _, err := r.Open(bad, "accounts", "id-1", "email"); err == nil {
			t.Errorf("malformed %q opened", bad)
		}
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	r := ring(t, 1, 1)
	old, _ := r.Seal("bert", "accounts", "id", "username")
	if err := r.Add(2, []byte("new salt")); err != nil {
		t.Fatal(err)
	}
	if r.Current() != 2 {
		t.Fatalf("current = %d", r.Current())
	}
	cur, _ := r.Seal("bert", "accounts", "id", "username")
	if Version(cur) != 2 || Version(old) != 1 {
		t.Fatalf("versions %d %d", Version(cur), Version(old))
	}
	for _, v := range []string{old, cur} {
		if got, err := r.Open(v, "accounts", "id", "username"); err != nil || got != "bert" {
			t.Fatalf("open %q = %q, %v", v, got, err)
		}
	}
	// A process that has not loaded version 2 says so.
	if _, err := ring(t, 1, 1).Open(cur, "accounts", "id", "username"); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("unknown version: %v", err)
	}
	// Versions with other salts are other keys.
	other := ring(t, 1)
	other.Add(1, []byte("another salt"))
	if _, err := other.Open(old, "accounts", "id", "username"); err == nil {
		t.Fatal("a version with another salt decrypts")
	}
	if err := r.Add(0, nil); err == nil {
		t.Fatal("version 0 accepted")
	}
}

func TestBlindIndexAndPrefixes(t *testing.T) {
	t.Parallel()
	r, r2 := ring(t, 1, 1), ring(t, 2, 1)
	a := r.Index("login", "anna")
	if a != r.Index("login", "anna") || a == r.Index("login", "anne") || a == r.Index("dn", "anna") || a == r2.Index("login", "anna") {
		t.Fatal("the index is not a keyed function of kind and value")
	}
	if !strings.HasPrefix(a, IndexPrefix) || strings.Contains(a, "anna") || r.Index("login", "") != "" {
		t.Fatalf("index %q", a)
	}
	hashes := r.Prefixes([]string{"anna", "ann", "annabelle-marie-louise"})
	// a, an, ann, anna; annab ... up to 12 characters of the long word.
	if want := 4 + (WordLen - 4); len(hashes) != want {
		t.Fatalf("%d prefix hashes, want %d", len(hashes), want)
	}
	h, longer := r.Term("ann")
	if longer || !bytes.Equal(h, r.Word("ann")) {
		t.Fatal("a short term is not looked up by itself")
	}
	h, longer = r.Term("annabelle-marie")
	if !longer || !bytes.Equal(h, r.Word("annabelle-ma")) {
		t.Fatal("a long term is not looked up by its first WordLen characters")
	}
	// Runes, not bytes: "müller" is six characters.
	if len(r.Prefixes([]string{"müller"})) != 6 {
		t.Fatal("prefixes are cut inside a character")
	}
	if r.Check() == r2.Check() || r.Check() != ring(t, 1).Check() {
		t.Fatal("the check value is not a function of the key-encryption key")
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	t.Parallel()
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key-encryption key accepted")
	}
}
