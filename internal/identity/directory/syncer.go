package directory

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/store"
)

// ErrSyncRunning refuses a sync while another runs (here or on another
// replica, or `campus directory sync`).
var ErrSyncRunning = errors.New("a directory sync is running already")

// Store is what the sync needs of identity's store.
type Store interface {
	LeaseStore
	ApplyDirectory(ctx context.Context, entries []identity.DirectoryEntry, o store.DirectoryOptions) (identity.DirectoryReport, error)
	LeaseHolder(ctx context.Context, name string) (string, time.Time, error)
	StartJob(ctx context.Context, name, holder string) error
	EndJob(ctx context.Context, name, holder, runErr string, report []byte) error
	JobStatusOf(ctx context.Context, name string) (store.JobStatus, error)
	RecordEvent(ctx context.Context, e identity.AuditEvent) error
}

var _ Store = (*store.Store)(nil)

// Leases: running is held while a sync runs anywhere, for LeaseTTL and
// renewed as the sync goes on; slot is taken by the replica that runs a
// scheduled sync and kept for most of the interval, so that of several
// replicas one syncs per interval. The status of the last sync is kept
// under jobName, where every replica reads it.
const (
	leaseRunning = "directory_sync_running"
	leaseSlot    = "directory_sync_slot"
	jobName      = "directory_sync"
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
	// LeaseTTL is how long the running lease lasts without renewal
	// (LeaseTTL when 0).
	LeaseTTL time.Duration
	// Finished, when set, hears of each sync this syncer ran, how long it
	// took and how it ended (for metrics); not of one refused because
	// another ran.
	Finished func(took time.Duration, err error)
}

// NewSyncer returns a syncer; interval 0 means on demand only.
func NewSyncer(c *Client, st Store, opts store.DirectoryOptions, interval time.Duration, logger *slog.Logger, now func() time.Time) *Syncer {
	host, _ := os.Hostname()
	cfg := c.cfg
	return &Syncer{client: c, store: st, opts: opts, cfg: cfg, interval: interval, logger: logger, now: now,
		holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])}
}

// Authenticate binds as the directory entry of username.
func (s *Syncer) Authenticate(ctx context.Context, username, password string) (string, error) {
	e, err := s.client.Authenticate(ctx, username, password)
	return e.DN, err
}

// Status tells how the last sync went, wherever it ran: it is read from
// the store, so every replica answers the same; and whether the directory
// answers now (a bind as the service account). A sync counts as running
// while its holder still holds the running lease; one whose replica died
// stops counting when the lease lapses.
func (s *Syncer) Status(ctx context.Context) (identity.DirectoryStatus, error) {
	st := identity.DirectoryStatus{URL: s.cfg.URL, GroupDN: s.cfg.GroupDN, Interval: s.interval.String()}
	js, err := s.store.JobStatusOf(ctx, jobName)
	if err != nil {
		return st, fmt.Errorf("directory sync status: %w", err)
	}
	st.LastStart, st.LastEnd, st.LastError = js.LastStart, js.LastEnd, js.LastError
	if js.LastReport != nil {
		var rep identity.DirectoryReport
		if err := json.Unmarshal(js.LastReport, &rep); err != nil {
			return st, fmt.Errorf("directory sync status: last report: %w", err)
		}
		st.LastReport = &rep
	}
	if js.Holder != "" {
		who, _, err := s.store.LeaseHolder(ctx, leaseRunning)
		if err != nil {
			return st, fmt.Errorf("directory sync status: %w", err)
		}
		st.Running = who == js.Holder
	}
	// Whether the directory answers now, for whoever wonders why directory
	// accounts cannot sign in: bounded, since an administrator waits.
	ctx, cancel := context.WithTimeout(ctx, min(s.cfg.Timeout, 2*time.Second))
	defer cancel()
	if err := s.client.Ping(ctx); err != nil {
		st.ReachError = err.Error()
	} else {
		st.Reachable = true
	}
	return st, nil
}

// Sync runs a sync now, unless one runs anywhere (ErrSyncRunning).
func (s *Syncer) Sync(ctx context.Context) (identity.DirectoryReport, error) {
	var rep identity.DirectoryReport
	var start time.Time
	l := Lease{Store: s.store, Name: leaseRunning, Holder: s.holder, TTL: s.LeaseTTL}
	ran, err := l.Hold(ctx, func(ctx context.Context) error {
		start = s.now()
		if err := s.store.StartJob(ctx, jobName, s.holder); err != nil {
			s.logger.Error("record the start of the directory sync", "err", err)
		}
		var err error
		rep, err = s.sync(ctx)
		return err
	})
	if !ran {
		if err != nil {
			return rep, err
		}
		return rep, ErrSyncRunning
	}
	// Applied is applied, even if the lease was lost since: those who left
	// are signed out in any case.
	if err == nil && s.Disabled != nil && len(rep.DisabledIDs) > 0 {
		s.Disabled(ctx, rep.DisabledIDs)
	}
	end := s.now()
	if s.Finished != nil {
		s.Finished(end.Sub(start), err)
	}
	s.recordEnd(context.WithoutCancel(ctx), rep, err)
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

// recordEnd keeps how the sync ended where every replica reads it.
func (s *Syncer) recordEnd(ctx context.Context, rep identity.DirectoryReport, runErr error) {
	var msg string
	var report []byte
	if runErr != nil {
		msg = runErr.Error()
	} else {
		var err error
		if report, err = json.Marshal(rep); err != nil {
			msg = "report: " + err.Error()
		}
	}
	if err := s.store.EndJob(ctx, jobName, s.holder, msg, report); err != nil {
		s.logger.Error("record the end of the directory sync", "err", err)
	}
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
