package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
)

// sseEvent is one event of a text/event-stream.
type sseEvent struct {
	id, kind, data string
}

// sseStream reads a person's event stream (WHATWG HTML 9.2.6: fields up
// to a blank line; comments start with a colon).
type sseStream struct {
	events chan sseEvent
	cancel context.CancelFunc
}

func openStream(t testing.TB, c *http.Client, u, token, lastEventID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	// The stream lives longer than the client's timeout allows.
	sc := *c
	sc.Timeout = 0
	resp, err := sc.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("event stream %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("event stream %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{events: make(chan sseEvent, 256), cancel: cancel}
	t.Cleanup(s.close)
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.kind != "" || ev.data != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
			default:
				k, v, _ := strings.Cut(line, ":")
				v = strings.TrimPrefix(v, " ")
				switch k {
				case "id":
					ev.id = v
				case "event":
					ev.kind = v
				case "data":
					ev.data += v
				}
			}
		}
	}()
	return s
}

func (s *sseStream) close() { s.cancel() }

// next waits for the next event of kind (skipping others) and returns it.
func (s *sseStream) next(t testing.TB, kind string, within time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("the stream ended before a %s event", kind)
			}
			if ev.kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", kind, within)
		}
	}
}

// none checks that no event of kind arrives within d.
func (s *sseStream) none(t testing.TB, kind string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.kind == kind {
				t.Fatalf("unexpected %s event: %s", kind, ev.data)
			}
		case <-deadline:
			return
		}
	}
}

// TestMessagesFanOutAcrossReplicas runs two replicas of the messages
// service on one PostgreSQL database: what one replica receives reaches
// the open streams on the other (LISTEN/NOTIFY), a stream resumes on the
// other replica from its Last-Event-ID without gaps, and a person outside
// the conversation hears nothing of it.
func TestMessagesFanOutAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresURL(t)
	base := t.TempDir()
	idDir := filepath.Join(base, "identity")
	id := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000"},
		"identity", "--addr", "127.0.0.1:0", "--data", idDir)
	idCert := filepath.Join(idDir, "tls", "cert.pem")
	p := &idp{running: id, dir: idDir, issuer: id.url, http: tlsClient(t, idCert)}
	p.addUser(t, "mara", "Mara-Replica-Pass-1", "student")
	p.addUser(t, "olaf", "Olaf-Replica-Pass-1", "student")
	msgClient := p.addClient(t, "--messages")
	app := p.addClient(t, "--id", "chat-test", "--first-party", "--redirect-uri", "https://chat.uni.example/cb",
		"--scope", "openid,messages:read,messages:write")
	r := newRP(t, p, app, "openid", "messages:read", "messages:write")
	tokenOf := func(user, pw string) string {
		tok, _ := r.signIn(t, p, p.browser(t), user, pw)
		return tok.AccessToken
	}
	admin, mara, olaf := tokenOf("admin", adminPassword), tokenOf("mara", "Mara-Replica-Pass-1"), tokenOf("olaf", "Olaf-Replica-Pass-1")

	var reps []*running
	for i := 0; i < 2; i++ {
		reps = append(reps, startCampus(t, msgClient.Settings, "messages", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, fmt.Sprint("m", i)),
			"--db", dsn, "--issuer", id.url, "--ca-file", idCert))
	}
	c := tlsClient(t, filepath.Join(base, "m0", "tls", "cert.pem"))
	c1 := tlsClient(t, filepath.Join(base, "m1", "tls", "cert.pem"))
	call := func(cl *http.Client, rep *running, method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		status, _, raw := jsonCall(t, cl, method, rep.url+path, token, body)
		var m map[string]any
		_ = json.Unmarshal([]byte(raw), &m)
		return status, m
	}

	maraSub := subOfToken(t, mara)
	maraOn0 := openStream(t, c, reps[0].url+"/v1/events", mara, "")
	olafOn0 := openStream(t, c, reps[0].url+"/v1/events", olaf, "")

	// The administrator writes to Mara through replica 1.
	status, conv := call(c1, reps[1], "POST", "/v1/conversations", admin, map[string]any{"kind": "direct", "members": []string{maraSub}})
	if status != http.StatusCreated {
		t.Fatalf("create a direct conversation: %d %v", status, conv)
	}
	cid, _ := conv["id"].(string)
	sent := time.Now()
	if status, m := call(c1, reps[1], "POST", "/v1/conversations/"+cid+"/messages", admin, map[string]any{"text": "Hello **Mara**"}); status != http.StatusCreated {
		t.Fatalf("send: %d %v", status, m)
	}
	first := maraOn0.next(t, "message.created", 10*time.Second)
	t.Logf("a message sent on replica 1 reached a stream on replica 0 after %s", time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(first.data, cid) || first.id == "" {
		t.Fatalf("event: %+v", first)
	}
	olafOn0.none(t, "message.created", 500*time.Millisecond)

	// Mara goes away; two more messages come through replica 0; she comes
	// back on replica 1 with the last id she saw and gets both, in order.
	maraOn0.close()
	for _, text := range []string{"second", "third"} {
		if status, m := call(c, reps[0], "POST", "/v1/conversations/"+cid+"/messages", admin, map[string]any{"text": text}); status != http.StatusCreated {
			t.Fatalf("send %s: %d %v", text, status, m)
		}
	}
	back := openStream(t, c1, reps[1].url+"/v1/events", mara, first.id)
	for _, want := range []string{"second", "third"} {
		if ev := back.next(t, "message.created", 10*time.Second); !strings.Contains(ev.data, want) {
			t.Fatalf("resumed stream: want %q, got %s", want, ev.data)
		}
	}
	// And live again, from the replica she is not on.
	if status, m := call(c, reps[0], "POST", "/v1/conversations/"+cid+"/messages", admin, map[string]any{"text": "fourth"}); status != http.StatusCreated {
		t.Fatalf("send: %d %v", status, m)
	}
	if ev := back.next(t, "message.created", 10*time.Second); !strings.Contains(ev.data, "fourth") {
		t.Fatalf("live after resumption: %s", ev.data)
	}
	// Olaf is no member: he can neither read the conversation nor hear of it.
	if status, _ := call(c, reps[0], "GET", "/v1/conversations/"+cid+"/messages", olaf, nil); status != http.StatusNotFound {
		t.Fatalf("a non-member read the history: %d", status)
	}
	olafOn0.none(t, "message.created", 300*time.Millisecond)
}

// subOfToken reads the sub claim of a JWT access token.
func subOfToken(t testing.TB, token string) string {
	t.Helper()
	_, c := claims(t, token)
	s, _ := c["sub"].(string)
	if s == "" {
		t.Fatalf("no sub in the token")
	}
	return s
}
