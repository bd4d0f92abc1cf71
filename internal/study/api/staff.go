package api

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"campus/internal/problem"
	"campus/internal/rest"
	"campus/internal/study/store"
)

// Responsible staff of programmes and modules, and the rosters the
// messages service keeps its course groups by.

// putStaff makes the person {sub} responsible for the programme or module
// {id}: a person identity knows, checked as for enrolments.
func (s *server) putStaff(add func(context.Context, string, string) (bool, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) {
		sub := r.PathValue("sub")
		if !s.personExists(w, r, sub) {
			return
		}
		if _, err := add(r.Context(), r.PathValue("id"), sub); err != nil {
			fail(w, r, s.logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// deleteStaff ends the responsibility of {sub} for {id}; 404 when there
// was none. The subject is not checked at identity: someone whose account
// is gone must still be removable.
func (s *server) deleteStaff(remove func(context.Context, string, string) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) {
		if err := remove(r.Context(), r.PathValue("id"), r.PathValue("sub")); err != nil {
			fail(w, r, s.logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type rosterGroupJSON struct {
	Kind     string   `json:"kind"`
	ID       string   `json:"id"`
	Code     string   `json:"code,omitempty"`
	Title    string   `json:"title"`
	Students []string `json:"students"`
	Staff    []string `json:"staff"`
}

// rosters answers every course's roster, for the messages service: a
// service's own token (client credentials) with rosters:read, never a
// person's. The body is written as it is read, group by group, so that
// the study service never holds a large university's rosters as one
// document; a client that has the current revision (If-None-Match) gets
// 304 after one tiny query.
func (s *server) rosters(w http.ResponseWriter, r *http.Request, p *Principal) {
	if p.Subject == "" || p.Subject != p.ClientID {
		problem.Write(w, problem.Details{Status: http.StatusForbidden,
			Detail: "The rosters are for services: use a client-credentials token of a service's own client, such as the messages service's."})
		return
	}
	w.Header().Add("Vary", "Accept-Encoding")
	var bw *bufio.Writer
	closeBody := func() error { return nil }
	first := true
	err := s.store.Rosters(r.Context(), func(rev int64) (bool, error) {
		etag := `"` + strconv.FormatInt(rev, 10) + `"`
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", "no-cache")
		if rest.NoneMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return false, nil
		}
		h.Set("Content-Type", "application/json")
		var out io.Writer = w
		if acceptsGzip(r) {
			// Lists of ids compress several times over (RFC 9110 section
			// 8.4.1.3); Go's client asks for gzip and unpacks it by itself.
			h.Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			closeBody = zw.Close
			out = zw
		}
		w.WriteHeader(http.StatusOK)
		bw = bufio.NewWriterSize(out, 64<<10)
		_, err := bw.WriteString(`{"revision":` + strconv.FormatInt(rev, 10) + `,"groups":[`)
		return true, err
	}, func(g store.RosterGroup) error {
		b, err := json.Marshal(rosterGroupJSON{Kind: g.Kind, ID: g.ID, Code: g.Code, Title: g.Title, Students: g.Students, Staff: g.Staff})
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		_, err = bw.Write(b)
		return err
	})
	if bw == nil {
		if err != nil {
			fail(w, r, s.logger, err)
		}
		return
	}
	if err != nil {
		// The status is sent: all that is left is to cut the body short,
		// which the client sees as invalid JSON, never as a roster.
		s.logger.ErrorContext(r.Context(), "study API: rosters", "err", err)
		bw.Flush()
		panic(http.ErrAbortHandler)
	}
	bw.WriteString("]}\n")
	bw.Flush()
	closeBody()
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// (RFC 9110 section 12.5.3), not with q=0.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				q := strings.ReplaceAll(params, " ", "")
				return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
			}
		}
	}
	return false
}
