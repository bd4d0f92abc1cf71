package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// listenIdle is how long Listen waits for a notification before it checks
// that the connection still answers: a server that vanished without
// closing the socket (a host down, a partition) would otherwise leave the
// listener deaf until TCP keepalive notices, minutes later.
const listenIdle = 30 * time.Second

// Listen holds one connection of the pool for PostgreSQL LISTEN on channel
// and calls notify with each payload in the order the server sends them
// (the order of the commits that sent them). listening (may be nil) is
// called once the LISTEN is in effect: everything committed from then on
// reaches notify. Listen returns nil when ctx ends and the error otherwise
// (the connection broke or the server ended it); the caller reconnects and
// catches up on what was committed meanwhile, which no notification will
// tell. The connection is never returned to the pool, which would hand a
// listening session to a query.
func (db *DB) Listen(ctx context.Context, channel string, listening func(), notify func(payload string)) error {
	if db.dialect != Postgres {
		return fmt.Errorf("listen: %s has no LISTEN/NOTIFY", db.dialect)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen on %s: %w", db, err)
	}
	defer conn.Close()
	var failed error
	conn.Raw(func(dc any) error { //nolint:errcheck // always ErrBadConn, to discard the connection
		failed = listen(ctx, dc.(*stdlib.Conn).Conn(), channel, listening, notify)
		return driver.ErrBadConn
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("listen on %s: %w", db, failed)
}

func listen(ctx context.Context, c *pgx.Conn, channel string, listening func(), notify func(string)) error {
	// LISTEN takes an identifier, not a parameter.
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	if listening != nil {
		listening()
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := c.WaitForNotification(wctx)
		cancel()
		switch {
		case n != nil:
			notify(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
			// Idle: a timeout leaves the connection usable (pgconn closes
			// it on any other error); prove that the server is still there.
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = c.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		case err != nil:
			return err
		}
	}
}
