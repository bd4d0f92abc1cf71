package study

import (
	"testing"

	"campus/internal/i18n"
	"campus/internal/problem"
)

// TestAttemptRefusalsHaveGerman: NextAttemptAllowed's refusals reach the
// API as the attempt's field error (the store passes err.Error() on), a
// text the source scan cannot see; each has German.
func TestAttemptRefusalsHaveGerman(t *testing.T) {
	t.Parallel()
	grade := func(s string) Grade {
		g, err := ParseGrade(s)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	for name, tc := range map[string]struct {
		records []GradeRecord
		want    string
	}{
		"passed":      {[]GradeRecord{{Attempt: 1, Grade: grade("2.3"), Status: GradeFinal}}, "bereits bestanden (2.3 im 1. Versuch)"},
		"used up":     {[]GradeRecord{{Attempt: 1, Grade: grade("5.0"), Status: GradeFinal}}, "keine Versuche mehr übrig (1 von 1 verbraucht)"},
		"provisional": {[]GradeRecord{{Attempt: 1, Grade: grade("5.0"), Status: GradeProvisional}}, "Versuch 1 ist noch vorläufig"},
	} {
		maxAttempts := 3
		if name == "used up" {
			maxAttempts = 1
		}
		_, err := NextAttemptAllowed(tc.records, maxAttempts)
		if err == nil {
			t.Fatalf("%s: allowed", name)
		}
		if got, ok := problem.Phrases.Translate(i18n.German, err.Error()); !ok || got != tc.want {
			t.Errorf("%s: %q in German = %q, want %q", name, err, got, tc.want)
		}
	}
}
