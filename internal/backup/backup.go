// Package backup makes, lists, verifies and restores backups of the SQLite
// databases of a campus data directory.
//
// A backup is a directory campus-YYYYMMDDTHHMMSSZ holding one file per
// database, written by SQLite's VACUUM INTO from a read transaction (a
// consistent copy of a live database: writers go on meanwhile, and a file
// copy of a database in WAL mode could miss what is still in the log), and
// a manifest.json naming each file with its size, SHA-256 and schema
// version. Each copy is checked (PRAGMA integrity_check) before the
// directory gets its final name, so a backup that is listed is whole.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"campus/internal/db"
)

// Database is one service's database file.
type Database struct {
	Service string // identity, study, portal, messages
	Path    string // the SQLite file
}

// Plan is what a backup holds: the databases, and the files that must go
// with them (identity's secret, which derives the key that encrypts the
// signing keys in identity's database: without it the database is of no
// use). A missing file is left out.
type Plan struct {
	Databases []Database
	Files     []string
}

// File is a database or another file in a backup.
type File struct {
	Service       string `json:"service,omitempty"` // a database's; empty for another file
	Name          string `json:"file"`
	Size          int64  `json:"size"`
	SHA256        string `json:"sha256"`
	SchemaVersion int    `json:"schema_version,omitempty"`
}

// Info describes one backup.
type Info struct {
	Name    string    `json:"name"`
	Time    time.Time `json:"time"`
	Version string    `json:"campus_version"`
	Files   []File    `json:"databases"`
	Dir     string    `json:"-"` // where it is
}

// Size is the sum of the backup's files.
func (i Info) Size() int64 {
	var n int64
	for _, f := range i.Files {
		n += f.Size
	}
	return n
}

const (
	prefix   = "campus-"
	layout   = "20060102T150405Z"
	manifest = "manifest.json"
)

// Create writes a backup of dbs into a new directory under dir (made 0700
// if missing) named after now, and returns it. Nothing is left under dir
// when it fails.
func Create(ctx context.Context, plan Plan, dir string, now time.Time, version string) (Info, error) {
	if len(plan.Databases) == 0 {
		return Info{}, errors.New("backup: no database to back up")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Info{}, fmt.Errorf("backup directory: %w", err)
	}
	now = now.UTC().Truncate(time.Second)
	info := Info{Name: prefix + now.Format(layout), Time: now, Version: version}
	final := filepath.Join(dir, info.Name)
	if _, err := os.Stat(final); err == nil {
		return Info{}, fmt.Errorf("backup %s exists already: wait a second and try again", final)
	}
	tmp, err := os.MkdirTemp(dir, ".partial-"+info.Name+"-")
	if err != nil {
		return Info{}, fmt.Errorf("backup directory: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	for _, d := range plan.Databases {
		f, err := copyDatabase(ctx, d, tmp)
		if err != nil {
			return Info{}, err
		}
		info.Files = append(info.Files, f)
	}
	for _, path := range plan.Files {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue
		}
		name := filepath.Base(path)
		if err := copyFile(path, filepath.Join(tmp, name)); err != nil {
			return Info{}, fmt.Errorf("back up %s: %w", path, err)
		}
		sum, size, err := hashFile(filepath.Join(tmp, name))
		if err != nil {
			return Info{}, err
		}
		info.Files = append(info.Files, File{Name: name, Size: size, SHA256: sum})
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return Info{}, err
	}
	if err := writeFileSync(filepath.Join(tmp, manifest), append(b, '\n')); err != nil {
		return Info{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return Info{}, fmt.Errorf("backup: %w", err)
	}
	done = true
	syncDir(dir)
	info.Dir = final
	return info, nil
}

// copyDatabase writes d into dir with VACUUM INTO and checks the copy.
func copyDatabase(ctx context.Context, d Database, dir string) (File, error) {
	if _, err := os.Stat(d.Path); err != nil {
		return File{}, fmt.Errorf("%s database: %w", d.Service, err)
	}
	name := d.Service + ".db"
	dst := filepath.Join(dir, name)
	src, err := sql.Open("sqlite", db.FileURI(d.Path)+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		return File{}, fmt.Errorf("%s database: %w", d.Service, err)
	}
	defer src.Close()
	// One read transaction: the copy is the database as of its start,
	// whatever is written meanwhile (WAL mode lets the writer go on). The
	// connection does not sync (synchronous=OFF): the copy is synced
	// once, below, instead of SQLite's syncs while it writes.
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return File{}, fmt.Errorf("%s database: back up %s: %w", d.Service, d.Path, err)
	}
	if err := os.Chmod(dst, 0o600); err != nil {
		return File{}, err
	}
	if err := syncFile(dst); err != nil {
		return File{}, err
	}
	v, err := Check(ctx, dst)
	if err != nil {
		return File{}, fmt.Errorf("%s database: the copy %s: %w", d.Service, dst, err)
	}
	sum, size, err := hashFile(dst)
	if err != nil {
		return File{}, err
	}
	return File{Service: d.Service, Name: name, Size: size, SHA256: sum, SchemaVersion: v}, nil
}

// Check runs SQLite's integrity check on the database file at path,
// read-only, and returns its schema version (0 without migrations).
func Check(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	c, err := sql.Open("sqlite", db.FileURI(path)+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	rows, err := c.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return 0, fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return 0, fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("integrity check failed: %s", strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	return db.SchemaVersionOf(ctx, c, db.SQLite)
}

// List returns the backups under dir, newest first. Directories that are
// not backups (no readable manifest) are left out; a missing dir is an
// empty list.
func List(dir string) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Info
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		info, err := Read(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		list = append(list, info)
	}
	slices.SortFunc(list, func(a, b Info) int { return b.Time.Compare(a.Time) })
	return list, nil
}

// Read reads the manifest of the backup directory dir.
func Read(dir string) (Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifest))
	if err != nil {
		return Info{}, fmt.Errorf("%s is not a campus backup: %w", dir, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return Info{}, fmt.Errorf("%s: manifest: %w", dir, err)
	}
	// A manifest names files of its own directory only.
	for _, f := range info.Files {
		if f.Name == "" || f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." || f.Name == manifest {
			return Info{}, fmt.Errorf("%s: manifest names %q, not a file of the backup", dir, f.Name)
		}
	}
	info.Dir = dir
	return info, nil
}

// Prune deletes all but the newest keep backups under dir and returns
// those it deleted.
func Prune(dir string, keep int) ([]Info, error) {
	list, err := List(dir)
	if err != nil || len(list) <= keep {
		return nil, err
	}
	var gone []Info
	for _, info := range list[max(keep, 0):] {
		if err := os.RemoveAll(info.Dir); err != nil {
			return gone, err
		}
		gone = append(gone, info)
	}
	return gone, nil
}

// Verify checks every file of the backup against its manifest (size,
// SHA-256) and SQLite's integrity check.
func Verify(ctx context.Context, info Info) error {
	if len(info.Files) == 0 {
		return fmt.Errorf("backup %s names no database", info.Name)
	}
	for _, f := range info.Files {
		path := filepath.Join(info.Dir, f.Name)
		sum, size, err := hashFile(path)
		if err != nil {
			return fmt.Errorf("backup %s: %w", info.Name, err)
		}
		if size != f.Size || sum != f.SHA256 {
			return fmt.Errorf("backup %s: %s is not the file the backup wrote (size or SHA-256 differ)", info.Name, f.Name)
		}
		if f.Service == "" {
			continue
		}
		if _, err := Check(ctx, path); err != nil {
			return fmt.Errorf("backup %s: %s: %w", info.Name, f.Name, err)
		}
	}
	return nil
}

// Restore replaces the plan's databases and files with the backup's,
// after Verify and after checking that no database is newer than the
// schema this campus knows (known: service → highest migration). What it
// replaces (databases with their -wal and -shm) is moved into aside, so
// that a restore can be undone by moving it back. A file of the plan the
// backup does not hold is left as it is. The caller makes sure that no
// process has the databases open.
func Restore(ctx context.Context, info Info, plan Plan, known map[string]int, aside string) error {
	if err := Verify(ctx, info); err != nil {
		return err
	}
	byService, byName := map[string]File{}, map[string]File{}
	for _, f := range info.Files {
		if f.Service != "" {
			byService[f.Service] = f
		} else {
			byName[f.Name] = f
		}
	}
	type step struct {
		from, to string
		related  []string // moved aside with it
	}
	var steps []step
	for _, d := range plan.Databases {
		f, ok := byService[d.Service]
		if !ok {
			return fmt.Errorf("backup %s has no %s database", info.Name, d.Service)
		}
		if k, ok := known[d.Service]; ok && f.SchemaVersion > k {
			return fmt.Errorf("backup %s: the %s database has schema version %d, newer than this campus knows (%d): restore it with the campus version that made it (%s)",
				info.Name, d.Service, f.SchemaVersion, k, info.Version)
		}
		steps = append(steps, step{from: filepath.Join(info.Dir, f.Name), to: d.Path, related: []string{"-wal", "-shm", "-journal"}})
	}
	for _, path := range plan.Files {
		if f, ok := byName[filepath.Base(path)]; ok {
			steps = append(steps, step{from: filepath.Join(info.Dir, f.Name), to: path})
		}
	}
	if err := os.MkdirAll(aside, 0o700); err != nil {
		return err
	}
	for _, st := range steps {
		for _, suffix := range append([]string{""}, st.related...) {
			p := st.to + suffix
			if _, err := os.Stat(p); err == nil {
				if err := os.Rename(p, filepath.Join(aside, filepath.Base(p))); err != nil {
					return fmt.Errorf("move %s aside: %w", p, err)
				}
			}
		}
		if err := copyFile(st.from, st.to); err != nil {
			return fmt.Errorf("restore %s: %w", st.to, err)
		}
		syncDir(filepath.Dir(st.to))
	}
	return nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst+".partial", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(out.Name())
		return err
	}
	if err := errors.Join(out.Sync(), out.Close()); err != nil {
		os.Remove(out.Name())
		return err
	}
	return os.Rename(dst+".partial", dst)
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// syncFile makes the file durable: first its data in steps (writeOut),
// so that no single sync has a gigabyte to write while the databases'
// writers append beside it, then fsync.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := writeOut(f); err != nil {
		f.Close()
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// syncDir makes a rename in dir durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// RemoveLeftovers deletes what backups interrupted by a crash left under
// dir (their directories under a temporary name) once they are older
// than age: a backup still being written beside it is younger.
func RemoveLeftovers(dir string, age time.Duration, now time.Time) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var gone []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".partial-") {
			continue
		}
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < age {
			continue
		}
		if os.RemoveAll(filepath.Join(dir, e.Name())) == nil {
			gone = append(gone, e.Name())
		}
	}
	return gone
}
