package db_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"unicode/utf8"

	"campus/internal/db"
)

// position is a keyset position as the stores keep one.
type position struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// FuzzDecodeCursor: any string a client sends as a cursor is either
// ErrBadCursor or a position that was a JSON object, and which encodes
// back to a cursor that decodes to the same position. Nothing else
// (null, a number) passes as a zero position.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{
		db.EncodeCursor(position{Key: "Computer Science", ID: "0190f3a4-8b1c-7d2e-9f00-000000000001"}),
		db.EncodeCursor(position{}),
		"", "e30", "W10", "MQ", "!!!", "eyJrIjoiYSIsImkiOiJiIn0=", "eyJrIjoxfQ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p position
		err := db.DecodeCursor(s, &p)
		if err != nil {
			if !errors.Is(err, db.ErrBadCursor) {
				t.Fatalf("%q: %v, not ErrBadCursor", s, err)
			}
			return
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		if raw = bytes.TrimLeft(raw, " \t\r\n"); len(raw) == 0 || raw[0] != '{' {
			t.Fatalf("%q (%q) is no object, yet decodes to %+v", s, raw, p)
		}
		var again position
		if err := db.DecodeCursor(db.EncodeCursor(p), &again); err != nil || again != p {
			t.Fatalf("%+v re-encoded decodes to %+v, %v", p, again, err)
		}
	})
}

// FuzzCursorRoundTrip: a position encodes to a URL-safe cursor that
// decodes to the same position.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("Computer Science", "0190f3a4-8b1c-7d2e-9f00-000000000001")
	f.Add("", "")
	f.Add("2026-02-14T10:00:00.123456Z", "x")
	f.Add("<\"&'\\\u2028>", "ünï")
	f.Fuzz(func(t *testing.T, key, id string) {
		if !utf8.ValidString(key) || !utf8.ValidString(id) {
			t.Skip("sort values and ids come from the database as UTF-8")
		}
		p := position{Key: key, ID: id}
		c := db.EncodeCursor(p)
		for _, r := range c {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("cursor %q has %q, which is not URL-safe", c, r)
			}
		}
		var got position
		if err := db.DecodeCursor(c, &got); err != nil || got != p {
			t.Fatalf("%+v → %q → %+v, %v", p, c, got, err)
		}
	})
}
