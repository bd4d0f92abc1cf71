package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"campus/internal/background"
	"campus/internal/backup"
	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/metrics"
	"campus/internal/problem"
	"campus/internal/tracing"
)

// load fills a command's settings and reports every problem at once:
// those of parsing and those of validation.
func load(s *config.Set, e env, args []string, validate ...func() []error) error {
	return loadArgs(s, e, args, 0, validate...)
}

// loadArgs is load for commands that take up to n positional arguments.
func loadArgs(s *config.Set, e env, args []string, n int, validate ...func() []error) error {
	loadErr := s.Load(args, e.getenv)
	if errors.Is(loadErr, config.ErrHelp) {
		s.Usage(e.stdout)
		return config.ErrHelp
	}
	var errs []error
	// After an unknown flag its value stands alone; saying so again is noise.
	if loadErr == nil && len(s.Args()) > n {
		for _, a := range s.Args()[n:] {
			errs = append(errs, fmt.Errorf("unexpected argument %q (flags start with --)", a))
		}
	}
	for _, v := range validate {
		errs = append(errs, v()...)
	}
	return s.Problems(errs...)
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(httpserver.ContextLog(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(httpserver.ContextLog(slog.NewTextHandler(w, opts)))
}

// process is a serving campus process: its listener, TLS and public URL.
type process struct {
	opts      *serverOptions
	e         env
	logger    *slog.Logger
	dataDir   string
	ln        net.Listener
	publicURL *url.URL
	tls       *tls.Config
	lock      *backup.Lock      // the data directory's, shared with other servers (see backup.Share)
	tracing   *tracing.Tracing  // nil: no traces (see startTracing)
	metrics   *metrics.Registry // nil: no metrics (see startMetrics)
}

// close ends what start began: the listener and the data directory's lock.
func (p *process) close() {
	p.ln.Close()
	p.lock.Release()
}

// start prepares a serving process: the data directory when something lives
// there, the listener, and the certificate. Each failure is one line naming
// the path, port or host at fault.
func start(e env, o *serverOptions, needDataDir bool) (*process, error) {
	p := &process{opts: o, e: e, logger: newLogger(e.stderr, o.LogFormat, o.LogLevel)}
	// The OpenID Provider library logs only through slog's default logger.
	slog.SetDefault(p.logger)
	if warn, err := rootCheck(rootPolicy, os.Geteuid(), o.AllowRoot); err != nil {
		return nil, err
	} else if warn {
		p.logger.Warn("running as root: run campus as an unprivileged user; the container image's build refuses root unless --allow-root is given")
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", o.DataDir, err)
	}
	p.dataDir = dir
	selfSigned := !o.PlainHTTP && o.TLSCert == "" && len(o.ACMEDomains) == 0
	if needDataDir || selfSigned || len(o.ACMEDomains) > 0 {
		if err := ensureDir(dir); err != nil {
			return nil, err
		}
	}
	if needDataDir {
		// campus restore waits for no server to hold the directory.
		if p.lock, err = backup.Share(dir); err != nil {
			if errors.Is(err, backup.ErrInUse) {
				return nil, fmt.Errorf("%w: a restore is running; start campus again once it is done", err)
			}
			return nil, err
		}
	}

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		p.lock.Release()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("cannot listen on %s: the port is already in use (is campus already running?)", o.Addr)
		}
		return nil, fmt.Errorf("cannot listen on %s: %w", o.Addr, err)
	}
	p.ln = ln
	p.publicURL, _ = url.Parse(o.publicURL(ln.Addr()))

	switch {
	case o.PlainHTTP:
		p.logger.Warn("serving plain HTTP: only safe behind a proxy that terminates TLS", "addr", ln.Addr().String())
	case o.TLSCert != "":
		r, err := certs.NewReloader(o.TLSCert, o.TLSKey, p.logger, time.Now)
		if err != nil {
			p.close()
			return nil, err
		}
		p.tls = certs.ServerConfig(r.GetCertificate)
	case len(o.ACMEDomains) > 0:
		p.tls, _ = certs.ACME(o.ACMEDomains, o.ACMEEmail, filepath.Join(dir, "acme"))
	default:
		hosts := []string{"localhost", "127.0.0.1", "::1"}
		if h := p.publicURL.Hostname(); !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
		c, created, err := certs.SelfSigned(certs.SelfSignedDir(dir), hosts, time.Now())
		if err != nil {
			p.close()
			return nil, err
		}
		if created {
			p.logger.Info("created a self-signed certificate; browsers will warn about it",
				"cert", filepath.Join(certs.SelfSignedDir(dir), "cert.pem"), "hosts", hosts)
		}
		p.tls = certs.ServerConfig(certs.Static(c))
	}
	return p, nil
}

func absPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	return abs, nil
}

// ensureDir creates dir and checks that campus can write there.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create data directory %s: %w", dir, errors.Unwrap(err))
	}
	// It holds keys and password hashes: campus's alone, also when it was
	// made by someone else for campus (a container volume, 0755).
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 && ownedByMe(fi) {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data directory %s: %w", dir, err)
		}
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// serve serves h until ctx is done.
func (p *process) serve(ctx context.Context, h http.Handler) error {
	hsts := p.publicURL.Scheme == "https"
	trusted, _ := httpserver.ParseProxies(p.opts.TrustedProxies) // validated with the options
	root := httpserver.Chain(h, p.tracing.Peers(trusted), httpserver.RealIP(trusted), httpserver.RequestID, httpserver.SecureHeaders(hsts))
	srv := httpserver.New(root, p.tls, p.logger)
	url := p.publicURL.String()
	p.logger.Info("campus is ready", "url", url, "addr", p.ln.Addr().String(), "version", version)
	fmt.Fprintf(p.e.stdout, "campus is running at %s/\n", url)
	if p.e.ready != nil {
		p.e.ready(url)
	}
	// The listener takes connections already (start listened); the
	// services' outboxes, housekeeping and pollers begin now.
	background.Started(ctx)
	return httpserver.Serve(ctx, srv, p.ln, p.opts.ShutdownGrace, p.logger)
}

// basePath is the path of the public URL, "" at the root of the origin.
func (p *process) basePath() string {
	return trimSlash(p.publicURL.Path)
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// mount serves h under prefix with request metrics when the process
// keeps them, a server span per request when the process traces, one
// request log line per request, naming the service, panic recovery, and
// problem documents in the client's language.
func mount(mux *http.ServeMux, p *process, prefix, service string, h http.Handler) {
	if p.tracing.Enabled() {
		h = tracing.Routes(h)
	}
	if p.metrics != nil {
		h = httpserver.RoutePattern(h)
	}
	h = httpserver.Chain(h, p.measure(service), p.tracing.Server(service, prefix), httpserver.Log(p.logger, service), httpserver.Recover(p.logger), problem.Localize)
	if prefix == "" {
		mux.Handle("/", h)
		return
	}
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
}

// openDB opens one service's database and brings its schema up to date.
func openDB(ctx context.Context, logger *slog.Logger, service, dsn string, migrations fs.FS) (*db.DB, error) {
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("%s database: %w", service, err)
	}
	applied, err := d.Migrate(ctx, migrations)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("%s database: %w", service, err)
	}
	for _, m := range applied {
		logger.Info("migrated", "service", service, "db", d.String(), "version", m.Version, "name", m.Name)
	}
	return d, nil
}

// subcommand picks the subcommand of a command that has some (`campus keys
// rotate`): it answers --help with usage, and a missing or unknown one with
// a usage error naming the choices. done is true when nothing is left to do.
func subcommand(e env, command string, args []string, usage string, subs ...string) (sub string, rest []string, done bool, err error) {
	if len(args) > 0 && slices.Contains(subs, args[0]) {
		return args[0], args[1:], false, nil
	}
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprintln(e.stdout, usage)
		return "", nil, true, nil
	}
	choices := subs[0]
	if n := len(subs); n > 1 {
		choices = strings.Join(subs[:n-1], ", ") + " or " + subs[n-1]
	}
	problem := "want a subcommand: " + choices
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		problem = fmt.Sprintf("unknown subcommand %q: want %s", args[0], choices)
	}
	return "", nil, true, &config.UsageError{Command: command, Problems: []string{problem}}
}

// errRoot is the refusal to serve as root.
var errRoot = errors.New("campus does not run as root: a flaw in any part of it would hand over the whole machine. " +
	"Start it as an unprivileged user (the container image's user is 65532), or pass --allow-root (CAMPUS_ALLOW_ROOT=true) if you must")

// rootCheck decides whether a server started by euid may run: root is
// refused under the "refuse" policy unless allowed, and warned about under
// any other policy.
func rootCheck(policy string, euid int, allow bool) (warn bool, err error) {
	if euid != 0 || allow {
		return false, nil
	}
	if policy == "refuse" {
		return false, errRoot
	}
	return true, nil
}
