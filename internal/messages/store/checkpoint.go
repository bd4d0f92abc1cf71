package store

import (
	"context"
	"sync/atomic"
	"time"
)

// Checkpoints beside the writer (SQLite).
//
// In WAL mode SQLite copies the log back into the database file every
// 1000 pages (wal_autocheckpoint), in the commit that crosses the mark,
// with two fsyncs: that commit, and every send waiting behind it, waited
// for the disk. Measured with the sends of BenchmarkSend, the checkpoints
// were half of a send's time. Here the writer's connection checkpoints
// only as a backstop (walBackstop pages), and every checkpointEvery
// commits a PASSIVE checkpoint runs on a connection of the read pool, at
// most one at a time: it copies what no reader needs any more while the
// writer goes on appending (https://sqlite.org/wal.html#ckpt), and the
// log restarts from its beginning once it has been copied whole. Under a
// steady stream of sends the background never quite catches up with the
// end of the log; the backstop then finds most of it copied already, so
// its stall is short, and the log file stays below about 16 MB.

const (
	checkpointEvery = 32   // commits between background checkpoints
	walBackstop     = 4000 // pages (16 MB): the writer checkpoints itself past this
)

type checkpointer struct {
	commits atomic.Int64
	running atomic.Bool
}

// committed counts a commit on SQLite and starts a background checkpoint
// every checkpointEvery of them.
func (s *Store) committed() {
	if s.ckpt.commits.Add(1)%checkpointEvery != 0 || !s.ckpt.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.ckpt.running.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var busy, frames, copied int
		// A failure leaves the log to the next try and to the backstop.
		_ = s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	}()
}
