package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"campus/internal/config"
	"campus/internal/identity/directory"
	identityservice "campus/internal/identity/service"
)

// runDirectory syncs the directory group now: `campus directory sync`.
func runDirectory(ctx context.Context, e env, args []string) error {
	_, args, done, err := subcommand(e, "directory", args, "Usage: campus directory sync [flags]\n\nsync reads every member of the configured LDAP / Active Directory group and\ncreates, updates and disables accounts to match, all in one transaction:\nwhen the directory fails midway, nothing changes and the command exits 1.\nIt runs on the same --data/--identity-db and CAMPUS_LDAP_* settings as\nserve, also while it runs (one sync at a time across all replicas).", "sync")
	if done {
		return err
	}
	var publicURL string
	var o identityservice.Config
	s := config.NewSet("directory sync", "Sync the directory group into identity's accounts now.")
	idb := registerIdentityDB(s)
	s.String(&publicURL, "public_url", "public-url", "CAMPUS_PUBLIC_URL", "https://localhost:8443", "URL people reach campus at, for the sign-in link in welcome mails")
	registerDirectory(s, &o.Directory)
	registerMail(s, &o.Mail)
	registerJobLease(s, &o.JobLease)
	validate := func() []error {
		errs := append(idb.validate(), o.Directory.Validate()...)
		if err := identityservice.ValidateJobLease(o.JobLease); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, o.Mail.Validate()...)
		if o.Directory.LDAP.URL == "" {
			errs = append(errs, errors.New("--ldap-url (CAMPUS_LDAP_URL): no directory is configured"))
		}
		if err := checkBaseURL(publicURL); err != nil {
			errs = append(errs, fmt.Errorf("--public-url %q: %v", publicURL, err))
		}
		return errs
	}
	if err := load(s, e, args, validate); err != nil {
		return err
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	syncer, err := identityservice.NewDirectorySync(st, o, publicURL, newLogger(e.stderr, "text", "warn"))
	if err != nil {
		return err
	}
	start, progress := time.Now(), newSyncProgress(e.stderr)
	syncer.Progress = progress.update
	rep, err := syncer.Sync(ctx)
	progress.end()
	switch {
	case errors.Is(err, directory.ErrSyncRunning):
		return fmt.Errorf("%w; try again when it has finished", err)
	case err != nil:
		return fmt.Errorf("directory sync failed, nothing was changed: %w", err)
	}
	fmt.Fprintf(e.stdout, "Synced %s in %s.\n", rep, time.Since(start).Round(time.Millisecond))
	for _, why := range rep.Skipped {
		fmt.Fprintln(e.stdout, "  skipped:", why)
	}
	return nil
}

// syncProgress shows a directory sync's progress on stderr while it runs:
// on a terminal one line rewritten in place and erased at the end, so that
// the summary (stdout) stands alone; elsewhere (a pipe, a log) a line per
// step, never a line after the summary.
type syncProgress struct {
	w        io.Writer
	terminal bool
	last     string
}

func newSyncProgress(w io.Writer) *syncProgress {
	p := &syncProgress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// update is the syncer's Progress: phase "read" (done members read, total
// unknown) or "apply" (done of total applied).
func (p *syncProgress) update(phase string, done, total int) {
	line := fmt.Sprintf("Applying: %d of %s", done, memberCount(total))
	if phase == "read" {
		line = "Reading the group: " + memberCount(done) + " read"
	}
	if line == p.last {
		return
	}
	p.last = line
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line) // over the previous one (ECMA-48 EL)
		return
	}
	fmt.Fprintln(p.w, line)
}

// end erases the terminal's progress line.
func (p *syncProgress) end() {
	if p.terminal && p.last != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func memberCount(n int) string {
	if n == 1 {
		return "1 member"
	}
	return strconv.Itoa(n) + " members"
}
