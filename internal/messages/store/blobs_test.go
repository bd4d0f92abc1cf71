package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

// memBlobs is an object store in memory.
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ store.Blobs = (*memBlobs)(nil)

func (b *memBlobs) Put(_ context.Context, key string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[key] = bytes.Clone(data)
	return nil
}

func (b *memBlobs) Open(_ context.Context, key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.m[key]
	if !ok {
		return nil, errors.New("no such blob")
	}
	return io.NopCloser(bytes.NewReader(d)), nil
}

func (b *memBlobs) Delete(_ context.Context, keys ...string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		delete(b.m, k)
	}
	return nil
}

func (b *memBlobs) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// TestExternalBlobs: with Blobs set, content goes there (not in the
// database), is removed again when the message is refused, and when the
// message is deleted.
func TestExternalBlobs(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t, store.Migrations)
	s := store.New(d, newClock().now)
	blobs := &memBlobs{m: map[string][]byte{}}
	s.Blobs = blobs
	ctx := context.Background()
	g := group(t, s, "ann", "g", "bob")
	file := []messages.NewAttachment{{Name: "a.txt", ContentType: "text/plain", Data: []byte("hello")}}
	m, err := s.Send(ctx, "ann", g.ID, store.NewMessage{Attachments: file})
	check(t, err)
	if blobs.len() != 1 {
		t.Fatalf("%d blobs", blobs.len())
	}
	var inDB int
	check(t, d.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachment_data`).Scan(&inDB))
	if inDB != 0 {
		t.Fatalf("%d rows of content in the database", inDB)
	}
	_, r, err := s.Attachment(ctx, "bob", m.Attachments[0].ID)
	check(t, err)
	got, _ := io.ReadAll(r)
	if string(got) != "hello" {
		t.Fatalf("content %q", got)
	}
	if _, err := s.Send(ctx, "eve", g.ID, store.NewMessage{Attachments: file}); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("non-member sends: %v", err)
	}
	if blobs.len() != 1 {
		t.Fatalf("a refused message left %d blobs", blobs.len())
	}
	_, err = s.Delete(ctx, "ann", m.ID)
	check(t, err)
	if blobs.len() != 0 {
		t.Fatalf("a deleted message left %d blobs", blobs.len())
	}
}
