package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"campus/internal/config"
	"campus/internal/identity"
)

// runFactors lists and resets a person's second factors on the server:
// `campus factors list USER`, `campus factors reset USER`. The reset is
// the way back in for an administrator who lost every factor and every
// recovery code when no other administrator can reset them through the
// portal; it needs access to identity's database (and its key), as any
// command beside the server does.
func runFactors(ctx context.Context, e env, args []string) error {
	sub, args, done, err := subcommand(e, "factors", args, "Usage: campus factors list|reset USER [flags]\n\n"+
		"list shows the second factors (passkeys, security keys, authenticator apps) and recovery codes\n"+
		"left of USER (a username or e-mail address). reset removes them all, for someone who lost them:\n"+
		"they sign in with the password next and set up a new one. The portal's administration and\n"+
		"DELETE /idp/api/v1/users/{id}/factors do the same while campus runs; this command works\n"+
		"on the database itself, also when no administrator can sign in.", "list", "reset")
	if done {
		return err
	}
	s := config.NewSet("factors "+sub, "Second factors of one person, on the same --data/--identity-db as serve, also while it runs.")
	idb := registerIdentityDB(s)
	if err := loadArgs(s, e, args, 1, idb.validate); err != nil {
		return err
	}
	if len(s.Args()) != 1 {
		return &config.UsageError{Command: "factors " + sub, Problems: []string{"name the person: campus factors " + sub + " USERNAME-OR-EMAIL"}}
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	acc, _, err := st.AccountByLogin(ctx, s.Args()[0])
	if errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("there is no account %q", s.Args()[0])
	}
	if err != nil {
		return err
	}
	if sub == "reset" {
		n, err := st.ResetFactors(ctx, acc.ID)
		if err != nil {
			return err
		}
		if err := st.RecordEvent(ctx, identity.AuditEvent{Action: "factors_reset", Outcome: identity.OutcomeSuccess, Target: acc.ID,
			Detail: fmt.Sprintf("second factors and recovery codes removed on the command line (campus factors reset; %d factors)", n)}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Removed %d second factors and the recovery codes of %s. They sign in with the password next", n, acc.Username)
		fmt.Fprintln(e.stdout, " and, if a role requires one, set up a new factor right away.")
		return nil
	}
	factors, err := st.Factors(ctx, acc.ID)
	if err != nil {
		return err
	}
	left, err := st.RecoveryCodesLeft(ctx, acc.ID)
	if err != nil {
		return err
	}
	if len(factors) == 0 {
		fmt.Fprintf(e.stdout, "%s has no second factor.\n", acc.Username)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tADDED\tLAST USED")
	for _, f := range factors {
		used := "never"
		if f.LastUsedAt != nil {
			used = f.LastUsedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Kind, f.Name, f.CreatedAt.Local().Format(time.DateTime), used)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Recovery codes left: %d\n", left)
	return nil
}
