// Package background lets a process wait for the work its services run
// beside their requests (outboxes, housekeeping, revocation pollers, the
// messages hub) before it closes their databases: a worker still running
// then would open a database again after its Close, or find it closed
// half-way through a write.
//
// The group travels in the context the services are built with, so a
// service needs no setting of its own: Go runs the work in the context's
// group, or in a plain goroutine where there is none (tests that build a
// service alone).
package background

import (
	"context"
	"sync"
	"time"
)

// Group is the background work of one process.
type Group struct{ wg sync.WaitGroup }

type key struct{}

// With returns ctx carrying g: the work started with Go on it, or on a
// context made from it, belongs to g.
func With(ctx context.Context, g *Group) context.Context {
	return context.WithValue(ctx, key{}, g)
}

// Go runs f in a goroutine of ctx's group, or in a plain goroutine when
// ctx carries none. f must return once ctx is done.
func Go(ctx context.Context, f func()) {
	if g, ok := ctx.Value(key{}).(*Group); ok && g != nil {
		g.wg.Go(f)
		return
	}
	go f()
}

// Wait waits until every goroutine of the group has returned, at most
// timeout; it reports whether they all had.
func (g *Group) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
