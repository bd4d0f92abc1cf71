// Command campus runs the campus university system: identity (accounts and
// single sign-on), study (programmes, modules, lectures, grades) and portal
// (the website), together (`campus serve`) or one service at a time.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zone names for login windows, also in a static binary without zoneinfo

	"campus/internal/config"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

// rootPolicy is what a server does when started as root without
// --allow-root: "refuse" in the container image's build
// (deploy/build-image.sh: -ldflags "-X main.rootPolicy=refuse"), "warn" in
// a build from source, where development machines and sandboxes often run
// as root (docs/decisions.md, 91).
var rootPolicy = "warn"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// env is what a command gets from the process, injected so that tests run
// the real program in-process.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// ready, when set, is called with the public URL once the server
	// answers; tests use it instead of parsing output.
	ready func(url string)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "Run identity, study and portal in one process on one HTTPS port (SQLite by default)", runServe},
		{"identity", "Run the identity service alone (accounts, sign-in, OpenID Provider)", runIdentity},
		{"study", "Run the study service alone (programmes, modules, lectures, grades API)", runStudy},
		{"messages", "Run the messages service alone (conversations, groups, notices, event stream)", runMessages},
		{"portal", "Run the portal alone (the website)", runPortal},
		{"migrate", "Apply database migrations and exit", runMigrate},
		{"backup", "Back up the SQLite databases now, also while campus runs; list the backups: backup [list]", runBackup},
		{"restore", "Restore a backup into the data directory: restore BACKUP [--stop]", runRestore},
		{"clients", "Manage the applications that sign in through identity: add, list, show, remove", runClients},
		{"demo", "Load demo data into an empty campus: demo load", runDemo},
		{"keys", "Manage identity's signing keys: list, rotate", runKeys},
		{"mail", "Show identity's mail outbox: status", runMail},
		{"factors", "A person's second factors: list, reset (for someone who lost them): factors list|reset USER", runFactors},
		{"directory", "Sync the LDAP / Active Directory group into identity's accounts now: sync", runDirectory},
		{"events", "Events whose accounts sign in with generated usernames and PINs: list, create, generate, end", runEvents},
		{"bench", "Measure one node under a sustained, realistic load: rate, latency, errors, heap", runBench},
		{"login", "Sign in for scripts (device code in the browser): login URL [--write]", runLogin},
		{"token", "Print a current access token of login, for Authorization: Bearer", runToken},
		{"logout", "Revoke and forget the tokens of login", runLogout},
		{"config", "Print the effective configuration of a command, secrets redacted", runConfig},
		{"healthcheck", "Exit 0 when a running campus is ready (GET /readyz): for container health checks", runHealthcheck},
		{"version", "Print the version", runVersion},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	return runWith(ctx, e, args)
}

func runWith(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			return runWith(ctx, e, []string{args[1], "--help"})
		}
		usage(e.stdout)
		if len(args) == 0 {
			return &config.UsageError{Command: "", Problems: []string{"no command given"}}
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if errors.Is(err, config.ErrHelp) {
				return nil
			}
			return err
		}
	}
	return &config.UsageError{Command: "", Problems: []string{fmt.Sprintf("unknown command %q", args[0])}}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "campus: the university system for study programmes and the people who use them.")
	fmt.Fprintln(w, "\nUsage: campus COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'campus COMMAND --help' for the flags of a command. Every flag can also be")
	fmt.Fprintln(w, "set by a CAMPUS_* environment variable or in a YAML file given with --config.")
	fmt.Fprintln(w, "Start here: campus serve   (then open https://localhost:8443)")
}

// exitCode prints err and maps it to the process's exit code: 2 for a
// usage error (bad flags or settings), 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue *config.UsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, ue.Error())
		return 2
	}
	fmt.Fprintln(stderr, "campus:", err)
	return 1
}
