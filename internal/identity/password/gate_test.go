package password

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestGate: at most the slots run at once, at most the queue waits, the
// rest are refused at once, and a waiter whose request ends leaves.
func TestGate(t *testing.T) {
	t.Parallel()
	g := NewGate(2, 1, time.Minute)
	release := make(chan struct{})
	var running sync.WaitGroup
	running.Add(2)
	var done sync.WaitGroup
	for range 2 {
		done.Add(1)
		go func() {
			defer done.Done()
			if err := g.Do(context.Background(), func() { running.Done(); <-release }); err != nil {
				t.Error(err)
			}
		}()
	}
	running.Wait() // both slots are taken

	// One may wait; it runs once a slot frees.
	waited := make(chan error, 1)
	go func() { waited <- g.Do(context.Background(), func() {}) }()
	for g.waiting.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	// The next is refused at once: the queue is full.
	began := time.Now()
	if err := g.Do(context.Background(), func() { t.Error("ran past a full queue") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("past a full queue: %v, want ErrBusy", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("refusing took %s", d)
	}
	close(release)
	if err := <-waited; err != nil {
		t.Fatalf("the waiter: %v", err)
	}
	done.Wait()
	if g.waiting.Load() != 0 || len(g.slots) != 0 {
		t.Fatalf("after all: %d waiting, %d slots held", g.waiting.Load(), len(g.slots))
	}
}

// TestGateWaitEnds: a waiter leaves when its request ends, or when the
// gate's wait ran out.
func TestGateWaitEnds(t *testing.T) {
	t.Parallel()
	g := NewGate(1, 5, 50*time.Millisecond)
	hold := make(chan struct{})
	defer close(hold)
	go g.Do(context.Background(), func() { <-hold })
	for len(g.slots) != 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Do(ctx, func() { t.Error("ran for an ended request") }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended request: %v", err)
	}
	if err := g.Do(context.Background(), func() { t.Error("ran while the slot was held") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("after the wait: %v, want ErrBusy", err)
	}
	if g.waiting.Load() != 0 {
		t.Fatalf("%d still waiting", g.waiting.Load())
	}
}
