package api

import (
	"net/http"
	"strings"
	"testing"

	"campus/internal/messages"
)

// The largest valid text fits its body even when JSON escapes every
// character (six bytes each, beyond rest.MaxBody); the other fields of
// such a body are checked as in any other, and a text one byte too long
// or a body past the limit is refused.
func TestLargeEscapedText(t *testing.T) {
	e := newEnv(t)
	conv := "/v1/conversations/" + e.group.ID
	escaped := strings.Repeat(`\u0001`, messages.MaxTextBytes)
	body := `{"text":"` + escaped + `"}`
	if len(body) <= 64<<10 {
		t.Fatalf("the body has %d bytes: not past rest.MaxBody", len(body))
	}
	resp, out := e.do(tokenOf(bob), req{method: "POST", path: conv + "/messages", body: body})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("send: %d %.300s", resp.StatusCode, out)
	}
	m := decode[messageJSON](t, out)
	if m.Text != strings.Repeat("\x01", messages.MaxTextBytes) {
		t.Fatalf("text of %d bytes stored", len(m.Text))
	}
	resp, out = e.do(tokenOf(bob), req{method: "PATCH", path: "/v1/messages/" + m.ID, body: `{"text":"` + escaped[6:] + `\u0002"}`})
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(decode[messageJSON](t, out).Text, "\x02") {
		t.Fatalf("edit: %d %.300s", resp.StatusCode, out)
	}

	for _, c := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"a byte too many", `{"text":"` + escaped + `\u0001"}`, e422, "text"},
		{"an unknown field", `{"text":"` + escaped + `","files":[]}`, e422, "files"},
		{"a wrong type", `{"text":"` + escaped + `","mentions":"bob"}`, e422, "mentions"},
		{"malformed", `{"text":"` + escaped + `",}`, http.StatusBadRequest, ""},
		{"past the limit", `{"text":"` + escaped + strings.Repeat(" ", 64<<10) + `"}`, http.StatusRequestEntityTooLarge, ""},
	} {
		resp, out := e.do(tokenOf(bob), req{method: "POST", path: conv + "/messages", body: c.body})
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %.300s", c.name, resp.StatusCode, out)
			continue
		}
		if c.field != "" {
			if p := decode[problemJSON](t, out); len(p.Errors) != 1 || p.Errors[0].Field != c.field {
				t.Errorf("%s: %s", c.name, out)
			}
		}
	}
}
