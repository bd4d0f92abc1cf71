package api

import "net/http"

type route struct {
	pattern string
	h       http.Handler
}

// routes is the API: every route here is an operation of
// api/messages.yaml and the other way round (TestRoutesMatchTheSpec), and
// every one is in the membership matrix (TestMembershipMatrix).
// Membership is checked by the store on every read and change: a
// conversation the caller is not in answers 404, as one that does not
// exist.
func (s *server) routes(docs *docs) []route {
	read := func(h handlerFunc) http.Handler { return s.guard(readAccess, h) }
	write := func(h handlerFunc) http.Handler { return s.guard(writeAccess, h) }
	return []route{
		// Conversations and their members.
		{"GET /v1/conversations", read(s.listConversations)},
		{"POST /v1/conversations", write(s.createConversation)},
		{"GET /v1/conversations/{id}", read(s.getConversation)},
		{"PATCH /v1/conversations/{id}", write(s.patchConversation)},
		{"PUT /v1/conversations/{id}/members/{sub}", write(s.putMember)},
		{"DELETE /v1/conversations/{id}/members/{sub}", write(s.deleteMember)},
		{"PUT /v1/conversations/{id}/read", write(s.markRead)},
		{"GET /v1/unread", read(s.unread)},

		// Messages and their attachments.
		{"GET /v1/conversations/{id}/messages", read(s.history)},
		{"POST /v1/conversations/{id}/messages", write(s.send)},
		{"PATCH /v1/messages/{id}", write(s.editMessage)},
		{"DELETE /v1/messages/{id}", write(s.deleteMessage)},
		{"GET /v1/attachments/{id}", read(s.attachment)},
		{"GET /v1/search", read(s.search)},

		// People, presence and the event stream.
		{"GET /v1/people", read(s.listPeople)},
		{"GET /v1/contacts", read(s.contacts)},
		{"GET /v1/presence", read(s.presence)},
		{"GET /v1/me/presence", read(s.myPresence)},
		{"PUT /v1/me/presence", write(s.setMyPresence)},
		{"GET /v1/events", s.guard(streamAccess, s.events)},

		// Campus's notices and the administrators' rules.
		{"POST /v1/notices", s.guard(notifyAccess, s.notify)},
		{"GET /v1/rules", read(s.getRules)},
		{"PUT /v1/rules", write(s.putRules)},

		// About the API.
		{"GET /v1/openapi.yaml", handleSpec()},
		{"GET /v1/docs", docs.handlePage()},
	}
}
