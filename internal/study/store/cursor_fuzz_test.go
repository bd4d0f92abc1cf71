package store

import (
	"testing"
	"unicode/utf8"

	"campus/internal/db"
)

// FuzzStudyCursor: a list's cursor from a client is a position that
// re-encodes to itself, or refused (false: the list starts again), never
// a panic; a position the store encoded comes back as itself.
func FuzzStudyCursor(f *testing.F) {
	f.Add(db.EncodeCursor(cursor{Key: "INF-101", ID: "0190f3a4-8b1c-7d2e-9f00-000000000001"}), "INF-101", "x")
	f.Add("", "", "")
	f.Add("e30", "Computer Science", "")
	f.Add("bnVsbA", "", "id")
	f.Fuzz(func(t *testing.T, s, key, id string) {
		if c, ok := decodeCursor(s); ok {
			if again, ok := decodeCursor(db.EncodeCursor(c)); !ok || again != c {
				t.Fatalf("%q: %+v re-encoded is %+v, %v", s, c, again, ok)
			}
		} else if c != (cursor{}) {
			t.Fatalf("%q refused, yet %+v", s, c)
		}
		want := cursor{Key: key, ID: id}
		if got, ok := decodeCursor(db.EncodeCursor(want)); !ok || (got != want && utf8.ValidString(key) && utf8.ValidString(id)) {
			t.Fatalf("%+v came back as %+v, %v", want, got, ok)
		}
	})
}
