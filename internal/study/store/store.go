package store

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the study schema's migrations, for db.Migrate.
var Migrations, _ = fs.Sub(migrations, "migrations")
