package api

import (
	"bytes"
	"campus/internal/rest"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The documentation page is a plain index of the operations, rendered
// from the OpenAPI document when the code is generated (`go generate
// ./internal/messages/api`), not at start; TestDocsPageIsCurrent fails
// when the spec changed and the page was not generated again. It has no
// script and nothing from elsewhere. The document itself
// (v1/openapi.yaml) is the reference; any OpenAPI viewer shows it in full.

//go:generate go test -run ^TestDocsPageIsCurrent$ -update-docs .

// generatedPage is the page as generated from the spec.
//
//go:embed docs.gen.html
var generatedPage []byte

// docsCSP allows nothing beyond the page itself: it has no style sheet,
// script or image.
const docsCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

type docs struct{ page []byte }

type docsOperation struct {
	Method, Path, Summary, Tag string
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}} {{.Version}}</title></head>
<body><main id="main"><h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>The full reference is the OpenAPI document: <a href="openapi.yaml">openapi.yaml</a>.</p>
<pre>{{.Description}}</pre>
{{range .Tags}}<h2>{{.Name}}</h2>
<table><caption>{{.Name}}: operations</caption><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th></tr>
{{range .Ops}}<tr><td>{{.Method}}</td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td></tr>
{{end}}</table>
{{end}}</main></body></html>
`))

// newDocs renders the page from the spec (for go generate and the tests).
func newDocs() (*docs, error) {
	var doc struct {
		Info struct {
			Title, Version, Description string
		}
		Tags []struct{ Name string }
		// Paths: path -> method -> operation.
		Paths map[string]map[string]yaml.Node
	}
	if err := yaml.Unmarshal(Spec(), &doc); err != nil {
		return nil, fmt.Errorf("docs: api/messages.yaml: %w", err)
	}
	type tag struct {
		Name string
		Ops  []docsOperation
	}
	var tags []tag
	for _, t := range doc.Tags {
		tags = append(tags, tag{Name: t.Name})
	}
	for path, item := range doc.Paths {
		for method, node := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				Summary string
				Tags    []string
			}
			if err := node.Decode(&op); err != nil {
				return nil, fmt.Errorf("docs: %s %s: %w", method, path, err)
			}
			if len(op.Tags) == 0 {
				return nil, fmt.Errorf("docs: %s %s has no tag", method, path)
			}
			i := slices.IndexFunc(tags, func(t tag) bool { return t.Name == op.Tags[0] })
			if i < 0 {
				return nil, fmt.Errorf("docs: %s %s has the undeclared tag %q", method, path, op.Tags[0])
			}
			tags[i].Ops = append(tags[i].Ops, docsOperation{Method: strings.ToUpper(method), Path: path, Summary: op.Summary})
		}
	}
	for _, t := range tags {
		slices.SortFunc(t.Ops, func(a, b docsOperation) int {
			return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
		})
	}
	var buf bytes.Buffer
	err := docsPage.Execute(&buf, map[string]any{"Title": doc.Info.Title, "Version": doc.Info.Version,
		"Description": doc.Info.Description, "Tags": tags})
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	return &docs{page: buf.Bytes()}, nil
}

func (d *docs) handlePage() http.Handler {
	h := rest.StaticContent("text/html; charset=utf-8", d.page)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docsCSP)
		h.ServeHTTP(w, r)
	})
}
