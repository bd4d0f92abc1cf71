// Package internal_test holds the test that keeps the services apart.
package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// services are the packages under internal/ that are services. Decision 1
// in docs/decisions.md: no service imports another service's packages,
// directly or through a package between them; they share only plumbing.
// Every other package under internal/ is plumbing (db, problem,
// tokencheck, httpserver, ...) or, like a demo seeder, sits above the
// services; cmd/campus assembles them all.
var services = []string{"identity", "study", "portal", "messages"}

const module = "campus"

// service names the service a package path belongs to, or "".
func service(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, module+"/internal/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	if slices.Contains(services, name) {
		return name
	}
	return ""
}

// graph is the module's import graph: a package's imports within the
// module, from its non-test files (deps) and from its tests (testDeps).
type graph map[string]struct{ deps, testDeps []string }

// violations lists, for every package of a service, the first import path
// that reaches another service's package: directly, or through plumbing
// (non-test imports are followed, as the build follows them). A package's
// own tests count, since they ship in the same tree and would drag the
// other service into its test binary.
func (g graph) violations() []string {
	var out []string
	for _, pkg := range slices.Sorted(maps.Keys(g)) {
		own := service(pkg)
		if own == "" {
			continue
		}
		// Breadth first, so the path reported is a shortest one.
		from := map[string]string{pkg: ""}
		queue := slices.Concat(g[pkg].deps, g[pkg].testDeps)
		for _, d := range queue {
			if _, seen := from[d]; !seen {
				from[d] = pkg
			}
		}
		for i := 0; i < len(queue); i++ {
			d := queue[i]
			if other := service(d); other != "" && other != own {
				path := []string{d}
				for p := from[d]; p != ""; p = from[p] {
					path = append(path, p)
				}
				slices.Reverse(path)
				out = append(out, strings.Join(path, " → "))
				break
			}
			for _, next := range g[d].deps {
				if _, seen := from[next]; !seen {
					from[next] = d
					queue = append(queue, next)
				}
			}
		}
	}
	return out
}

// load parses the imports of every Go file under root (the module's
// directory), whatever its build tags.
func load(t *testing.T, root string) graph {
	t.Helper()
	g := graph{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (n == "testdata" || n == "vendor" || n == "node_modules" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := module
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		e := g[pkg]
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if p != module && !strings.HasPrefix(p, module+"/") {
				continue
			}
			if strings.HasSuffix(path, "_test.go") {
				e.testDeps = append(e.testDeps, p)
			} else {
				e.deps = append(e.deps, p)
			}
		}
		g[pkg] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestServicesImportNoOtherService(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.HasPrefix(string(b), "module "+module+"\n") {
		t.Fatalf("%s is not the root of module %s: %v", root, module, err)
	}
	g := load(t, root)
	// The test proves nothing if it no longer sees the services.
	for _, s := range []string{"identity", "study", "portal"} {
		if _, ok := g[module+"/internal/"+s]; !ok {
			t.Fatalf("package internal/%s not found; has the layout changed?", s)
		}
	}
	for _, v := range g.violations() {
		t.Errorf("service boundary crossed (decision 1 in docs/decisions.md): %s", v)
	}
}

func TestViolations(t *testing.T) {
	const (
		id      = module + "/internal/identity"
		idStore = module + "/internal/identity/store"
		study   = module + "/internal/study"
		sStore  = module + "/internal/study/store"
		portal  = module + "/internal/portal"
		msgs    = module + "/internal/messages/api"
		dbPkg   = module + "/internal/db"
		demo    = module + "/internal/demo"
		cmd     = module + "/cmd/campus"
	)
	tests := []struct {
		name string
		g    graph
		want []string
	}{
		{name: "plumbing only", g: graph{idStore: {deps: []string{id, dbPkg}}, sStore: {deps: []string{study, dbPkg}}}},
		{name: "the binary imports everything", g: graph{cmd: {deps: []string{idStore, sStore, portal, msgs}}}},
		{name: "a seeder above the services", g: graph{demo: {deps: []string{idStore, sStore}}}},
		{name: "direct", g: graph{portal: {deps: []string{dbPkg, study}}},
			want: []string{portal + " → " + study}},
		{name: "a sub-package of another service", g: graph{idStore: {deps: []string{sStore}}},
			want: []string{idStore + " → " + sStore}},
		{name: "from a test", g: graph{study: {testDeps: []string{idStore}}},
			want: []string{study + " → " + idStore}},
		{name: "through plumbing", g: graph{msgs: {deps: []string{dbPkg}}, dbPkg: {deps: []string{id}}},
			want: []string{msgs + " → " + dbPkg + " → " + id}},
		{name: "through a seeder", g: graph{id: {deps: []string{demo}}, demo: {deps: []string{sStore}}},
			want: []string{id + " → " + demo + " → " + sStore}},
		{name: "a dependency's tests do not count", g: graph{id: {deps: []string{dbPkg}}, dbPkg: {testDeps: []string{study}}}},
		{name: "within one service", g: graph{portal: {deps: []string{module + "/internal/portal/store"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.violations(); !slices.Equal(got, tt.want) {
				t.Errorf("violations = %q; want %q", got, tt.want)
			}
		})
	}
}
