package tokencheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestIntrospectorRemembersAMinute(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	active := atomic.Bool{}
	active.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if id, secret, _ := r.BasicAuth(); id != "study" || secret != "s3cret" || r.PostFormValue("token") != "campus_key" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"active":%t,"sub":"u1","client_id":"api-key:k1","scope":"read"}`, active.Load())
	}))
	defer srv.Close()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	in := &Introspector{URL: srv.URL, ClientID: "study", ClientSecret: "s3cret", Client: srv.Client(), TTL: time.Hour, Now: func() time.Time { return now }}
	ctx := context.Background()

	a, err := in.Introspect(ctx, "campus_key")
	if err != nil || a.Subject != "u1" || len(a.Scopes) != 1 || a.Scopes[0] != "read" {
		t.Fatalf("introspect = %+v, %v", a, err)
	}
	active.Store(false) // revoked at identity
	now = now.Add(59 * time.Second)
	if _, err := in.Introspect(ctx, "campus_key"); err != nil || calls.Load() != 1 {
		t.Fatalf("within the minute: %v, %d calls", err, calls.Load())
	}
	now = now.Add(2 * time.Second) // a TTL above a minute is held to a minute
	if _, err := in.Introspect(ctx, "campus_key"); !errors.Is(err, ErrInactive) || calls.Load() != 2 {
		t.Fatalf("after the minute: %v, %d calls", err, calls.Load())
	}
	if _, err := in.Introspect(ctx, "campus_key"); !errors.Is(err, ErrInactive) || calls.Load() != 2 {
		t.Fatalf("an inactive answer is remembered too: %v, %d calls", err, calls.Load())
	}
	in.ClientSecret = "wrong"
	if _, err := in.Introspect(ctx, "campus_other"); err == nil || errors.Is(err, ErrInactive) {
		t.Fatalf("identity refusing the client: %v", err)
	}
}

func TestIntrospectorWhileIdentityIsDown(t *testing.T) {
	t.Parallel()
	status := atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	in := &Introspector{URL: srv.URL, ClientID: "study", ClientSecret: "s3cret", Client: srv.Client(), TTL: time.Minute, Now: time.Now}
	for _, st := range []int{http.StatusBadGateway, http.StatusServiceUnavailable} {
		status.Store(int32(st))
		if _, err := in.Introspect(context.Background(), "campus_key"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("identity answers %d: %v, want ErrUnavailable", st, err)
		}
	}
	srv.Close()
	if _, err := in.Introspect(context.Background(), "campus_key"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("identity's port closed: %v, want ErrUnavailable", err)
	}
}
