package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// namedPeople is identity as the upload sees it: knownPeople that also
// resolves usernames and addresses.
type namedPeople struct {
	knownPeople
	logins   map[string]string
	resolved [][]string
}

func (n *namedPeople) Resolve(_ context.Context, logins []string) (map[string]string, error) {
	n.resolved = append(n.resolved, logins)
	if n.err != nil {
		return nil, n.err
	}
	out := map[string]string{}
	for _, l := range logins {
		if id, ok := n.logins[strings.ToLower(l)]; ok {
			out[l] = id
		}
	}
	return out, nil
}

// TestUploadByUsername: a grade file may name people by username or
// e-mail address, in the subject column or a username column; identity is
// asked once for all of them; unknown people are reported with line and
// value; the subject-id form keeps working; the same person named twice
// (by id and by username) is refused on the later line; identity down
// stores nothing (503).
func TestUploadByUsername(t *testing.T) {
	t.Parallel()
	const ada = "0190f3a4-8b1c-7d2e-9f00-0000000000ad"
	const bob = "0190f3a4-8b1c-7d2e-9f00-0000000000b0"
	const cem = "0190f3a4-8b1c-7d2e-9f00-0000000000c0"
	people := &namedPeople{logins: map[string]string{"ada": ada, "bob@uni.example": bob, "cem": cem}}
	a := newTestAPI(t, people)
	for _, s := range []string{ada, bob, cem} {
		a.enrolDirectly(s)
	}
	file := "subject,username,name,grade\n" +
		",Ada,Ada Lovelace,1.3\n" + // line 2: username column
		"bob@uni.example,,,2.0\n" + // line 3: address in the subject column
		"nobody,,,1.0\n" + // line 4: nobody
		cem + ",cem,Cem,2.7\n" + // line 5: the id form (username ignored)
		",ada,,3.0\n" // line 6: ada again
	resp, raw := a.do("POST", "/v1/lectures/"+a.lec.ID+"/grades/upload?dry_run=false", "text/csv", file)
	var rep csvReport
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(raw), &rep) != nil {
		t.Fatalf("upload: %d %s", resp.StatusCode, raw)
	}
	if !rep.Applied || rep.Accepted != 3 || rep.Refused != 2 || len(rep.Rows) != 5 {
		t.Fatalf("report: %s", raw)
	}
	want := []struct {
		subject, person, result, reason string
	}{
		{ada, "Ada", "accepted", ""},
		{bob, "bob@uni.example", "accepted", ""},
		{"nobody", "nobody", "refused", `No account has the username or e-mail address "nobody".`},
		{cem, "", "accepted", ""},
		{ada, "ada", "refused", "The same person as on line 2."},
	}
	for i, w := range want {
		got := rep.Rows[i]
		if got.Line != i+2 || got.Subject != w.subject || got.Person != w.person || got.Result != w.result || got.Reason != w.reason {
			t.Errorf("row %d = %+v, want %+v", i+2, got, w)
		}
	}
	if len(people.resolved) != 1 || strings.Join(people.resolved[0], ",") != "Ada,bob@uni.example,nobody,ada" {
		t.Errorf("identity asked %v, want once for the names", people.resolved)
	}
	grades, err := a.store.LectureGrades(context.Background(), a.lec.ID)
	stored := map[string]string{}
	for _, g := range grades {
		stored[g.Subject] = g.Grade.String()
	}
	if err != nil || len(grades) != 3 || stored[ada] != "1.3" || stored[bob] != "2.0" || stored[cem] != "2.7" {
		t.Fatalf("stored %v, %v", stored, err)
	}

	// Identity down: the whole upload is refused, nothing stored.
	down := &namedPeople{knownPeople: knownPeople{err: errors.New("connection refused")}}
	b := newTestAPI(t, down)
	if resp, raw := b.do("POST", "/v1/lectures/"+b.lec.ID+"/grades/upload?dry_run=false", "text/csv", "username,grade\nada,1.3\n"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("identity down: %d %s", resp.StatusCode, raw)
	}
	// Without a resolver (no client credentials) a username is refused
	// with the reason; ids still work.
	c := newTestAPI(t, nil)
	c.enrolDirectly(ada)
	_, raw = c.do("POST", "/v1/lectures/"+c.lec.ID+"/grades/upload", "text/csv", "subject,grade\nada,1.3\n"+ada+",2.0\n")
	if !strings.Contains(raw, `"accepted":1`) || !strings.Contains(raw, "usernames cannot be looked up") {
		t.Fatalf("without a resolver: %s", raw)
	}
}
