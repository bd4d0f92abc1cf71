package db

import (
	"context"
	"time"
)

// Checkpoints of SQLite beside the writer.
//
// In WAL mode SQLite copies the log back into the database file every
// 1000 pages by default (wal_autocheckpoint), inside the commit that
// crosses the mark, with an fsync of the database file. While the disk is
// busy (a backup copying a gigabyte beside it) that fsync held a commit
// for half a second (docs/performance.md, "Backups"). So the writer's
// connection checkpoints only as a backstop (walBackstop pages), and a
// PASSIVE checkpoint runs every checkpointEvery on a connection of the
// read pool: it copies what no reader needs any more while the writer
// goes on appending (https://sqlite.org/wal.html#ckpt).

const (
	walBackstop     = 10000 // pages (40 MB): the writer checkpoints itself past this
	checkpointEvery = time.Second
)

// checkpoints runs PASSIVE checkpoints until stop is closed.
func (db *DB) checkpoints(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			db.Checkpoint(context.Background()) //nolint:errcheck // the next round, or the backstop, tries again
		}
	}
}

// Checkpoint copies what the write-ahead log holds, and no reader needs
// any more, into the database file, without waiting for readers or the
// writer (PRAGMA wal_checkpoint(PASSIVE), on a read connection). It
// reports the log's frames and how many of them are in the file now. On
// PostgreSQL it does nothing.
func (db *DB) Checkpoint(ctx context.Context) (frames, copied int, err error) {
	if db.dialect != SQLite {
		return 0, 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var busy int
	err = db.r.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, copied, err
}
