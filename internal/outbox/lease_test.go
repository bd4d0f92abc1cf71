package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestBatch: before each entry the entries not yet handled are renewed;
// an entry another holder took is skipped and not renewed again; a failed
// renewal stops the batch.
func TestBatch(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	var calls []string
	taken := map[string]bool{}
	var fail error
	renew := func(_ context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error) {
		calls = append(calls, fmt.Sprint(held.Sub(t0), ids))
		if fail != nil {
			return nil, time.Time{}, fail
		}
		return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return taken[id] }), held.Add(lease), nil
	}
	b := NewBatch(t0, []string{"a", "b", "c", "d"}, time.Second, renew)
	ctx := context.Background()
	check := func(id string, want bool, wantHeld time.Duration) {
		t.Helper()
		held, ok, err := b.Next(ctx, id)
		if err != nil || ok != want || (ok && held.Sub(t0) != wantHeld) {
			t.Fatalf("Next(%s) = %v %v %v, want %v %v", id, held.Sub(t0), ok, err, want, wantHeld)
		}
	}
	check("a", true, time.Second)
	taken["c"] = true // another replica claimed c meanwhile
	check("b", true, 2*time.Second)
	check("c", false, 0)
	check("b", false, 0) // handed out once
	fail = errors.New("database down")
	if _, _, err := b.Next(ctx, "d"); !errors.Is(err, fail) {
		t.Fatalf("a failed renewal: %v", err)
	}
	want := []string{"0s [a b c d]", "1s [b c d]", "2s [d]"}
	if !slices.Equal(calls[:3], want) {
		t.Fatalf("renewals %q, want %q", calls, want)
	}
}
