package rest

import (
	"net/http"
	"slices"
	"strings"

	"campus/internal/problem"
)

// AnyVersion is what IfMatch returns for "If-Match: *", or for a missing
// header where none is required: the change may be made whatever the
// version.
const AnyVersion = 0

// Match says how a change reads If-Match.
type Match struct {
	// Required answers 428 when the header is missing (RFC 6585 section
	// 3), so that no change is made blind to another one.
	Required bool
	// Current reads the resource's version now. IfMatch calls it only for
	// a list of several tags, to find the one that matches.
	Current func() (int, error)
	// Alias, when set, reads a further strong tag format the service still
	// accepts for a version (one it handed out before); nil for none.
	Alias func(tag string) (int, bool)
}

// IfMatch evaluates If-Match (RFC 9110 section 13.1.1) for a change: it
// returns the version the change is to be made against, which the store
// then compares with the current one (a mismatch is a 412 there), or
// AnyVersion for "*". It answers and returns false on 428 (required and
// missing) or 412 (no tag can match). The comparison is the strong one: a
// weak tag (W/"3") never matches, and is refused even if the version is
// current.
func IfMatch(w http.ResponseWriter, r *http.Request, m Match) (int, bool) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		if !m.Required {
			return AnyVersion, true
		}
		problem.Write(w, problem.Details{Status: http.StatusPreconditionRequired, Title: "If-Match required",
			Detail: "Send If-Match with the ETag you read (GET), so that a change made meanwhile by someone else is not overwritten."})
		return 0, false
	}
	if h == "*" {
		return AnyVersion, true
	}
	var versions []int
	for tag := range strings.SplitSeq(h, ",") {
		tag = strings.TrimSpace(tag)
		v, ok := ParseETag(tag)
		if !ok && m.Alias != nil {
			v, ok = m.Alias(tag)
		}
		if ok {
			versions = append(versions, v)
		}
	}
	switch {
	case len(versions) == 1:
		return versions[0], true
	case len(versions) > 1 && m.Current != nil:
		if v, err := m.Current(); err == nil && slices.Contains(versions, v) {
			return v, true
		}
	}
	Stale(w)
	return 0, false
}

// Stale answers 412: the resource changed since the caller read it, or
// If-Match named no ETag of it.
func Stale(w http.ResponseWriter) {
	problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed, Title: "Changed meanwhile",
		Detail: "It was changed since you read it (or If-Match names no strong ETag of it). Read it again (GET), then send your change with its new ETag in If-Match."})
}
