package api

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "write docs.gen.html from the spec (go generate)")

// TestDocsPageIsCurrent: the page served is the one the spec and the
// template render today; -update-docs writes it.
func TestDocsPageIsCurrent(t *testing.T) {
	t.Parallel()
	d, err := newDocs()
	if err != nil {
		t.Fatal(err)
	}
	if *updateDocs {
		if err := os.WriteFile("docs.gen.html", d.page, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(d.page, generatedPage) {
		t.Fatal("docs.gen.html is not the page api/messages.yaml renders: run go generate ./internal/messages/api")
	}
}
