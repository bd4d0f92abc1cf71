package textsearch

import (
	"slices"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"case and diacritics", []string{"Müller", "MÜLLER-Lüdenscheidt"}, []string{"ludenscheidt", "muller"}},
		{"codes split", []string{"INF-B-110 Introduction to Programming"}, []string{"110", "b", "inf", "introduction", "programming", "to"}},
		{"empty", []string{"", "  --  "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Words(tt.in...); !slices.Equal(got, tt.want) {
				t.Fatalf("Words = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTermsAndRange(t *testing.T) {
	t.Parallel()
	if got := Terms("  Geo-  geo ÜBER!"); !slices.Equal(got, []string{"geo", "uber"}) {
		t.Fatalf("Terms = %q", got)
	}
	lo, hi := Range("geo")
	for _, w := range []string{"geo", "geometry", "geoü"} {
		if string(lo) > w || w >= string(hi) {
			t.Errorf("%q outside the range of geo", w)
		}
	}
	for _, w := range []string{"ge", "gep", "gf", "geп"} {
		if string(lo) <= w && w < string(hi) {
			t.Errorf("%q inside the range of geo", w)
		}
	}
	if long := Fold(strings.Repeat("ü", 40)); len(long) > MaxWordBytes || !strings.HasPrefix(strings.Repeat("u", 40), long) {
		t.Fatalf("long word cut to %q", long)
	}
	if c := cut(strings.Repeat("a", 63) + "€"); c != strings.Repeat("a", 63) {
		t.Fatalf("cut inside a rune: %q", c)
	}
}
