package store

import (
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"campus/internal/identity"
)

// list stores a string slice as a JSON array: portable across both engines
// and only ever read whole.
func list(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// texts is a client's per-language texts as stored: a JSON object.
func texts(t identity.Texts) string {
	if len(t) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}

func parseTexts(s string) identity.Texts {
	var t identity.Texts
	if json.Unmarshal([]byte(s), &t) != nil || len(t) == 0 {
		return nil
	}
	return t
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func timePtr(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
