package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means the database cannot be reached or
// is not accepting work at the moment (it is restarting, shutting down,
// gone away mid-request), rather than that the request or the code is
// wrong. Services answer such errors with 503 and Retry-After instead of
// 500: nothing is wrong with the request, and sending it again once the
// database is back will work. A transaction that failed this way was
// rolled back by the server (it never committed), so a retry is safe.
//
// It recognises, anywhere in err's chain:
//   - a failed connection attempt (pgconn.ConnectError: refused, timed
//     out, "the database system is starting up", ...);
//   - SQLSTATE class 08 (connection exception), 57P01 admin_shutdown,
//     57P02 crash_shutdown, 57P03 cannot_connect_now and 53300
//     too_many_connections;
//   - a connection lost under a query: database/sql's driver.ErrBadConn,
//     a network error, a reset or refused connection, an unexpected EOF.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), pg.Code == "57P01", pg.Code == "57P02",
			pg.Code == "57P03", pg.Code == "53300":
			return true
		}
		// Any other SQLSTATE is the server's answer to this request.
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// Not the net.Error interface: context.DeadlineExceeded has its
	// methods too, and a request's own deadline says nothing of the
	// database.
	var op *net.OpError
	switch {
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &op):
		return true
	}
	return false
}

// OutageNote records whether any database call made with a context
// carrying it (see WithOutageNote) failed because the database was
// unavailable. It serves code that gets errors back through a library
// which keeps them from it: identity's OpenID Provider library answers a
// storage error itself, as a 500; the note lets the response writer
// around it make that a 503.
type OutageNote struct{ seen atomic.Bool }

type outageKey struct{}

// WithOutageNote returns ctx carrying a fresh note.
func WithOutageNote(ctx context.Context) (context.Context, *OutageNote) {
	n := new(OutageNote)
	return context.WithValue(ctx, outageKey{}, n), n
}

// Seen reports whether an outage was noted.
func (n *OutageNote) Seen() bool { return n != nil && n.seen.Load() }

// note records err in the context's note when it is an outage, and
// returns it.
func note(ctx context.Context, err error) error {
	if err != nil && Unavailable(err) {
		if n, ok := ctx.Value(outageKey{}).(*OutageNote); ok {
			n.seen.Store(true)
		}
	}
	return err
}
