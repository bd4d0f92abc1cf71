package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"campus/internal/lazyregexp"
)

// Mailbox keeps mail in a directory instead of sending it, for campus run
// by a developer without a mail server. Each message is one file,
// ID.json, written atomically, readable only by its owner: the mails hold
// sign-in links and initial passwords.
type Mailbox struct {
	dir string
	now func() time.Time

	mu   sync.Mutex
	last int64 // the time part of the last id, to keep ids increasing
}

var _ Sender = (*Mailbox)(nil)

// Stored is a message in a Mailbox. At is when it was "sent".
type Stored struct {
	ID string    `json:"id"`
	At time.Time `json:"sent"`
	Message
}

// stored is the file format: the id is the file name, so it is not repeated.
type stored struct {
	Sent time.Time `json:"sent"`
	Message
}

// An id is 16 hex digits of Unix nanoseconds, which sort as text in time
// order, and 8 random hex digits so that two processes sharing a directory
// do not collide. Get accepts nothing else, so an id cannot name a path.
var idPattern = lazyregexp.New(`^[0-9a-f]{16}-[0-9a-f]{8}$`)

// NewMailbox opens dir as a mailbox, creating it with mode 0700. It refuses
// an existing directory that other users can read or write, since the mail
// in it lets its reader sign in.
func NewMailbox(dir string) (*Mailbox, error) {
	if dir == "" {
		return nil, errors.New("mailbox: no directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("mailbox: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("mailbox: %s has mode %04o, but the mail in it holds sign-in links and passwords; use a directory only its owner can access (chmod 700)", dir, perm)
	}
	return &Mailbox{dir: dir, now: time.Now}, nil
}

// Send stores msg. It fails with ErrPermanent for a message that SMTP could
// not deliver either, so that the developer mailbox does not hide such bugs.
func (m *Mailbox) Send(ctx context.Context, msg Message) error {
	if err := msg.check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	at := m.now().UTC()
	id := m.newID(at)
	b, err := json.MarshalIndent(stored{Sent: at, Message: msg}, "", "  ")
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	// A reader (List, or a developer's editor) sees the whole file or none:
	// the temporary name starts with a dot, which List skips, and rename is
	// atomic within a directory.
	tmp, err := os.CreateTemp(m.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(m.dir, id+".json"))
	}
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	return nil
}

// newID returns an id that sorts after every id this Mailbox made before,
// even when the clock stands still or steps back.
func (m *Mailbox) newID(at time.Time) string {
	m.mu.Lock()
	n := max(at.UnixNano(), m.last+1)
	m.last = n
	m.mu.Unlock()
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%016x-%s", uint64(n), hex.EncodeToString(r[:]))
}

// List returns up to limit messages, newest first; limit <= 0 means all.
func (m *Mailbox) List(limit int) ([]Stored, error) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Type().IsRegular() && idPattern.MatchString(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	out := []Stored{}
	for _, id := range ids {
		if limit > 0 && len(out) == limit {
			break
		}
		s, err := m.Get(id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir, e.g. by the developer
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Get returns the message with the given id. An id Send cannot have made is
// an error; a missing message is an error wrapping fs.ErrNotExist.
func (m *Mailbox) Get(id string) (Stored, error) {
	if !idPattern.MatchString(id) {
		return Stored{}, fmt.Errorf("mailbox: invalid message id %s", strconv.Quote(id))
	}
	b, err := os.ReadFile(filepath.Join(m.dir, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Stored{}, fmt.Errorf("mailbox: message %s: %w", id, fs.ErrNotExist)
	}
	if err != nil {
		return Stored{}, fmt.Errorf("mailbox: %w", err)
	}
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return Stored{}, fmt.Errorf("mailbox: message %s: %w", id, err)
	}
	return Stored{ID: id, At: s.Sent, Message: s.Message}, nil
}
