package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Schedule makes a backup when a server starts on existing data and then
// every day at a set time of day, and keeps the newest Keep.
type Schedule struct {
	Plan    Plan
	Dir     string         // where backups go
	Hour    int            // the time of day, in Loc
	Minute  int            //
	Loc     *time.Location // the time zone of Hour:Minute
	Keep    int            // backups kept (at least 1)
	Version string         // campus's, recorded in the manifest
	Now     func() time.Time
	Logger  *slog.Logger
	// After waits (time.After; tests give a clock of their own).
	After func(time.Duration) <-chan time.Time
	// SkipStart: no backup at start (the data was created by this start).
	SkipStart bool
	// Made, when set, is told of each backup made, after the old ones
	// beyond Keep are deleted (tests, metrics).
	Made func(Info)
}

// ParseTimeOfDay reads "HH:MM" (24-hour).
func ParseTimeOfDay(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(s, ":")
	if ok && len(h) == 2 && len(m) == 2 {
		hour, err1 := strconv.Atoi(h)
		minute, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 {
			return hour, minute, nil
		}
	}
	return 0, 0, fmt.Errorf("%q is not a time of day: want HH:MM, as 03:30", s)
}

// Next is the first Hour:Minute in Loc after now. On a day when the
// clocks change, a time that does not exist (skipped in spring) is taken
// as time.Date normalises it (an hour later); a time that exists twice
// (autumn) is the first of the two.
func (s *Schedule) Next(now time.Time) time.Time {
	local := now.In(s.Loc)
	t := time.Date(local.Year(), local.Month(), local.Day(), s.Hour, s.Minute, 0, 0, s.Loc)
	if !t.After(now) {
		t = time.Date(local.Year(), local.Month(), local.Day()+1, s.Hour, s.Minute, 0, 0, s.Loc)
	}
	return t
}

// startGrace: a start finds a backup this young and makes none, so that a
// server restarting again and again does not replace the good backups
// with copies of whatever broke it.
const startGrace = time.Hour

// Run makes the start backup (when any database has data and the newest
// backup is older than an hour) and the daily ones until ctx ends.
func (s *Schedule) Run(ctx context.Context) {
	if s.After == nil {
		s.After = time.After
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	for _, name := range RemoveLeftovers(s.Dir, startGrace, s.Now()) {
		s.Logger.Info("deleted an interrupted backup", "dir", filepath.Join(s.Dir, name))
	}
	if !s.SkipStart && s.hasData() && !s.recent() {
		s.once(ctx, "start")
	}
	for {
		next := s.Next(s.Now())
		select {
		case <-ctx.Done():
			return
		case <-s.After(next.Sub(s.Now())):
		}
		// A second server on the same data directory makes the same
		// backup at the same minute: the one that comes second has one.
		if !s.recent() {
			s.once(ctx, "daily")
		}
	}
}

// recent reports whether a backup younger than startGrace exists.
func (s *Schedule) recent() bool {
	list, err := List(s.Dir)
	return err == nil && len(list) > 0 && s.Now().Sub(list[0].Time) < startGrace
}

func (s *Schedule) hasData() bool {
	for _, d := range s.Plan.Databases {
		if fi, err := os.Stat(d.Path); err == nil && fi.Size() > 0 {
			return true
		}
	}
	return false
}

// once makes a backup and deletes the ones beyond Keep; failures are
// logged (a backup that failed leaves nothing behind).
func (s *Schedule) once(ctx context.Context, why string) {
	started := s.Now()
	info, err := Create(ctx, s.Plan, s.Dir, started, s.Version)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Error("backup failed", "why", why, "dir", s.Dir, "err", err)
		}
		return
	}
	s.Logger.Info("backup made", "why", why, "backup", info.Dir, "bytes", info.Size(), "took", s.Now().Sub(started).Round(time.Millisecond))
	gone, err := Prune(s.Dir, max(s.Keep, 1))
	if err != nil {
		s.Logger.Error("delete old backups", "dir", s.Dir, "err", err)
	}
	for _, g := range gone {
		s.Logger.Info("old backup deleted", "backup", g.Dir)
	}
	if s.Made != nil {
		s.Made(info)
	}
}
