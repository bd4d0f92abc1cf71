package api

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestPresenceReachesContacts: a person's first request makes them
// present, and their contacts' open streams hear of it at once.
func TestPresenceReachesContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/events", nil)
	r.Header.Set("Authorization", "Bearer "+tokenOf(bob))
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		close(lines)
	}()
	// Wait for the stream to be open (its retry line), then let alice act.
	for l := range lines {
		if strings.HasPrefix(l, "retry:") {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // the stream subscribes after its first line
	e.do(tokenOf(alice), req{method: "GET", path: "/v1/unread"})
	var kind string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if v, ok := strings.CutPrefix(l, "event: "); ok {
				kind = v
			}
			if d, ok := strings.CutPrefix(l, "data: "); ok && kind == "presence" && strings.Contains(d, alice) {
				if !strings.Contains(d, `"active":true`) {
					t.Errorf("presence %s", d)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("no presence event for alice")
		}
	}
}
