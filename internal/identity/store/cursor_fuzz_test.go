package store

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzAccountsCursor: a cursor from a client for the account list is
// ErrBadCursor or a position for the order asked for, with an id and, for
// a time order outside the null phase, a time; a position the store
// encoded comes back as itself for its own order and is refused for
// another.
func FuzzAccountsCursor(f *testing.F) {
	f.Add(cursor{Sort: SortCreatedAt, Value: "ana", ID: "0190f3a4-8b1c-7d2e-9f00-000000000001"}.encode(), SortCreatedAt, false, "ana", "x", false)
	f.Add(cursor{Sort: SortLastLoginAt, Desc: true, ID: "x", Null: true}.encode(), SortLastLoginAt, true, "", "x", true)
	f.Add(cursor{Sort: SortCreatedAt, Value: "2026-02-14T10:00:00.123456Z", ID: "x"}.encode(), SortCreatedAt, false, "2026-02-14T10:00:00Z", "y", false)
	f.Add("", SortLastLoginAt, false, "", "", false)
	f.Add("bnVsbA", SortLastLoginAt, true, "not a time", "z", false)
	f.Add("e30", "nonsense", false, "v", "i", true)
	f.Fuzz(func(t *testing.T, s, sort string, desc bool, value, id string, null bool) {
		c, err := decodeCursor(s, sort, desc)
		switch {
		case err != nil:
			if !errors.Is(err, ErrBadCursor) || c != nil {
				t.Fatalf("%q: %+v, %v", s, c, err)
			}
		case s == "":
			if c != nil {
				t.Fatalf("the first page has a position %+v", c)
			}
		default:
			if c == nil || c.Sort != sort || c.Desc != desc || c.ID == "" {
				t.Fatalf("%q for %s desc=%v: %+v", s, sort, desc, c)
			}
			if again, err := decodeCursor(c.encode(), sort, desc); err != nil || *again != *c {
				t.Fatalf("%+v re-encoded: %+v, %v", c, again, err)
			}
		}

		if !utf8.ValidString(sort) || !utf8.ValidString(value) || !utf8.ValidString(id) {
			return
		}
		want := cursor{Sort: sort, Desc: desc, Value: value, ID: id, Null: null}
		got, err := decodeCursor(want.encode(), sort, desc)
		if err == nil && *got != want {
			t.Fatalf("%+v came back as %+v", want, got)
		}
		if err == nil && id == "" {
			t.Fatalf("%+v without an id accepted", want)
		}
		if _, err := decodeCursor(want.encode(), sort, !desc); err == nil {
			t.Fatalf("%+v accepted for the other direction", want)
		}
		if _, err := decodeCursor(want.encode(), sort+"x", desc); err == nil {
			t.Fatalf("%+v accepted for another order", want)
		}
		if id != "" && (!sortKeys[sort].time || null) && err != nil {
			t.Fatalf("%+v refused: %v", want, err)
		}
	})
}
