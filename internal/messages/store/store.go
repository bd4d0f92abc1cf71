package store

import (
	"context"
	"embed"
	"errors"
	"io"
	"io/fs"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the messages schema's migrations, for db.Migrate.
var Migrations, _ = fs.Sub(migrations, "migrations")

var errNotImplemented = errors.New("messages store: not implemented yet")

// Store keeps the messaging service's data.
type Store struct {
	db  *db.DB
	now func() time.Time
	// Published is called after each commit that added events, with their
	// references, on SQLite; on PostgreSQL the commit itself notifies every
	// replica (pg_notify in the transaction) and Published is not called.
	Published func(refs []messages.EventRef)
	// Blobs keeps attachments' content; nil keeps it in the database.
	Blobs Blobs
}

// New returns a store over an opened, migrated database.
func New(d *db.DB, now func() time.Time) *Store {
	return &Store{db: d, now: now}
}

// DB is the store's database (for the fan-out's listener).
func (s *Store) DB() *db.DB { return s.db }

// Blobs keeps attachments' content by key: the database by default; an
// object store can implement it later.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, keys ...string) error
}

// Page asks for one page of a list.
type Page struct {
	Limit  int    // 1..100; 0 means the default (30 for history)
	Cursor string // from the previous page's Next; "" for the first
}

// --- Conversations ---

// NewConversation is a direct conversation or group to create.
type NewConversation struct {
	Kind    string   // messages.KindDirect or messages.KindGroup
	Name    string   // groups: 1..100 characters
	Members []string // besides the creator: exactly one for direct
}

// CreateConversation creates a direct conversation or a group, the creator
// first (a group's admin). A direct conversation that exists already is
// returned with created false. Reachability is the caller's (the API's)
// check, not the store's.
func (s *Store) CreateConversation(ctx context.Context, creator string, nc NewConversation) (c messages.Conversation, created bool, err error) {
	return c, false, errNotImplemented
}

// Conversation returns a conversation as the member sub sees it;
// ErrNotFound when it does not exist or sub is not a member (the same
// answer, so that ids cannot be probed).
func (s *Store) Conversation(ctx context.Context, sub, id string) (messages.Conversation, error) {
	return messages.Conversation{}, errNotImplemented
}

// Conversations lists sub's conversations, the most recently active first,
// with unread counts and the newest message.
func (s *Store) Conversations(ctx context.Context, sub string, p Page) (list []messages.Conversation, next string, err error) {
	return nil, "", errNotImplemented
}

// Members lists a conversation's members for the member sub (ErrNotFound
// for others), admins first, then by joining.
func (s *Store) Members(ctx context.Context, sub, id string) ([]messages.Member, error) {
	return nil, errNotImplemented
}

// IsMember tells whether sub is a member of conversation id now.
func (s *Store) IsMember(ctx context.Context, sub, id string) (bool, error) {
	return false, errNotImplemented
}

// RenameGroup renames a group; only its admins may (ErrForbidden), and
// only from version (ErrVersionMismatch otherwise, 0 for any). Course
// groups, direct and notices conversations cannot be renamed (ErrConflict).
func (s *Store) RenameGroup(ctx context.Context, sub, id, name string, version int) (messages.Conversation, error) {
	return messages.Conversation{}, errNotImplemented
}

// AddMember adds (or changes the role of) a member of a group: admins
// only. Reachability is the caller's check.
func (s *Store) AddMember(ctx context.Context, sub, id, member, role string) error {
	return errNotImplemented
}

// RemoveMember removes member from a group: an admin removes anyone, a
// member only themselves (leaving). When the last admin leaves, the member
// who joined first becomes admin. Course groups, direct and notices
// conversations refuse (ErrConflict).
func (s *Store) RemoveMember(ctx context.Context, sub, id, member string) error {
	return errNotImplemented
}

// SharesCourseGroup tells whether a and b are both members of a course
// group (the same programme or module).
func (s *Store) SharesCourseGroup(ctx context.Context, a, b string) (bool, error) {
	return false, errNotImplemented
}

// CourseGroupPeers lists people sharing a course group with sub (at most
// limit), for picking whom to write to.
func (s *Store) CourseGroupPeers(ctx context.Context, sub string, limit int) ([]string, error) {
	return nil, errNotImplemented
}

// SyncCourseGroups makes the course groups what the study service says
// they should be: creates missing ones, renames, adds and removes members
// (students as members, staff as admins), and removes groups of courses
// no longer listed, in one transaction, with events for every change.
// It returns how many memberships changed.
func (s *Store) SyncCourseGroups(ctx context.Context, groups []messages.CourseGroup) (changed int, err error) {
	return 0, errNotImplemented
}

// --- Messages ---

// NewMessage is a message to send.
type NewMessage struct {
	Text        string
	ReplyTo     string
	Mentions    []string // must be members
	Attachments []messages.NewAttachment
}

// Send adds a message from sub (a member; ErrNotFound otherwise, and
// ErrForbidden in a notices conversation) with its attachments, moves
// sub's read marker to it, and records the event, in one transaction.
func (s *Store) Send(ctx context.Context, sub, conversationID string, m NewMessage) (messages.Message, error) {
	return messages.Message{}, errNotImplemented
}

// History lists a conversation's messages for the member sub, newest
// first, messages.HistoryPage per page by default.
func (s *Store) History(ctx context.Context, sub, conversationID string, p Page) (list []messages.Message, next string, err error) {
	return nil, "", errNotImplemented
}

// MessagesAfter lists the messages after the message id after (oldest
// first, at most limit), for a client catching up.
func (s *Store) MessagesAfter(ctx context.Context, sub, conversationID, after string, limit int) ([]messages.Message, error) {
	return nil, errNotImplemented
}

// Message returns one message for the member sub.
func (s *Store) Message(ctx context.Context, sub, id string) (messages.Message, error) {
	return messages.Message{}, errNotImplemented
}

// Edit changes the text of sub's own message (ErrForbidden for another's,
// ErrConflict for a deleted one).
func (s *Store) Edit(ctx context.Context, sub, id, text string) (messages.Message, error) {
	return messages.Message{}, errNotImplemented
}

// Delete deletes sub's own message: its text, mentions and attachments go,
// its place stays marked deleted.
func (s *Store) Delete(ctx context.Context, sub, id string) (messages.Message, error) {
	return messages.Message{}, errNotImplemented
}

// Search finds messages containing every word of q (word prefixes, as the
// catalogue's search) in the conversations sub belongs to, newest first.
func (s *Store) Search(ctx context.Context, sub, q string, p Page) (list []messages.Message, next string, err error) {
	return nil, "", errNotImplemented
}

// Attachment returns an attachment's description and content for the
// member sub of its conversation (ErrNotFound otherwise, also once its
// message is deleted).
func (s *Store) Attachment(ctx context.Context, sub, id string) (messages.Attachment, io.ReadCloser, error) {
	return messages.Attachment{}, nil, errNotImplemented
}

// --- Read markers ---

// MarkRead moves sub's read marker in a conversation to message upTo
// (never backwards: an older upTo leaves it) and records the event.
func (s *Store) MarkRead(ctx context.Context, sub, conversationID, upTo string) (messages.Member, error) {
	return messages.Member{}, errNotImplemented
}

// Unread is a person's unread counts.
type Unread struct {
	Total         int
	Conversations map[string]int // conversation id -> unread, only those with some
}

// Unread counts sub's unread messages per conversation and in total.
func (s *Store) Unread(ctx context.Context, sub string) (Unread, error) {
	return Unread{}, errNotImplemented
}

// --- Notices ---

// NewNotice is a system message from campus to some people.
type NewNotice struct {
	To     []string // at most 1000 subjects
	Kind   string   // grade_published, programme_changed, ...
	Text   string
	TextDE string
	Link   string
	// Key makes a retried notice a no-op: the same key is stored once.
	Key string
}

// Notify adds a notice to each recipient's notices conversation (made on
// first use); a key seen before returns false and changes nothing.
func (s *Store) Notify(ctx context.Context, n NewNotice) (added bool, err error) {
	return false, errNotImplemented
}

// --- Presence ---

// Touch records that sub was active at the store's now; it returns true
// when sub was not active within messages.PresenceWindow before (came
// online), so that the caller publishes a presence event.
func (s *Store) Touch(ctx context.Context, sub string) (cameOnline bool, err error) {
	return false, errNotImplemented
}

// SetPresenceHidden hides or shows sub's presence to others.
func (s *Store) SetPresenceHidden(ctx context.Context, sub string, hidden bool) error {
	return errNotImplemented
}

// PresenceHidden tells whether sub hides their presence.
func (s *Store) PresenceHidden(ctx context.Context, sub string) (bool, error) {
	return false, errNotImplemented
}

// Contacts lists the people sharing a direct conversation or a group with
// sub (not course groups: those are too large to call contacts), at most
// limit.
func (s *Store) Contacts(ctx context.Context, sub string, limit int) ([]string, error) {
	return nil, errNotImplemented
}

// Presence reports the presence of sub's contacts (or, with
// conversationID, of that conversation's members, for a member), leaving
// out those who hide theirs.
func (s *Store) Presence(ctx context.Context, sub, conversationID string) ([]messages.Presence, error) {
	return nil, errNotImplemented
}

// --- Events ---

// ConversationIDs lists every conversation sub is a member of.
func (s *Store) ConversationIDs(ctx context.Context, sub string) ([]string, error) {
	return nil, errNotImplemented
}

// EventsAfter lists the stored events for sub after id after, oldest
// first, at most limit: events of conversations sub is a member of now,
// and events about sub. gone is true when after is older than the oldest
// event kept (the client must reload).
func (s *Store) EventsAfter(ctx context.Context, sub string, after int64, limit int) (list []messages.Event, gone bool, err error) {
	return nil, false, errNotImplemented
}

// Event reads one stored event.
func (s *Store) Event(ctx context.Context, id int64) (messages.Event, error) {
	return messages.Event{}, errNotImplemented
}

// LastEventID is the newest stored event's id (0 for none).
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	return 0, errNotImplemented
}

// PurgeEvents removes events older than messages.EventRetention.
func (s *Store) PurgeEvents(ctx context.Context) (int64, error) {
	return 0, errNotImplemented
}

// --- Rules ---

// Rules returns the reach rules (messages.DefaultRules until changed).
func (s *Store) Rules(ctx context.Context) (messages.Rules, error) {
	return messages.Rules{}, errNotImplemented
}

// SetRules replaces the rules from version (ErrVersionMismatch otherwise).
func (s *Store) SetRules(ctx context.Context, by string, r messages.Rules, version int) (messages.Rules, error) {
	return messages.Rules{}, errNotImplemented
}

// --- Digest mails ---

// DigestDue is a person who has unread messages older than the digest
// delay and no digest since.
type DigestDue struct {
	Subject       string
	Unread        int
	Conversations []string // names of groups, or "" for direct ones
	UpTo          int64    // the event id the digest covers
}

// DigestsDue lists people due a digest: unread messages from others
// created before olderThan and after their last digest, at most limit.
func (s *Store) DigestsDue(ctx context.Context, olderThan time.Time, limit int) ([]DigestDue, error) {
	return nil, errNotImplemented
}

// DigestSent records that sub got a digest covering up to upTo.
func (s *Store) DigestSent(ctx context.Context, sub string, upTo int64) error {
	return errNotImplemented
}

// --- Jobs ---

// TakeLease takes or renews the lease of job for holder until now+ttl;
// false when another holder has it.
func (s *Store) TakeLease(ctx context.Context, job, holder string, ttl time.Duration) (bool, error) {
	return false, errNotImplemented
}
