package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The portal reads and changes everything through the study API and
// identity's admin API, one small client each (study_client.go,
// identity_client.go). A client builds the URL (ids escaped, queries
// encoded), sends the request as the signed-in person, decodes the answer
// and turns any other status into an *apiError, so that a page handler
// reads as: fetch, render, or show the problem.

// Errors an API call may end in, compared with errors.Is; errSignedOut
// (auth.go) also stands for a 401.
var (
	errNotFound  = errors.New("not found")
	errForbidden = errors.New("forbidden")
	errConflict  = errors.New("conflict")
	// errStale is a change refused because the item changed meanwhile
	// (412 to If-Match): fetch the current version and show it.
	errStale = errors.New("changed meanwhile")
	// errLocked is a catalogue change without a live study token: none was
	// got, or the study API refused it (expired or revoked).
	errLocked = errors.New("catalogue editing is locked")
	// errIdentityDown, errStudyDown and errMessagesDown mean the API could
	// not be reached or answered 502, 503 or 504: the person is told to
	// try again later (503), and their session goes on.
	errIdentityDown = errors.New("identity cannot be reached")
	errStudyDown    = errors.New("the study service cannot be reached")
	errMessagesDown = errors.New("the messages service cannot be reached")
	// errStepUp is a 401 whose WWW-Authenticate is RFC 9470's step-up
	// challenge (insufficient_user_authentication): the token is good,
	// but the change needs a sign-in with a second factor. The person is
	// not signed out, and is told so.
	errStepUp = errors.New("the change needs a sign-in with a second factor")
)

// apiError is an API's answer other than 2xx, with its RFC 9457 problem
// as far as the body was one.
type apiError struct {
	Method, Path string
	Status       int
	Problem      apiProblem
	down         error // the API's errIdentityDown or errStudyDown
	// StepUp is set on a 401 that asked for a stronger sign-in.
	StepUp *stepUp
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s %s: %d", e.Method, e.Path, e.Status)
	if e.Problem.Detail != "" {
		msg += " " + e.Problem.Detail
	}
	return msg
}

// Is maps the status to the errors above.
func (e *apiError) Is(target error) bool {
	switch e.Status {
	case http.StatusNotFound:
		return target == errNotFound
	case http.StatusUnauthorized:
		if e.StepUp != nil {
			return target == errStepUp
		}
		return target == errSignedOut
	case http.StatusForbidden:
		return target == errForbidden
	case http.StatusConflict:
		return target == errConflict
	case http.StatusPreconditionFailed:
		return target == errStale
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return e.down != nil && target == e.down
	}
	return false
}

// statusOf is the API's status in err, 0 when err is not an API's answer.
func statusOf(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// problemOf is the problem in err (empty when there is none).
func problemOf(err error) apiProblem {
	var e *apiError
	if errors.As(err, &e) {
		return e.Problem
	}
	return apiProblem{}
}

// apiProblem is an API's RFC 9457 answer.
type apiProblem struct {
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
	// MaxRows is set when a grade file has too many rows.
	MaxRows int `json:"max_rows"`
}

func (p apiProblem) fields() map[string]string {
	m := map[string]string{}
	for _, e := range p.Errors {
		if _, ok := m[e.Field]; !ok {
			m[e.Field] = e.Detail
		}
	}
	return m
}

// listPage is one page of a list and the cursor of the next ("" at the end).
type listPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// apiClient sends requests to one API under base.
type apiClient struct {
	base string
	// down is the error that stands for this API's being unreachable
	// (errIdentityDown, errStudyDown).
	down error
	// send sends a request as the session's person (nil: anonymously).
	send func(ctx context.Context, sess *session, req *http.Request) (*http.Response, error)
}

// call is one request: the path (with its query) under the client's base,
// a JSON body or raw bytes, an If-Match header and other headers (empty
// values are left out).
type call struct {
	method, path string
	body         any
	raw          []byte    // sent as is with contentType instead of body
	stream       io.Reader // like raw, read as it is sent (a multipart upload)
	contentType  string
	ifMatch      string
	headers      []string // name, value pairs
}

type pageLangKey struct{}

// withPageLang carries the language of the page a request is for
// (langOf) in its context, for every API call made while answering it.
func withPageLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), pageLangKey{}, langOf(r))))
	})
}

// pageLang is the language of the page ctx answers for; English when it
// is none.
func pageLang(ctx context.Context) Lang {
	if l, ok := ctx.Value(pageLangKey{}).(Lang); ok {
		return l
	}
	return English
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 16 << 20

// do sends c and decodes a 2xx answer into into (nil: the answer is not
// read); another status is an *apiError.
func (c apiClient) do(ctx context.Context, sess *session, cl call, into any) error {
	resp, err := c.open(ctx, sess, cl)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if into == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(into); err != nil {
		path, _, _ := strings.Cut(cl.path, "?")
		return fmt.Errorf("%s %s: decode the answer: %w", cl.method, path, err)
	}
	return nil
}

// open sends c and returns a 2xx answer with its body unread, for the
// caller to close (a file passed on as it comes); another status is an
// *apiError.
func (c apiClient) open(ctx context.Context, sess *session, cl call) (*http.Response, error) {
	var body io.Reader
	switch {
	case cl.stream != nil:
		body = cl.stream
	case cl.raw != nil:
		body = bytes.NewReader(cl.raw)
	case cl.method != http.MethodGet:
		var buf bytes.Buffer
		if cl.body != nil {
			if err := json.NewEncoder(&buf).Encode(cl.body); err != nil {
				return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
			}
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.base+cl.path, body)
	if err != nil {
		return nil, err
	}
	switch {
	case cl.raw != nil || cl.stream != nil:
		req.Header.Set("Content-Type", cl.contentType)
	case cl.method != http.MethodGet:
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.ifMatch != "" {
		req.Header.Set("If-Match", cl.ifMatch)
	}
	// The API answers problems in the page's language, so that the field
	// errors the page shows are in it.
	req.Header.Set("Accept-Language", string(pageLang(ctx)))
	for i := 0; i+1 < len(cl.headers); i += 2 {
		if cl.headers[i+1] != "" {
			req.Header.Set(cl.headers[i], cl.headers[i+1])
		}
	}
	resp, err := c.send(ctx, sess, req)
	path, _, _ := strings.Cut(cl.path, "?")
	if err != nil {
		// A refresh that failed has said why itself; anything else is the
		// API's not answering.
		if c.down != nil && ctx.Err() == nil && !errors.Is(err, errSignedOut) && !errors.Is(err, errIdentityDown) {
			return nil, fmt.Errorf("%w: %s %s: %w", c.down, cl.method, path, err)
		}
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		e := &apiError{Method: cl.method, Path: path, Status: resp.StatusCode, down: c.down}
		if resp.StatusCode == http.StatusUnauthorized {
			if su, ok := stepUpOf(resp.Header); ok {
				e.StepUp = &su
			}
		}
		// The problem is best effort: the status already says what
		// happened, and a proxy's error page is no problem document.
		json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&e.Problem)
		return nil, e
	}
	return resp, nil
}

// send sends a request to an API as the signed-in person (with the study
// token for catalogue changes), or anonymously without a session.
func (s *server) send(ctx context.Context, sess *session, req *http.Request) (*http.Response, error) {
	if err := s.authorize(ctx, sess, req); err != nil {
		return nil, err
	}
	return s.d.API.Do(req)
}

// authorize puts the session's token on req (none without a session).
func (s *server) authorize(ctx context.Context, sess *session, req *http.Request) error {
	switch {
	case sess == nil:
	case sess.useStudy:
		req.Header.Set("Authorization", "Bearer "+sess.Study)
	default:
		tok, err := s.rp.accessToken(ctx, sess)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}
