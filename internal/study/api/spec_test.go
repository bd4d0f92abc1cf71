package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"campus/internal/study/api/spectest"
)

// TestServesTheSpec checks that the document served is the file
// api/study.yaml (spectest reads the same bytes from the package campus/api).
func TestServesTheSpec(t *testing.T) {
	want, err := os.ReadFile("../../../api/study.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Spec(), want) {
		t.Error("Spec() differs from api/study.yaml")
	}
}

// TestSpecIsValidOpenAPI loads the document with kin-openapi, which
// validates it (examples included) as OpenAPI 3.0.
func TestSpecIsValidOpenAPI(t *testing.T) {
	doc := spectest.Validator(t).Document()
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 0 {
		t.Errorf("the document names servers %v; it must not, as the API is mounted under different prefixes and spectest routes by path", doc.Servers)
	}
}

// TestSpecConventions checks every operation against the conventions of
// the API, so that a new operation cannot leave out what clients rely on.
func TestSpecConventions(t *testing.T) {
	doc := spectest.Validator(t).Document()
	tags := make(map[string]bool)
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	for _, want := range []string{"Catalogue", "Enrolments", "Grades", "Meta"} {
		if !tags[want] {
			t.Errorf("tag %s is not declared", want)
		}
	}
	knownScopes := []string{"studies:write", "grades:read", "grades:write", "rosters:read"}
	ids := make(map[string]string)

	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			t.Run(name, func(t *testing.T) {
				has := func(code int) bool { return op.Responses.Status(code) != nil }
				need := func(code int, why string) {
					t.Helper()
					if !has(code) {
						t.Errorf("%d is not documented, though %s", code, why)
					}
				}

				if op.OperationID == "" {
					t.Error("no operationId")
				} else if other, dup := ids[op.OperationID]; dup {
					t.Errorf("operationId %s is also used by %s", op.OperationID, other)
				}
				ids[op.OperationID] = name
				if len(op.Tags) != 1 || !tags[op.Tags[0]] {
					t.Errorf("tags = %v, want exactly one declared tag", op.Tags)
				}
				if op.Summary == "" {
					t.Error("no summary")
				}
				if !strings.HasPrefix(path, "/v1/") {
					t.Errorf("path does not start with /v1/")
				}

				security := doc.Security
				if op.Security != nil {
					security = *op.Security
				}
				public := len(security) == 0 || slices.ContainsFunc(security, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })
				scopes := scopesOf(op)
				for _, s := range scopes {
					if !slices.Contains(knownScopes, s) {
						t.Errorf("x-scopes names %q, not one of %v", s, knownScopes)
					}
				}
				if len(scopes) > 0 && public {
					t.Error("x-scopes on a public operation")
				}
				if len(security) > 0 {
					need(401, "the operation accepts credentials (invalid ones are refused)")
				}
				if len(scopes) > 0 {
					need(403, "the operation needs a scope")
				}
				for _, r := range security {
					if _, ok := r["key"]; ok && method != http.MethodGet {
						t.Error("the read-only API key in the query is accepted by an operation that is not GET")
					}
				}

				params := slices.Clone(op.Parameters)
				params = append(params, item.Parameters...)
				var query, ifMatch, pathParams bool
				for _, p := range params {
					switch p.Value.In {
					case openapi3.ParameterInQuery:
						query = true
					case openapi3.ParameterInPath:
						pathParams = true
					case openapi3.ParameterInHeader:
						ifMatch = ifMatch || p.Value.Name == "If-Match"
					}
				}
				if pathParams {
					need(404, "the path names a resource")
				}
				if query {
					need(400, "the operation takes query parameters")
				}
				if ifMatch {
					need(412, "the operation takes If-Match")
					need(428, "the operation requires If-Match")
				}
				if (method == http.MethodPatch || method == http.MethodDelete) && pathParams && !ifMatch && !isLink(path) {
					t.Error("PATCH or DELETE of a single resource without If-Match")
				}
				if rb := op.RequestBody; rb != nil {
					json := false
					for mt, c := range rb.Value.Content {
						if isJSON(mt) {
							json = true
							if c.Schema == nil {
								t.Errorf("request body %s has no schema", mt)
							}
						}
					}
					need(400, "the operation takes a body")
					need(413, "the operation takes a body")
					need(415, "the operation takes a body of given types")
					if json {
						need(422, "the operation takes a JSON body")
					}
				}

				var errorResponses int
				for code, ref := range op.Responses.Map() {
					resp := ref.Value
					status, err := strconv.Atoi(code)
					if err != nil {
						t.Errorf("response %q: statuses are numeric here", code)
						continue
					}
					if resp.Description == nil || *resp.Description == "" {
						t.Errorf("%d has no description", status)
					}
					for mt, c := range resp.Content {
						if isJSON(mt) && c.Schema == nil {
							t.Errorf("%d %s has no schema", status, mt)
						}
					}
					if status >= 400 {
						errorResponses++
						c := resp.Content.Get("application/problem+json")
						if c == nil || len(resp.Content) != 1 {
							t.Errorf("%d: errors are application/problem+json only, got %v", status, keys(resp.Content))
						} else if r := c.Schema.Ref; r != "#/components/schemas/Problem" && r != "#/components/schemas/LinkProblem" && r != "#/components/schemas/RowsProblem" {
							t.Errorf("%d: error schema is %q, want Problem, LinkProblem or RowsProblem", status, r)
						}
					}
					if status == 401 && resp.Headers["WWW-Authenticate"] == nil {
						t.Error("401 without a WWW-Authenticate header")
					}
					if status >= 200 && status < 300 {
						if c := resp.Content.Get("application/json"); c != nil && c.Schema != nil && hasVersion(c.Schema.Value) && !isLink(path) {
							if h := resp.Headers["ETag"]; h == nil || !h.Value.Required {
								t.Errorf("%d returns a single versioned resource without a required ETag header", status)
							}
						}
					}
					if status == 201 && doc.Paths.Value(path+"/{id}") != nil && doc.Paths.Value(path+"/{id}").Get != nil {
						if h := resp.Headers["Location"]; h == nil || !h.Value.Required {
							t.Error("201 of a resource that can be read at its own path, without a required Location header")
						}
					}
				}
				if errorResponses == 0 && (len(params) > 0 || op.RequestBody != nil || len(security) > 0) {
					t.Error("no error responses documented, though the operation takes input")
				}
			})
		}
	}
}

// isLink reports whether path names a link between two resources
// (/v1/programmes/{id}/modules/{moduleId}), which has no version of its own.
func isLink(path string) bool {
	return strings.Count(path, "{") == 2 && strings.HasSuffix(path, "}")
}

func scopesOf(op *openapi3.Operation) []string {
	raw, _ := op.Extensions["x-scopes"].([]any)
	var s []string
	for _, v := range raw {
		str, _ := v.(string)
		s = append(s, str)
	}
	return s
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// hasVersion reports whether s describes one versioned resource: an
// object with a top-level version, through allOf.
func hasVersion(s *openapi3.Schema) bool {
	if s.Properties["version"] != nil {
		return true
	}
	return slices.ContainsFunc(s.AllOf, func(r *openapi3.SchemaRef) bool { return hasVersion(r.Value) })
}

func keys(c openapi3.Content) []string {
	var k []string
	for mt := range c {
		k = append(k, mt)
	}
	slices.Sort(k)
	return k
}

// metaServer serves the three documentation routes as routes.go does.
func metaServer(t *testing.T) http.Handler {
	t.Helper()
	d, err := newDocs()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/openapi.yaml", handleSpec())
	mux.Handle("GET /v1/docs", d.handlePage())
	mux.Handle("GET /v1/docs.css", d.handleCSS())
	return mux
}

func TestMetaHandlersMatchSpec(t *testing.T) {
	v := spectest.Validator(t)
	h := metaServer(t)
	tests := []struct {
		path, contentType string
		body              []byte
	}{
		{"/v1/openapi.yaml", "application/yaml", Spec()},
		{"/v1/docs", "text/html; charset=utf-8", nil},
		{"/v1/docs.css", "text/css; charset=utf-8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			resp, body := v.Do(t, h, req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Error("body differs from the document")
			}
			if len(body) == 0 {
				t.Error("empty body")
			}

			etag := resp.Header.Get("ETag")
			req = httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("If-None-Match", "W/"+etag)
			if resp, body := v.Do(t, h, req); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("with If-None-Match: status %d and %d bytes, want 304 and none", resp.StatusCode, len(body))
			}
		})
	}
}

func TestDocsPage(t *testing.T) {
	v := spectest.Validator(t)
	rec := httptest.NewRecorder()
	metaServer(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/docs", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != docsCSP {
		t.Errorf("Content-Security-Policy = %q, want %q", got, docsCSP)
	}
	page := rec.Body.String()

	t.Run("every operation", func(t *testing.T) {
		for _, op := range v.Operations() {
			method, path, _ := strings.Cut(op, " ")
			want := `<span class="method" data-method="` + method + `">` + method + `</span> <code>` + path + `</code></h3>`
			if !strings.Contains(page, want) {
				t.Errorf("no heading for %s", op)
			}
		}
		// The page's own parser must see what kin-openapi sees.
		doc, err := parseOpenAPI(Spec())
		if err != nil {
			t.Fatal(err)
		}
		var ours []string
		for _, path := range doc.Paths.keys {
			for _, mo := range doc.Paths.m[path].operations() {
				ours = append(ours, mo.method+" "+path)
			}
		}
		slices.Sort(ours)
		if !slices.Equal(ours, v.Operations()) {
			t.Errorf("the page's parser sees %v,\nkin-openapi sees %v", ours, v.Operations())
		}
	})

	t.Run("accessible structure", func(t *testing.T) {
		if !strings.HasPrefix(page, "<!doctype html>\n<html lang=\"en\">") {
			t.Error("the page does not start with a doctype and <html lang>")
		}
		headings := regexp.MustCompile(`<h([1-6])[\s>]`).FindAllStringSubmatch(page, -1)
		if len(headings) == 0 || headings[0][1] != "1" {
			t.Fatal("the first heading is not an h1")
		}
		prev := 0
		for i, h := range headings {
			level := int(h[1][0] - '0')
			if level == 1 && i > 0 {
				t.Errorf("heading %d is a second h1", i+1)
			}
			if level > prev+1 {
				t.Errorf("heading %d is an h%d after an h%d: a level is skipped", i+1, level, prev)
			}
			prev = level
		}
		for _, th := range regexp.MustCompile(`<th\b[^>]*>`).FindAllString(page, -1) {
			if !strings.Contains(th, `scope="col"`) && !strings.Contains(th, `scope="row"`) {
				t.Errorf("table header without scope: %s", th)
			}
		}
		if n, m := strings.Count(page, "<table"), strings.Count(page, "<caption"); n != m {
			t.Errorf("%d tables but %d captions", n, m)
		}
		if !strings.Contains(page, `<main id="main">`) || !strings.Contains(page, `href="#main"`) {
			t.Error("no main landmark with a skip link")
		}
		ids := make(map[string]bool)
		for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
			if ids[m[1]] {
				t.Errorf("id %q is used twice", m[1])
			}
			ids[m[1]] = true
		}
		for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
			if !ids[m[1]] {
				t.Errorf("link to #%s, which is not on the page", m[1])
			}
		}
	})

	t.Run("works under its CSP", func(t *testing.T) {
		for _, bad := range []string{"<script", " style=", "<style", "javascript:", " src=", `="http://`, `="https://`, `="//`} {
			if strings.Contains(page, bad) {
				t.Errorf("the page contains %q", bad)
			}
		}
		if !strings.Contains(page, `<link rel="stylesheet" href="docs.css">`) {
			t.Error("the style sheet is not linked relatively")
		}
	})
}

func TestParseOpenAPIRefusesBrokenDocuments(t *testing.T) {
	tests := []struct {
		name, doc string
	}{
		{"not YAML", "openapi: [3.0.3"},
		{"missing schema", `
openapi: 3.0.3
paths:
  /v1/x:
    get:
      operationId: x
      tags: [Meta]
      summary: X
      responses:
        '200':
          description: X
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Nothing'
`},
		{"missing response", `
openapi: 3.0.3
paths:
  /v1/x:
    get:
      responses:
        '200':
          $ref: '#/components/responses/Nothing'
`},
		{"remote ref", `
openapi: 3.0.3
components:
  schemas:
    A:
      $ref: 'other.yaml#/components/schemas/A'
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseOpenAPI([]byte(tt.doc)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"One `a<b>` two.", "<p>One <code>a&lt;b&gt;</code> two.</p>"},
		{"a\nb\n\n- x\n- `y`", "<p>a b</p><ul><li>x</li><li><code>y</code></li></ul>"},
		{"odd ` tick <i>", "<p>odd ` tick &lt;i&gt;</p>"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(markdown(tt.in)); got != tt.want {
			t.Errorf("markdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
