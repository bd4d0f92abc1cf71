package backup

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
)

// BenchmarkBackupWritePause backs up a database of BACKUP_BENCH_MB
// megabytes (default 1024) while one writer inserts a row per
// transaction, BACKUP_BENCH_RATE a second (default 1000; 0: as fast as it
// can), and reports the longest time one write took during the backup,
// with the p99 and the backup's duration.
//
//	go test -run '^$' -bench BackupWritePause -benchtime 1x -timeout 30m ./internal/backup
//	BACKUP_BENCH_RATE=0 go test -run '^$' -bench BackupWritePause -benchtime 1x -timeout 30m ./internal/backup
func BenchmarkBackupWritePause(b *testing.B) {
	mb := 1024
	if s := os.Getenv("BACKUP_BENCH_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	rate := 1000
	if s := os.Getenv("BACKUP_BENCH_RATE"); s != "" {
		rate, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	dir := b.TempDir()
	path := filepath.Join(dir, "messages.db")
	d, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if _, err := d.ExecContext(ctx, `CREATE TABLE rows (id INTEGER PRIMARY KEY, data BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	// Rows of 1 KB, as messages with some text, until the file has the size.
	row := make([]byte, 1000)
	for size := int64(0); size < int64(mb)<<20; {
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			for range 5000 {
				rand.Read(row)
				if _, err := tx.ExecContext(ctx, `INSERT INTO rows (data) VALUES ($1)`, row); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			size += fi.Size()
		}
	}
	if _, err := d.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.Logf("database: %d MB", fi.Size()>>20)
	for b.Loop() {
		var (
			wg    sync.WaitGroup
			stop  = make(chan struct{})
			mu    sync.Mutex
			took  []time.Duration
			small = make([]byte, 200)
		)
		wg.Go(func() {
			var tick <-chan time.Time
			if rate > 0 {
				t := time.NewTicker(time.Second / time.Duration(rate))
				defer t.Stop()
				tick = t.C
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if tick != nil {
					select {
					case <-stop:
						return
					case <-tick:
					}
				}
				t0 := time.Now()
				if _, err := d.ExecContext(ctx, `INSERT INTO rows (data) VALUES ($1)`, small); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				took = append(took, time.Since(t0))
				mu.Unlock()
			}
		})
		t0 := time.Now()
		info, err := Create(ctx, Plan{Databases: []Database{{Service: "messages", Path: path}}}, filepath.Join(dir, "backups"), time.Now(), "bench")
		elapsed := time.Since(t0)
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-write-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-write-ms")
		b.ReportMetric(float64(len(took))/elapsed.Seconds(), "writes/s")
		b.ReportMetric(elapsed.Seconds(), "backup-s")
		b.Logf("backup %s: %s in %s, %d writes meanwhile", info.Name, fmt.Sprint(info.Size()>>20)+" MB", elapsed.Round(time.Millisecond), len(took))
		os.RemoveAll(info.Dir)
	}
}
