package api

import (
	"bytes"
	"campus/internal/rest"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The documentation page is rendered from the OpenAPI document when the
// code is generated (`go generate ./internal/study/api`), not at start,
// where it cost a third of the start-up's CPU; TestDocsPageIsCurrent fails
// when the spec or the template changed and the page was not generated
// again. It needs no script and nothing from another origin: it works under
// docsCSP, with its style sheet served beside it.

//go:generate go test -run ^TestDocsPageIsCurrent$ -update-docs .

//go:embed templates/docs.html templates/docs.css
var docsFS embed.FS

// docsPage is the page as generated from the spec.
//
//go:embed templates/docs.gen.html
var docsPage []byte

// generatedDocs is the page generated from the spec, and its style sheet.
func generatedDocs() (*docs, error) {
	css, err := docsFS.ReadFile("templates/docs.css")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	return &docs{page: docsPage, css: css}, nil
}

// docsCSP allows the page's own style sheet and nothing else.
const docsCSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// docs is the rendered documentation page and its style sheet.
type docs struct {
	page, css []byte
}

// newDocs parses the OpenAPI document and renders the page (for
// go generate and the tests). A document or
// template that is broken fails here, at start, not on a request.
func newDocs() (*docs, error) {
	doc, err := parseOpenAPI(Spec())
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	view, err := buildPage(doc)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	t, err := template.ParseFS(docsFS, "templates/docs.html")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, view); err != nil {
		return nil, fmt.Errorf("docs: render: %w", err)
	}
	css, err := docsFS.ReadFile("templates/docs.css")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	return &docs{page: buf.Bytes(), css: css}, nil
}

// handlePage serves the documentation page (GET /v1/docs).
func (d *docs) handlePage() http.Handler {
	h := rest.StaticContent("text/html; charset=utf-8", d.page)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docsCSP)
		h.ServeHTTP(w, r)
	})
}

// handleCSS serves the page's style sheet (GET /v1/docs.css); the page
// links it relatively, so it works under any mount prefix.
func (d *docs) handleCSS() http.Handler {
	return rest.StaticContent("text/css; charset=utf-8", d.css)
}

// The subset of OpenAPI 3.0 that the page shows. $refs are resolved after
// parsing, by pointer, so that shared components stay shared.

type oaDoc struct {
	Info struct {
		Title, Version, Description string
	}
	Tags     []oaTag
	Security []map[string][]string
	Paths    ordered[*oaPathItem]
	// Components are looked up by $ref.
	Components struct {
		SecuritySchemes ordered[*oaSecurityScheme] `yaml:"securitySchemes"`
		Parameters      map[string]*oaParameter
		Headers         map[string]*oaHeader
		Responses       map[string]*oaResponse
		Schemas         ordered[*oaSchema]
	}
}

type oaTag struct{ Name, Description string }

type oaSecurityScheme struct {
	Type, Scheme, In, Name, Description string
	BearerFormat                        string `yaml:"bearerFormat"`
}

type oaPathItem struct {
	Parameters                    []*oaParameter
	Get, Put, Post, Patch, Delete *oaOperation
	Head, Options, Trace          *oaOperation
}

type oaOperation struct {
	Tags        []string
	OperationID string `yaml:"operationId"`
	Summary     string
	Description string
	Scopes      []string `yaml:"x-scopes"`
	// Security is nil when the operation inherits the document's.
	Security    *[]map[string][]string
	Parameters  []*oaParameter
	RequestBody *oaRequestBody `yaml:"requestBody"`
	Responses   map[string]*oaResponse
}

type oaParameter struct {
	Ref         string `yaml:"$ref"`
	Name, In    string
	Description string
	Required    bool
	Schema      *oaSchema
	Example     yaml.Node // Kind 0 when absent
}

type oaRequestBody struct {
	Required    bool
	Description string
	Content     ordered[*oaMediaType]
}

type oaMediaType struct {
	Schema  *oaSchema
	Example yaml.Node
}

type oaResponse struct {
	Ref         string `yaml:"$ref"`
	Description string
	Headers     ordered[*oaHeader]
	Content     ordered[*oaMediaType]
}

type oaHeader struct {
	Ref         string `yaml:"$ref"`
	Description string
	Required    bool
	Schema      *oaSchema
}

type oaSchema struct {
	Ref              string `yaml:"$ref"`
	Type, Format     string
	Description      string
	Enum             []yaml.Node
	Default, Example yaml.Node
	Nullable         bool
	Minimum, Maximum *float64
	MinLength        *int `yaml:"minLength"`
	MaxLength        *int `yaml:"maxLength"`
	Pattern          string
	Required         []string
	Properties       ordered[*oaSchema]
	Items            *oaSchema
	AllOf            []*oaSchema `yaml:"allOf"`
	OneOf            []*oaSchema `yaml:"oneOf"`

	target *oaSchema // what Ref names, once resolved
	name   string    // the component's name, for a $ref
}

// ordered is a YAML mapping that keeps its keys in document order, so the
// page lists paths and fields as the document's authors arranged them.
type ordered[T any] struct {
	keys []string
	m    map[string]T
}

func (o *ordered[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	o.m = make(map[string]T, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		var v T
		if err := n.Content[i+1].Decode(&v); err != nil {
			return err
		}
		k := n.Content[i].Value
		if _, dup := o.m[k]; dup {
			return fmt.Errorf("line %d: %q appears twice", n.Content[i].Line, k)
		}
		o.keys = append(o.keys, k)
		o.m[k] = v
	}
	return nil
}

// parseOpenAPI reads the document and resolves its local $refs; a $ref
// that names nothing is an error.
func parseOpenAPI(data []byte) (*oaDoc, error) {
	var doc oaDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse OpenAPI document: %w", err)
	}
	r := resolver{doc: &doc, done: make(map[*oaSchema]bool)}
	for _, name := range doc.Components.Schemas.keys {
		r.schema(doc.Components.Schemas.m[name])
	}
	for _, p := range doc.Components.Parameters {
		r.schema(p.Schema)
	}
	for _, h := range doc.Components.Headers {
		r.schema(h.Schema)
	}
	for _, resp := range doc.Components.Responses {
		r.response(resp)
	}
	for _, path := range doc.Paths.keys {
		item := doc.Paths.m[path]
		r.parameters(item.Parameters)
		for _, op := range item.operations() {
			r.parameters(op.op.Parameters)
			if op.op.RequestBody != nil {
				for _, mt := range op.op.RequestBody.Content.m {
					r.schema(mt.Schema)
				}
			}
			for code, resp := range op.op.Responses {
				op.op.Responses[code] = r.responseRef(resp)
			}
		}
	}
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return &doc, nil
}

type resolver struct {
	doc  *oaDoc
	done map[*oaSchema]bool
	errs []error
}

// component returns the name a local $ref points to in section.
func (r *resolver) component(ref, section string) (string, bool) {
	name, ok := strings.CutPrefix(ref, "#/components/"+section+"/")
	if !ok {
		r.errs = append(r.errs, fmt.Errorf("$ref %q: only #/components/%s/ is supported here", ref, section))
	}
	return name, ok
}

func (r *resolver) schema(s *oaSchema) {
	if s == nil || r.done[s] {
		return
	}
	r.done[s] = true
	if s.Ref != "" {
		if name, ok := r.component(s.Ref, "schemas"); ok {
			t, found := r.doc.Components.Schemas.m[name]
			if !found {
				r.errs = append(r.errs, fmt.Errorf("$ref %q names no schema", s.Ref))
				return
			}
			s.target, s.name = t, name
		}
		return
	}
	for _, name := range s.Properties.keys {
		r.schema(s.Properties.m[name])
	}
	r.schema(s.Items)
	for _, a := range s.AllOf {
		r.schema(a)
	}
	for _, a := range s.OneOf {
		r.schema(a)
	}
}

func (r *resolver) parameters(ps []*oaParameter) {
	for i, p := range ps {
		if p.Ref != "" {
			name, ok := r.component(p.Ref, "parameters")
			if !ok {
				continue
			}
			t, found := r.doc.Components.Parameters[name]
			if !found {
				r.errs = append(r.errs, fmt.Errorf("$ref %q names no parameter", p.Ref))
				continue
			}
			ps[i] = t
			continue
		}
		r.schema(p.Schema)
	}
}

func (r *resolver) responseRef(resp *oaResponse) *oaResponse {
	if resp.Ref == "" {
		r.response(resp)
		return resp
	}
	name, ok := r.component(resp.Ref, "responses")
	if !ok {
		return resp
	}
	t, found := r.doc.Components.Responses[name]
	if !found {
		r.errs = append(r.errs, fmt.Errorf("$ref %q names no response", resp.Ref))
		return resp
	}
	return t
}

func (r *resolver) response(resp *oaResponse) {
	for _, name := range resp.Headers.keys {
		h := resp.Headers.m[name]
		if h.Ref != "" {
			n, ok := r.component(h.Ref, "headers")
			if !ok {
				continue
			}
			t, found := r.doc.Components.Headers[n]
			if !found {
				r.errs = append(r.errs, fmt.Errorf("$ref %q names no header", h.Ref))
				continue
			}
			resp.Headers.m[name] = t
			continue
		}
		r.schema(h.Schema)
	}
	for _, mt := range resp.Content.m {
		r.schema(mt.Schema)
	}
}

type methodOp struct {
	method string
	op     *oaOperation
}

// operations returns the item's operations in the order the page shows
// them: reading first, then creating, changing and deleting.
func (item *oaPathItem) operations() []methodOp {
	var ops []methodOp
	for _, m := range []methodOp{
		{"GET", item.Get}, {"HEAD", item.Head}, {"POST", item.Post}, {"PUT", item.Put},
		{"PATCH", item.Patch}, {"DELETE", item.Delete}, {"OPTIONS", item.Options}, {"TRACE", item.Trace},
	} {
		if m.op != nil {
			ops = append(ops, m)
		}
	}
	return ops
}

// The page's view model: everything is computed here, so the template only
// lays out.

type pageView struct {
	Title, Version string
	Intro          template.HTML
	Schemes        []schemeView
	Tags           []tagView
	Schemas        []schemaView
}

type schemeView struct {
	Name, Kind  string
	Description template.HTML
}

type tagView struct {
	Name, ID    string
	Description template.HTML
	Ops         []opView
}

type opView struct {
	ID, Method, Path, Summary string
	Description               template.HTML
	Access                    template.HTML
	Params                    []paramView
	Body                      *bodyView
	Responses                 []responseView
	Errors                    []errorView
	Curl                      string
}

type paramView struct {
	Name, In    string
	Type        template.HTML
	Required    bool
	Description template.HTML
}

type bodyView struct {
	Required    bool
	Description template.HTML
	Contents    []contentView
}

// contentView is a body in one or more media types sharing a schema.
type contentView struct {
	MediaTypes []string
	Schema     *schemaView
}

type responseView struct {
	Status, Reason string
	Description    template.HTML
	Headers        []paramView
	Contents       []contentView
}

type errorView struct {
	Status, Reason string
	Description    template.HTML
	Headers        []string
	Body           template.HTML
}

// schemaView is a schema laid out as a table of fields, nested fields
// flattened into paths ("modules[].lectures[].title").
type schemaView struct {
	Name, ID    string
	Type        template.HTML
	Description template.HTML
	Notes       []template.HTML
	Fields      []fieldView
}

type fieldView struct {
	Name        string
	Type        template.HTML
	Required    bool
	Description template.HTML
}

// maxDepth bounds how deep nested objects are flattened into an
// operation's field table; deeper ones are linked to the Schemas section.
const maxDepth = 4

func buildPage(doc *oaDoc) (*pageView, error) {
	v := &pageView{
		Title:   doc.Info.Title,
		Version: doc.Info.Version,
		Intro:   markdown(doc.Info.Description),
	}
	for _, name := range doc.Components.SecuritySchemes.keys {
		s := doc.Components.SecuritySchemes.m[name]
		kind := "HTTP " + s.Scheme
		if s.BearerFormat != "" {
			kind += " (" + s.BearerFormat + ")"
		}
		if s.Type == "apiKey" {
			kind = fmt.Sprintf("API key in the %s parameter %s", s.In, s.Name)
		}
		v.Schemes = append(v.Schemes, schemeView{Name: name, Kind: kind, Description: markdown(s.Description)})
	}
	tags := make(map[string]int)
	for _, t := range doc.Tags {
		tags[t.Name] = len(v.Tags)
		v.Tags = append(v.Tags, tagView{Name: t.Name, ID: "tag-" + anchor(t.Name), Description: markdown(t.Description)})
	}
	seen := make(map[string]bool)
	for _, path := range doc.Paths.keys {
		item := doc.Paths.m[path]
		for _, mo := range item.operations() {
			op := mo.op
			if op.OperationID == "" || len(op.Tags) == 0 {
				return nil, fmt.Errorf("%s %s: an operation needs an operationId and a tag", mo.method, path)
			}
			if seen[op.OperationID] {
				return nil, fmt.Errorf("operationId %q is used twice", op.OperationID)
			}
			seen[op.OperationID] = true
			i, ok := tags[op.Tags[0]]
			if !ok {
				return nil, fmt.Errorf("%s %s: tag %q is not declared", mo.method, path, op.Tags[0])
			}
			ov, err := buildOperation(doc, mo.method, path, item, op)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", mo.method, path, err)
			}
			v.Tags[i].Ops = append(v.Tags[i].Ops, ov)
		}
	}
	for _, name := range doc.Components.Schemas.keys {
		sv := schemaTable(name, doc.Components.Schemas.m[name], 1)
		sv.ID = "schema-" + name
		v.Schemas = append(v.Schemas, sv)
	}
	return v, nil
}

func buildOperation(doc *oaDoc, method, path string, item *oaPathItem, op *oaOperation) (opView, error) {
	ov := opView{
		ID:          "op-" + op.OperationID,
		Method:      method,
		Path:        path,
		Summary:     op.Summary,
		Description: markdown(op.Description),
	}
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	ov.Access = access(security, op.Scopes)

	// Operation parameters override the path item's of the same name and
	// location (OpenAPI 3.0.3, Operation Object).
	params := slices.Clone(op.Parameters)
	for _, p := range item.Parameters {
		if !slices.ContainsFunc(params, func(q *oaParameter) bool { return q.Name == p.Name && q.In == p.In }) {
			params = append(params, p)
		}
	}
	order := map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}
	slices.SortStableFunc(params, func(a, b *oaParameter) int { return order[a.In] - order[b.In] })
	for _, p := range params {
		ov.Params = append(ov.Params, paramView{
			Name: p.Name, In: p.In, Required: p.Required,
			Type:        typeHTML(p.Schema),
			Description: joinHTML(markdownInline(p.Description), details(flatten(p.Schema, 0))),
		})
	}

	if rb := op.RequestBody; rb != nil {
		ov.Body = &bodyView{
			Required:    rb.Required,
			Description: markdown(rb.Description),
			Contents:    contents(op.OperationID+"-request", rb.Content),
		}
	}

	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		if _, err := strconv.Atoi(code); err != nil {
			return ov, fmt.Errorf("response %q: only numeric statuses are shown", code)
		}
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		resp := op.Responses[code]
		n, _ := strconv.Atoi(code)
		if n >= 400 {
			ov.Errors = append(ov.Errors, errorRow(code, n, resp))
			continue
		}
		rv := responseView{Status: code, Reason: http.StatusText(n), Description: markdown(resp.Description)}
		for _, name := range resp.Headers.keys {
			h := resp.Headers.m[name]
			rv.Headers = append(rv.Headers, paramView{
				Name: name, Required: h.Required, Type: typeHTML(h.Schema),
				Description: markdownInline(h.Description),
			})
		}
		rv.Contents = contents(op.OperationID+"-"+code, resp.Content)
		ov.Responses = append(ov.Responses, rv)
	}
	ov.Curl = curl(method, path, params, op, security)
	return ov, nil
}

// access says in words who may call an operation.
func access(security []map[string][]string, scopes []string) template.HTML {
	if len(security) == 0 {
		return "Public: no credentials."
	}
	optional, key := false, false
	for _, req := range security {
		if len(req) == 0 {
			optional = true
		}
		if _, ok := req["key"]; ok {
			key = true
		}
	}
	var b strings.Builder
	switch {
	case optional:
		b.WriteString("Public: no credentials needed. A bearer token, if given, must be valid.")
	case len(scopes) > 0:
		b.WriteString("A bearer token with the scope ")
		for i, s := range scopes {
			if i > 0 {
				b.WriteString(" and ")
			}
			b.WriteString("<code>" + template.HTMLEscapeString(s) + "</code>")
		}
		b.WriteString(".")
	default:
		b.WriteString("Any valid bearer token; it acts for the person it was issued to.")
	}
	if key && !optional {
		b.WriteString(" An API key may also be given as the query parameter <code>key</code>.")
	}
	return template.HTML(b.String())
}

func errorRow(code string, n int, resp *oaResponse) errorView {
	ev := errorView{Status: code, Reason: http.StatusText(n), Description: markdownInline(resp.Description)}
	ev.Headers = append(ev.Headers, resp.Headers.keys...)
	var bodies []string
	for _, mt := range resp.Content.keys {
		s := resp.Content.m[mt].Schema
		b := template.HTMLEscapeString(mt)
		if s != nil && s.name != "" {
			b += " (" + schemaLink(s.name) + ")"
		}
		bodies = append(bodies, b)
	}
	ev.Body = template.HTML(strings.Join(bodies, ", "))
	return ev
}

// contents groups the media types of a body by schema, in order.
func contents(idPrefix string, c ordered[*oaMediaType]) []contentView {
	var out []contentView
	for _, mt := range c.keys {
		s := c.m[mt].Schema
		if len(out) > 0 {
			last := &out[len(out)-1]
			if prev := c.m[last.MediaTypes[0]].Schema; prev == s || (prev != nil && s != nil && prev.name != "" && prev.name == s.name) {
				last.MediaTypes = append(last.MediaTypes, mt)
				continue
			}
		}
		cv := contentView{MediaTypes: []string{mt}}
		if s != nil {
			sv := schemaTable(s.name, s, maxDepth)
			sv.ID = idPrefix + "-" + strconv.Itoa(len(out))
			cv.Schema = &sv
		}
		out = append(out, cv)
	}
	return out
}

// flat is a schema seen through its $refs and allOf: what a reader needs
// to know about a value.
type flat struct {
	name           string // the named schema it is, if any
	typ, format    string
	description    string
	enum           []string
	def, example   *yaml.Node
	nullable       bool
	min, max       *float64
	minLen, maxLen *int
	pattern        string
	items          *oaSchema
	props          []string
	propSchemas    map[string]*oaSchema
	required       map[string]bool
	exactlyOneOf   [][]string
}

// flatten merges s, what it refers to and its allOf parts. depth guards
// against reference cycles.
func flatten(s *oaSchema, depth int) flat {
	var f flat
	if s == nil || depth > 32 {
		return f
	}
	if s.target != nil {
		f = flatten(s.target, depth+1)
		f.name = s.name
		return f
	}
	f = flat{
		typ: s.Type, format: s.Format, description: s.Description,
		def: present(&s.Default), example: present(&s.Example), nullable: s.Nullable,
		min: s.Minimum, max: s.Maximum, minLen: s.MinLength, maxLen: s.MaxLength,
		pattern: s.Pattern, items: s.Items,
		propSchemas: make(map[string]*oaSchema), required: make(map[string]bool),
	}
	for _, e := range s.Enum {
		f.enum = append(f.enum, e.Value)
	}
	for _, part := range s.AllOf {
		pf := flatten(part, depth+1)
		if len(s.AllOf) == 1 && len(s.Properties.keys) == 0 {
			f.name = pf.name
		}
		f.typ = cmp(f.typ, pf.typ)
		f.format = cmp(f.format, pf.format)
		f.description = cmp(f.description, pf.description)
		f.pattern = cmp(f.pattern, pf.pattern)
		if len(f.enum) == 0 {
			f.enum = pf.enum
		}
		if f.def == nil {
			f.def = pf.def
		}
		if f.example == nil {
			f.example = pf.example
		}
		if f.items == nil {
			f.items = pf.items
		}
		f.min, f.max = cmpPtr(f.min, pf.min), cmpPtr(f.max, pf.max)
		f.minLen, f.maxLen = cmpPtr(f.minLen, pf.minLen), cmpPtr(f.maxLen, pf.maxLen)
		f.nullable = f.nullable || pf.nullable
		for _, p := range pf.props {
			f.addProp(p, pf.propSchemas[p], pf.required[p])
		}
		for p, req := range pf.required {
			f.required[p] = f.required[p] || req
		}
		f.exactlyOneOf = append(f.exactlyOneOf, pf.exactlyOneOf...)
	}
	for _, p := range s.Properties.keys {
		f.addProp(p, s.Properties.m[p], false)
	}
	for _, p := range s.Required {
		f.required[p] = true
	}
	// oneOf parts that only require a field say "exactly one of these".
	var one []string
	for _, part := range s.OneOf {
		if len(part.Required) == 1 && len(part.Properties.keys) == 0 {
			one = append(one, part.Required[0])
		}
	}
	if len(one) > 0 {
		f.exactlyOneOf = append(f.exactlyOneOf, one)
	}
	if f.typ == "" && len(f.props) > 0 {
		f.typ = "object"
	}
	return f
}

func (f *flat) addProp(name string, s *oaSchema, required bool) {
	if _, ok := f.propSchemas[name]; !ok {
		f.props = append(f.props, name)
	}
	f.propSchemas[name] = s
	if required {
		f.required[name] = true
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cmpPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// schemaTable lays out s. Nested objects are flattened up to depth levels.
func schemaTable(name string, s *oaSchema, depth int) schemaView {
	f := flatten(s, 0)
	sv := schemaView{Name: name, Type: typeHTML(s), Description: markdown(f.description)}
	if len(f.props) == 0 && f.typ != "array" {
		if d := details(f); d != "" {
			sv.Notes = append(sv.Notes, d)
		}
		return sv
	}
	for _, group := range f.exactlyOneOf {
		sv.Notes = append(sv.Notes, template.HTML("Exactly one of "+codeList(group, " and ")+" is present."))
	}
	if f.typ == "array" {
		fields(flatten(f.items, 0), "[].", depth, &sv.Fields, nil)
		return sv
	}
	fields(f, "", depth, &sv.Fields, nil)
	return sv
}

// fields appends f's properties to out as rows named prefix+name, and the
// properties of nested objects and arrays of objects below them.
func fields(f flat, prefix string, depth int, out *[]fieldView, stack []string) {
	for _, name := range f.props {
		ps := f.propSchemas[name]
		pf := flatten(ps, 0)
		*out = append(*out, fieldView{
			Name:        prefix + name,
			Type:        typeHTML(ps),
			Required:    f.required[name],
			Description: joinHTML(markdownInline(pf.description), details(pf)),
		})
		nested, sub := pf, prefix+name+"."
		if pf.typ == "array" && pf.items != nil {
			nested, sub = flatten(pf.items, 0), prefix+name+"[]."
		}
		if len(nested.props) == 0 || depth <= 1 || (nested.name != "" && slices.Contains(stack, nested.name)) {
			continue
		}
		fields(nested, sub, depth-1, out, append(stack, nested.name))
	}
}

// typeHTML names a schema's type for people, linking named schemas to the
// Schemas section: "string (date)", "array of Lecture".
func typeHTML(s *oaSchema) template.HTML {
	if s == nil {
		return "any"
	}
	f := flatten(s, 0)
	var t string
	switch {
	case f.typ == "array":
		t = "array of " + string(typeHTML(f.items))
	case f.name != "" && (f.typ == "object" || len(f.props) > 0):
		t = schemaLink(f.name)
	case f.name != "":
		t = template.HTMLEscapeString(f.typ) + " (" + schemaLink(f.name) + ")"
	case f.format != "":
		t = template.HTMLEscapeString(f.typ + " (" + f.format + ")")
	case f.typ != "":
		t = template.HTMLEscapeString(f.typ)
	default:
		t = "any"
	}
	if f.nullable {
		t += " or null"
	}
	return template.HTML(t)
}

func schemaLink(name string) string {
	return `<a href="#schema-` + template.HTMLEscapeString(name) + `">` + template.HTMLEscapeString(name) + `</a>`
}

// details lists a value's rules: allowed values, default, bounds, pattern.
func details(f flat) template.HTML {
	var d []string
	if len(f.enum) > 0 {
		d = append(d, "One of "+codeList(f.enum, ", ")+".")
	}
	if f.def != nil {
		d = append(d, "Default <code>"+template.HTMLEscapeString(scalar(f.def))+"</code>.")
	}
	switch {
	case f.min != nil && f.max != nil:
		d = append(d, fmt.Sprintf("From %s to %s.", num(*f.min), num(*f.max)))
	case f.min != nil:
		d = append(d, fmt.Sprintf("At least %s.", num(*f.min)))
	case f.max != nil:
		d = append(d, fmt.Sprintf("At most %s.", num(*f.max)))
	}
	switch {
	case f.minLen != nil && f.maxLen != nil:
		d = append(d, fmt.Sprintf("%d to %d characters.", *f.minLen, *f.maxLen))
	case f.maxLen != nil:
		d = append(d, fmt.Sprintf("At most %d characters.", *f.maxLen))
	case f.minLen != nil && *f.minLen == 1:
		d = append(d, "Not empty.")
	case f.minLen != nil:
		d = append(d, fmt.Sprintf("At least %d characters.", *f.minLen))
	}
	if f.pattern != "" {
		d = append(d, "Matches <code>"+template.HTMLEscapeString(f.pattern)+"</code>.")
	}
	return template.HTML(strings.Join(d, " "))
}

// present returns n, or nil when the document left it out.
func present(n *yaml.Node) *yaml.Node {
	if n.Kind == 0 {
		return nil
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return `""`
		}
		return n.Value
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "?"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func codeList(items []string, sep string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = "<code>" + template.HTMLEscapeString(s) + "</code>"
	}
	return strings.Join(parts, sep)
}

func joinHTML(parts ...template.HTML) template.HTML {
	var s []string
	for _, p := range parts {
		if p != "" {
			s = append(s, string(p))
		}
	}
	return template.HTML(strings.Join(s, " "))
}

// curl writes an example command with the path parameters' examples, and
// the query parameters that are required or have an example of their own.
// The shell variables STUDY (the service's base URL) and TOKEN are
// explained at the top of the page.
func curl(method, path string, params []*oaParameter, op *oaOperation, security []map[string][]string) string {
	target := path
	var query []string
	for _, p := range params {
		value := exampleOf(present(&p.Example), p.Schema)
		switch {
		case p.In == "path":
			target = strings.ReplaceAll(target, "{"+p.Name+"}", url.PathEscape(value))
		case p.In == "query" && (p.Required || present(&p.Example) != nil):
			query = append(query, url.QueryEscape(p.Name)+"="+url.QueryEscape(value))
		}
	}
	if len(query) > 0 {
		target += "?" + strings.Join(query, "&")
	}
	lines := []string{"curl"}
	if method != "GET" {
		lines[0] += " -X " + method
	}
	lines[0] += ` "$STUDY` + target + `"`
	needsToken := len(security) > 0 && !slices.ContainsFunc(security, func(r map[string][]string) bool { return len(r) == 0 })
	if needsToken {
		lines = append(lines, `-H "Authorization: Bearer $TOKEN"`)
	}
	for _, p := range params {
		if p.In == "header" && p.Required {
			lines = append(lines, "-H "+shellQuote(p.Name+": "+exampleOf(present(&p.Example), p.Schema)))
		}
	}
	if rb := op.RequestBody; rb != nil && len(rb.Content.keys) > 0 {
		mt := rb.Content.keys[0]
		lines = append(lines, "-H "+shellQuote("Content-Type: "+mt))
		if strings.HasSuffix(mt, "json") {
			lines = append(lines, "--data "+shellQuote(exampleBody(rb.Content.m[mt])))
		} else {
			lines = append(lines, "--data-binary @grades.csv")
		}
	}
	return strings.Join(lines, " \\\n  ")
}

// exampleOf is a parameter's example value, or its schema's.
func exampleOf(example *yaml.Node, s *oaSchema) string {
	if example != nil {
		return scalar(example)
	}
	f := flatten(s, 0)
	switch {
	case f.example != nil:
		return scalar(f.example)
	case f.def != nil:
		return scalar(f.def)
	case len(f.enum) > 0:
		return f.enum[0]
	}
	return "VALUE"
}

// exampleBody is a JSON example of a body: the media type's or schema's
// example, or one made of the properties' examples (required properties
// always, others when they have an example), in document order.
func exampleBody(mt *oaMediaType) string {
	if ex := present(&mt.Example); ex != nil {
		return compactJSON(ex)
	}
	f := flatten(mt.Schema, 0)
	if f.example != nil {
		return compactJSON(f.example)
	}
	var b strings.Builder
	b.WriteString("{")
	n := 0
	for _, name := range f.props {
		pf := flatten(f.propSchemas[name], 0)
		var v any
		switch {
		case pf.example != nil:
			_ = pf.example.Decode(&v)
		case !f.required[name]:
			continue
		case len(pf.enum) > 0:
			v = pf.enum[0]
		case pf.typ == "integer" || pf.typ == "number":
			v = 1
		case pf.typ == "boolean":
			v = true
		default:
			v = name
		}
		k, _ := json.Marshal(name)
		val, _ := json.Marshal(v)
		if n > 0 {
			b.WriteString(",")
		}
		b.Write(k)
		b.WriteString(":")
		b.Write(val)
		n++
	}
	b.WriteString("}")
	return b.String()
}

func compactJSON(n *yaml.Node) string {
	var v any
	if err := n.Decode(&v); err != nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// anchor makes a fragment id of a name.
func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}

// markdown renders the little Markdown the document's descriptions use:
// paragraphs separated by blank lines, lists of lines starting with "- ",
// and `code`. Everything else is text, escaped.
func markdown(s string) template.HTML {
	var b strings.Builder
	for block := range strings.SplitSeq(strings.TrimSpace(s), "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if lines[0] == "" {
			continue
		}
		if strings.HasPrefix(lines[0], "- ") {
			b.WriteString("<ul>")
			for _, l := range lines {
				b.WriteString("<li>" + inline(strings.TrimPrefix(strings.TrimSpace(l), "- ")) + "</li>")
			}
			b.WriteString("</ul>")
			continue
		}
		b.WriteString("<p>" + inline(strings.Join(lines, " ")) + "</p>")
	}
	return template.HTML(b.String())
}

// markdownInline renders a one-paragraph text without the paragraph, for
// table cells.
func markdownInline(s string) template.HTML {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "\n\n") || strings.HasPrefix(s, "- ") {
		return markdown(s)
	}
	return template.HTML(inline(strings.Join(strings.Fields(s), " ")))
}

func inline(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unmatched backtick: plain text
		return template.HTMLEscapeString(s)
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return b.String()
}
