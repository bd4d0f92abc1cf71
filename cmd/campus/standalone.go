package main

import (
	"context"
	"io/fs"
	"net/http"

	"campus/internal/db"
)

// serveAlone runs one service on its own address with its own database,
// as a replica behind a load balancer would: it opens and migrates the
// database, builds the service's handler and serves it under the path of
// its public URL.
func serveAlone(ctx context.Context, e env, service string, server *serverOptions, dbo *dbOption, migrations fs.FS,
	build func(p *process, d *db.DB) (http.Handler, error)) error {
	p, err := start(e, server, dbo.isSQLite())
	if err != nil {
		return err
	}
	defer p.close()
	stopObserving, err := p.observe(ctx, "campus-"+service)
	if err != nil {
		return err
	}
	defer stopObserving()
	d, err := openDB(ctx, p.logger, service, dbo.resolve(p.dataDir), migrations)
	if err != nil {
		return err
	}
	defer d.Close()
	p.metrics.Database(service, d)
	h, err := build(p, d)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mount(mux, p, p.basePath(), service, h)
	return p.serve(ctx, mux)
}
