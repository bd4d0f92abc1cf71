package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// JobStatus is how a background job last went, as every replica sees it.
type JobStatus struct {
	// Holder runs the job now ("" when no run is recorded as going on).
	// A holder that died stays here: compare with the job's lease.
	Holder       string
	RunningSince *time.Time
	LastStart    *time.Time
	LastEnd      *time.Time
	LastError    string
	// LastReport is the JSON report of the last run that succeeded.
	LastReport []byte
}

// RenewLease extends a lease that holder still holds by ttl from now. It
// reports false when the lease is gone or another holder has it: the
// caller lost it and must stop the job.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE job_leases SET expires_at = $3 WHERE name = $1 AND holder = $2`,
		name, holder, s.now().UTC().Add(ttl))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// StartJob records that holder started a run of the job now.
func (s *Store) StartJob(ctx context.Context, name, holder string) error {
	now := s.now().UTC()
	_, err := s.db.ExecContext(ctx, `INSERT INTO job_status (name, running_since, holder, last_start) VALUES ($1, $2, $3, $2)
		ON CONFLICT (name) DO UPDATE SET running_since = excluded.running_since, holder = excluded.holder, last_start = excluded.last_start`,
		name, now, holder)
	return err
}

// EndJob records that holder's run of the job ended now, with runErr, or
// with report (JSON) when runErr is "". A failed run keeps the report of
// the last one that succeeded. When another holder started a run since
// (this one lost its lease), that run stays recorded as going on.
func (s *Store) EndJob(ctx context.Context, name, holder, runErr string, report []byte) error {
	now := s.now().UTC()
	// A report or an error may name people (a directory sync's skipped
	// members): both are sealed.
	if err := s.keysLoaded(ctx, s.db); err != nil {
		return err
	}
	var rep any
	if runErr == "" {
		sealed, err := s.ring.Seal(string(report), "job_status", name, "last_report")
		if err != nil {
			return err
		}
		rep = sealed
	}
	runErr, err := s.ring.Seal(runErr, "job_status", name, "last_error")
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE job_status SET last_end = $3, last_error = $4,
		last_report = COALESCE($5, last_report),
		running_since = CASE WHEN holder = $2 THEN NULL ELSE running_since END,
		holder = CASE WHEN holder = $2 THEN NULL ELSE holder END
		WHERE name = $1`, name, holder, now, runErr, rep)
	return err
}

// JobStatusOf tells how the job last went; the zero JobStatus when it
// never ran.
func (s *Store) JobStatusOf(ctx context.Context, name string) (JobStatus, error) {
	var js JobStatus
	var holder, report sql.NullString
	var since, start, end sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT holder, running_since, last_start, last_end, last_error, last_report
		FROM job_status WHERE name = $1`, name).Scan(&holder, &since, &start, &end, &js.LastError, &report)
	if errors.Is(err, sql.ErrNoRows) {
		return JobStatus{}, nil
	}
	if err != nil {
		return JobStatus{}, err
	}
	js.Holder = holder.String
	js.RunningSince, js.LastStart, js.LastEnd = timePtr(since), timePtr(start), timePtr(end)
	if js.LastError, err = s.open(ctx, js.LastError, "job_status", name, "last_error"); err != nil {
		return JobStatus{}, err
	}
	if report.Valid && report.String != "" {
		plain, err := s.open(ctx, report.String, "job_status", name, "last_report")
		if err != nil {
			return JobStatus{}, err
		}
		js.LastReport = []byte(plain)
	}
	return js, nil
}
