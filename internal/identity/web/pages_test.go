package web

import (
	"io"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestEveryPageParses: every page template is named in pageNames and
// parses in the layout (identity parses each only on its first use), also
// when requests ask for pages at once.
func TestEveryPageParses(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		part := slices.ContainsFunc(pageNames, func(p string) bool { return slices.Contains(pageParts[p], name) })
		if name != "layout" && !part && !slices.Contains(pageNames, name) {
			t.Errorf("%s is not in pageNames: it would never be parsed", f)
		}
	}
	p, err := parsePages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		for _, name := range pageNames {
			wg.Go(func() {
				if tpl, err := p.t[name](); err != nil || tpl.Lookup("layout") == nil {
					t.Errorf("page %s: %v", name, err)
				}
			})
		}
	}
	wg.Wait()
}
