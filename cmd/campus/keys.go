package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"campus/internal/config"
	identityservice "campus/internal/identity/service"
)

// runKeys manages identity's signing keys: `campus keys list` and
// `campus keys rotate`.
func runKeys(ctx context.Context, e env, args []string) error {
	sub, args, done, err := subcommand(e, "keys", args, "Usage: campus keys list|rotate [flags]\n\nrotate makes the next signing keys current; the current ones stay published\nas previous, so tokens in flight keep verifying, and new next keys are\npublished before they sign. A running campus picks the change up within 30s.", "list", "rotate")
	if done {
		return err
	}
	var kek string
	s := config.NewSet("keys "+sub, "Manage identity's signing keys on the same --data/--identity-db as serve, also while it runs.")
	idb := registerIdentityDB(s)
	s.String(&kek, "identity.key_encryption_key", "", "CAMPUS_KEY_ENCRYPTION_KEY", "", "Key that encrypts the signing keys (default: the one in the data dir)", config.Secret(), config.EnvOnly())
	if err := load(s, e, args, idb.validate); err != nil {
		return err
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	dir, err := idb.dataDir()
	if err != nil {
		return err
	}
	stored, err := identityservice.SigningKeys(ctx, st, dir, kek, sub == "rotate", newLogger(e.stderr, "text", "warn"))
	if err != nil {
		return err
	}
	if sub == "rotate" {
		fmt.Fprintln(e.stdout, "Rotated the signing keys: next keys now sign, the previous ones stay published until the next rotation.")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED")
	for _, k := range stored {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Alg, strings.ToUpper(k.State[:1])+k.State[1:], k.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}
