package store_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"campus/internal/i18n"
	_ "campus/internal/messages/store" // its phrases
	"campus/internal/problem"
)

// TestConflictsHaveGerman: every conflict the store reports, written as
// the API writes it (capitalised, with a full stop), has its German.
func TestConflictsHaveGerman(t *testing.T) {
	t.Parallel()
	conflict := regexp.MustCompile(`fmt\.Errorf\("([^"]+): %w",[^\n]*messages\.ErrConflict\)`)
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range conflict.FindAllStringSubmatch(string(src), -1) {
			n++
			sentence := strings.ToUpper(m[1][:1]) + m[1][1:] + "."
			if !problem.Phrases.Knows(i18n.German, sentence) {
				t.Errorf("%s: no German for %q", f, sentence)
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d conflicts; the pattern no longer matches the sources", n)
	}
}
