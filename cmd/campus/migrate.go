package main

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"campus/internal/config"
	identitystore "campus/internal/identity/store"
	messagesstore "campus/internal/messages/store"
	portalstore "campus/internal/portal/store"
	studystore "campus/internal/study/store"
)

type migrateConfig struct {
	data                                      serverOptions // only DataDir and logging are used
	services                                  []string
	identityDB, studyDB, portalDB, messagesDB dbOption
}

func newMigrateConfig() (*migrateConfig, *config.Set) {
	c := &migrateConfig{}
	c.identityDB, c.studyDB, c.portalDB, c.messagesDB = serviceDBs()
	s := config.NewSet("migrate", "Apply the database migrations of the chosen services and exit. Safe to run while other replicas start: migrations take a lock.")
	c.data.registerData(s)
	s.StringList(&c.services, "migrate.services", "service", "CAMPUS_MIGRATE_SERVICES", "identity,study,portal,messages", "Services whose databases to migrate")
	c.identityDB.register(s, "identity-db")
	c.studyDB.register(s, "study-db")
	c.portalDB.register(s, "portal-db")
	c.messagesDB.register(s, "messages-db")
	return c, s
}

func (c *migrateConfig) validate() []error {
	var errs []error
	for _, svc := range c.services {
		if !slices.Contains([]string{"identity", "study", "portal", "messages"}, svc) {
			errs = append(errs, fmt.Errorf("--service %q: want identity, study, portal or messages", svc))
		}
	}
	for _, d := range []*dbOption{&c.identityDB, &c.studyDB, &c.portalDB, &c.messagesDB} {
		if slices.Contains(c.services, d.service) {
			errs = append(errs, d.validate()...)
		}
	}
	return errs
}

// runMigrate brings the chosen databases up to date and reports each.
func runMigrate(ctx context.Context, e env, args []string) error {
	c, s := newMigrateConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	dataDir, err := filepath.Abs(c.data.DataDir)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, "text", "warn")
	for _, d := range []struct {
		opt        *dbOption
		migrations fs.FS
	}{
		{&c.identityDB, identitystore.Migrations},
		{&c.studyDB, studystore.Migrations},
		{&c.portalDB, portalstore.Migrations},
		{&c.messagesDB, messagesstore.Migrations},
	} {
		if !slices.Contains(c.services, d.opt.service) {
			continue
		}
		if d.opt.isSQLite() {
			if err := ensureDir(dataDir); err != nil {
				return err
			}
		}
		db, err := openDB(ctx, logger, d.opt.service, d.opt.resolve(dataDir), d.migrations)
		if err != nil {
			return err
		}
		v, err := db.SchemaVersion(ctx)
		db.Close()
		if err != nil {
			return fmt.Errorf("%s database: %w", d.opt.service, err)
		}
		fmt.Fprintf(e.stdout, "%-8s %s: schema version %d\n", d.opt.service, db, v)
	}
	return nil
}
