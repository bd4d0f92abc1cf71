package portal

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// testClients are the two clients against one handler, with the study
// token the session holds (or none).
func testClients(t *testing.T, h http.HandlerFunc) (studyClient, identityClient) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	send := func(ctx context.Context, sess *session, req *http.Request) (*http.Response, error) {
		if sess != nil && sess.useStudy {
			req.Header.Set("Authorization", "Bearer "+sess.Study)
		}
		return srv.Client().Do(req)
	}
	token := func(sess *session) (string, time.Duration) {
		if sess.Study == "" {
			return "", 0
		}
		return sess.Study, time.Minute
	}
	return studyClient{apiClient{base: srv.URL + "/study", send: send}, token},
		identityClient{apiClient{base: srv.URL + "/idp/api/v1", send: send}}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		is     error
	}{
		{"not found", http.StatusNotFound, errNotFound},
		{"signed out", http.StatusUnauthorized, errSignedOut},
		{"forbidden", http.StatusForbidden, errForbidden},
		{"conflict", http.StatusConflict, errConflict},
		{"stale", http.StatusPreconditionFailed, errStale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			study, _ := testClients(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(tc.status)
				io.WriteString(w, `{"detail":"no","errors":[{"field":"title","detail":"missing"},{"field":"title","detail":"later"}]}`)
			})
			_, err := study.Programme(context.Background(), nil, "p1")
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if got := statusOf(err); got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if p := problemOf(err); p.Detail != "no" || p.fields()["title"] != "missing" {
				t.Errorf("problem %+v", p)
			}
			for _, other := range []error{errNotFound, errSignedOut, errForbidden, errConflict, errStale} {
				if other != tc.is && errors.Is(err, other) {
					t.Errorf("%v is also %v", err, other)
				}
			}
		})
	}
	t.Run("an error page is no problem", func(t *testing.T) {
		t.Parallel()
		study, _ := testClients(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		})
		_, err := study.Programmes(context.Background(), nil, listQuery{Limit: 50})
		if statusOf(err) != http.StatusBadGateway || problemOf(err).Detail != "" {
			t.Errorf("err = %v", err)
		}
	})
}

// A 2xx answer that is not the JSON expected is an error, not an empty
// page.
func TestClientDecodeErrors(t *testing.T) {
	t.Parallel()
	study, identity := testClients(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"items":[{"id":`)
	})
	ctx := context.Background()
	if _, err := study.Programmes(ctx, nil, listQuery{}); err == nil || statusOf(err) != 0 {
		t.Errorf("Programmes: %v", err)
	}
	if _, err := identity.Roles(ctx, nil); err == nil {
		t.Error("Roles: no error")
	}
	if _, err := study.UploadGrades(ctx, nil, "l1", []byte("subject,grade\n"), true); err == nil {
		t.Error("UploadGrades: no error")
	}
}

// The clients escape ids and encode queries; the APIs see the paths they
// always saw.
func TestClientURLs(t *testing.T) {
	t.Parallel()
	var got []string
	study, identity := testClients(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+" "+r.Header.Get("If-Match"))
		io.WriteString(w, `{}`)
	})
	ctx, sess := context.Background(), &session{tokens: tokens{Study: "study-token"}}
	study.Programme(ctx, nil, "a/b c")
	study.Programmes(ctx, nil, listQuery{Limit: 50, Q: "Computer Science", Cursor: "c&2"})
	study.LectureStudents(ctx, nil, "l1", "n 2")
	study.PatchModule(ctx, sess, "m/1", "3", map[string]any{})
	study.LinkLecture(ctx, sess, "m1", "l?1")
	identity.People(ctx, nil, []string{"s1", "s2"})
	identity.Users(ctx, nil, userQuery{Q: "ada", Role: "student"})
	identity.Unlock(ctx, nil, "u/1", 7)
	want := []string{
		"GET /study/v1/programmes/a%2Fb%20c? ",
		"GET /study/v1/programmes?cursor=c%262&limit=50&q=Computer+Science ",
		"GET /study/v1/lectures/l1/students?limit=200&cursor=n+2 ",
		`PATCH /study/v1/modules/m%2F1? "3"`,
		"PUT /study/v1/modules/m1/lectures/l%3F1? ",
		"GET /idp/api/v1/people?id=s1&id=s2 ",
		"GET /idp/api/v1/users?limit=50&q=ada&role=student ",
		`POST /idp/api/v1/users/u%2F1/unlock? "7"`,
	}
	if len(got) != len(want) {
		t.Fatalf("sent %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sent %q, want %q", got[i], want[i])
		}
	}
}

// Catalogue changes need a live study token: without one nothing is
// sent; refused, editing is locked again.
func TestClientStudyToken(t *testing.T) {
	t.Parallel()
	var auth []string
	study, _ := testClients(t, func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusUnauthorized)
	})
	ctx := context.Background()
	if _, err := study.CreateProgramme(ctx, &session{}, map[string]any{}); !errors.Is(err, errLocked) {
		t.Errorf("without a study token: %v", err)
	}
	if len(auth) != 0 {
		t.Errorf("sent without a study token: %q", auth)
	}
	err := study.UnlinkModule(ctx, &session{tokens: tokens{Study: "study-token"}}, "p1", "m1")
	if !errors.Is(err, errLocked) || statusOf(err) != http.StatusUnauthorized {
		t.Errorf("refused: %v", err)
	}
	if len(auth) != 1 || auth[0] != "Bearer study-token" {
		t.Errorf("sent %q", auth)
	}
}
