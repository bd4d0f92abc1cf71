package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"

	"campus/internal/db"
	"campus/internal/messages"
)

// Group commit of sends on SQLite.
//
// SQLite has one writer, and a send's commit (writing its pages to the
// WAL) was 40% of its cost. Sends that arrive while another is being
// written wait in a queue; the first of them to be woken (the leader)
// then writes the whole queue in one transaction, each send in a
// savepoint of its own: a send that fails is rolled back to its
// savepoint and gets its own error, the others go on. The events of the
// batch are inserted at its end in the order of the sends, so they
// commit in id order as before, and the fan-out hears of them after the
// one commit. A commit that fails fails every send of the batch (none is
// stored). PostgreSQL writes concurrently and is not batched.

// maxGroup bounds the sends of one transaction: a longer queue waits for
// the next.
const maxGroup = 64

type group struct {
	memory  bool // the writer's settings made (see runGroup); the leader's alone
	mu      sync.Mutex
	queue   []*groupOp
	leading bool // a leader is writing batches
}

type groupOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, t *txn) error
	err  error
	wake chan bool // true: done (err is set); false: lead
}

// writeGrouped is write for sends: fn runs in a transaction shared with
// other sends (see above), so it must not end it and must leave it
// usable when it returns an error (any statement error does). fn's
// statements take the context it is given.
func (s *Store) writeGrouped(ctx context.Context, fn func(ctx context.Context, t *txn) error) error {
	if s.db.Dialect() != db.SQLite {
		return s.write(ctx, func(t *txn) error { return fn(ctx, t) })
	}
	op := &groupOp{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, op)
	if g.leading {
		g.mu.Unlock()
		// The wait is bounded by the batches ahead: no cancellation here,
		// a send taken into a batch is written or refused with it.
		if done := <-op.wake; done {
			return op.err
		}
	} else {
		g.leading = true
		g.mu.Unlock()
	}
	// Lead: write batches until this send is done, then hand the lead to
	// the oldest waiting send, so that no request serves others forever.
	for {
		// Let the requests that are running on the other threads reach
		// the queue first: one yield, not a wait. Under load the batches
		// grew from about 5 sends to 12 and a send's share of the commit
		// fell with them (a fifth more sends per second, sending to one
		// group at 32 at once); alone, a send loses a microsecond.
		runtime.Gosched()
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		ops := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		s.runGroup(ctx, ops)
		mine := false
		for _, o := range ops {
			if o == op {
				mine = true
			} else {
				o.wake <- true
			}
		}
		if mine {
			break
		}
	}
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- false
	} else {
		g.leading = false
		g.queue = nil
	}
	g.mu.Unlock()
	return op.err
}

// runGroup writes ops in one transaction and sets each one's error.
func (s *Store) runGroup(ctx context.Context, ops []*groupOp) {
	// The leader's request may end meanwhile; the others' sends must not
	// end with it. Each send's statements do not take its own context
	// either: an interrupted statement makes SQLite roll back the whole
	// transaction (sqlite3_interrupt), the others' sends too.
	ctx = context.WithoutCancel(ctx)
	if !s.group.memory {
		// A savepoint copies each page it changes first, to a temporary
		// file by default: those writes were a third of a batch's cost.
		// In memory they are a few pages per batch. And the writer leaves
		// checkpoints to the background (see checkpoint.go). The writer's
		// one connection keeps the settings, which a transaction cannot
		// change; should the pool open a new connection, both are as they
		// were by default again: slower, not wrong.
		_, err := s.db.ExecContext(ctx, `PRAGMA temp_store = MEMORY`)
		if err == nil {
			_, err = s.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, walBackstop))
		}
		s.group.memory = err == nil
	}
	var refs []messages.EventRef
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) {
		defer func() {
			// A panic in one send fails the batch, not the process's
			// writer: the waiting sends are told, and the next leader goes on.
			if r := recover(); r != nil {
				err = fmt.Errorf("messages store: send failed: %v", r)
			}
		}()
		t := &txn{Tx: tx, lite: s.db.Dialect() == db.SQLite, db: s.db}
		for _, op := range ops {
			if err := op.ctx.Err(); err != nil {
				op.err = err // gave up before its turn
				continue
			}
			mark, sent := len(t.events), len(t.sent)
			if _, err := t.exec(ctx, `SAVEPOINT send`); err != nil {
				return err
			}
			if op.err = op.fn(context.WithoutCancel(op.ctx), t); op.err != nil {
				t.events, t.sent = t.events[:mark], t.sent[:sent]
				if _, err := t.exec(ctx, `ROLLBACK TO send`); err != nil {
					return err
				}
			}
			if _, err := t.exec(ctx, `RELEASE send`); err != nil {
				return err
			}
		}
		refs, err = s.flush(ctx, t)
		return err
	})
	if err != nil {
		for _, op := range ops {
			if op.err == nil {
				op.err = err
			}
		}
		return
	}
	s.committed()
	if len(refs) > 0 && s.Published != nil {
		s.Published(refs)
	}
}
