// Package events makes the accounts of an event (an exam, an open day, a
// student council election): a batch of random usernames with numeric
// PINs, hashed as any password (argon2id), which replaces the event's
// previous batch in one transaction. The API, the portal (through the
// API) and `campus events generate` all make them here.
package events

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"campus/internal/identity/password"
	"campus/internal/identity/store"
)

// Limits of a batch and of an event's settings.
const (
	MaxAccounts    = 5000 // per batch
	MaxLabel       = 100  // characters of one label
	MinPINLength   = 6
	MaxPINLength   = 12
	DefaultPIN     = 8
	RandomChars    = 8  // random characters of a username after its prefix
	MaxPrefix      = 16 // characters of the username prefix
	maxNameLength  = 200
	maxDescription = 2000
)

// Credential is one account of a batch as it is handed out: the only
// moment its PIN is known.
type Credential struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	PIN      string `json:"pin"`
	Label    string `json:"label,omitempty"`
}

// Problems checks an event's settings and returns each problem by field,
// one sentence each; nil when there is none.
func Problems(e store.Event) map[string]string {
	p := map[string]string{}
	switch n := utf8.RuneCountInString(strings.TrimSpace(e.Name)); {
	case n == 0:
		p["name"] = "Enter the event's name."
	case n > maxNameLength:
		p["name"] = fmt.Sprintf("The name may have at most %d characters.", maxNameLength)
	}
	if utf8.RuneCountInString(e.Description) > maxDescription {
		p["description"] = fmt.Sprintf("The description may have at most %d characters.", maxDescription)
	}
	if e.Window.FirstDate == "" || e.Window.LastDate == "" {
		p["window"] = "An event's window needs its first and last date."
	} else if _, err := e.Window.Window(); err != nil {
		p["window"] = err.Error()
	}
	if e.Prefix != "" && !validPrefix(e.Prefix) {
		p["username_prefix"] = fmt.Sprintf("The prefix may have 1 to %d lower-case letters, digits, '-' or '_', starting with a letter or digit.", MaxPrefix)
	}
	if e.PINLength < MinPINLength || e.PINLength > MaxPINLength {
		p["pin_length"] = fmt.Sprintf("A PIN has %d to %d digits.", MinPINLength, MaxPINLength)
	}
	if e.Afterwards != store.EventDelete && e.Afterwards != store.EventDisable {
		p["afterwards"] = "After the event its accounts are either deleted or disabled."
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

func validPrefix(s string) bool {
	if len(s) > MaxPrefix {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Batch asks for count accounts, or one per label when labels are given.
type Batch struct {
	Count  int
	Labels []string
}

// Size is the number of accounts the batch makes.
func (b Batch) Size() int {
	if len(b.Labels) > 0 {
		return len(b.Labels)
	}
	return b.Count
}

// Problem checks the batch; "" when it is fine.
func (b Batch) Problem() string {
	if len(b.Labels) > 0 && b.Count != 0 && b.Count != len(b.Labels) {
		return fmt.Sprintf("Ask for a number of accounts or give a list of %d names, not both.", len(b.Labels))
	}
	if n := b.Size(); n < 1 || n > MaxAccounts {
		return fmt.Sprintf("A batch has 1 to %d accounts.", MaxAccounts)
	}
	for _, l := range b.Labels {
		l = strings.TrimSpace(l)
		if l == "" || utf8.RuneCountInString(l) > MaxLabel || strings.ContainsFunc(l, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fmt.Sprintf("Each name of the list has 1 to %d characters on a line of its own.", MaxLabel)
		}
	}
	return ""
}

// ErrBusy is returned when too many batches are being hashed at once.
var ErrBusy = errors.New("another batch of accounts is being made; try again when it is done")

// turn lets one batch at a time per process be hashed: argon2id takes
// its memory (19 MiB) on every core while a batch is hashed. It is per
// process on purpose, as password.DefaultGate is: it protects this
// process's cores and memory, and the replacement itself is one
// transaction in the database, whichever replica makes it.
var turn = make(chan struct{}, 1)

// Make generates the batch for event e, hashes the PINs on every core
// (progress, when set, is told how many are done), and replaces the
// event's accounts with it. It returns the credentials, to be shown once.
// While another batch is being made in this process it refuses at once
// (ErrBusy): a person asking over the API is told to try again rather than
// kept waiting for minutes.
func Make(ctx context.Context, st *store.Store, e store.Event, b Batch, params password.Params, progress func(done, total int)) ([]Credential, error) {
	return makeBatch(ctx, st, e, b, params, progress, false)
}

// MakeInTurn is Make that waits, for as long as ctx lives, until another
// batch being made in this process is done: for the demo data and the
// command line, which have nobody to tell to try again.
func MakeInTurn(ctx context.Context, st *store.Store, e store.Event, b Batch, params password.Params, progress func(done, total int)) ([]Credential, error) {
	return makeBatch(ctx, st, e, b, params, progress, true)
}

func makeBatch(ctx context.Context, st *store.Store, e store.Event, b Batch, params password.Params, progress func(done, total int), wait bool) ([]Credential, error) {
	if msg := b.Problem(); msg != "" {
		return nil, errors.New(msg)
	}
	select {
	case turn <- struct{}{}:
	default:
		if !wait {
			return nil, ErrBusy
		}
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() { <-turn }()
	// argon2id took 19 MiB per core; give it back instead of idling on it.
	defer debug.FreeOSMemory()
	creds := make([]Credential, b.Size())
	seen := map[string]bool{}
	for i := range creds {
		u := store.RandomUsername(e.Prefix, RandomChars)
		for seen[u] {
			u = store.RandomUsername(e.Prefix, RandomChars)
		}
		seen[u] = true
		creds[i] = Credential{Username: u, PIN: store.RandomPIN(e.PINLength)}
		if len(b.Labels) > 0 {
			creds[i].Label = strings.TrimSpace(b.Labels[i])
		}
	}
	hashes, err := hashAll(ctx, creds, params, progress)
	if err != nil {
		return nil, err
	}
	batch := make([]store.NewEventAccount, len(creds))
	for i, c := range creds {
		batch[i] = store.NewEventAccount{Username: c.Username, PasswordHash: hashes[i], Label: c.Label}
	}
	made, err := st.ReplaceEventAccounts(ctx, e.ID, batch)
	if err != nil {
		return nil, err
	}
	for i := range creds {
		creds[i].ID = made[i].ID
	}
	return creds, nil
}

// hashAll hashes every PIN with argon2id, one worker per core.
func hashAll(ctx context.Context, creds []Credential, params password.Params, progress func(done, total int)) ([]string, error) {
	hashes := make([]string, len(creds))
	next := atomic.Int64{}
	done := atomic.Int64{}
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(creds))
	var last time.Time
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(creds) || ctx.Err() != nil {
					return
				}
				h, err := hashOne(ctx, creds[i].PIN, params)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				hashes[i] = h
				n := int(done.Add(1))
				if progress != nil {
					mu.Lock()
					if n == len(creds) || time.Since(last) >= 100*time.Millisecond {
						last = time.Now()
						progress(n, len(creds))
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return hashes, nil
}

// hashOne hashes through the process's gate of password hashes, which
// sign-ins share: when it is full the batch waits its turn rather than
// failing.
func hashOne(ctx context.Context, pin string, params password.Params) (string, error) {
	for {
		h, err := password.HashContext(ctx, pin, params)
		if !errors.Is(err, password.ErrBusy) {
			return h, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// EndDue ends the events whose last day is over (before today in loc):
// their accounts are deleted or disabled as each event says. It returns
// how many it ended; the identity service's housekeeping calls it.
func EndDue(ctx context.Context, st *store.Store, now time.Time, loc *time.Location) (int64, error) {
	if loc == nil {
		loc = time.UTC
	}
	due, err := st.EventsToEnd(ctx, now.In(loc).Format(time.DateOnly))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range due {
		if _, err := st.EndEvent(ctx, e.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
