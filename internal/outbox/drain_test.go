package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

type entry struct {
	id   string
	held time.Time
}

// Drain sends each claimed entry once: delivered ones are recorded as
// done, failed ones as failed under their renewed lease, and an entry
// whose lease went elsewhere is skipped; it claims until nothing is due.
func TestDrain(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var due []entry
	for i := range 25 { // two claims: 20, then 5
		due = append(due, entry{fmt.Sprint("e", i), t0})
	}
	var done, failed, lost []string
	renewals := 0
	n, err := Drain(context.Background(), 0, Work[entry]{
		Claim: func(_ context.Context, n int, lease time.Duration) ([]entry, error) {
			if lease != DefaultLease {
				t.Errorf("lease %s, want the default", lease)
			}
			k := min(n, len(due))
			batch := due[:k]
			due = due[k:]
			return batch, nil
		},
		Renew: func(_ context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error) {
			renewals++
			return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "e3" }), held.Add(time.Second), nil
		},
		Key: func(e entry) (string, time.Time) { return e.id, e.held },
		Send: func(ctx context.Context, e entry) error {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("a send without a deadline")
			}
			if e.id == "e7" {
				return errors.New("refused")
			}
			return nil
		},
		Failed: func(_ context.Context, e entry, held time.Time, err error) error {
			if !held.After(t0) {
				t.Errorf("failure of %s recorded under the claim's lease, not the renewed one", e.id)
			}
			failed = append(failed, e.id)
			return nil
		},
		Done: func(_ context.Context, e entry) error { done = append(done, e.id); return nil },
		Lost: func(e entry) { lost = append(lost, e.id) },
	})
	if err != nil || n != 23 || len(done) != 23 || !slices.Equal(failed, []string{"e7"}) || !slices.Equal(lost, []string{"e3"}) {
		t.Fatalf("Drain = %d, %v; done %d, failed %v, lost %v", n, err, len(done), failed, lost)
	}
	if renewals != 24 { // before each send; not for the lost entry
		t.Errorf("%d renewals, want 24", renewals)
	}
}
