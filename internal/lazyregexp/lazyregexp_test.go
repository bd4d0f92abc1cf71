package lazyregexp

import (
	"regexp"
	"testing"
)

func TestLazy(t *testing.T) {
	t.Parallel()
	if !InTest {
		t.Fatal("a test binary is not recognised as one")
	}
	r := &Regexp{expr: `^a(b+)$`} // as New makes it outside tests
	if r.rx != nil {
		t.Fatal("compiled before use")
	}
	if !r.MatchString("abb") || r.MatchString("ac") {
		t.Error("MatchString")
	}
	if got := r.FindStringSubmatch("abbb"); len(got) != 2 || got[1] != "bbb" {
		t.Errorf("FindStringSubmatch = %q", got)
	}
	once := r.Compiled()
	if again := r.Compiled(); again != once {
		t.Error("compiled twice")
	}
	w := New(`b`)
	if w.rx == nil {
		t.Error("New in a test binary did not compile at once")
	}
	if got := w.ReplaceAllString("abcb", "x"); got != "axcx" {
		t.Errorf("ReplaceAllString = %q", got)
	}
	if got := w.ReplaceAllStringFunc("abcb", func(string) string { return "y" }); got != "aycy" {
		t.Errorf("ReplaceAllStringFunc = %q", got)
	}
	if got := w.FindAllStringIndex("abcb", -1); len(got) != 2 {
		t.Errorf("FindAllStringIndex = %v", got)
	}
	if got := New(`@(\w+)`).FindAllStringSubmatch("@a @b", -1); len(got) != 2 || got[1][1] != "b" {
		t.Errorf("FindAllStringSubmatch = %q", got)
	}
	if w.String() != "b" {
		t.Error("String")
	}
}

func TestBadExpressionPanicsInTests(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("a bad expression did not panic")
		}
	}()
	New(`(`)
}

var sink *regexp.Regexp

func BenchmarkFirstUse(b *testing.B) {
	for b.Loop() {
		r := &Regexp{expr: `(?:^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*[\p{L}\p{N}_]|[\p{L}\p{N}_])`}
		sink = r.Compiled()
	}
}
