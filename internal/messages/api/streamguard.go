package api

import (
	"context"
	"sync"
	"time"

	"campus/internal/tokencheck"
)

// streamGuard ends the event streams of tokens that identity revoked
// (account disabled, roles changed, signed out, token revoked): a stream
// lasts as long as its token, which may be many minutes, and authority
// must follow the account within seconds. Checking is a lookup in the
// revocation feed's copy in memory, once a second for every open stream,
// by one goroutine that runs only while streams are open.
type streamGuard struct {
	revoked func(*tokencheck.Claims) bool
	every   time.Duration

	mu      sync.Mutex
	streams map[*guarded]struct{}
}

type guarded struct {
	claims *tokencheck.Claims
	cancel context.CancelFunc
}

// watch cancels the stream (through cancel) once its token is revoked,
// until stop is called.
func (g *streamGuard) watch(c *tokencheck.Claims, cancel context.CancelFunc) (stop func()) {
	s := &guarded{claims: c, cancel: cancel}
	g.mu.Lock()
	if g.streams == nil {
		g.streams = map[*guarded]struct{}{}
	}
	g.streams[s] = struct{}{}
	if len(g.streams) == 1 {
		go g.run()
	}
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		delete(g.streams, s)
		g.mu.Unlock()
	}
}

// run checks every stream each tick and ends when no stream is left (a
// later watch starts it again).
func (g *streamGuard) run() {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for range t.C {
		g.mu.Lock()
		if len(g.streams) == 0 {
			g.mu.Unlock()
			return
		}
		var dead []*guarded
		for s := range g.streams {
			if g.revoked(s.claims) {
				dead = append(dead, s)
			}
		}
		for _, s := range dead {
			delete(g.streams, s)
		}
		g.mu.Unlock()
		for _, s := range dead {
			s.cancel()
		}
	}
}
