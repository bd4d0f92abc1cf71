package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
	"campus/internal/problem"
	"campus/internal/rest"
)

// fail answers an error from the store through one table; anything
// unexpected is logged and answered without internals. ErrNotFound is
// also the answer for a conversation the caller is not in: the API never
// tells a stranger that it exists.
func fail(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	switch {
	case errors.Is(err, messages.ErrNotFound):
		problem.Write(w, problem.Details{Status: http.StatusNotFound,
			Detail: "There is no such conversation, message or attachment, or you are not a member of its conversation."})
	case errors.Is(err, messages.ErrForbidden):
		problem.Write(w, problem.Details{Status: http.StatusForbidden,
			Detail: "You are a member, but this is not yours to do: only a group's admins rename it and manage its members, only the sender edits or deletes a message, and nobody writes into notices."})
	case errors.Is(err, messages.ErrVersionMismatch):
		rest.Stale(w)
	case errors.Is(err, messages.ErrConflict):
		problem.Write(w, problem.Details{Status: http.StatusConflict,
			Detail: "This cannot be done here: course groups, direct conversations and notices keep their names and members, and a deleted message stays deleted."})
	case errors.Is(err, messages.ErrRateLimited):
		// RFC 6585 section 4, with Retry-After (RFC 9110 section 10.2.3)
		// in whole seconds, rounded up.
		wait := time.Second
		var rl *messages.RateLimited
		if errors.As(err, &rl) && rl.Wait > wait {
			wait = rl.Wait
		}
		w.Header().Set("Retry-After", strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10))
		problem.Write(w, problem.Details{Status: http.StatusTooManyRequests,
			Detail: "You are sending messages faster than this service allows. Wait a moment and send again."})
	case db.Unavailable(err):
		logger.WarnContext(r.Context(), "messages API: database unavailable", "path", r.URL.Path, "err", err)
		problem.Unavailable(w)
	default:
		logger.ErrorContext(r.Context(), "messages API", "path", r.URL.Path, "err", err)
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "Something went wrong on the messages service's side."})
	}
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) { fail(w, r, s.logger, err) }
