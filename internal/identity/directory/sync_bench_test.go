package directory_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/directory/ldaptest"
	"campus/internal/identity/store"
)

const mib = 1 << 20

// newSyncer returns the syncer `campus serve` runs for a directory,
// over a fresh SQLite identity store.
func newSyncer(tb testing.TB, c *directory.Client) *directory.Syncer {
	tb.Helper()
	st := store.New(dbtest.SQLite(tb, store.Migrations), time.Now, datakeys.Test())
	return directory.NewSyncer(c, st, store.DirectoryOptions{DisableMissing: true, Role: "student"}, 0,
		slog.New(slog.DiscardHandler), time.Now)
}

// wantReport fails unless rep says exactly that the n members were
// created (created) or found unchanged, and nothing else happened.
func wantReport(tb testing.TB, rep identity.DirectoryReport, err error, n int, created bool) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("Sync: %v", err)
	}
	want := identity.DirectoryReport{Members: n, Unchanged: n}
	if created {
		want = identity.DirectoryReport{Members: n, Created: n}
	}
	if rep.Members != want.Members || rep.Created != want.Created || rep.Unchanged != want.Unchanged ||
		rep.Updated != 0 || rep.Enabled != 0 || rep.Disabled != 0 || len(rep.Skipped) != 0 {
		tb.Fatalf("sync of %d members: %s (skipped: %.3q); want %s", n, rep, rep.Skipped, want)
	}
}

// heapWatch samples the heap at every progress call of a sync: once per
// page read from the directory, every 500 members applied. With gc, each
// sample follows a collection and so is the live heap (HeapAlloc), which
// is what a sync holds; without, it is the heap in use (HeapInuse),
// garbage included, which is what the process asks of the system.
type heapWatch struct {
	gc         bool
	base, peak uint64
	phase      map[string]uint64 // peak of each phase: read, apply
	samples    int
}

func (h *heapWatch) read() uint64 {
	var m runtime.MemStats
	if h.gc {
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// attach makes s report to h; start sets the baseline.
func (h *heapWatch) attach(s *directory.Syncer) {
	s.Progress = func(phase string, _, _ int) {
		h.samples++
		now := h.read()
		h.peak = max(h.peak, now)
		h.phase[phase] = max(h.phase[phase], now)
	}
}

func (h *heapWatch) start() {
	runtime.GC()
	h.base, h.peak, h.phase, h.samples = h.read(), 0, map[string]uint64{}, 0
}

// growth is how far the peak rose above the baseline.
func (h *heapWatch) growth() uint64 { return h.above(h.peak) }

func (h *heapWatch) above(v uint64) uint64 {
	if v < h.base {
		return 0
	}
	return v - h.base
}

// BenchmarkDirectorySync10000 syncs a group of 10,000 members from a real
// slapd (default page size, 20 pages of 500) into a SQLite identity store:
// "create" into a fresh store each time (10,000 accounts made, in one
// transaction), "unchanged" again and again into one store that has them.
// Besides time it reports members/s, the bytes allocated per sync, the
// peak heap in use sampled during the syncs and the heap in use after the
// last one and a collection.
//
//	go test -run '^$' -bench BenchmarkDirectorySync10000 -benchtime 1x -benchmem ./internal/identity/directory/
func BenchmarkDirectorySync10000(b *testing.B) {
	const n = 10000
	srv := ldaptest.Start(b)
	start := time.Now()
	srv.AddUsers(b, people("u", n), true)
	b.Logf("slapd: added %d members in %s", n, time.Since(start).Round(time.Millisecond))
	client := newClient(b, srv.Config())
	ctx := context.Background()

	// timed runs one sync, timed, and adds what it allocated to *alloc.
	timed := func(b *testing.B, s *directory.Syncer, alloc *uint64, created bool) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		rep, err := s.Sync(ctx)
		b.StopTimer()
		runtime.ReadMemStats(&after)
		*alloc += after.TotalAlloc - before.TotalAlloc
		wantReport(b, rep, err, n, created)
	}
	report := func(b *testing.B, h *heapWatch, alloc uint64) {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "members/s")
		b.ReportMetric(float64(alloc)/float64(b.N)/mib, "MiB-alloc/op")
		b.ReportMetric(float64(h.peak)/mib, "MiB-heap-peak")
		b.ReportMetric(float64(m.HeapInuse)/mib, "MiB-heap-after")
		b.Logf("heap in use before the first sync %.1f MiB, peak %.1f MiB (%d samples), after %.1f MiB",
			float64(h.base)/mib, float64(h.peak)/mib, h.samples, float64(m.HeapInuse)/mib)
	}

	b.Run("create", func(b *testing.B) {
		h := &heapWatch{}
		var alloc uint64
		first := true
		for b.Loop() {
			b.StopTimer() // a fresh, migrated store is not the sync's work
			s := newSyncer(b, client)
			h.attach(s)
			if first {
				h.start()
				first = false
			}
			timed(b, s, &alloc, true)
			b.StartTimer()
		}
		report(b, h, alloc)
	})

	b.Run("unchanged", func(b *testing.B) {
		s := newSyncer(b, client)
		rep, err := s.Sync(ctx)
		wantReport(b, rep, err, n, true)
		h := &heapWatch{}
		h.attach(s)
		h.start()
		var alloc uint64
		for b.Loop() {
			b.StopTimer()
			timed(b, s, &alloc, false)
			b.StartTimer()
		}
		report(b, h, alloc)
	})
}

// TestDirectorySyncMemoryFlat: a sync reads the whole group before it
// applies it in one transaction, so it holds every member (and, for a
// store that has them, every linked account) at once: its memory grows
// with the group, by design. What must hold is that it grows no faster
// than the group, stays small at 10,000 members and is given back after
// the sync. The live heap (sampled after a collection at every progress
// call) of syncs of 10,000 members, creating the accounts and then finding
// them unchanged, is compared with the same syncs of 2,000.
//
// It is not parallel: the heap is the process's, and tests running beside
// it would be counted.
func TestDirectorySyncMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 10,000 directory entries and syncs 24,000 members")
	}
	if raceDetector {
		t.Skip("the race detector's shadow memory would be measured too; run without -race")
	}
	const small, large = 2000, 10000
	srv := ldaptest.Start(t)
	client := newClient(t, srv.Config())
	users := people("m", large)

	type held struct{ created, unchanged, retained uint64 }
	// measure syncs the group, as it stands, into a fresh store (the
	// accounts are created) and again (they are unchanged).
	measure := func(n int) held {
		t.Helper()
		s := newSyncer(t, client)
		h := &heapWatch{gc: true}
		h.attach(s)
		var out held
		for _, created := range []bool{true, false} {
			h.start()
			start := time.Now()
			rep, err := s.Sync(t.Context())
			took := time.Since(start)
			wantReport(t, rep, err, n, created)
			retained := uint64(0)
			if after := h.read(); after > h.base {
				retained = after - h.base
			}
			t.Logf("%d members, created %t: synced in %s; live heap %.2f MiB before, peak +%.2f MiB (%.0f B per member; "+
				"reading +%.2f MiB, applying +%.2f MiB; %d samples), +%.2f MiB after",
				n, created, took.Round(time.Millisecond), float64(h.base)/mib, float64(h.growth())/mib, float64(h.growth())/float64(n),
				float64(h.above(h.phase["read"]))/mib, float64(h.above(h.phase["apply"]))/mib, h.samples, float64(retained)/mib)
			if created {
				out.created = h.growth()
			} else {
				out.unchanged = h.growth()
			}
			out.retained = max(out.retained, retained)
		}
		return out
	}

	srv.AddUsers(t, users[:small], true)
	s := measure(small)
	srv.AddUsers(t, users[small:], true)
	l := measure(large)

	for _, c := range []struct {
		name         string
		small, large uint64
	}{
		{"creating the accounts", s.created, l.created},
		{"finding them unchanged", s.unchanged, l.unchanged},
	} {
		// At most linear: with a fixed part f and k per member,
		// f+10,000k is below 5(f+2,000k). The MiB allows for a slice or
		// map that has just doubled at one size and not at the other.
		if c.large > 5*c.small+mib {
			t.Errorf("%s, a sync of %d members held %.1f MiB, of %d members %.1f MiB: it grows faster than the group",
				c.name, large, float64(c.large)/mib, small, float64(c.small)/mib)
		}
		if c.large > 16*mib {
			t.Errorf("%s, a sync of %d members held %.1f MiB, want < 16 MiB", c.name, large, float64(c.large)/mib)
		}
	}
	if l.retained > 2*mib {
		t.Errorf("after a sync of %d members the live heap is %.1f MiB larger than before: it keeps what it read",
			large, float64(l.retained)/mib)
	}
}
