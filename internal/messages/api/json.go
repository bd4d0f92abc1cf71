package api

import (
	"time"

	"campus/internal/messages"
	"campus/internal/messages/markdown"
)

// The API's JSON shapes (api/messages.yaml): snake_case, times RFC 3339
// in UTC.

type courseJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

type memberJSON struct {
	ID       string    `json:"id"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
	ReadUpTo string    `json:"read_up_to"`
}

type conversationJSON struct {
	ID            string       `json:"id"`
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Course        *courseJSON  `json:"course,omitempty"`
	Peer          string       `json:"peer,omitempty"`
	CreatedBy     string       `json:"created_by"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	Version       int          `json:"version"`
	LastMessageAt time.Time    `json:"last_message_at"`
	MyRole        string       `json:"my_role"`
	ReadUpTo      string       `json:"read_up_to"`
	Unread        int          `json:"unread"`
	MemberCount   int          `json:"member_count"`
	LastMessage   *messageJSON `json:"last_message"`
	Members       []memberJSON `json:"members,omitempty"`
}

func conversationOut(c messages.Conversation, members []messages.Member) conversationJSON {
	out := conversationJSON{ID: c.ID, Kind: c.Kind, Name: c.Name, Peer: c.Peer, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt.UTC(),
		UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version, LastMessageAt: c.LastMessageAt.UTC(), MyRole: c.MyRole,
		ReadUpTo: c.ReadUpTo, Unread: c.Unread, MemberCount: c.Members}
	if c.CourseKind != "" {
		out.Course = &courseJSON{Kind: c.CourseKind, ID: c.CourseID}
	}
	if c.Last != nil {
		m := messageOut(*c.Last)
		out.LastMessage = &m
	}
	if members != nil {
		out.Members = make([]memberJSON, len(members))
		for i, m := range members {
			out.Members[i] = memberJSON{ID: m.Subject, Role: m.Role, JoinedAt: m.JoinedAt.UTC(), ReadUpTo: m.ReadUpTo}
		}
	}
	return out
}

type attachmentJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	URL         string `json:"url"`
}

type messageJSON struct {
	ID             string           `json:"id"`
	ConversationID string           `json:"conversation_id"`
	Sender         string           `json:"sender"`
	Text           string           `json:"text"`
	TextDE         string           `json:"text_de"`
	HTML           string           `json:"html"`
	HTMLDE         string           `json:"html_de"`
	ReplyTo        string           `json:"reply_to"`
	Mentions       []string         `json:"mentions"`
	Attachments    []attachmentJSON `json:"attachments"`
	CreatedAt      time.Time        `json:"created_at"`
	EditedAt       *time.Time       `json:"edited_at"`
	Deleted        bool             `json:"deleted"`
	NoticeKind     string           `json:"notice_kind"`
	Link           string           `json:"link"`
}

// messageOut renders the text (and a notice's German text) to HTML with
// the Markdown subset, so that every client shows the same, safe markup.
func messageOut(m messages.Message) messageJSON {
	out := messageJSON{ID: m.ID, ConversationID: m.ConversationID, Sender: m.Sender, Text: m.Text, TextDE: m.TextDE,
		ReplyTo: m.ReplyTo, Mentions: m.Mentions, Attachments: make([]attachmentJSON, len(m.Attachments)),
		CreatedAt: m.CreatedAt.UTC(), Deleted: m.Deleted, NoticeKind: m.NoticeKind, Link: m.Link}
	if out.Mentions == nil {
		out.Mentions = []string{}
	}
	if m.Text != "" {
		out.HTML = markdown.Render(m.Text)
	}
	if m.TextDE != "" {
		out.HTMLDE = markdown.Render(m.TextDE)
	}
	if m.EditedAt != nil {
		t := m.EditedAt.UTC()
		out.EditedAt = &t
	}
	for i, a := range m.Attachments {
		out.Attachments[i] = attachmentJSON{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256,
			URL: "v1/attachments/" + a.ID}
	}
	return out
}

// MessageJSON is a message as the API and the event stream show it (the
// Message schema of api/messages.yaml), for the hub's events.
func MessageJSON(m messages.Message) any { return messageOut(m) }

func messagesOut(list []messages.Message) []messageJSON {
	out := make([]messageJSON, len(list))
	for i, m := range list {
		out[i] = messageOut(m)
	}
	return out
}

type personJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Username    string `json:"username"`
}

type presenceJSON struct {
	ID           string     `json:"id"`
	Active       bool       `json:"active"`
	LastActiveAt *time.Time `json:"last_active_at"`
}

type rulesJSON struct {
	Reach         map[string]map[string]messages.Reach `json:"reach"`
	GroupCreators []string                             `json:"group_creators"`
	Version       int                                  `json:"version"`
	UpdatedAt     *time.Time                           `json:"updated_at"`
	UpdatedBy     string                               `json:"updated_by"`
}

func rulesOut(r messages.Rules) rulesJSON {
	out := rulesJSON{Reach: r.Reach, GroupCreators: r.GroupCreators, Version: r.Version, UpdatedBy: r.UpdatedBy}
	if out.Reach == nil {
		out.Reach = map[string]map[string]messages.Reach{}
	}
	if out.GroupCreators == nil {
		out.GroupCreators = []string{}
	}
	if !r.UpdatedAt.IsZero() {
		t := r.UpdatedAt.UTC()
		out.UpdatedAt = &t
	}
	return out
}

type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}
