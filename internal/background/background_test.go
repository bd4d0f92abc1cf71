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
