package portal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// messagesClient is the messages API (api/messages.yaml) as the portal
// uses it, always as the signed-in person: the API checks membership on
// every route, so the portal never decides who may read what.
type messagesClient struct {
	apiClient
	// token is the session's live access token (for the answers the
	// portal streams on rather than decodes).
	token func(ctx context.Context, sess *session) (string, error)
}

// version is a conversation's or the rules' version; the API writes a
// number, the portal only passes it back in If-Match.
type version string

func (v *version) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = version(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*v = version(n.String())
	return nil
}

// conversation is a conversation as the signed-in person sees it.
type conversation struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Course *struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"course"`
	CreatedBy     string       `json:"created_by"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	Version       version      `json:"version"`
	LastMessageAt time.Time    `json:"last_message_at"`
	MyRole        string       `json:"my_role"`
	ReadUpTo      string       `json:"read_up_to"`
	Unread        int          `json:"unread"`
	MemberCount   int          `json:"member_count"`
	LastMessage   *chatMessage `json:"last_message"`
	Members       []member     `json:"members"`
	// Peer is the other person of a direct conversation.
	Peer string `json:"peer"`
	// Title is what the portal calls it: the group's name, the other
	// person's name, or "Notices".
	Title string `json:"-"`
}

type member struct {
	ID       string    `json:"id"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
	ReadUpTo string    `json:"read_up_to"`
	// Name and Active are filled in by the portal.
	Name   string `json:"-"`
	Active bool   `json:"-"`
}

// chatMessage is a message; HTML and HTMLDE are the API's rendering of the
// Markdown subset, already made safe by it.
type chatMessage struct {
	ID             string       `json:"id"`
	ConversationID string       `json:"conversation_id"`
	Sender         string       `json:"sender"`
	Text           string       `json:"text"`
	TextDE         string       `json:"text_de"`
	HTML           string       `json:"html"`
	HTMLDE         string       `json:"html_de"`
	ReplyTo        string       `json:"reply_to"`
	Mentions       []string     `json:"mentions"`
	Attachments    []attachment `json:"attachments"`
	CreatedAt      time.Time    `json:"created_at"`
	EditedAt       *time.Time   `json:"edited_at"`
	Deleted        bool         `json:"deleted"`
	NoticeKind     string       `json:"notice_kind"`
	Link           string       `json:"link"`
}

type attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Label is the name to show of someone identity or the messages API names: the display name, else the username.
func (p person) Label() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}

type presence struct {
	ID           string     `json:"id"`
	Active       bool       `json:"active"`
	LastActiveAt *time.Time `json:"last_active_at"`
}

// reachRules are the administrators' settings of who may reach whom.
type reachRules struct {
	Reach         map[string]map[string]string `json:"reach"`
	GroupCreators []string                     `json:"group_creators"`
	Version       version                      `json:"version"`
}

// cursorPage is a page of a messages API list and the cursor of the next.
type cursorPage[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Add(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (c messagesClient) Conversations(ctx context.Context, sess *session, cursor string) (cursorPage[conversation], error) {
	var p cursorPage[conversation]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/conversations" + query("limit", "50", "cursor", cursor)}, &p)
	return p, err
}

// Conversation is one conversation with its members.
func (c messagesClient) Conversation(ctx context.Context, sess *session, id string) (conversation, error) {
	var cv conversation
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/conversations/" + esc(id)}, &cv)
	return cv, err
}

// StartDirect opens the direct conversation with sub (the existing one if
// there is one).
func (c messagesClient) StartDirect(ctx context.Context, sess *session, sub string) (conversation, error) {
	var cv conversation
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/v1/conversations", body: map[string]any{"kind": "direct", "members": []string{sub}}}, &cv)
	return cv, err
}

// CreateGroup makes a group with the signed-in person as its admin.
func (c messagesClient) CreateGroup(ctx context.Context, sess *session, name string, members []string) (conversation, error) {
	if members == nil {
		members = []string{}
	}
	var cv conversation
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/v1/conversations", body: map[string]any{"kind": "group", "name": name, "members": members}}, &cv)
	return cv, err
}

// Rename renames a group read at version (If-Match).
func (c messagesClient) Rename(ctx context.Context, sess *session, id string, v version, name string) error {
	return c.do(ctx, sess, call{method: http.MethodPatch, path: "/v1/conversations/" + esc(id), ifMatch: ifMatch(string(v)), body: map[string]string{"name": name}}, nil)
}

// History is a page of messages, newest first; after (a message id) asks
// for the messages after it instead, oldest first.
func (c messagesClient) History(ctx context.Context, sess *session, id, cursor, after string) (cursorPage[chatMessage], error) {
	var p cursorPage[chatMessage]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/conversations/" + esc(id) + "/messages" +
		query("limit", strconv.Itoa(historyPage), "cursor", cursor, "after", after)}, &p)
	return p, err
}

// historyPage is how many messages a page of history shows (the
// original's 30).
const historyPage = 30

// Send sends a message without files; mentions are subject ids.
func (c messagesClient) Send(ctx context.Context, sess *session, id, text, replyTo string, mentions []string) (chatMessage, error) {
	var m chatMessage
	body := map[string]any{"text": text}
	if replyTo != "" {
		body["reply_to"] = replyTo
	}
	if len(mentions) > 0 {
		body["mentions"] = mentions
	}
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/v1/conversations/" + esc(id) + "/messages", body: body}, &m)
	return m, err
}

// SendMultipart sends a message with files: body is multipart/form-data
// (fields text, reply_to, mentions, files in "attachment"), read as it is
// sent.
func (c messagesClient) SendMultipart(ctx context.Context, sess *session, id string, body io.Reader, contentType string) (chatMessage, error) {
	var m chatMessage
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/v1/conversations/" + esc(id) + "/messages", stream: body, contentType: contentType}, &m)
	return m, err
}

func (c messagesClient) Edit(ctx context.Context, sess *session, msgID, text string) error {
	return c.do(ctx, sess, call{method: http.MethodPatch, path: "/v1/messages/" + esc(msgID), body: map[string]string{"text": text}}, nil)
}

func (c messagesClient) Delete(ctx context.Context, sess *session, msgID string) error {
	return c.do(ctx, sess, call{method: http.MethodDelete, path: "/v1/messages/" + esc(msgID)}, nil)
}

// SetMember adds sub to a group or changes their role.
func (c messagesClient) SetMember(ctx context.Context, sess *session, id, sub, role string) error {
	return c.do(ctx, sess, call{method: http.MethodPut, path: "/v1/conversations/" + esc(id) + "/members/" + esc(sub), body: map[string]string{"role": role}}, nil)
}

// RemoveMember removes sub from a group; the person themselves leaves.
func (c messagesClient) RemoveMember(ctx context.Context, sess *session, id, sub string) error {
	return c.do(ctx, sess, call{method: http.MethodDelete, path: "/v1/conversations/" + esc(id) + "/members/" + esc(sub)}, nil)
}

// MarkRead moves the read marker up to a message.
func (c messagesClient) MarkRead(ctx context.Context, sess *session, id, upTo string) error {
	return c.do(ctx, sess, call{method: http.MethodPut, path: "/v1/conversations/" + esc(id) + "/read", body: map[string]string{"up_to": upTo}}, nil)
}

type unreadCounts struct {
	Total         int            `json:"total"`
	Conversations map[string]int `json:"conversations"`
}

func (c messagesClient) Unread(ctx context.Context, sess *session) (unreadCounts, error) {
	var u unreadCounts
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/unread"}, &u)
	return u, err
}

// Presence is whether the members of a conversation were active lately.
func (c messagesClient) Presence(ctx context.Context, sess *session, id string) (map[string]presence, error) {
	var p struct {
		Items []presence `json:"items"`
	}
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/presence" + query("conversation", id)}, &p)
	m := make(map[string]presence, len(p.Items))
	for _, x := range p.Items {
		m[x.ID] = x
	}
	return m, err
}

// PresenceHidden tells whether the person hides their presence.
func (c messagesClient) PresenceHidden(ctx context.Context, sess *session) (bool, error) {
	var p struct {
		Hidden bool `json:"hidden"`
	}
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/me/presence"}, &p)
	return p.Hidden, err
}

func (c messagesClient) HidePresence(ctx context.Context, sess *session, hidden bool) error {
	return c.do(ctx, sess, call{method: http.MethodPut, path: "/v1/me/presence", body: map[string]bool{"hidden": hidden}}, nil)
}

// peopleBatch is how many people the API names in one request.
const peopleBatch = 100

// People names people who share a conversation with the signed-in person,
// a batch at a time, side by side (a course group has hundreds).
func (c messagesClient) People(ctx context.Context, sess *session, ids []string) (map[string]person, error) {
	m := map[string]person{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for batch := range slices.Chunk(ids, peopleBatch) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := url.Values{"id": batch}
			var p struct {
				Items []person `json:"items"`
			}
			err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/people?" + v.Encode()}, &p)
			mu.Lock()
			defer mu.Unlock()
			for _, x := range p.Items {
				m[x.ID] = x
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return m, errors.Join(errs...)
}

// Contacts finds people the signed-in person may start a conversation with.
func (c messagesClient) Contacts(ctx context.Context, sess *session, q string) ([]person, error) {
	var p struct {
		Items []person `json:"items"`
	}
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/contacts" + query("q", q)}, &p)
	return p.Items, err
}

func (c messagesClient) Rules(ctx context.Context, sess *session) (reachRules, error) {
	var rl reachRules
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/v1/rules"}, &rl)
	return rl, err
}

// SetRules saves the rules read at v (If-Match).
func (c messagesClient) SetRules(ctx context.Context, sess *session, v version, rl reachRules) error {
	return c.do(ctx, sess, call{method: http.MethodPut, path: "/v1/rules", ifMatch: ifMatch(string(v)),
		body: map[string]any{"reach": rl.Reach, "group_creators": rl.GroupCreators}}, nil)
}

// open sends a GET as the person and returns the answer unread, for
// streaming it on (an attachment, the event stream); a status other than
// 2xx is an *apiError.
func (c messagesClient) open(ctx context.Context, sess *session, client *http.Client, path string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	tok, err := c.token(ctx, sess)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			return nil, errors.Join(errMessagesDown, err)
		}
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		e := &apiError{Method: http.MethodGet, Path: path, Status: resp.StatusCode, down: errMessagesDown}
		json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e.Problem)
		return nil, e
	}
	return resp, nil
}
