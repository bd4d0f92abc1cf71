package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
)

func TestListen(t *testing.T) {
	d := dbtest.Postgres(t, nil)
	// A channel of this test's own (channels are database-wide).
	var channel string
	if err := d.QueryRowContext(t.Context(), "SELECT 'listen_' || current_schema()").Scan(&channel); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan string, 10)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- d.Listen(ctx, channel, func() { close(ready) }, func(p string) { got <- p })
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("LISTEN did not take effect")
	}
	// In commit order, and only what commits.
	for _, p := range []string{"one", "two"} {
		if _, err := d.ExecContext(t.Context(), "SELECT pg_notify($1, $2)", channel, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"one", "two"} {
		select {
		case p := <-got:
			if p != want {
				t.Fatalf("got %q, want %q", p, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no notification %q", want)
		}
	}
	// The server ends the connection: Listen says so.
	if _, err := d.ExecContext(t.Context(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, `LISTEN "`+channel+`"`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "listen on") {
			t.Fatalf("Listen returned %v, want the connection's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return after its connection ended")
	}
	// The pool lost nothing: it still answers.
	if err := d.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Ending the context ends Listen with nil.
	go func() { done <- d.Listen(ctx, channel, nil, func(string) {}) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Listen returned %v after its context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return after its context ended")
	}
}

func TestListenSQLite(t *testing.T) {
	d := dbtest.SQLite(t, nil)
	if err := d.Listen(t.Context(), "x", nil, func(string) {}); err == nil {
		t.Fatal("Listen on SQLite: want an error")
	}
}
