package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"campus/internal/backup"
	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/identity/datakeys"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
	messagesstore "campus/internal/messages/store"
	portalstore "campus/internal/portal/store"
	studystore "campus/internal/study/store"
)

// backupOptions are the settings backup, restore and serve share: the data
// directory, the databases and where backups go.
type backupOptions struct {
	data                                      serverOptions // DataDir only
	identityDB, studyDB, portalDB, messagesDB dbOption
	Dir                                       string // --backup-dir; "{data}/backups" by default
}

func (o *backupOptions) register(s *config.Set, withData bool) {
	o.identityDB, o.studyDB, o.portalDB, o.messagesDB = serviceDBs()
	if withData {
		o.data.registerData(s)
		o.identityDB.register(s, "identity-db")
		o.studyDB.register(s, "study-db")
		o.portalDB.register(s, "portal-db")
		o.messagesDB.register(s, "messages-db")
	}
	o.registerDir(s)
}

func (o *backupOptions) registerDir(s *config.Set) {
	s.String(&o.Dir, "backup.dir", "backup-dir", "CAMPUS_BACKUP_DIR", "{data}/backups",
		"Where backups go (SQLite): one directory per backup, made 0700")
}

func (o *backupOptions) dbs() []*dbOption {
	return []*dbOption{&o.identityDB, &o.studyDB, &o.portalDB, &o.messagesDB}
}

func (o *backupOptions) validate() []error {
	var errs []error
	for _, d := range o.dbs() {
		errs = append(errs, d.validate()...)
	}
	return errs
}

// sqliteOnly refuses PostgreSQL databases: they are backed up with
// PostgreSQL's own tools.
func (o *backupOptions) sqliteOnly(command string) error {
	var pg []string
	for _, d := range o.dbs() {
		if !d.isSQLite() {
			pg = append(pg, d.service)
		}
	}
	if len(pg) == 0 {
		return nil
	}
	return fmt.Errorf("campus %s works on SQLite databases; %s on PostgreSQL: back them up with pg_dump and restore them with pg_restore, one database per service (docs/operations.md, \"Backups\")",
		command, strings.Join(pg, ", "))
}

// plan is what a backup of this data directory holds: the four databases
// and identity's secret (the signing keys in identity's database are
// encrypted with a key derived from it).
func (o *backupOptions) plan() (dataDir string, plan backup.Plan, err error) {
	dataDir, err = filepath.Abs(o.data.DataDir)
	if err != nil {
		return "", plan, err
	}
	for _, d := range o.dbs() {
		plan.Databases = append(plan.Databases, backup.Database{Service: d.service, Path: strings.TrimPrefix(d.resolve(dataDir), "sqlite:")})
	}
	plan.Files = []string{filepath.Join(dataDir, identityservice.SecretFile)}
	return dataDir, plan, nil
}

func (o *backupOptions) dir(dataDir string) string {
	if rest, ok := strings.CutPrefix(o.Dir, "{data}"); ok {
		return filepath.Join(dataDir, rest)
	}
	return o.Dir
}

const backupUsage = `Usage: campus backup [--to DIR] [flags]
       campus backup list [flags]

campus backup makes a backup of the SQLite databases of the data directory
now, also while campus runs (each database is copied in one read
transaction: writes go on), checks each copy and prints where it is.
"list" shows the backups with their time and size. Restore one with
campus restore. On PostgreSQL use pg_dump and pg_restore (docs/operations.md).`

// runBackup makes a backup now, or lists the backups.
func runBackup(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprintln(e.stdout, backupUsage)
		return nil
	}
	if len(args) > 0 && args[0] == "list" {
		return runBackupList(e, args[1:])
	}
	var o backupOptions
	var to string
	s := config.NewSet("backup", "Make a backup of the SQLite databases of the data directory now.")
	o.register(s, true)
	s.String(&to, "backup.to", "to", "", "", "Directory to write the backup into (default: --backup-dir), or a file ending in .tar to write it as one archive")
	if err := load(s, e, args, o.validate); err != nil {
		return err
	}
	if err := o.sqliteOnly("backup"); err != nil {
		return err
	}
	dataDir, plan, err := o.plan()
	if err != nil {
		return err
	}
	for _, d := range plan.Databases {
		if _, err := os.Stat(d.Path); err != nil {
			return fmt.Errorf("no %s database at %s: is --data the data directory campus serve uses?", d.Service, d.Path)
		}
	}
	dir := o.dir(dataDir)
	archive := strings.HasSuffix(to, ".tar")
	switch {
	case archive:
		// Made beside the archive, then packed into it.
		tmp, err := os.MkdirTemp(filepath.Dir(to), ".campus-backup-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	case to != "":
		dir = to
	}
	started := time.Now()
	info, err := backup.Create(ctx, plan, dir, started, version)
	if err != nil {
		return err
	}
	where := info.Dir
	if archive {
		size, err := backup.WriteArchive(info, to)
		if err != nil {
			return fmt.Errorf("write %s: %w", to, err)
		}
		where, _ = filepath.Abs(to)
		fmt.Fprintf(e.stdout, "Backup %s made and checked in %s: %s, written to %s (%s)\n", info.Name, time.Since(started).Round(time.Millisecond),
			humanBytes(info.Size()), where, humanBytes(size))
	} else {
		fmt.Fprintf(e.stdout, "Backup %s made and checked in %s: %s\n", info.Name, time.Since(started).Round(time.Millisecond), humanBytes(info.Size()))
	}
	printBackupFiles(e, info)
	fmt.Fprintf(e.stdout, "Restore it with: campus restore %s\n", where)
	return nil
}

func printBackupFiles(e env, info backup.Info) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, f := range info.Files {
		what := "schema version " + fmt.Sprint(f.SchemaVersion)
		if f.Service == "" {
			what = "file"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, humanBytes(f.Size), what)
	}
	tw.Flush()
}

func runBackupList(e env, args []string) error {
	var o backupOptions
	s := config.NewSet("backup list", "List the backups of the data directory, newest first.")
	o.data.registerData(s)
	o.registerDir(s)
	if err := load(s, e, args); err != nil {
		return err
	}
	dataDir, err := filepath.Abs(o.data.DataDir)
	if err != nil {
		return err
	}
	dir := o.dir(dataDir)
	list, err := backup.List(dir)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "No backups in %s.\n", dir)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BACKUP\tTIME\tSIZE\tCAMPUS\tDATABASES")
	for _, b := range list {
		var dbs []string
		for _, f := range b.Files {
			if f.Service != "" {
				dbs = append(dbs, fmt.Sprintf("%s (v%d)", f.Service, f.SchemaVersion))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Name, b.Time.Local().Format(time.DateTime), humanBytes(b.Size()), b.Version, strings.Join(dbs, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nIn %s.\n", dir)
	return nil
}

const restoreUsage = `Usage: campus restore BACKUP [--stop] [flags]

Replaces the databases of the data directory (and identity's secret) with
those of BACKUP: a name that campus backup list shows, or a backup's
directory. It checks the backup first (every file against its manifest,
SQLite's integrity check, a schema this campus knows) and moves the files it
replaces into {data}/replaced-TIME, so that a restore can be undone. It
refuses while a campus server uses the data directory; --stop asks that
server to stop (SIGTERM) and waits for it.`

// runRestore restores a backup into the data directory.
func runRestore(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprintln(e.stdout, restoreUsage)
		return nil
	}
	var o backupOptions
	var stop, keepSignIns bool
	var wait time.Duration
	s := config.NewSet("restore", "Restore a backup into the data directory.")
	o.register(s, true)
	s.Bool(&stop, "restore.stop", "stop", "", "false", "Stop the campus server that uses the data directory first (SIGTERM), and wait for it")
	s.Duration(&wait, "restore.wait", "wait", "", "60s", "How long --stop waits for the server to end")
	s.Bool(&keepSignIns, "restore.keep_sign_ins", "keep-sign-ins", "", "false",
		"Keep the sessions and tokens of the backup alive (by default every one ends: what was revoked or disabled since the backup must not live again)")
	if err := loadArgs(s, e, args, 1, o.validate); err != nil {
		return err
	}
	if len(s.Args()) != 1 {
		return &config.UsageError{Command: "restore", Problems: []string{"name the backup to restore: campus restore BACKUP (see campus backup list)"}}
	}
	if err := o.sqliteOnly("restore"); err != nil {
		return err
	}
	dataDir, plan, err := o.plan()
	if err != nil {
		return err
	}
	if err := ensureDir(dataDir); err != nil {
		return err
	}
	// The backup must be there before a server is stopped for it.
	where, err := locateBackup(o.dir(dataDir), s.Args()[0])
	if err != nil {
		return err
	}
	lock, err := backup.Exclusive(dataDir)
	if errors.Is(err, backup.ErrInUse) && stop {
		lock, err = stopServer(ctx, e, dataDir, wait)
	}
	if errors.Is(err, backup.ErrInUse) {
		return fmt.Errorf("%w: stop it first, or run campus restore --stop", err)
	}
	if err != nil {
		return err
	}
	defer lock.Release()
	// What a restore of an archive interrupted by a crash unpacked.
	if left, _ := filepath.Glob(filepath.Join(dataDir, ".unpack-*")); len(left) > 0 {
		for _, l := range left {
			os.RemoveAll(l)
		}
	}
	info, unpacked, err := openBackup(where, dataDir)
	if err != nil {
		return err
	}
	if unpacked != "" {
		defer os.RemoveAll(unpacked)
	}
	known, err := knownSchemas()
	if err != nil {
		return err
	}
	aside := filepath.Join(dataDir, "replaced-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := backup.Restore(ctx, info, plan, known, aside); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Restored %s (made %s by campus %s).\n", info.Name, info.Time.Local().Format(time.DateTime), info.Version)
	printBackupFiles(e, info)
	if !keepSignIns {
		n, err := endSignIns(ctx, e, o.identityDB.resolve(dataDir))
		if err != nil {
			return fmt.Errorf("the backup is restored, but its sessions and tokens could not be ended (run campus restore again, or sign everyone out): %w", err)
		}
		fmt.Fprintf(e.stdout, "Every session and token of the backup's %d accounts has ended: people sign in again (--keep-sign-ins keeps them).\n", n)
	}
	fmt.Fprintf(e.stdout, "The files it replaced are in %s; move them back to undo the restore.\nStart campus again: campus serve --data %s\n", aside, dataDir)
	return nil
}

// locateBackup finds the backup named by arg: a backup's directory (its
// manifest read), a .tar archive of campus backup --to, or a name under
// dir.
func locateBackup(dir, arg string) (string, error) {
	if fi, err := os.Stat(arg); err == nil {
		if fi.IsDir() {
			_, err := backup.Read(arg)
			return arg, err
		}
		f, err := os.Open(arg)
		if err != nil {
			return "", err
		}
		f.Close()
		return arg, nil
	}
	if !strings.ContainsRune(arg, filepath.Separator) {
		if _, err := backup.Read(filepath.Join(dir, arg)); err == nil {
			return filepath.Join(dir, arg), nil
		}
	}
	return "", fmt.Errorf("no backup %q: give a name that campus backup list shows (in %s), a backup's directory or its .tar file", arg, dir)
}

// openBackup reads the backup at where; an archive is unpacked into a
// directory under dataDir, which the caller removes (unpacked).
func openBackup(where, dataDir string) (info backup.Info, unpacked string, err error) {
	if fi, err := os.Stat(where); err == nil && !fi.IsDir() {
		return backup.ReadArchive(where, dataDir)
	}
	info, err = backup.Read(where)
	return info, "", err
}

// stopServer sends SIGTERM to the server recorded in the data directory's
// lock file and waits until the directory is free.
func stopServer(ctx context.Context, e env, dataDir string, wait time.Duration) (*backup.Lock, error) {
	pid := backup.Holder(dataDir)
	if pid <= 0 || pid == os.Getpid() {
		return nil, fmt.Errorf("%w, and its process is unknown", backup.ErrInUse)
	}
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Signal(syscall.SIGTERM)
	}
	if err != nil {
		return nil, fmt.Errorf("stop campus (process %d): %w", pid, err)
	}
	fmt.Fprintf(e.stdout, "Asked campus (process %d) to stop; waiting...\n", pid)
	deadline := time.Now().Add(wait)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		lock, err := backup.Exclusive(dataDir)
		if err == nil || !errors.Is(err, backup.ErrInUse) || time.Now().After(deadline) {
			return lock, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// endSignIns ends every session and token of the restored identity
// database, after bringing its schema up to date (serve would at start).
// Accounts disabled, roles removed, tokens revoked and people signed out
// since the backup was made are as they were at the backup; whatever they
// held then must not work again.
func endSignIns(ctx context.Context, e env, dsn string) (int, error) {
	d, err := openDB(ctx, newLogger(e.stderr, "text", "warn"), "identity", dsn, identitystore.Migrations)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	// Revoking reads and writes no personal data: no data keys needed.
	return identitystore.New(d, time.Now, datakeys.Random()).RevokeEveryone(ctx)
}

// knownSchemas is the highest migration of each service this binary has.
func knownSchemas() (map[string]int, error) {
	known := map[string]int{}
	for service, m := range map[string]fs.FS{"identity": identitystore.Migrations, "study": studystore.Migrations,
		"portal": portalstore.Migrations, "messages": messagesstore.Migrations} {
		list, err := db.LoadMigrations(m, db.SQLite)
		if err != nil {
			return nil, err
		}
		for _, mg := range list {
			known[service] = max(known[service], mg.Version)
		}
	}
	return known, nil
}

// humanBytes writes a size as people read it.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// backupSchedule is serve's daily backup (SQLite).
type backupSchedule struct {
	At   string // HH:MM, or "off"
	TZ   string
	Keep int
	Dir  string

	hour, minute int
	loc          *time.Location
}

func (b *backupSchedule) register(s *config.Set) {
	s.String(&b.At, "backup.at", "backup-at", "CAMPUS_BACKUP_AT", "03:30",
		"Time of day of the daily backup of the SQLite databases (HH:MM), also made at start when the newest is older than an hour; off: none")
	s.String(&b.TZ, "backup.tz", "backup-tz", "CAMPUS_BACKUP_TZ", "Local", "Time zone of --backup-at, as Europe/Berlin (Local: the machine's)")
	s.Int(&b.Keep, "backup.keep", "backup-keep", "CAMPUS_BACKUP_KEEP", "7", "How many backups to keep; older ones are deleted after each backup")
	s.String(&b.Dir, "backup.dir", "backup-dir", "CAMPUS_BACKUP_DIR", "{data}/backups", "Where backups go: one directory per backup, made 0700")
}

func (b *backupSchedule) validate() []error {
	var errs []error
	if b.At != "off" {
		h, m, err := backup.ParseTimeOfDay(b.At)
		if err != nil {
			errs = append(errs, fmt.Errorf("--backup-at: %v, or off", err))
		}
		b.hour, b.minute = h, m
	}
	loc, err := time.LoadLocation(b.TZ)
	if err != nil {
		errs = append(errs, fmt.Errorf("--backup-tz %q: not a time zone (want a name as Europe/Berlin, UTC or Local)", b.TZ))
	}
	b.loc = loc
	if b.Keep < 1 {
		errs = append(errs, fmt.Errorf("--backup-keep %d: keep at least 1", b.Keep))
	}
	return errs
}

// hadData reports whether identity's SQLite database existed before this
// start: only then is there something to back up at start.
func hadData(p *process, identityDB *dbOption) bool {
	fi, err := os.Stat(strings.TrimPrefix(identityDB.resolve(p.dataDir), "sqlite:"))
	return identityDB.isSQLite() && err == nil && fi.Size() > 0
}

// start runs the schedule until ctx ends, when every database is SQLite
// and it is not off; PostgreSQL databases are backed up with pg_dump. The
// returned wait blocks until a backup in progress has ended (the caller
// returns only then, so nothing writes into the data directory after it).
func (b *backupSchedule) start(ctx context.Context, p *process, atStart bool, dbs ...*dbOption) (wait func()) {
	if b.At == "off" {
		return func() {}
	}
	o := backupOptions{Dir: b.Dir}
	o.data.DataDir = p.dataDir
	o.identityDB, o.studyDB, o.portalDB, o.messagesDB = *dbs[0], *dbs[1], *dbs[2], *dbs[3]
	if err := o.sqliteOnly("serve's backups"); err != nil {
		p.logger.Info("no backups made by campus: the databases are on PostgreSQL (pg_dump, see docs/operations.md)")
		return func() {}
	}
	_, plan, err := o.plan()
	if err != nil {
		p.logger.Error("backups", "err", err)
		return func() {}
	}
	sched := &backup.Schedule{Plan: plan, Dir: o.dir(p.dataDir), Hour: b.hour, Minute: b.minute, Loc: b.loc, Keep: b.Keep,
		Version: version, Logger: p.logger, SkipStart: !atStart}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sched.Run(ctx)
	}()
	return func() { <-done }
}
