package portal

import (
	"context"
	"net/http"
	"time"
)

// Identity's events API (api/identity.yaml, tag events; events:write): an
// event, its batch of generated accounts, and its end.

// event is an event as identity's API shows it.
type event struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	Window         loginWindow `json:"window"`
	Applications   []string    `json:"applications"`
	Role           string      `json:"role"`
	OwnRole        string      `json:"own_role"`
	UsernamePrefix string      `json:"username_prefix"`
	PINLength      int         `json:"pin_length"`
	Afterwards     string      `json:"afterwards"`
	// Accounts is the size of the current batch.
	Accounts    int        `json:"accounts"`
	GeneratedAt *time.Time `json:"generated_at"`
	EndedAt     *time.Time `json:"ended_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int        `json:"version"`
}

// newEvent is the body of POST /api/v1/events.
type newEvent struct {
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	Window         loginWindow `json:"window"`
	Applications   []string    `json:"applications"`
	Role           string      `json:"role"`
	UsernamePrefix string      `json:"username_prefix"`
	PINLength      int         `json:"pin_length"`
	Afterwards     string      `json:"afterwards"`
}

// batch asks for Count accounts, or one per label (then Count is 0 and
// left out).
type batch struct {
	Count  int      `json:"count,omitempty"`
	Labels []string `json:"labels,omitempty"`
}

// credential is one generated account as identity hands it out, the only
// time its PIN is known.
type credential struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	PIN      string `json:"pin"`
	Label    string `json:"label"`
}

// generated is identity's JSON answer to a batch.
type generated struct {
	Event     event        `json:"event"`
	SignInURL string       `json:"sign_in_url"`
	Accounts  []credential `json:"accounts"`
}

func (c identityClient) Events(ctx context.Context, sess *session) ([]event, error) {
	var list listPage[event]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/events"}, &list)
	return list.Items, err
}

func (c identityClient) Event(ctx context.Context, sess *session, id string) (event, error) {
	var e event
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/events/" + esc(id)}, &e)
	return e, err
}

func (c identityClient) CreateEvent(ctx context.Context, sess *session, body newEvent) (event, error) {
	if body.Applications == nil {
		body.Applications = []string{}
	}
	var e event
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/events", body: body}, &e)
	return e, err
}

// EndEvent ends the event now: its accounts are deleted or disabled.
func (c identityClient) EndEvent(ctx context.Context, sess *session, id string) (event, error) {
	var e event
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/events/" + esc(id) + "/end"}, &e)
	return e, err
}

// GenerateAccounts makes the event's new batch (replacing the old one) and
// returns it as JSON. c should be the client with the long time limit
// (server.batches): 2,000 accounts take about a minute.
func (c identityClient) GenerateAccounts(ctx context.Context, sess *session, id string, b batch) (generated, error) {
	var g generated
	err := c.do(ctx, sess, call{method: http.MethodPost, path: "/events/" + esc(id) + "/accounts", body: b,
		headers: []string{"Accept", "application/json"}}, &g)
	return g, err
}

// GenerateFile makes the event's new batch as a file of mediaType
// (text/csv or application/pdf, the letters in the page's language): the
// answer's body is left for the caller to pass on and close.
func (c identityClient) GenerateFile(ctx context.Context, sess *session, id string, b batch, mediaType string) (*http.Response, error) {
	return c.open(ctx, sess, call{method: http.MethodPost, path: "/events/" + esc(id) + "/accounts", body: b,
		headers: []string{"Accept", mediaType}})
}
