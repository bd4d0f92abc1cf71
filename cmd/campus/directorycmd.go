package main

import (
	"context"
	"errors"
	"fmt"
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
	start, bar := time.Now(), newProgressBar(e.stderr)
	syncer.Progress = func(phase string, done, total int) {
		if phase == "read" {
			bar.update("Reading the group", done, 0)
		} else {
			bar.update("Applying", done, total)
		}
	}
	rep, err := syncer.Sync(ctx)
	bar.done()
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
