// Package api is the messaging service's REST API (api/messages.yaml):
// conversations, messages, attachments, read markers, presence, notices
// and the event stream, with membership checked on every route. It holds
// no SQL (the store) and no fan-out (realtime).
package api
