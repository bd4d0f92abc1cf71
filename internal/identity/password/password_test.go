package password

import (
	"strings"
	"testing"
)

// Cheap parameters keep the tests fast; the code path is the same.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	h, err := Hash("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	h2, _ := Hash("correct horse battery", fast)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	tests := []struct {
		name       string
		pw         string
		params     Params
		ok, rehash bool
	}{
		{"right password", "correct horse battery", fast, true, false},
		{"wrong password", "correct horse batterz", fast, false, false},
		{"empty password", "", fast, false, false},
		{"parameters changed", "correct horse battery", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := Verify(tt.pw, h, tt.params)
			if err != nil || ok != tt.ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v", ok, rehash, err, tt.ok, tt.rehash)
			}
		})
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, phc := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$"} {
		if _, _, err := Verify("x", phc, fast); err != ErrMalformed {
			t.Errorf("Verify(%q) err = %v, want ErrMalformed", phc, err)
		}
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		p := Generate()
		if len(p) != 29 || strings.Count(p, "-") != 5 {
			t.Fatalf("Generate() = %q, want 6 groups of 4", p)
		}
		if seen[p] {
			t.Fatal("Generate repeated itself")
		}
		seen[p] = true
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery", Default); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecoy: a decoy has the parameters asked for, no password verifies
// against it, it asks for no rehash, and no two are alike.
func TestDecoy(t *testing.T) {
	t.Parallel()
	p := Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	d := Decoy(p)
	if !strings.HasPrefix(d, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("Decoy = %q", d)
	}
	for _, pw := range []string{"", "correct horse battery", d} {
		ok, rehash, err := Verify(pw, d, p)
		if ok || rehash || err != nil {
			t.Fatalf("Verify(%q, decoy) = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
	if Decoy(p) == d {
		t.Fatal("two decoys alike")
	}
}

// BenchmarkVerifyDefault is a sign-in's password check with the default
// parameters: against a real hash, and against a decoy (an unknown
// name). The two must cost the same, or the time tells which names exist.
//
//	go test -run '^$' -bench VerifyDefault -count 5 ./internal/identity/password
func BenchmarkVerifyDefault(b *testing.B) {
	real, err := Hash("correct horse battery", Default)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, phc string }{{"real", real}, {"decoy", Decoy(Default)}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Verify("wrong horse battery", c.phc, Default)
			}
		})
	}
}
