package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	t.Parallel()
	s := NewSchedule(time.Second, 10*time.Second, time.Minute, time.Hour)
	created := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	var delays []string
	for a := range 5 {
		delays = append(delays, s.Retry(created, created, a).Sub(created).String())
	}
	if fmt.Sprint(delays) != "[10s 20s 40s 1m0s 1m0s]" {
		t.Fatalf("delays = %v", delays)
	}
	if !s.Retry(created.Add(time.Hour), created, 3).IsZero() {
		t.Fatal("not given up after GiveUp")
	}
}

func TestLoopWakes(t *testing.T) {
	t.Parallel()
	s := NewSchedule(time.Hour, time.Second, time.Minute, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan struct{})
	done := make(chan struct{})
	go func() {
		s.Loop(ctx, slog.New(slog.DiscardHandler), "test", func(context.Context) error { drained <- struct{}{}; return nil })
		close(done)
	}()
	<-drained // at start
	s.Notify()
	<-drained // woken, long before the hourly poll
	cancel()
	<-done
}
