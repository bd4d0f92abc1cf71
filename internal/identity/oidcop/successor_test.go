package oidcop

import "testing"

// Only the holder of the spent refresh token opens its successor.
func TestSealedSuccessor(t *testing.T) {
	t.Parallel()
	spent, successor := NewToken(), NewToken()
	sealed, err := sealSuccessor(spent, successor)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := openSuccessor(spent, sealed); err != nil || got != successor {
		t.Fatalf("open with the spent token = %q, %v", got, err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 'A' ^ 'B' // a letter stays a letter: valid base64, other bytes
	for name, tc := range map[string]struct{ key, sealed string }{
		"another token":        {NewToken(), sealed},
		"the successor":        {successor, sealed},
		"tampered":             {spent, string(tampered)},
		"not base64":           {spent, "!!"},
		"shorter than a nonce": {spent, "AAAA"},
	} {
		if got, err := openSuccessor(tc.key, tc.sealed); err == nil {
			t.Errorf("%s: opened %q", name, got)
		}
	}
}
