package portal

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestEveryPageParses: every page template is named in pageNames and
// parses in the layout (the server parses each only on its first use),
// also when many requests ask for the same and for different pages at once.
func TestEveryPageParses(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name != "layout" && !slices.Contains(pageNames, name) {
			t.Errorf("%s is not in pageNames: it would never be parsed", f)
		}
	}
	ps := newPageSet()
	var wg sync.WaitGroup
	for range 3 {
		for _, name := range pageNames {
			wg.Go(func() {
				if tpl, err := ps.get(name); err != nil || tpl.Lookup("layout") == nil {
					t.Errorf("page %s: %v", name, err)
				}
			})
		}
	}
	wg.Wait()
	if _, err := ps.get("nonexistent"); err == nil {
		t.Error("an unknown page parsed")
	}
}
