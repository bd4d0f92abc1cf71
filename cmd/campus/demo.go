package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"campus/internal/config"
	"campus/internal/demo"
	"campus/internal/identity/password"
	studyservice "campus/internal/study/service"
	studystore "campus/internal/study/store"
)

// runDemo is `campus demo load`: the demo data into the databases of
// --data/--identity-db/--study-db, once.
func runDemo(ctx context.Context, e env, args []string) error {
	sub, args, done, err := subcommand(e, "demo", args, "Usage: campus demo load|generate [flags]\n\nload: a sample university in an empty campus: two Computer Science\nprogrammes with 30 modules and their lectures, demo students and staff with\nenrolments and grades. The demo accounts' passwords are generated and printed.\n\ngenerate: a synthetic university of the size the performance figures are\nstated for, in an empty study database (for load tests).", "load", "generate")
	if done {
		return err
	}
	if sub == "generate" {
		return runGenerate(ctx, e, args)
	}
	_, sdb, _, _ := serviceDBs()
	var rules studyservice.Config
	s := config.NewSet("demo load", "Load the demo data into an empty campus (the same --data/--identity-db/--study-db as serve).")
	idb := registerIdentityDB(s)
	sdb.register(s, "study-db")
	registerStudy(s, &rules)
	if err := load(s, e, args, idb.validate, sdb.validate); err != nil {
		return err
	}
	ist, closeIdentity, err := idb.open(ctx, e)
	if err != nil {
		return err
	}
	defer closeIdentity()
	dir, err := idb.dataDir()
	if err != nil {
		return err
	}
	d, err := openDB(ctx, newLogger(e.stderr, "text", "warn"), "study", sdb.resolve(dir), studystore.Migrations)
	if err != nil {
		return err
	}
	defer d.Close()
	return demo.Load(ctx, e.stdout, ist, studyservice.NewStore(d, rules), password.Default)
}

// runGenerate is `campus demo generate`: a synthetic university in an
// empty study database, with a progress bar.
func runGenerate(ctx context.Context, e env, args []string) error {
	var data serverOptions
	_, sdb, _, _ := serviceDBs()
	var small bool
	s := config.NewSet("demo generate", "Fill an empty study database with 200 programmes, 5,000 modules, 20,000 lectures, 100,000 students and 2,000,000 grades (about a minute), for load tests.")
	data.registerData(s)
	sdb.register(s, "study-db")
	s.Bool(&small, "generate.small", "small", "CAMPUS_GENERATE_SMALL", "false", "A tenth of the size, for a quick try")
	if err := load(s, e, args, sdb.validate); err != nil {
		return err
	}
	dir, err := absPath(data.DataDir)
	if err != nil {
		return err
	}
	if sdb.isSQLite() {
		if err := ensureDir(dir); err != nil {
			return err
		}
	}
	d, err := openDB(ctx, newLogger(e.stderr, "text", "warn"), "study", sdb.resolve(dir), studystore.Migrations)
	if err != nil {
		return err
	}
	defer d.Close()
	st := studystore.New(d, time.Now)
	existing, _, err := st.Programmes(ctx, studystore.ProgrammeQuery{Page: studystore.Page{Limit: 1}})
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return fmt.Errorf("the study database %s is not empty; generate into a new one (--data or --study-db)", d)
	}
	z := studystore.ScaleSizes
	if small {
		z = studystore.Sizes{Programmes: 20, Modules: 500, Lectures: 2000, Students: 10000, Grades: 200000}
	}
	start := time.Now()
	bar := newProgressBar(e.stderr)
	if err := st.Generate(ctx, z, bar.update); err != nil {
		return err
	}
	bar.done()
	fmt.Fprintf(e.stdout, "Generated %d programmes, %d modules, %d lectures, %d students and %d grades in %s.\n",
		z.Programmes, z.Modules, z.Lectures, z.Students, z.Grades, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// progressBar draws one line per stage: redrawn in place on a terminal,
// printed once per stage otherwise (logs, tests).
type progressBar struct {
	w        io.Writer
	terminal bool
	stage    string
}

func newProgressBar(w io.Writer) *progressBar {
	terminal := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	return &progressBar{w: w, terminal: terminal}
}

func (p *progressBar) update(stage string, done, total int) {
	if stage != p.stage && p.stage != "" && p.terminal {
		fmt.Fprintln(p.w)
	}
	p.stage = stage
	if !p.terminal {
		if done == total && total > 0 {
			fmt.Fprintf(p.w, "%-18s %9d done\n", stage, total)
		}
		return
	}
	if total == 0 { // a count whose end is not known yet
		fmt.Fprintf(p.w, "\r%-18s %9d", stage, done)
		return
	}
	const width = 30
	filled := 0
	if total > 0 {
		filled = width * done / total
	}
	fmt.Fprintf(p.w, "\r%-18s [%s%s] %3d%% %9d/%d", stage, strings.Repeat("#", filled), strings.Repeat("-", width-filled),
		100*done/max(total, 1), done, total)
}

func (p *progressBar) done() {
	if p.terminal && p.stage != "" {
		fmt.Fprintln(p.w)
	}
}
