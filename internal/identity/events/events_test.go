package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
	"campus/internal/identity/password"
	"campus/internal/identity/store"
)

// TestOneBatchAtATime: while a batch is being made, Make refuses at once
// and MakeInTurn waits for its turn (or for its context to end), then
// makes its batch.
func TestOneBatchAtATime(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now, datakeys.Test())
	e, err := st.CreateEvent(ctx, store.Event{Name: "Open day",
		Window:  store.LoginWindow{Earliest: "00:00", Latest: "23:59", FirstDate: "2026-12-06", LastDate: "2026-12-07"},
		Clients: []string{"portal"}, Role: identity.RoleStudent, PINLength: DefaultPIN, Afterwards: store.EventDelete})
	if err != nil {
		t.Fatal(err)
	}
	cheap := password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	b := Batch{Count: 2}

	turn <- struct{}{} // another batch is being made
	if _, err := Make(ctx, st, e, b, cheap, nil); !errors.Is(err, ErrBusy) {
		t.Fatalf("Make while busy: %v, want ErrBusy", err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := MakeInTurn(short, st, e, b, cheap, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("MakeInTurn until its context ended: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		creds, err := MakeInTurn(ctx, st, e, b, cheap, nil)
		if err == nil && len(creds) != 2 {
			err = errors.New("not two accounts")
		}
		got <- err
	}()
	<-turn // the other batch is done
	if err := <-got; err != nil {
		t.Fatalf("MakeInTurn after its turn came: %v", err)
	}
	if _, err := Make(ctx, st, e, b, cheap, nil); err != nil {
		t.Fatalf("Make when free: %v", err)
	}
}
