package messages

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Sentinel errors of the messages store; the API maps them to HTTP status.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the caller is a member but may not do this (a
	// member renaming a group only its admins may rename, someone editing
	// another's message, anyone sending into a notices conversation).
	ErrForbidden = errors.New("forbidden")
	// ErrVersionMismatch means the conversation changed since the version
	// the caller read (If-Match failed).
	ErrVersionMismatch = errors.New("changed by someone else meanwhile")
	// ErrRateLimited means the person sent more messages than the service
	// allows in the time; the error is a *RateLimited that says how long
	// to wait.
	ErrRateLimited = errors.New("sending too fast")
)

// RateLimited is ErrRateLimited with the wait until the next message
// would be taken.
type RateLimited struct{ Wait time.Duration }

func (e *RateLimited) Error() string {
	return "sending too fast: the next message in " + e.Wait.String()
}
func (e *RateLimited) Is(target error) bool { return target == ErrRateLimited }

// SendLimit is how fast one person may send messages: Burst at once, then
// one per Every (a GCRA bucket kept in the service's database, so that
// every replica counts the same). A zero Every is no limit.
type SendLimit struct {
	Every time.Duration
	Burst int
}

// Conversation kinds.
const (
	KindDirect  = "direct"  // two people; at most one per pair
	KindGroup   = "group"   // named, with members and admins, made by people
	KindCourse  = "course"  // one per programme or module, kept by campus
	KindNotices = "notices" // one per person: campus's system messages
)

// Member roles in a group.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Conversation is a conversation as one member sees it.
type Conversation struct {
	ID   string
	Kind string
	// Name is the group's or course group's name; "" for direct and
	// notices conversations (clients name them after the other person or
	// "Notices").
	Name string
	// CourseKind and CourseID name what a course group belongs to
	// ("programme" or "module", and its id at the study service).
	CourseKind, CourseID string
	CreatedBy            string // subject; "" for those campus made
	// Peer is the other person of a direct conversation ("" for other
	// kinds), so that lists can name it without reading its members.
	Peer      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
	// LastMessageAt is when the newest message came (CreatedAt without one).
	LastMessageAt time.Time
	// For the member asking:
	MyRole   string // RoleAdmin or RoleMember
	ReadUpTo string // id of the newest message read, "" for none
	Unread   int    // messages of others after ReadUpTo, capped at MaxUnreadCount
	Members  int    // how many members
	// Last is the newest message (nil without one).
	Last *Message
}

// MaxUnreadCount caps unread counts: clients show "999+".
const MaxUnreadCount = 999

// Member is a person in a conversation.
type Member struct {
	Subject  string
	Role     string
	JoinedAt time.Time
	ReadUpTo string
}

// Message is one message. A deleted message keeps its place with
// Deleted set and no text, mentions or attachments.
type Message struct {
	ID             string
	ConversationID string
	Sender         string // subject; "" for notices from campus
	Text           string // Markdown subset source
	// TextDE is a notice's German text ("" for people's messages).
	TextDE      string
	ReplyTo     string // id of the message answered, "" for none
	Mentions    []string
	Attachments []Attachment
	CreatedAt   time.Time
	EditedAt    *time.Time
	Deleted     bool
	// NoticeKind says what a notice is about (grade_published,
	// programme_changed, ...); "" for people's messages.
	NoticeKind string
	// Link is a notice's path in the portal ("" for none).
	Link string
}

// Attachment is a file sent with a message; its content is read apart.
type Attachment struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
	SHA256      string // hex
}

// NewAttachment is a file to store with a new message.
type NewAttachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Limits of messages and attachments.
const (
	MaxTextBytes       = 16 << 10 // a message's text
	MaxAttachments     = 10       // per message
	MaxAttachmentBytes = 10 << 20 // per file
	MaxMessageBytes    = 25 << 20 // all files of one message
	HistoryPage        = 30       // messages per page of history by default
	MaxGroupMembers    = 1000     // members a person may add to a group
)

// Event kinds: what reaches open clients, in the SSE "event" field.
const (
	EventMessageCreated      = "message.created"
	EventMessageEdited       = "message.edited"
	EventMessageDeleted      = "message.deleted"
	EventConversationCreated = "conversation.created"
	EventConversationUpdated = "conversation.updated" // renamed, or its members changed
	EventMemberAdded         = "member.added"
	EventMemberRemoved       = "member.removed"
	EventRead                = "read"     // a person's read marker moved (their own clients only)
	EventPresence            = "presence" // a contact came online or went away; not stored
)

// Event is something that happened in a conversation, or to one person,
// kept for resumption (SSE Last-Event-ID) for EventRetention.
type Event struct {
	// ID orders the events: every event is committed in ID order, so a
	// client that saw ID n has seen every earlier event meant for it.
	ID             int64
	Kind           string
	ConversationID string // "" for events about a person only
	// Subject is the person the event is about: the member added or
	// removed, the reader of a read marker, the person of a presence
	// event; "" otherwise.
	Subject   string
	Data      []byte // JSON: what clients receive in the SSE data field
	CreatedAt time.Time
}

// EventRef is what the fan-out passes between replicas (PostgreSQL
// NOTIFY) or within one (SQLite): enough to decide who gets the event
// without reading it. ID is 0 for presence, which is not stored.
type EventRef struct {
	ID             int64  `json:"i,omitempty"`
	Kind           string `json:"k"`
	ConversationID string `json:"c,omitempty"`
	Subject        string `json:"s,omitempty"`
	// Data is set for presence events only (they are not stored).
	Data []byte `json:"d,omitempty"`
}

// EventRetention is how long events are kept for resumption; a client
// that was away longer reloads.
const EventRetention = 72 * time.Hour

// Presence is whether a person was active lately.
type Presence struct {
	Subject      string
	Active       bool // active in the last PresenceWindow
	LastActiveAt time.Time
}

// PresenceWindow is how recent activity counts as online.
const PresenceWindow = 5 * time.Minute

// Reach says whom people of one role may start a conversation with or add
// to a group: nobody, those sharing a course group (the same programme or
// module), or anyone.
type Reach string

const (
	ReachNone      Reach = "none"
	ReachProgramme Reach = "programme"
	ReachAnyone    Reach = "anyone"
)

// Rules are the administrators' settings of who may reach whom.
type Rules struct {
	// Reach[from][to] for roles from and to; a pair not listed is
	// ReachNone. A person with several roles gets the widest reach of
	// any pair of roles.
	Reach map[string]map[string]Reach
	// GroupCreators are the roles whose people may create groups.
	GroupCreators []string
	Version       int
	UpdatedAt     time.Time
	UpdatedBy     string
}

// DefaultRules: students reach students and staff of their programme,
// staff and administrators reach anyone; everyone may create groups.
func DefaultRules() Rules {
	return Rules{
		Reach: map[string]map[string]Reach{
			"student": {"student": ReachProgramme, "staff": ReachProgramme},
			"staff":   {"student": ReachAnyone, "staff": ReachAnyone, "admin": ReachAnyone},
			"admin":   {"student": ReachAnyone, "staff": ReachAnyone, "admin": ReachAnyone},
		},
		GroupCreators: []string{"student", "staff", "admin"},
		Version:       1,
	}
}

// CourseGroup is a course group as the study service describes it: the
// people it should hold now.
type CourseGroup struct {
	CourseKind string // "programme" or "module"
	CourseID   string
	Name       string
	Students   []string
	Staff      []string
}

// Channel is the PostgreSQL channel the fan-out uses in the schema named
// (SELECT current_schema()): each commit that adds events sends their
// EventRefs (JSON) on it, and every replica listens. Channels are
// database-wide, so the schema's name is in it: two installations (or
// tests) in one database never hear each other.
func Channel(schema string) string {
	h := sha256.Sum256([]byte(schema))
	return "campus_messages_" + hex.EncodeToString(h[:6])
}

// Person is what identity says of someone: for showing names and for the
// reach rules; asked when needed, never stored.
type Person struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Username    string   `json:"username"`
	Roles       []string `json:"roles,omitempty"`
}
