package background

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitForTheGroup(t *testing.T) {
	t.Parallel()
	g := &Group{}
	ctx, cancel := context.WithCancel(With(context.Background(), g))
	var ended atomic.Int32
	for range 3 {
		Go(ctx, func() { <-ctx.Done(); ended.Add(1) })
	}
	cancel()
	if !g.Wait(10 * time.Second) {
		t.Fatal("the group did not end")
	}
	if n := ended.Load(); n != 3 {
		t.Fatalf("Wait returned with %d of 3 ended", n)
	}
}

func TestWaitGivesUp(t *testing.T) {
	t.Parallel()
	g := &Group{}
	release := make(chan struct{})
	Go(With(context.Background(), g), func() { <-release })
	if g.Wait(time.Millisecond) {
		t.Fatal("Wait reported a running goroutine as ended")
	}
	close(release)
	if !g.Wait(10 * time.Second) {
		t.Fatal("the group did not end once released")
	}
}

func TestWithoutGroup(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	Go(context.Background(), func() { close(done) })
	<-done
}

func TestAfterStartWaitsForTheStart(t *testing.T) {
	t.Parallel()
	g := &Group{}
	ctx := With(context.Background(), g)
	ran := make(chan struct{})
	AfterStart(ctx, func() { close(ran) })
	select {
	case <-ran:
		t.Fatal("the work ran before the process started")
	default:
	}
	Started(ctx)
	Started(ctx) // twice is harmless
	<-ran
	if !g.Wait(10 * time.Second) {
		t.Fatal("the group did not end")
	}
}

func TestAfterStartRunsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	g := &Group{}
	ctx, cancel := context.WithCancel(With(context.Background(), g))
	ran := make(chan struct{})
	AfterStart(ctx, func() { close(ran) })
	cancel() // a start that failed: the work runs, sees ctx done and returns
	<-ran
	if !g.Wait(10 * time.Second) {
		t.Fatal("the group did not end")
	}
}

func TestAfterStartWithoutAGroup(t *testing.T) {
	t.Parallel()
	ran := make(chan struct{})
	AfterStart(context.Background(), func() { close(ran) })
	<-ran
	Started(context.Background()) // no group: nothing to do
}
