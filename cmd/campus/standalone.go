package main

import (
	"context"
	"io/fs"
	"net/http"

	"campus/internal/background"
	"campus/internal/db"
)

// serveAlone runs one service on its own address with its own database,
// as a replica behind a load balancer would: it opens and migrates the
// database, builds the service's handler and serves it under the path of
// its public URL.
func serveAlone(ctx context.Context, e env, service string, server *serverOptions, dbo *dbOption, migrations fs.FS,
	build func(ctx context.Context, p *process, d *db.DB) (http.Handler, error)) error {
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
	ctx, stopWork := workUntilClosed(ctx, p)
	defer stopWork()
	p.metrics.Database(service, d)
	h, err := build(ctx, p, d)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mount(mux, p, p.basePath(), service, h)
	return p.serve(ctx, mux)
}

// workUntilClosed gives the services a context whose background work
// (outboxes, housekeeping, pollers) the returned stop ends and waits for,
// at most the shutdown grace; deferred after the databases' Close, it runs
// before them, so no worker touches a closed database or opens it again.
func workUntilClosed(ctx context.Context, p *process) (context.Context, func()) {
	g := &background.Group{}
	ctx, cancel := context.WithCancel(background.With(ctx, g))
	return ctx, func() {
		cancel()
		if !g.Wait(p.opts.ShutdownGrace) {
			p.logger.Warn("background work still running when the databases close", "waited", p.opts.ShutdownGrace)
		}
	}
}
