package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"campus/internal/config"
	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/events"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

const eventsUsage = `Usage: campus events list|create|generate|end [flags]

Events (an exam, an open day, an election) have accounts that sign in with
a generated username and a numeric PIN, only inside the event's window and
only to its applications. The commands work on the same --data /
--identity-db as serve, also while it runs.

  campus events list
  campus events create --name "Council election" --first-date 2027-01-20 --last-date 2027-01-21 \
      [--from 08:00 --to 18:00] [--applications ID,ID] [--role student] [--prefix wahl-] \
      [--pin-length 8] [--afterwards delete|disable] [--description TEXT]
  campus events generate EVENT (--count N | --labels FILE) [--format csv|pdf|json] [--out FILE] [--lang en|de]
      makes the event's accounts, replacing its previous batch (their sessions end),
      and writes them with their PINs: the only time the PINs are shown
  campus events end EVENT
      deletes or disables the event's accounts now (identity does so by itself
      after the event's last day)`

// runEvents is `campus events`.
func runEvents(ctx context.Context, e env, args []string) error {
	sub, args, done, err := subcommand(e, "events", args, eventsUsage, "list", "create", "generate", "end")
	if done {
		return err
	}
	switch sub {
	case "list":
		return runEventsList(ctx, e, args)
	case "create":
		return runEventsCreate(ctx, e, args)
	case "generate":
		return runEventsGenerate(ctx, e, args)
	default:
		return runEventsEnd(ctx, e, args)
	}
}

func runEventsList(ctx context.Context, e env, args []string) error {
	s := config.NewSet("events list", "List the events.")
	idb := registerIdentityDB(s)
	if err := load(s, e, args, idb.validate); err != nil {
		return err
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	list, err := st.ListEvents(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "No events yet: campus events create --help")
		return nil
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	fmt.Fprintf(w, "%-36s  %-23s  %-11s  %8s  %s\n", "ID", "DAYS", "TIMES", "ACCOUNTS", "NAME")
	for _, ev := range list {
		days := ev.Window.FirstDate + ".." + ev.Window.LastDate
		name := ev.Name
		if ev.EndedAt != nil {
			name += " (ended)"
		}
		fmt.Fprintf(w, "%-36s  %-23s  %-11s  %8d  %s\n", ev.ID, days, ev.Window.Earliest+"-"+ev.Window.Latest, ev.Accounts, name)
	}
	return nil
}

func runEventsCreate(ctx context.Context, e env, args []string) error {
	var ev identitystore.Event
	var apps string
	s := config.NewSet("events create", "Create an event whose accounts sign in with generated usernames and PINs.")
	idb := registerIdentityDB(s)
	s.String(&ev.Name, "events.name", "name", "", "", "The event's name, on its letters")
	s.String(&ev.Description, "events.description", "description", "", "", "What the accounts are for, on their letters")
	s.String(&ev.Window.FirstDate, "events.first_date", "first-date", "", "", "First day the accounts may sign in (YYYY-MM-DD)")
	s.String(&ev.Window.LastDate, "events.last_date", "last-date", "", "", "Last day the accounts may sign in (YYYY-MM-DD)")
	s.String(&ev.Window.Earliest, "events.from", "from", "", "00:00", "Each day from (HH:MM, in identity's --timezone)")
	s.String(&ev.Window.Latest, "events.to", "to", "", "23:59", "Each day until (HH:MM)")
	s.String(&apps, "events.applications", "applications", "", "", "Client ids of the applications the accounts may use, comma-separated (empty: any)")
	s.String(&ev.Role, "events.role", "role", "", "", "A role the accounts get besides (e.g. student)")
	s.String(&ev.Prefix, "events.prefix", "prefix", "", "", "Readable start of every username (e.g. wahl-)")
	s.Int(&ev.PINLength, "events.pin_length", "pin-length", "", "8", "Digits of each PIN (6 to 12)")
	s.String(&ev.Afterwards, "events.afterwards", "afterwards", "", "delete", "After the last day the accounts are deleted or disabled (delete, disable)")
	var mfaRoles []string
	s.StringList(&mfaRoles, "identity.mfa_roles", "mfa-roles", "CAMPUS_MFA_ROLES", "admin",
		"Roles whose members sign in with a second factor, as identity is configured: an event's accounts, which cannot have one, cannot have these roles")
	validate := func() []error {
		errs := idb.validate()
		problems := events.Problems(ev)
		for _, f := range slices.Sorted(maps.Keys(problems)) {
			flag := "--" + strings.ReplaceAll(f, "_", "-")
			switch f {
			case "window":
				flag = "--first-date, --last-date, --from, --to"
			case "username_prefix":
				flag = "--prefix"
			}
			errs = append(errs, fmt.Errorf("%s: %s", flag, problems[f]))
		}
		return errs
	}
	if err := load(s, e, args, func() []error {
		ev.Clients = nil
		for _, a := range strings.Split(apps, ",") {
			if a = strings.TrimSpace(a); a != "" {
				ev.Clients = append(ev.Clients, a)
			}
		}
		return validate()
	}); err != nil {
		return err
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	for _, c := range ev.Clients {
		if _, err := st.Client(ctx, c); errors.Is(err, identity.ErrNotFound) {
			return fmt.Errorf("--applications: there is no application %q (campus clients list)", c)
		} else if err != nil {
			return err
		}
	}
	if ev.Role == identity.RoleAdmin {
		return errors.New("--role: an event's accounts cannot be administrators")
	}
	if ev.Role != "" && slices.Contains(mfaRoles, ev.Role) && !slices.Equal(mfaRoles, []string{"none"}) {
		return fmt.Errorf("--role: the role %q requires a second factor (--mfa-roles), which an event's accounts cannot have", ev.Role)
	}
	created, err := st.CreateEvent(ctx, ev)
	if errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("--role: there is no role %q", ev.Role)
	}
	if err != nil {
		return err
	}
	recordCLI(ctx, st, "event_created", created.ID, fmt.Sprintf("event %q, from the command line", created.Name))
	fmt.Fprintf(e.stdout, "Created the event %q: %s\nMake its accounts: campus events generate %s --count N --format pdf --out letters.pdf\n",
		created.Name, created.ID, created.ID)
	return nil
}

func runEventsGenerate(ctx context.Context, e env, args []string) error {
	var count int
	var labelsFile, format, out, lang, publicURL string
	var o identityservice.Config
	s := config.NewSet("events generate", "Make an event's accounts, replacing its previous batch.")
	idb := registerIdentityDB(s)
	s.Int(&count, "events.count", "count", "", "0", "How many accounts (or --labels)")
	s.String(&labelsFile, "events.labels", "labels", "", "", "A file with one name per line (a polling station, an exam room): one account each")
	s.String(&format, "events.format", "format", "", "csv", "What to write: csv, pdf (printable letters) or json")
	s.String(&out, "events.out", "out", "", "", "The file to write (default: standard output; pdf needs a file)")
	s.String(&lang, "events.lang", "lang", "", "en", "Language of the letters: en or de")
	s.String(&publicURL, "public_url", "public-url", "CAMPUS_PUBLIC_URL", "https://localhost:8443", "URL people reach campus at: the sign-in address on the letters")
	s.Int(&o.Argon2MemoryKiB, "identity.argon2.memory_kib", "argon2-memory-kib", "CAMPUS_ARGON2_MEMORY_KIB", "19456", "argon2id memory per PIN hash in KiB")
	s.Int(&o.Argon2Time, "identity.argon2.time", "argon2-time", "CAMPUS_ARGON2_TIME", "2", "argon2id passes")
	s.Int(&o.Argon2Threads, "identity.argon2.threads", "argon2-threads", "CAMPUS_ARGON2_THREADS", "1", "argon2id lanes")
	s.String(&o.TimeZone, "identity.timezone", "timezone", "CAMPUS_TIMEZONE", "UTC", "Time zone of login windows")
	validate := func() []error {
		errs := idb.validate()
		switch format {
		case "csv", "json":
		case "pdf":
			if out == "" {
				errs = append(errs, errors.New("--format pdf: name the file with --out letters.pdf"))
			}
		default:
			errs = append(errs, fmt.Errorf("--format %q: use csv, pdf or json", format))
		}
		if lang != "en" && lang != "de" {
			errs = append(errs, fmt.Errorf("--lang %q: use en or de", lang))
		}
		if (count == 0) == (labelsFile == "") {
			errs = append(errs, errors.New("give either --count N or --labels FILE"))
		}
		if err := checkBaseURL(publicURL); err != nil {
			errs = append(errs, fmt.Errorf("--public-url %q: %v", publicURL, err))
		}
		return errs
	}
	if err := loadArgs(s, e, args, 1, validate); err != nil {
		return err
	}
	if len(s.Args()) != 1 {
		return &config.UsageError{Command: "events generate", Problems: []string{"name the event: campus events generate EVENT (see campus events list)"}}
	}
	b := events.Batch{Count: count}
	if labelsFile != "" {
		data, err := os.ReadFile(labelsFile)
		if err != nil {
			return fmt.Errorf("--labels: %w", err)
		}
		for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				b.Labels = append(b.Labels, line)
			}
		}
	}
	if msg := b.Problem(); msg != "" {
		return &config.UsageError{Command: "events generate", Problems: []string{msg}}
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	ev, err := st.Event(ctx, s.Args()[0])
	if errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("there is no event %q (campus events list)", s.Args()[0])
	}
	if err != nil {
		return err
	}
	if ev.EndedAt != nil {
		return fmt.Errorf("the event %q has ended; create a new event for new accounts", ev.Name)
	}
	// The file is opened before the accounts are made: a PIN must not be
	// made that cannot be written anywhere.
	w := e.stdout
	var file *os.File
	if out != "" {
		if file, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Close()
		w = file
	}
	start := time.Now()
	bar := newBatchProgress(e.stderr)
	creds, err := events.MakeInTurn(ctx, st, ev, b, o.PasswordParams(), bar.update)
	bar.end()
	if err != nil {
		return fmt.Errorf("no accounts were made: %w", err)
	}
	took := time.Since(start).Round(100 * time.Millisecond)
	recordCLI(ctx, st, "event_accounts_generated", ev.ID,
		fmt.Sprintf("%d accounts for event %q, replacing %d, in %s, from the command line", len(creds), ev.Name, ev.Accounts, took))
	signIn := strings.TrimSuffix(publicURL, "/") + "/"
	switch format {
	case "pdf":
		loc, _ := time.LoadLocation(o.TimeZone)
		err = events.Letters(w, i18n.Lang(lang), ev, signIn, loc, creds)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(map[string]any{"event": ev.ID, "sign_in_url": signIn, "accounts": creds})
	default:
		err = events.CSV(w, ev, signIn, creds)
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		return fmt.Errorf("the %d accounts were made, but could not be written (%v); run the command again: a new batch replaces them", len(creds), err)
	}
	fmt.Fprintf(e.stderr, "Made %d accounts for %q in %s", len(creds), ev.Name, took)
	if out != "" {
		fmt.Fprintf(e.stderr, ", written to %s", out)
	}
	fmt.Fprintln(e.stderr, ".")
	return nil
}

func runEventsEnd(ctx context.Context, e env, args []string) error {
	s := config.NewSet("events end", "End an event now: its accounts are deleted or disabled.")
	idb := registerIdentityDB(s)
	if err := loadArgs(s, e, args, 1, idb.validate); err != nil {
		return err
	}
	if len(s.Args()) != 1 {
		return &config.UsageError{Command: "events end", Problems: []string{"name the event: campus events end EVENT (see campus events list)"}}
	}
	st, closeDB, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	before, err := st.Event(ctx, s.Args()[0])
	if errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("there is no event %q (campus events list)", s.Args()[0])
	}
	if err != nil {
		return err
	}
	ev, err := st.EndEvent(ctx, before.ID)
	if err != nil {
		return err
	}
	if before.EndedAt != nil {
		fmt.Fprintf(e.stdout, "The event %q had ended already.\n", ev.Name)
		return nil
	}
	recordCLI(ctx, st, "event_ended", ev.ID, fmt.Sprintf("event %q: %d accounts %sd, from the command line", ev.Name, before.Accounts, before.Afterwards))
	fmt.Fprintf(e.stdout, "Ended the event %q: %d accounts %sd.\n", ev.Name, before.Accounts, before.Afterwards)
	return nil
}

// recordCLI writes a command's change to the audit trail (actor: the
// command line); a failure to record is told, not fatal.
func recordCLI(ctx context.Context, st *identitystore.Store, action, target, detail string) {
	st.RecordEvent(ctx, identity.AuditEvent{At: time.Now().UTC(), Action: action, Outcome: identity.OutcomeSuccess,
		Actor: "campus command line", Target: target, Detail: detail})
}

// batchProgress shows how many PINs are hashed: on a terminal a bar
// rewritten in place and erased at the end; elsewhere a line every tenth.
type batchProgress struct {
	w        io.Writer
	terminal bool
	start    time.Time
	tenth    int
}

func newBatchProgress(w io.Writer) *batchProgress {
	p := &batchProgress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *batchProgress) update(done, total int) {
	if total == 0 {
		return
	}
	if !p.terminal {
		if t := done * 10 / total; t > p.tenth || done == total {
			p.tenth = t
			fmt.Fprintf(p.w, "Made %d of %d accounts\n", done, total)
		}
		return
	}
	const width = 30
	filled := done * width / total
	left := ""
	if done > 0 && done < total {
		rest := time.Duration(float64(time.Since(p.start)) * float64(total-done) / float64(done))
		left = fmt.Sprintf(", about %s left", rest.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d accounts%s\x1b[K", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, left)
}

func (p *batchProgress) end() {
	if p.terminal {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
