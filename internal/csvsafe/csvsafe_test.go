package csvsafe

import (
	"bufio"
	"encoding/csv"
	"strings"
	"testing"
)

// TestRoundTrip: every cell written reads back through encoding/csv and
// Unneutralise as it was, and no cell a spreadsheet would run as a formula
// is written as one.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	cells := []string{"1.3", "", "=HYPERLINK(\"x\")", "+1", "-1.0", "@SUM(A1)", "\tx", "'=a", "''-b", "Amy Able, Jr.", " lead", `\.`, "line\nbreak", "ok"}
	var b strings.Builder
	w := bufio.NewWriter(&b)
	WriteRecord(w, cells)
	w.Flush()
	rec, err := csv.NewReader(strings.NewReader(b.String())).Read()
	if err != nil {
		t.Fatalf("%q: %v", b.String(), err)
	}
	for i, got := range rec {
		if strings.ContainsAny(got[:min(1, len(got))], "=+-@\t\r") {
			t.Errorf("cell %q is written as a formula: %q", cells[i], got)
		}
		if back := Unneutralise(got); back != cells[i] {
			t.Errorf("cell %q reads back as %q", cells[i], back)
		}
	}
	if !strings.HasPrefix(b.String(), "1.3,,") {
		t.Errorf("plain cells are changed: %q", b.String())
	}
}
