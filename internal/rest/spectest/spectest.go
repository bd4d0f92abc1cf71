// Package spectest checks a REST API's handlers against its OpenAPI
// document (api/study.yaml, api/messages.yaml) in tests: every request a
// test makes and every answer it gets must be one the document describes.
// It is for tests only; each API has a small package that names its
// document (internal/study/api/spectest, internal/messages/api/spectest).
package spectest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// V validates exchanges with an API against its OpenAPI document. It is
// safe for concurrent use by parallel tests.
type V struct {
	name   string // the document's file, for messages
	doc    *openapi3.T
	router routers.Router
}

// Doc is one API's document, parsed once per test binary on first use;
// the parsed document and router are only read afterwards.
type Doc struct {
	load func() (*V, error)
}

// For names the document data (its file name, e.g. "api/study.yaml").
func For(name string, data []byte) *Doc {
	return &Doc{load: sync.OnceValues(func() (*V, error) { return newV(name, data) })}
}

func newV(name string, data []byte) (*V, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("%s is not valid OpenAPI: %w", name, err)
	}
	// The legacy router matches the request's path against the paths as
	// written when the document has no servers, as ours has none: the
	// handler sees /v1/... whatever prefix it is mounted under. The
	// gorillamux router would need a server URL to match against.
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", name, err)
	}
	return &V{name: name, doc: doc, router: router}, nil
}

// Validator returns the validator for the document; a document that does
// not load or validate fails the test.
func (d *Doc) Validator(tb testing.TB) *V {
	tb.Helper()
	v, err := d.load()
	if err != nil {
		tb.Fatalf("spectest: %v", err)
	}
	return v
}

// Document returns the parsed OpenAPI document, for tests that inspect it.
// The caller must not change it.
func (v *V) Document() *openapi3.T { return v.doc }

// Operations returns every documented operation as "METHOD /v1/path", with
// path parameters as in the document and in ServeMux patterns
// ("PATCH /v1/programmes/{id}"), sorted.
func (v *V) Operations() []string {
	var ops []string
	for path, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

// Check fails the test (with Errorf, so the test goes on) unless the
// exchange of req and resp, whose body is body, is one the document
// describes:
//   - req's method and path (as the handler sees it, /v1/...) are a
//     documented operation;
//   - the response status is documented for that operation, with the
//     documented content type and headers (ETag, Location,
//     WWW-Authenticate), a body that matches the schema, no body where
//     none is documented, and a problem's "status" equal to the status;
//   - req's parameters and body match the document. A request that does
//     not is accepted only when the handler refused it with a documented
//     4xx: tests of refusals (a missing If-Match, a grade off the scale)
//     send such requests on purpose.
//
// Credentials are not checked against the security requirements.
//
// req's body is read again through req.GetBody, which http.NewRequest sets
// for in-memory bodies and Do sets always; a request with a body but
// without GetBody (httptest.NewRequest) fails the check, as its body was
// read by the handler. Use Do for handler tests.
func (v *V) Check(tb testing.TB, req *http.Request, resp *http.Response, body []byte) {
	tb.Helper()
	for _, problem := range v.Problems(req, resp, body) {
		tb.Errorf("spectest: %s", problem)
	}
}

// Do serves req with h, checks the exchange with Check, and returns the
// response and its body.
func (v *V) Do(tb testing.TB, h http.Handler, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	if req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			tb.Fatalf("spectest: read the request body: %v", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("spectest: read the response body: %v", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	v.Check(tb, req, resp, body)
	return resp, body
}

// Problems returns what is wrong with the exchange, each as a sentence.
func (v *V) Problems(req *http.Request, resp *http.Response, body []byte) []string {
	reqBody, err := requestBody(req)
	if err != nil {
		return []string{fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err)}
	}
	// Validate a copy: the validator reads the body and fills in defaults.
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, pathParams, err := v.router.FindRoute(r)
	if err != nil {
		return []string{fmt.Sprintf("%s %s is not an operation of %s (%v)", req.Method, req.URL.Path, v.name, err)}
	}
	status := resp.StatusCode
	name := fmt.Sprintf("%s %s (%s) answered %d", req.Method, req.URL.RequestURI(), route.Operation.OperationID, status)

	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
		// Name the place and the rule broken, without dumping the schema.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams, Route: route, Options: opts}
	var problems []string
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil && (status < 400 || status > 499) {
		problems = append(problems, fmt.Sprintf("%s, but the request does not match %s, so it should have been refused with a documented 4xx:\n%s", name, v.name, lines(err)))
	}

	documented := route.Operation.Responses.Status(status)
	if documented == nil {
		documented = route.Operation.Responses.Default()
	}
	if documented == nil {
		return append(problems, fmt.Sprintf("%s, which is not documented; documented are %s", name, strings.Join(statuses(route.Operation), ", ")))
	}

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: resp.Header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		problems = append(problems, fmt.Sprintf("%s; the response does not match %s:\n%s", name, v.name, lines(err)))
	}
	if len(documented.Value.Content) == 0 && len(body) > 0 && status != http.StatusNotModified {
		problems = append(problems, fmt.Sprintf("%s with a body of %d bytes, where %s documents none", name, len(body), v.name))
	}
	if p := problemStatus(resp.Header, body); p != 0 && p != status {
		problems = append(problems, fmt.Sprintf("%s, but the problem's \"status\" is %d", name, p))
	}
	return problems
}

// lines puts each of the validator's errors on a line of its own.
func lines(err error) string {
	return "\t" + strings.ReplaceAll(err.Error(), " | ", "\n\t")
}

// requestBody returns a fresh copy of req's body.
func requestBody(req *http.Request) ([]byte, error) {
	switch {
	case req.GetBody != nil:
		rc, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("get the request body again: %w", err)
		}
		defer rc.Close()
		return io.ReadAll(rc)
	case req.Body == nil || req.Body == http.NoBody:
		return nil, nil
	default:
		return nil, errors.New("the request body cannot be read again for validation: make the request with http.NewRequest and a bytes or strings reader (which sets GetBody), or use V.Do")
	}
}

// problemStatus returns the "status" member of a problem details body, or
// 0 when body is not one or has none.
func problemStatus(h http.Header, body []byte) int {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "application/problem+json" {
		return 0
	}
	var p struct {
		Status int `json:"status"`
	}
	if json.Unmarshal(body, &p) != nil {
		return 0
	}
	return p.Status
}

func statuses(op *openapi3.Operation) []string {
	var s []string
	for code := range op.Responses.Map() {
		s = append(s, code)
	}
	slices.SortFunc(s, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return s
}
