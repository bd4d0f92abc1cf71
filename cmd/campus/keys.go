package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"campus/internal/config"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// runKeys manages identity's signing keys: `campus keys list` and
// `campus keys rotate`.
func runKeys(ctx context.Context, e env, args []string) error {
	sub, args, done, err := subcommand(e, "keys", args, "Usage: campus keys list|rotate [flags]\n\nrotate makes the next signing keys current; the current ones stay published\nas previous, so tokens in flight keep verifying, and new next keys are\npublished before they sign. A running campus picks the change up within 30s.\n\nrotate --data-key makes a new version of the key that encrypts personal data\n(usernames, addresses, names) and re-encrypts every row with it in small\nbatches while campus runs; the older version keeps decrypting meanwhile. An\ninterrupted rotation is resumed by running it again.", "list", "rotate")
	if done {
		return err
	}
	s := config.NewSet("keys "+sub, "Manage identity's signing keys and data keys on the same --data/--identity-db as serve, also while it runs.")
	idb := registerIdentityDB(s)
	var dataKey bool
	if sub == "rotate" {
		s.Bool(&dataKey, "keys.data_key", "data-key", "", "false", "Rotate the key that encrypts personal data instead of the signing keys")
	}
	if err := load(s, e, args, idb.validate); err != nil {
		return err
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	// Both key kinds hang on the key-encryption key: without it (or with
	// another) nothing here can be read or made.
	if err := st.LoadDataKeys(ctx); err != nil {
		return err
	}
	if dataKey {
		return rotateDataKey(ctx, e, st)
	}
	dir, err := idb.dataDir()
	if err != nil {
		return err
	}
	stored, err := identityservice.SigningKeys(ctx, st, dir, idb.kek, sub == "rotate", newLogger(e.stderr, "text", "warn"))
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
	if err := tw.Flush(); err != nil {
		return err
	}
	return listDataKeys(ctx, e, st)
}

// listDataKeys prints the versions of the key that encrypts personal data.
func listDataKeys(ctx context.Context, e env, st *identitystore.Store) error {
	versions, err := st.DataKeyVersions(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATA KEY\tCREATED\tRE-ENCRYPTION")
	for _, v := range versions {
		state := "unfinished: run campus keys rotate --data-key"
		if v.DoneAt != nil {
			state = "done " + v.DoneAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "v%d\t%s\t%s\n", v.Version, v.CreatedAt.Format(time.RFC3339), state)
	}
	return tw.Flush()
}

// rotateDataKey makes a new data key version (or resumes an unfinished
// rotation) and re-encrypts every row with it, showing progress.
func rotateDataKey(ctx context.Context, e env, st *identitystore.Store) error {
	v, added, err := st.AddDataKey(ctx)
	if err != nil {
		return err
	}
	if added {
		fmt.Fprintf(e.stdout, "Made data key v%d: everything written from now on is sealed with it.\n", v)
		recordCLI(ctx, st, "data_key_rotated", fmt.Sprintf("v%d", v), "new data key version; re-encryption started")
	} else {
		fmt.Fprintf(e.stdout, "Resuming the re-encryption with data key v%d.\n", v)
	}
	bar := newProgressBar(e.stderr)
	start := time.Now()
	n, err := st.Reencrypt(ctx, func(done, total int) { bar.update("re-encrypting", done, total) })
	if err != nil {
		return fmt.Errorf("%w (run the command again to resume)", err)
	}
	recordCLI(ctx, st, "data_key_reencrypted", fmt.Sprintf("v%d", v), fmt.Sprintf("%d rows re-encrypted", n))
	fmt.Fprintf(e.stdout, "Re-encrypted %d rows with data key v%d in %s; older versions are no longer used.\n", n, v, time.Since(start).Round(time.Millisecond))
	return listDataKeys(ctx, e, st)
}
