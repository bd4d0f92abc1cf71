package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"campus/internal/config"
	identityservice "campus/internal/identity/service"
)

// runMail shows identity's mail outbox: `campus mail status`.
func runMail(ctx context.Context, e env, args []string) error {
	_, args, done, err := subcommand(e, "mail", args, "Usage: campus mail status [--failed] [--limit N] [flags]\n\nstatus shows identity's mail outbox: what waits, what is being retried and\nwhy, what was given up and what was sent in the last day. Administrators\nsee the same through GET /idp/api/v1/mail.", "status")
	if done {
		return err
	}
	var failed bool
	var limit int
	s := config.NewSet("mail status", "Show identity's mail outbox on the same --data/--identity-db as serve, also while it runs.")
	idb := registerIdentityDB(s)
	s.Bool(&failed, "failed", "failed", "", "false", "List only mails that were given up")
	s.Int(&limit, "limit", "limit", "", "20", "How many of the latest mails to list")
	if err := load(s, e, args, idb.validate); err != nil {
		return err
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	status, mails, err := identityservice.MailStatus(ctx, st, failed, limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Pending: %d (%d being retried)\nFailed:  %d\nSent in the last 24 hours: %d\n", status.Pending, status.Retrying, status.Failed, status.Sent24h)
	if status.Oldest != nil {
		fmt.Fprintf(e.stdout, "Oldest pending mail: %s (%s ago)\n", status.Oldest.Local().Format(time.DateTime), time.Since(*status.Oldest).Round(time.Second))
	}
	if len(mails) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUED\tKIND\tTO\tSTATE\tATTEMPTS\tNEXT / DONE\tLAST ERROR")
	for _, m := range mails {
		state, when := "pending", m.NextAttemptAt.Local().Format(time.DateTime)
		switch {
		case m.SentAt != nil:
			state, when = "sent", m.SentAt.Local().Format(time.DateTime)
		case m.FailedAt != nil:
			state, when = "failed", m.FailedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.CreatedAt.Local().Format(time.DateTime), m.Kind, m.To, state, m.Attempts, when, m.LastError)
	}
	return tw.Flush()
}
