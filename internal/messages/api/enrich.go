package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"campus/internal/messages"
	"campus/internal/messages/store"
)

// Enrich returns the hub's Enrich (realtime.Hub.Enrich): message events,
// stored as {"conversation_id","message_id"}, reach clients as the
// Message JSON of the API, HTML included, so that a client shows a new
// message without asking for it. Other events go as stored. The hub has
// decided who receives the event; the message is read without a member.
func Enrich(st *store.Store) func(ctx context.Context, e messages.Event) ([]byte, error) {
	return func(ctx context.Context, e messages.Event) ([]byte, error) {
		if !strings.HasPrefix(e.Kind, "message.") {
			return e.Data, nil
		}
		var ref struct {
			MessageID string `json:"message_id"`
		}
		if err := json.Unmarshal(e.Data, &ref); err != nil || ref.MessageID == "" {
			return nil, fmt.Errorf("event %d: no message id in %q", e.ID, e.Data)
		}
		m, err := st.MessageByID(ctx, ref.MessageID)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", e.ID, err)
		}
		return json.Marshal(messageOut(m))
	}
}
