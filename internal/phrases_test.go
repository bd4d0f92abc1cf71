package internal_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"campus/internal/i18n"
	"campus/internal/problem"

	// Every package that writes problem documents adds its German to
	// problem.Phrases at init.
	_ "campus/internal/httpserver"
	_ "campus/internal/identity/policy"
	_ "campus/internal/identity/web"
	_ "campus/internal/messages/api"
	_ "campus/internal/portal"
	_ "campus/internal/rest"
	_ "campus/internal/study"
	_ "campus/internal/study/api"
	_ "campus/internal/study/store"
)

// problemPackages are the directories, under internal/, of the packages
// whose texts end up in problem documents (titles, details, field
// errors). A package that starts writing problems joins this list.
var problemPackages = []string{
	"problem",
	"rest",
	"httpserver",
	"identity/policy",
	"identity/web",
	"portal",
	"study",
	"study/api",
	"messages/api",
	"study/store",
}

// notProblemWriters import package problem for something else than
// writing problems (its RetryAfter).
var notProblemWriters = []string{"identity/oidcop"}

// TestProblemPackagesListed: every package that imports package problem is
// in problemPackages (or says why not), so that a new package's texts are
// scanned too.
func TestProblemPackagesListed(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"campus/internal/problem"` {
				seen[filepath.ToSlash(filepath.Dir(path))] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range seen {
		if !slices.Contains(problemPackages, dir) && !slices.Contains(notProblemWriters, dir) {
			t.Errorf("internal/%s imports package problem: add it to problemPackages in phrases_test.go", dir)
		}
	}
}

// textSinks are the places a problem text is handed over in the sources:
// fields of composite literals and arguments of calls.
var (
	// Composite literals: type name (without package) -> fields whose
	// value is a text. Positional elements count by their index.
	literalFields = map[string]map[string]int{
		"Details":    {"Title": 1, "Detail": 3},                           // problem.Details
		"FieldError": {"Detail": 1, "Message": 1},                         // problem.FieldError, study.FieldError
		"refusal":    {"detail": 0},                                       // identity/web: a refused change
		"csvRowJSON": {"Reason": 5},                                       // study/api: a refused row of a grade file
		"lineTexts":  {"enter": 0, "invalid": 1, "control": 2, "long": 3}, // study: one line's messages
	}
	// Calls: function or method name -> index of the text argument.
	// Methods match by name whatever their receiver, so a helper named
	// like one of these is checked too.
	callArgs = map[string]int{
		"Unauthorized":   3, // rest.Unauthorized(w, code, description, detail)
		"Forbidden":      2, // rest.Forbidden(w, scope, detail)
		"Invalid":        1, // rest.Query.Invalid(field, detail)
		"add":            1, // study.ValidationError.add(field, message)
		"checkRange":     2, // study: checkRange(v, field, format, n, lo, hi)
		"gatewayProblem": 2, // portal: gatewayProblem(w, status, detail)
	}
	// Fields whose assigned value is a text: p.Detail = "...".
	assignedFields = map[string]bool{"Detail": true, "detail": true, "Reason": true}
	// Package variables that map a field to the reason rest.Decode
	// refuses it with (the map literals given to Decode are checked too).
	refusalMaps = map[string]bool{"readOnlyFields": true}
	// Variables that hold a problem text, by package: detail := "...".
	// (identity/web's detail variables are audit records.)
	textVars = map[string]map[string]bool{"study/api": {"detail": true}}
	// Variables that collect texts: reasons = append(reasons, "...").
	textLists = map[string]bool{"reasons": true, "problems": true}
	// Functions whose returned texts become problem texts: every string
	// they return (a literal, a constant, a format) is checked.
	producers = map[string][]string{
		"rest": {"jsonProblem", "typeProblem", "kindProblem"},
		"identity/web": {"checkUsername", "checkEmail", "checkText", "conflictText",
			"tokenDetail", "takenText", "notFoundText", "ownText", "endedText"},
		"identity/policy": {"estimate", "Check"},
		"study/api":       {"parseGradeCSV", "reason"},
	}
)

// TestEveryProblemTextHasGerman parses the packages that write problem
// documents and checks that problem.Phrases knows the German of every
// text that becomes a problem's title, detail or field error. A text
// built from pieces (+) cannot be looked up; it must be one format string
// (fmt.Sprintf) so that the phrasebook can match it. A function that
// passes a parameter into a problem text fails too unless it is one of
// callArgs, so that a new helper's callers cannot slip past. Values the
// scan cannot follow (a variable, err.Error()) are checked where they are
// made: the producers, or a test of their own (study's attempt refusals).
func TestEveryProblemTextHasGerman(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	var missing []string
	checked := 0
	for _, dir := range problemPackages {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		var parsed []*ast.File
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, f)
		}
		s := &scan{fset: fset, dir: dir, consts: stringConsts(parsed)}
		for _, f := range parsed {
			s.file(f, producers[dir])
		}
		checked += len(s.texts)
		for _, tx := range s.texts {
			if tx.problem != "" {
				missing = append(missing, fmt.Sprintf("%s: %s: %q", tx.pos, tx.problem, tx.text))
				continue
			}
			if !problem.Phrases.Knows(i18n.German, tx.text) {
				missing = append(missing, fmt.Sprintf("%s: no German for %q", tx.pos, tx.text))
			}
		}
	}
	if checked < 250 {
		t.Errorf("found only %d problem texts; the scan no longer sees the sources' messages", checked)
	}
	if len(missing) > 0 {
		t.Errorf("%d problem texts cannot be written in German; add them to the package's phrases.go:\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}

type text struct {
	pos     token.Position
	text    string
	problem string // why the text cannot be looked up, if it cannot
}

type scan struct {
	fset   *token.FileSet
	dir    string
	fn     string         // the function being read
	params map[string]int // its parameters, by index
	consts map[string]string
	texts  []text
}

// stringConsts collects the package-level constants and variables that
// are a string literal.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							out[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	return out
}

func (s *scan) file(f *ast.File, producers []string) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			s.literal(n, typeName(n.Type))
		case *ast.CallExpr:
			if i, ok := callArgs[funcName(n.Fun)]; ok && i < len(n.Args) && !n.Ellipsis.IsValid() {
				s.expr(n.Args[i])
			}
			s.conflict(n)
			if f := funcName(n.Fun); (f == "Decode" || f == "decode") && len(n.Args) > 3 {
				s.mapValues(n.Args[3])
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if refusalMaps[name.Name] && i < len(n.Values) {
					s.mapValues(n.Values[i])
				}
			}
		case *ast.AssignStmt:
			// p.Detail = "...", refused.detail = "...", and a reason
			// appended to a list of them: reasons = append(reasons, "...").
			for i, lhs := range n.Lhs {
				if i >= len(n.Rhs) {
					break
				}
				if sel, ok := lhs.(*ast.SelectorExpr); ok && assignedFields[sel.Sel.Name] {
					s.expr(n.Rhs[i])
				}
				if id, ok := lhs.(*ast.Ident); ok && textVars[s.dir][id.Name] {
					s.expr(n.Rhs[i])
				}
				if id, ok := lhs.(*ast.Ident); ok && textLists[id.Name] {
					if c, ok := n.Rhs[i].(*ast.CallExpr); ok && funcName(c.Fun) == "append" {
						for _, a := range c.Args[1:] {
							s.expr(a)
						}
					}
				}
			}
		case *ast.FuncDecl:
			// Texts that arrive as a parameter are checked at the callers,
			// when the function is one of callArgs.
			s.fn, s.params = n.Name.Name, map[string]int{}
			i := 0
			for _, field := range n.Type.Params.List {
				for _, name := range field.Names {
					s.params[name.Name] = i
					i++
				}
				if len(field.Names) == 0 {
					i++
				}
			}
			if n.Body != nil && slices.Contains(producers, n.Name.Name) {
				s.returns(n.Body)
			}
		}
		return true
	})
}

// literal checks the text fields of a composite literal of type name, and
// of the elements of a slice of such literals written without their type.
func (s *scan) literal(n *ast.CompositeLit, name string) {
	if at, ok := n.Type.(*ast.ArrayType); ok {
		elem := typeName(at.Elt)
		for _, e := range n.Elts {
			if c, ok := e.(*ast.CompositeLit); ok && c.Type == nil {
				s.literal(c, elem)
			}
		}
		return
	}
	fields, ok := literalFields[name]
	if !ok {
		return
	}
	for i, e := range n.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok {
				if _, ok := fields[k.Name]; ok {
					s.expr(kv.Value)
				}
			}
			continue
		}
		for _, at := range fields {
			if at == i {
				s.expr(e)
			}
		}
	}
}

// mapValues checks the values of a map literal: rest.Decode's reasons
// for refusing a field.
func (s *scan) mapValues(e ast.Expr) {
	c, ok := e.(*ast.CompositeLit)
	if !ok {
		return
	}
	for _, el := range c.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			s.expr(kv.Value)
		}
	}
}

// conflict checks a conflict of the study service's store: study's API
// answers fmt.Errorf("a module with code %q exists already: %w", ...,
// study.ErrConflict) with the sentence "A module with code %q exists
// already." (conflictDetail).
func (s *scan) conflict(c *ast.CallExpr) {
	if funcName(c.Fun) != "fmt.Errorf" || len(c.Args) < 2 || typeName(c.Args[len(c.Args)-1]) != "ErrConflict" {
		return
	}
	lit, ok := c.Args[0].(*ast.BasicLit)
	if !ok {
		return
	}
	format, _ := strconv.Unquote(lit.Value)
	msg, ok := strings.CutSuffix(format, ": %w")
	pos := s.fset.Position(c.Pos())
	if !ok || msg == "" || !strings.Contains(pos.Filename, "study") {
		return
	}
	s.texts = append(s.texts, text{pos: pos, text: strings.ToUpper(msg[:1]) + msg[1:] + "."})
}

// returns checks every string a function body returns, in its function
// literals too.
func (s *scan) returns(body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		if r, ok := n.(*ast.ReturnStmt); ok {
			for _, e := range r.Results {
				switch e := e.(type) {
				case *ast.BasicLit:
					if e.Value != `""` {
						s.expr(e)
					}
				case *ast.Ident:
					if _, ok := s.consts[e.Name]; ok {
						s.expr(e)
					}
				case *ast.BinaryExpr:
					s.expr(e)
				case *ast.CallExpr:
					if isFormat(e) {
						s.expr(e)
					}
				}
			}
		}
		return true
	})
}

// expr records the text of e: a literal, a constant, or the format of
// fmt.Sprintf/Errorf or errors.New. Other values (variables, err.Error())
// come from somewhere that is checked where the text is written.
func (s *scan) expr(e ast.Expr) {
	pos := s.fset.Position(e.Pos())
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			v, _ := strconv.Unquote(e.Value)
			s.texts = append(s.texts, text{pos: pos, text: v})
		}
	case *ast.Ident:
		if v, ok := s.consts[e.Name]; ok {
			s.texts = append(s.texts, text{pos: pos, text: v})
		} else if i, ok := s.params[e.Name]; ok {
			// A helper that takes a text: its callers' texts are checked
			// only if it is listed.
			if at, listed := callArgs[s.fn]; !listed || at != i {
				s.texts = append(s.texts, text{pos: pos, text: e.Name,
					problem: fmt.Sprintf("%s passes its parameter %d into a problem text; add it to callArgs so that its callers' texts are checked", s.fn, i)})
			}
		}
	case *ast.ParenExpr:
		s.expr(e.X)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			s.texts = append(s.texts, text{pos: pos, text: source(s.fset, e),
				problem: "built from pieces; write it as one fmt.Sprintf format"})
		}
	case *ast.CallExpr:
		if isFormat(e) && len(e.Args) > 0 {
			s.format(e)
		}
	}
}

// waitForms are what identity's humanWait writes: a format that takes
// its wait as %s is looked up in each form, as the phrasebook then sees it.
var waitForms = []string{"1 second", "%d seconds", "%d minutes"}

// format records the format of a call to fmt.Sprintf and the like; a wait
// from humanWait is spelt out in each of its forms.
func (s *scan) format(c *ast.CallExpr) {
	lit, ok := c.Args[0].(*ast.BasicLit)
	wait := slices.ContainsFunc(c.Args[1:], func(a ast.Expr) bool {
		call, ok := a.(*ast.CallExpr)
		return ok && funcName(call.Fun) == "humanWait"
	})
	if !ok || !wait {
		s.expr(c.Args[0])
		return
	}
	format, _ := strconv.Unquote(lit.Value)
	for _, f := range waitForms {
		s.texts = append(s.texts, text{pos: s.fset.Position(lit.Pos()), text: strings.Replace(format, "%s", f, 1)})
	}
}

func isFormat(c *ast.CallExpr) bool {
	switch funcName(c.Fun) {
	case "fmt.Sprintf", "fmt.Errorf", "errors.New":
		return true
	}
	return false
}

// funcName is "pkg.Func" for a qualified call to fmt or errors, else the
// bare name of the function or method.
func funcName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && (x.Name == "fmt" || x.Name == "errors") {
			return x.Name + "." + e.Sel.Name
		}
		return e.Sel.Name
	}
	return ""
}

// typeName is the name of a type expression without its package.
func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.StarExpr:
		return typeName(e.X)
	}
	return ""
}

func source(fset *token.FileSet, n ast.Node) string {
	p, q := fset.Position(n.Pos()), fset.Position(n.End())
	b, err := os.ReadFile(p.Filename)
	if err != nil || q.Offset > len(b) {
		return ""
	}
	return string(b[p.Offset:q.Offset])
}
