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
//
// Work that nothing needs before the first request (outboxes,
// housekeeping, indexers, pollers of other services) starts with
// AfterStart: it waits until the process serves, so it does not compete
// with the start for the processor and the databases' write locks.
package background

import (
	"context"
	"sync"
	"time"
)

// Group is the background work of one process.
type Group struct {
	wg        sync.WaitGroup
	startOnce sync.Once
	started   chan struct{} // closed by Started
	closeOnce sync.Once
}

func (g *Group) startedC() chan struct{} {
	g.startOnce.Do(func() { g.started = make(chan struct{}) })
	return g.started
}

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

// AfterStart is Go for work that waits until Started is called on ctx's
// group (or ctx ends: f then runs at once and must return). Without a
// group it runs at once.
func AfterStart(ctx context.Context, f func()) {
	g, ok := ctx.Value(key{}).(*Group)
	if !ok || g == nil {
		go f()
		return
	}
	started := g.startedC()
	g.wg.Go(func() {
		select {
		case <-started:
		case <-ctx.Done():
		}
		f()
	})
}

// Started lets the work of ctx's group that waits for the start run: the
// process calls it once it serves. Calling it again does nothing.
func Started(ctx context.Context) {
	if g, ok := ctx.Value(key{}).(*Group); ok && g != nil {
		c := g.startedC()
		g.closeOnce.Do(func() { close(c) })
	}
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
