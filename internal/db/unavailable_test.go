package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"campus/internal/db"
	"campus/internal/db/dbtest"
)

func TestUnavailableCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no rows", sql.ErrNoRows, false},
		{"canceled", context.Canceled, false},
		{"request deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"admin shutdown", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"bad conn", fmt.Errorf("query: %w", errors.Join(errors.New("x"), driverErrBadConn)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := db.Unavailable(tc.err); got != tc.want {
				t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestUnavailableRealErrors classifies the errors pgx really returns when
// the server is down, going down, or was killed, and checks that the same
// pool works again once the server is back: no stale connections.
func TestUnavailableRealErrors(t *testing.T) {
	t.Parallel()
	c := dbtest.StartCluster(t)
	dsn := c.URL("postgres")
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}

	// Answers of a working server are not outages.
	_, err = d.ExecContext(ctx, "INSERT INTO t VALUES (1), (1)")
	if err == nil || db.Unavailable(err) {
		t.Errorf("duplicate key: Unavailable(%v) = true or no error", err)
	}
	var n int
	nctx, up := db.WithOutageNote(ctx)
	err = d.QueryRowContext(nctx, "SELECT nope FROM t").Scan(&n)
	if err == nil || db.Unavailable(err) {
		t.Errorf("bad column: Unavailable(%v) = true or no error", err)
	}
	if up.Seen() {
		t.Error("a bad column was noted as an outage")
	}

	// A transaction open while the server shuts down, and the pool's idle
	// connections after it.
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		if !db.Unavailable(err) {
			t.Errorf("%s: Unavailable(%v) = false (%T)", what, err, errors.Unwrap(err))
		} else {
			t.Logf("%s: %v", what, err)
		}
	}
	for _, down := range []struct {
		name string
		do   func(testing.TB)
	}{{"fast shutdown", c.Stop}, {"kill -9", c.Kill}} {
		// Warm the pool, then hold one connection in a transaction.
		for range 3 {
			if err := d.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		}
		txErr := make(chan error, 1)
		inTx := make(chan struct{})
		goOn := make(chan struct{})
		go func() {
			txErr <- d.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (2)"); err != nil {
					return err
				}
				close(inTx)
				<-goOn
				_, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (3)")
				return err
			})
		}()
		<-inTx
		down.do(t)
		close(goOn)
		committed := 0
		if err := <-txErr; err == nil && down.name == "kill -9" {
			// The backend outlived its postmaster for a moment and
			// committed: allowed, as long as the rows are there later.
			committed = 2
		} else {
			check(down.name+": transaction in flight", err)
		}
		if down.name == "kill -9" {
			// Until they notice, orphaned backends still serve the pool's
			// connections; wait until they have gone.
			deadline := time.Now().Add(10 * time.Second)
			for d.Ping(ctx) == nil {
				if time.Now().After(deadline) {
					t.Fatal("kill -9: the old backends still answer after 10 s")
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		check(down.name+": query", d.QueryRowContext(qctx, "SELECT count(*) FROM t").Scan(&n))
		_, err = d.ExecContext(qctx, "INSERT INTO t VALUES (4)")
		check(down.name+": exec", err)
		check(down.name+": transaction", d.Tx(qctx, func(tx *sql.Tx) error { return nil }))
		check(down.name+": ping", d.Ping(qctx))
		cancel()
		// A request's note records the outage, whichever call met it;
		// for a single-row query before Scan.
		for what, call := range map[string]func(context.Context){
			"query row": func(ctx context.Context) { d.QueryRowContext(ctx, "SELECT 1") },
			"prepared":  func(ctx context.Context) { d.QueryRowPrepared(ctx, "SELECT 1") },
			"exec":      func(ctx context.Context) { d.ExecContext(ctx, "SELECT 1") },
			"query": func(ctx context.Context) {
				if rows, err := d.QueryContext(ctx, "SELECT 1"); err == nil {
					rows.Close()
				}
			},
			"transaction": func(ctx context.Context) { d.Tx(ctx, func(*sql.Tx) error { return nil }) },
		} {
			nctx, note := db.WithOutageNote(ctx)
			call(nctx)
			if !note.Seen() {
				t.Errorf("%s: %s: the outage was not noted", down.name, what)
			}
		}
		_, err = db.Open(ctx, dsn)
		check(down.name+": open", err)

		began := time.Now()
		c.Start(t)
		// The pool that saw the outage works again, on fresh connections.
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := d.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE id IN (2, 3, 4)").Scan(&n)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the pool did not recover within 5 s of the restart: %v", down.name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n != committed {
			t.Errorf("%s: %d rows of the writes are there, want %d (those acknowledged)", down.name, n, committed)
		}
		if _, err := d.ExecContext(ctx, "DELETE FROM t WHERE id <> 1"); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: pool answered %s after the start began", down.name, time.Since(began).Round(time.Millisecond))
	}
}

var driverErrBadConn = driver.ErrBadConn
