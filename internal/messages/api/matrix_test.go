package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"campus/internal/db/dbtest"
	"campus/internal/messages/store"
)

// The callers of the membership matrix, in the order of its columns.
var callers = []struct {
	name, token string
}{
	{"member", tokenOf(bob)},         // a member of the group (not its admin)
	{"former member", tokenOf(erin)}, // was in the group, left
	{"non-member", tokenOf(mallory)}, // never in it
	{"other group's admin", tokenOf(oscar)},
	{"anonymous", ""},
	{"API key", keyBob}, // the member's own read-only key
	{"service without scope", serviceToken},
}

// matrixRow is one route: a request for it against the env's fixtures,
// and the status each caller gets.
type matrixRow struct {
	pattern string
	req     func(e *env) req
	want    [7]int
}

const (
	ok      = http.StatusOK
	created = http.StatusCreated
	none    = http.StatusNoContent
	e401    = http.StatusUnauthorized
	e403    = http.StatusForbidden
	e404    = http.StatusNotFound
	e422    = http.StatusUnprocessableEntity
)

// matrix: every route of the spec, every kind of caller. A conversation,
// message or file of a conversation the caller is not in answers 404,
// the answer for one that does not exist; API keys read but never write
// or stream; a service token without messages:notify gets nothing.
var matrix = []matrixRow{
	{"GET /v1/conversations", func(e *env) req { return req{method: "GET", path: "/v1/conversations"} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"POST /v1/conversations", func(e *env) req {
		return req{method: "POST", path: "/v1/conversations", body: map[string]any{"kind": "direct", "members": []string{alice}}}
	}, [7]int{ok, e422, e422, created, e401, e403, e403}}, // students reach course peers only; staff anyone
	{"GET /v1/conversations/{id}", func(e *env) req { return req{method: "GET", path: "/v1/conversations/" + e.group.ID} },
		[7]int{ok, e404, e404, e404, e401, ok, e403}},
	{"PATCH /v1/conversations/{id}", func(e *env) req {
		return req{method: "PATCH", path: "/v1/conversations/" + e.group.ID, body: map[string]any{"name": "Neu"}}
	}, [7]int{e403, e404, e404, e404, e401, e403, e403}},
	{"PUT /v1/conversations/{id}/members/{sub}", func(e *env) req {
		return req{method: "PUT", path: "/v1/conversations/" + e.group.ID + "/members/" + mallory, body: map[string]any{"role": "member"}}
	}, [7]int{e403, e404, e404, e404, e401, e403, e403}},
	{"DELETE /v1/conversations/{id}/members/{sub}", func(e *env) req {
		return req{method: "DELETE", path: "/v1/conversations/" + e.group.ID + "/members/" + alice}
	}, [7]int{e403, e404, e404, e404, e401, e403, e403}},
	{"PUT /v1/conversations/{id}/read", func(e *env) req {
		return req{method: "PUT", path: "/v1/conversations/" + e.group.ID + "/read", body: map[string]any{"up_to": e.message.ID}}
	}, [7]int{ok, e404, e404, e404, e401, e403, e403}},
	{"GET /v1/unread", func(e *env) req { return req{method: "GET", path: "/v1/unread"} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"GET /v1/conversations/{id}/messages", func(e *env) req {
		return req{method: "GET", path: "/v1/conversations/" + e.group.ID + "/messages"}
	}, [7]int{ok, e404, e404, e404, e401, ok, e403}},
	{"POST /v1/conversations/{id}/messages", func(e *env) req {
		return req{method: "POST", path: "/v1/conversations/" + e.group.ID + "/messages", body: map[string]any{"text": "Hallo"}}
	}, [7]int{created, e404, e404, e404, e401, e403, e403}},
	{"PATCH /v1/messages/{id}", func(e *env) req {
		return req{method: "PATCH", path: "/v1/messages/" + e.message.ID, body: map[string]any{"text": "Anders"}}
	}, [7]int{e403, e404, e404, e404, e401, e403, e403}}, // the member is not the sender
	{"DELETE /v1/messages/{id}", func(e *env) req { return req{method: "DELETE", path: "/v1/messages/" + e.message.ID} },
		[7]int{e403, e404, e404, e404, e401, e403, e403}},
	{"GET /v1/attachments/{id}", func(e *env) req { return req{method: "GET", path: "/v1/attachments/" + e.file} },
		[7]int{ok, e404, e404, e404, e401, ok, e403}},
	{"GET /v1/search", func(e *env) req { return req{method: "GET", path: "/v1/search?q=Hallo"} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"GET /v1/people", func(e *env) req { return req{method: "GET", path: "/v1/people?id=" + alice} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"GET /v1/contacts", func(e *env) req { return req{method: "GET", path: "/v1/contacts"} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"GET /v1/presence", func(e *env) req { return req{method: "GET", path: "/v1/presence?conversation=" + e.group.ID} },
		[7]int{ok, e404, e404, e404, e401, ok, e403}},
	{"GET /v1/me/presence", func(e *env) req { return req{method: "GET", path: "/v1/me/presence"} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"PUT /v1/me/presence", func(e *env) req {
		return req{method: "PUT", path: "/v1/me/presence", body: map[string]any{"hidden": false}}
	},
		[7]int{ok, ok, ok, ok, e401, e403, e403}},
	{"GET /v1/events", func(e *env) req { return req{method: "GET", path: "/v1/events"} },
		[7]int{ok, ok, ok, ok, e401, e403, e403}},
	{"POST /v1/notices", func(e *env) req {
		return req{method: "POST", path: "/v1/notices", header: map[string]string{"Idempotency-Key": "k1"},
			body: map[string]any{"to": []string{bob}, "kind": "grade_published", "text": "A grade", "text_de": "Eine Note"}}
	}, [7]int{e403, e403, e403, e403, e401, e403, e403}},
	{"GET /v1/rules", func(e *env) req { return req{method: "GET", path: "/v1/rules"} },
		[7]int{ok, ok, ok, ok, e401, ok, e403}},
	{"PUT /v1/rules", func(e *env) req {
		return req{method: "PUT", path: "/v1/rules", header: map[string]string{"If-Match": `"1"`},
			body: map[string]any{"reach": map[string]any{}, "group_creators": []string{}}}
	}, [7]int{e403, e403, e403, e403, e401, e403, e403}}, // administrators only
	{"GET /v1/openapi.yaml", func(e *env) req { return req{method: "GET", path: "/v1/openapi.yaml"} },
		[7]int{ok, ok, ok, ok, ok, ok, ok}},
	{"GET /v1/docs", func(e *env) req { return req{method: "GET", path: "/v1/docs"} },
		[7]int{ok, ok, ok, ok, ok, ok, ok}},
}

// TestMembershipMatrix runs every route as every kind of caller, each
// route over fresh fixtures, and checks each answer against the spec.
func TestMembershipMatrix(t *testing.T) {
	t.Parallel()
	runMatrix(t, func(t *testing.T) *env { return newEnv(t) })
}

// TestMembershipMatrixPostgres is the matrix over PostgreSQL (skipped
// without CAMPUS_TEST_POSTGRES outside CI).
func TestMembershipMatrixPostgres(t *testing.T) {
	t.Parallel()
	runMatrix(t, func(t *testing.T) *env { return newEnvOn(t, dbtest.Postgres(t, store.Migrations), people) })
}

func runMatrix(t *testing.T, newEnv func(t *testing.T) *env) {
	for _, row := range matrix {
		t.Run(row.pattern, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for i, c := range callers {
				r := row.req(e)
				resp, body := e.do(c.token, r)
				if resp.StatusCode != row.want[i] {
					t.Errorf("%s: %s %s answered %d, want %d: %s", c.name, r.method, r.path, resp.StatusCode, row.want[i], body)
				}
			}
		})
	}
}

// TestMatrixCoversTheSpec fails for an operation of the spec that the
// matrix leaves out, so a new route cannot skip the membership checks.
func TestMatrixCoversTheSpec(t *testing.T) {
	t.Parallel()
	var rows []string
	for _, row := range matrix {
		if slices.Contains(rows, row.pattern) {
			t.Errorf("%s is in the matrix twice", row.pattern)
		}
		rows = append(rows, row.pattern)
	}
	e := &env{}
	_ = e
	for _, op := range specOperations(t) {
		if !slices.Contains(rows, op) {
			t.Errorf("%s is in api/messages.yaml but not in the membership matrix", op)
		}
	}
	for _, r := range rows {
		if !slices.Contains(specOperations(t), r) {
			method, path, _ := strings.Cut(r, " ")
			t.Errorf("the matrix has %s %s, which api/messages.yaml does not", method, path)
		}
	}
}
