package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/messages/store"
)

// ids are the ids of list, in order.
func searchIDs(t *testing.T, s *store.Store, sub, q string, p store.Page) ([]string, string) {
	t.Helper()
	list, next, err := s.Search(context.Background(), sub, q, p)
	check(t, err)
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i] = m.ID
	}
	return ids, next
}

func TestSearchBeforeAndAfterIndexing(t *testing.T) {
	t.Parallel()
	for _, common := range []int{0, 1} {
		t.Run(fmt.Sprint("common=", common), func(t *testing.T) {
			each(t, func(t *testing.T, s *store.Store, _ *clock) {
				s.SetCommonTerm(common)
				ctx := context.Background()
				mine := group(t, s, "ann", "mine", "bob")
				theirs := group(t, s, "eve", "theirs")
				a := send(t, s, "ann", mine.ID, "Klausur Datenbanken am Montag")
				send(t, s, "eve", theirs.ID, "Datenbanken geheim")
				// Right after the send, before the indexer: found from the queue.
				if n := must[int](t)(s.Queued(ctx)); n != 2 {
					t.Fatalf("queued = %d, want 2", n)
				}
				if n := must[int](t)(s.WordRows(ctx, a.ID)); n != 0 {
					t.Fatalf("words before indexing = %d", n)
				}
				if ids, _ := searchIDs(t, s, "ann", "datenbank mont", store.Page{}); len(ids) != 1 || ids[0] != a.ID {
					t.Fatalf("queued search = %v", ids)
				}
				if n := must[int](t)(s.IndexPending(ctx, 100)); n != 2 {
					t.Fatalf("indexed %d, want 2", n)
				}
				if n := must[int](t)(s.Queued(ctx)); n != 0 {
					t.Fatalf("queued after indexing = %d", n)
				}
				if n := must[int](t)(s.WordRows(ctx, a.ID)); n != 4 {
					t.Fatalf("words after indexing = %d, want 4", n)
				}
				if n := must[int](t)(s.IndexPending(ctx, 100)); n != 0 {
					t.Fatalf("indexed again %d", n)
				}
				if ids, _ := searchIDs(t, s, "ann", "datenbank mont", store.Page{}); len(ids) != 1 || ids[0] != a.ID {
					t.Fatalf("indexed search = %v", ids)
				}
				// One indexed, one queued: ordered and paged together.
				b := send(t, s, "bob", mine.ID, "Datenbanken Übung")
				ids, next := searchIDs(t, s, "ann", "datenbanken", store.Page{Limit: 1})
				if len(ids) != 1 || ids[0] != b.ID || next == "" {
					t.Fatalf("page 1 = %v %q", ids, next)
				}
				ids, next = searchIDs(t, s, "ann", "datenbanken", store.Page{Limit: 1, Cursor: next})
				if len(ids) != 1 || ids[0] != a.ID || next != "" {
					t.Fatalf("page 2 = %v %q", ids, next)
				}
				// Notices are queued too.
				_, err := s.Notify(ctx, store.NewNotice{To: []string{"ann"}, Kind: "grade", Text: "Grade published", TextDE: "Note veröffentlicht", Key: "k1"})
				check(t, err)
				if ids, _ := searchIDs(t, s, "ann", "veröffentlicht", store.Page{}); len(ids) != 1 {
					t.Fatalf("queued notice = %v", ids)
				}
				check(t, drain(s))
				if ids, _ := searchIDs(t, s, "ann", "veroffentlicht", store.Page{}); len(ids) != 1 {
					t.Fatalf("indexed notice = %v", ids)
				}
			})
		})
	}
}

func drain(s *store.Store) error {
	for {
		n, err := s.IndexPending(context.Background(), 100)
		if err != nil || n == 0 {
			return err
		}
	}
}

func TestEditAndDeleteWhileQueued(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		c := group(t, s, "ann", "g", "bob")
		a := send(t, s, "ann", c.ID, "Statistik morgen")
		b := send(t, s, "ann", c.ID, "Statistik heute")
		_, err := s.Edit(ctx, "ann", a.ID, "Analysis morgen")
		check(t, err)
		// The edit indexed at once and dropped the queue row.
		if n := must[int](t)(s.WordRows(ctx, a.ID)); n != 2 {
			t.Fatalf("words after edit = %d, want 2", n)
		}
		_, err = s.Delete(ctx, "ann", b.ID)
		check(t, err)
		if n := must[int](t)(s.Queued(ctx)); n != 0 {
			t.Fatalf("queued after edit and delete = %d", n)
		}
		if ids, _ := searchIDs(t, s, "bob", "statistik", store.Page{}); len(ids) != 0 {
			t.Fatalf("old words found: %v", ids)
		}
		if ids, _ := searchIDs(t, s, "bob", "analysis", store.Page{}); len(ids) != 1 || ids[0] != a.ID {
			t.Fatalf("edited = %v", ids)
		}
		check(t, drain(s))
		if n := must[int](t)(s.WordRows(ctx, "")); n != 2 {
			t.Fatalf("words = %d, want 2", n)
		}
		// Edited after indexing: the new words replace the old.
		_, err = s.Edit(ctx, "ann", a.ID, "Algebra")
		check(t, err)
		if n := must[int](t)(s.WordRows(ctx, "")); n != 1 {
			t.Fatalf("words after second edit = %d, want 1", n)
		}
	})
}

func TestSearchIndexesALongQueueFirst(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		s.SetSearchQueued(3)
		ctx := context.Background()
		c := group(t, s, "ann", "g")
		for i := range 5 {
			send(t, s, "ann", c.ID, fmt.Sprint("Nachricht ", i))
		}
		if ids, _ := searchIDs(t, s, "ann", "nachricht", store.Page{}); len(ids) != 5 {
			t.Fatalf("found %d, want 5", len(ids))
		}
		if n := must[int](t)(s.Queued(ctx)); n != 0 {
			t.Fatalf("queued = %d: the search did not index first", n)
		}
	})
}

// Indexers of several replicas at once index each message exactly once.
func TestConcurrentIndexers(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t, store.Migrations)
	c := newClock()
	s := store.New(d, c.now)
	ctx := context.Background()
	conv := group(t, s, "ann", "g")
	const n = 300
	for i := range n {
		send(t, s, "ann", conv.ID, fmt.Sprintf("eins zwei drei %d", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	errs := make(chan error, 4)
	for range 4 {
		// Each its own store: as replicas.
		r := store.New(d, c.now)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := r.IndexPending(ctx, 17)
				if err != nil {
					errs <- err
					return
				}
				if k == 0 {
					return
				}
				mu.Lock()
				total += k
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if total != n {
		t.Fatalf("indexed %d, want %d", total, n)
	}
	if w := must[int](t)(s.WordRows(ctx, "")); w != 4*n {
		t.Fatalf("word rows = %d, want %d", w, 4*n)
	}
	if ids, _ := searchIDs(t, s, "ann", "zwei", store.Page{Limit: 100}); len(ids) != 100 {
		t.Fatalf("found %d", len(ids))
	}
}

func TestIndexInBatches(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		c := group(t, s, "ann", "g")
		var sent []string
		for i := range 5 {
			sent = append(sent, send(t, s, "ann", c.ID, fmt.Sprint("Wort ", i)).ID)
		}
		for _, want := range []int{2, 2, 1, 0} {
			if n := must[int](t)(s.IndexPending(ctx, 2)); n != want {
				t.Fatalf("indexed %d, want %d", n, want)
			}
		}
		for _, id := range sent {
			if n := must[int](t)(s.WordRows(ctx, id)); n != 2 {
				t.Fatalf("message %s has %d words, want 2", id, n)
			}
		}
	})
}

// An installation of migration 0004 (words in message_words) upgraded to
// SQLite's FTS5 index: its messages are queued again and found, before
// and after the indexer, and new messages number on after the old ones.
func TestSearchAfterUpgradeToFTS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old := fstest.MapFS{}
	check(t, fs.WalkDir(store.Migrations, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || p >= "0005" {
			return err
		}
		b, err := fs.ReadFile(store.Migrations, p)
		old[p] = &fstest.MapFile{Data: b}
		return err
	}))
	d := dbtest.SQLite(t, old)
	const old1 = "00000000-0000-7000-8000-000000000001"
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO conversations (id, kind, name, created_at, updated_at, last_message_at) VALUES ('c1', 'group', 'alt', $1, $1, $1)`,
		`INSERT INTO members (conversation_id, subject, role, joined_at) VALUES ('c1', 'ann', 'admin', $1)`,
		`INSERT INTO messages (id, conversation_id, sender, text, created_at) VALUES ('00000000-0000-7000-8000-000000000001', 'c1', 'ann', 'Klausur am Montag', $1)`,
		`INSERT INTO messages (id, conversation_id, sender, text, created_at, deleted) VALUES ('00000000-0000-7000-8000-000000000002', 'c1', 'ann', '', $1, TRUE)`,
		`INSERT INTO message_words (word, conversation_id, message_id) VALUES (X'6b6c6175737572', 'c1', '00000000-0000-7000-8000-000000000001')`,
	} {
		_, err := d.ExecContext(ctx, q, at)
		check(t, err)
	}
	_, err := d.Migrate(ctx, store.Migrations)
	check(t, err)
	s := store.New(d, func() time.Time { return at })
	if n := must[int](t)(s.Queued(ctx)); n != 1 {
		t.Fatalf("queued after the upgrade = %d, want 1 (the deleted message is not)", n)
	}
	if ids, _ := searchIDs(t, s, "ann", "klaus", store.Page{}); !slices.Equal(ids, []string{old1}) {
		t.Fatalf("search before indexing = %v, want [old]", ids)
	}
	if _, err := s.IndexPending(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if ids, _ := searchIDs(t, s, "ann", "mont", store.Page{}); !slices.Equal(ids, []string{old1}) {
		t.Fatalf("search after indexing = %v, want [old]", ids)
	}
	m := send(t, s, "ann", "c1", "Montag passt")
	var seqOld, seqNew int64
	check(t, d.QueryRowContext(ctx, `SELECT MAX(seq) FROM messages WHERE id IN ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002')`).Scan(&seqOld))
	check(t, d.QueryRowContext(ctx, `SELECT seq FROM messages WHERE id = $1`, m.ID).Scan(&seqNew))
	if seqNew <= seqOld {
		t.Fatalf("seq of the new message = %d, not above the old ones' %d", seqNew, seqOld)
	}
	if _, err := s.IndexPending(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if ids, _ := searchIDs(t, s, "ann", "montag", store.Page{}); len(ids) != 2 || ids[0] != m.ID {
		t.Fatalf("search = %v, want [%s old]", ids, m.ID)
	}
}
