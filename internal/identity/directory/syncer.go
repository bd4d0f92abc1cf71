package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/store"
)

// ErrSyncRunning refuses a sync while another runs (here or on another
// replica, or `campus directory sync`).
var ErrSyncRunning = errors.New("a directory sync is running already")

// Store is what the sync needs of identity's store.
type Store interface {
	ApplyDirectory(ctx context.Context, entries []identity.DirectoryEntry, o store.DirectoryOptions) (identity.DirectoryReport, error)
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	RecordEvent(ctx context.Context, e identity.AuditEvent) error
}

// Leases: running is held while a sync runs anywhere; slot is taken by
// the replica that runs a scheduled sync and kept for most of the
// interval, so that of several replicas one syncs per interval.
const (
	leaseRunning = "directory_sync_running"
	leaseSlot    = "directory_sync_slot"
)

// Syncer reads the group from the directory and applies it to the
// accounts: every member is read first, then applied in one transaction,
// so that a directory that fails midway changes nothing.
type Syncer struct {
	client   *Client
	store    Store
	opts     store.DirectoryOptions
	cfg      Config
	interval time.Duration
	holder   string
	logger   *slog.Logger
	now      func() time.Time

	// Progress, when set, hears how far a sync is: phase "read" counts
	// entries read (total unknown, 0), phase "apply" counts entries applied.
	Progress func(phase string, done, total int)
	// Disabled, when set, hears of the accounts a sync disabled (to end
	// their sessions).
	Disabled func(ctx context.Context, accountIDs []string)

	mu     sync.Mutex
	status identity.DirectoryStatus
}

// NewSyncer returns a syncer; interval 0 means on demand only.
func NewSyncer(c *Client, st Store, opts store.DirectoryOptions, interval time.Duration, logger *slog.Logger, now func() time.Time) *Syncer {
	host, _ := os.Hostname()
	cfg := c.cfg
	return &Syncer{client: c, store: st, opts: opts, cfg: cfg, interval: interval, logger: logger, now: now,
		holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8]),
		status: identity.DirectoryStatus{URL: cfg.URL, GroupDN: cfg.GroupDN, Interval: interval.String()}}
}

// Authenticate binds as the directory entry of username.
func (s *Syncer) Authenticate(ctx context.Context, username, password string) (string, error) {
	e, err := s.client.Authenticate(ctx, username, password)
	return e.DN, err
}

// Status tells how the last sync that ran in this process went.
func (s *Syncer) Status(context.Context) identity.DirectoryStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Sync runs a sync now.
func (s *Syncer) Sync(ctx context.Context) (identity.DirectoryReport, error) {
	ok, err := s.store.AcquireLease(ctx, leaseRunning, s.holder, time.Hour)
	if err != nil {
		return identity.DirectoryReport{}, err
	}
	if !ok {
		return identity.DirectoryReport{}, ErrSyncRunning
	}
	// Released with a context of its own: a cancelled sync must not keep
	// others out for an hour.
	defer s.store.ReleaseLease(context.WithoutCancel(ctx), leaseRunning, s.holder) //nolint:errcheck // expires anyway
	start := s.now()
	s.setStatus(func(st *identity.DirectoryStatus) { st.Running, st.LastStart = true, &start })
	rep, err := s.sync(ctx)
	if err == nil && s.Disabled != nil && len(rep.DisabledIDs) > 0 {
		s.Disabled(ctx, rep.DisabledIDs)
	}
	end := s.now()
	s.setStatus(func(st *identity.DirectoryStatus) {
		st.Running, st.LastEnd, st.LastError = false, &end, ""
		if err != nil {
			st.LastError = err.Error()
		} else {
			st.LastReport = &rep
		}
	})
	e := identity.AuditEvent{Action: "directory_sync", Outcome: identity.OutcomeSuccess, Actor: "directory", Detail: rep.String()}
	if err != nil {
		e.Outcome, e.Detail = identity.OutcomeFailure, "nothing changed: "+err.Error()
		s.logger.Error("directory sync failed; nothing changed", "err", err, "took", end.Sub(start).Round(time.Millisecond))
	} else {
		s.logger.Info("directory sync", "report", rep.String(), "took", end.Sub(start).Round(time.Millisecond))
	}
	if rerr := s.store.RecordEvent(context.WithoutCancel(ctx), e); rerr != nil {
		s.logger.Error("record directory sync", "err", rerr)
	}
	return rep, err
}

func (s *Syncer) setStatus(f func(*identity.DirectoryStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status)
}

func (s *Syncer) sync(ctx context.Context) (identity.DirectoryReport, error) {
	var entries []identity.DirectoryEntry
	skipped, err := s.client.Members(ctx, func(e Entry) error {
		entries = append(entries, identity.DirectoryEntry{DN: e.DN, Username: e.Username, Email: e.Email,
			GivenName: e.GivenName, FamilyName: e.FamilyName})
		return nil
	}, func(n int) {
		if s.Progress != nil {
			s.Progress("read", n, 0)
		}
	})
	if err != nil {
		return identity.DirectoryReport{}, fmt.Errorf("read the group: %w", err)
	}
	opts := s.opts
	if s.Progress != nil {
		opts.Progress = func(done, total int) { s.Progress("apply", done, total) }
	}
	rep, err := s.store.ApplyDirectory(ctx, entries, opts)
	if err != nil {
		return rep, fmt.Errorf("apply the group: %w", err)
	}
	if skipped > 0 {
		rep.Skipped = append(rep.Skipped, fmt.Sprintf("%d entries without a username", skipped))
	}
	return rep, nil
}

// Run syncs every interval until ctx ends; of several replicas, the one
// that takes the interval's slot syncs. It does nothing when the interval
// is 0.
func (s *Syncer) Run(ctx context.Context) {
	if s.interval <= 0 {
		return
	}
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		// The slot lease lasts all but half a minute of the interval and
		// each attempt names a new holder, so it is taken only once it
		// expired: of several replicas, one syncs per interval.
		ok, err := s.store.AcquireLease(ctx, leaseSlot, s.holder+"/"+rand.Text()[:8], s.interval-30*time.Second)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.Error("directory sync schedule", "err", err)
		case ok:
			if _, err := s.Sync(ctx); errors.Is(err, ErrSyncRunning) {
				s.logger.Info("scheduled directory sync skipped: another sync runs")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
