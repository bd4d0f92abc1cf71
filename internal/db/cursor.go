package db

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// ErrBadCursor means a cursor is not one EncodeCursor made.
var ErrBadCursor = errors.New("malformed cursor")

// EncodeCursor turns a keyset position (a struct of the sort value and id
// of the last row shown) into an opaque, URL-safe string for the next
// page's request.
func EncodeCursor(pos any) string {
	b, err := json.Marshal(pos)
	if err != nil {
		panic("db: cursor cannot be encoded: " + err.Error()) // a programming error: positions are plain structs
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into pos (a pointer).
// An empty or malformed cursor, or one that is not a JSON object, is
// ErrBadCursor; callers treat "" as the first page before calling it. It checks the form only: whether the
// position belongs to the list asked for is the caller's to check.
func DecodeCursor(s string, pos any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	// Only an object is a position: json.Unmarshal takes null as well,
	// leaving pos as it was, a zero position nobody encoded.
	if err != nil || !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) || json.Unmarshal(b, pos) != nil {
		return ErrBadCursor
	}
	return nil
}
