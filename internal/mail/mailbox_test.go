package mail

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newMailbox(t *testing.T) (*Mailbox, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mailbox")
	mb, err := NewMailbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	return mb, dir
}

func TestMailboxRoundTrip(t *testing.T) {
	t.Parallel()
	mb, dir := newMailbox(t)
	// The clock stands still and then steps back: ids must still increase.
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	times := []time.Time{clock, clock, clock.Add(-time.Hour)}
	var i int
	mb.now = func() time.Time { i++; return times[i-1] }

	msgs := []Message{
		{To: "a@uni.example", Subject: "first", Text: "one\n", HTML: "<p>one</p>"},
		{To: "b@uni.example", Subject: "second", Text: "two\n"},
		{To: "c@uni.example", Subject: "third", Text: "three https://campus.example/x?y=1&z=2\n", HTML: "<p>three</p>"},
	}
	for _, m := range msgs {
		if err := mb.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}

	all, err := mb.List(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("List(0) returned %d messages, want 3", len(all))
	}
	for j, s := range all {
		want := msgs[len(msgs)-1-j] // newest first
		if s.Message != want {
			t.Errorf("List()[%d] = %+v, want %+v", j, s.Message, want)
		}
		if !s.At.Equal(times[len(times)-1-j]) {
			t.Errorf("List()[%d].At = %s, want %s", j, s.At, times[len(times)-1-j])
		}
		got, err := mb.Get(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != s.ID || got.Message != want || !got.At.Equal(s.At) {
			t.Errorf("Get(%s) = %+v, want %+v", s.ID, got, s)
		}
	}
	two, err := mb.List(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(two) != 2 || two[0].ID != all[0].ID || two[1].ID != all[1].ID {
		t.Errorf("List(2) = %+v, want the two newest", two)
	}

	// Nothing but the messages is left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("stray file %s", e.Name())
		}
	}
}

func TestMailboxEmpty(t *testing.T) {
	t.Parallel()
	mb, dir := newMailbox(t)
	// Files that are not messages are ignored, such as a temporary file of
	// a Send in progress or a developer's notes.
	for _, name := range []string{".tmp-123", "notes.txt", "0000000000000001-zzzzzzzz.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := mb.List(10)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("List = %#v, want an empty, non-nil slice", got)
	}
}

func TestMailboxPermissions(t *testing.T) {
	t.Parallel()
	mb, dir := newMailbox(t)
	if err := mb.Send(t.Context(), Message{To: "a@uni.example", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode %04o, want 0700", perm)
	}
	list, err := mb.List(0)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	fi, err = os.Stat(filepath.Join(dir, list[0].ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %04o, want 0600", perm)
	}

	// An existing directory others can read is refused, not silently used.
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMailbox(open); err == nil || !strings.Contains(err.Error(), "0755") {
		t.Errorf("NewMailbox(0755 dir) = %v, want a refusal", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMailbox(file); err == nil {
		t.Error("NewMailbox(a file) succeeded")
	}
	if _, err := NewMailbox(""); err == nil {
		t.Error(`NewMailbox("") succeeded`)
	}
}

func TestMailboxBadIDs(t *testing.T) {
	t.Parallel()
	mb, dir := newMailbox(t)
	// A file outside the mailbox that a traversing id would reach.
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.json"), []byte(`{"to":"x@y.z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"", "../secret", "..%2fsecret", "/etc/passwd", "0000000000000001-0000000a/../../secret",
		"0000000000000001-0000000A", "0000000000000001-0000000a.json", " 0000000000000001-0000000a",
		"0000000000000001_0000000a", "000000000000001-0000000a",
	} {
		_, err := mb.Get(id)
		if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("Get(%q) = %v, want an invalid id error", id, err)
		}
	}
	if _, err := mb.Get("0000000000000001-0000000a"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestMailboxRefuses(t *testing.T) {
	t.Parallel()
	mb, _ := newMailbox(t)
	if err := mb.Send(t.Context(), Message{To: "nobody", Text: "t"}); !errors.Is(err, ErrPermanent) {
		t.Errorf("Send(bad address) = %v, want ErrPermanent", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := mb.Send(ctx, Message{To: "a@uni.example", Text: "t"}); err == nil {
		t.Error("Send with a canceled context succeeded")
	}
	if list, _ := mb.List(0); len(list) != 0 {
		t.Errorf("mailbox holds %d messages", len(list))
	}
}

func TestMailboxConcurrent(t *testing.T) {
	t.Parallel()
	mb, _ := newMailbox(t)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := mb.Send(t.Context(), Message{To: "a@uni.example", Subject: strings.Repeat("x", i), Text: "t"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	list, err := mb.List(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("%d messages stored, want %d", len(list), n)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].ID <= list[i].ID {
			t.Errorf("ids not strictly newest first: %s before %s", list[i-1].ID, list[i].ID)
		}
	}
}
