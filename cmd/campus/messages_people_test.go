package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/identity"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
	"campus/internal/messages/people"
)

// TestMessagesPeopleAgainstIdentity runs the messages service's people
// directory and mailer against the real identity service, built as
// all-in-one mode builds it (the messages client registered with its
// derived secret), over SQLite: the contract both sides keep, without a
// fake in between. It lives here, where the services meet, as no service
// imports another (internal/boundary_test.go).
func TestMessagesPeopleAgainstIdentity(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var h http.Handler
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.StripPrefix("/idp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	d := dbtest.SQLite(t, identitystore.Migrations)
	mailbox := t.TempDir()
	if err := os.Chmod(mailbox, 0o700); err != nil {
		t.Fatal(err)
	}
	svc, err := identityservice.New(ctx, d, identityservice.Config{
		Admin:          identityservice.AdminConfig{Email: "admin@uni.example", Password: "correct-horse-battery-staple"},
		AccessTokenTTL: 5 * time.Minute, IDTokenTTL: 5 * time.Minute, RefreshTokenTTL: time.Hour, StepUpTTL: 15 * time.Minute,
		DeviceCodeTTL: 10 * time.Minute, DevicePollInterval: 5 * time.Second, SessionTTL: time.Hour,
		MaxLoginAttempts: 5, LockoutMinutes: 10, SignInsPerIPMinute: 100, TimeZone: "UTC",
		Argon2MemoryKiB: 7168, Argon2Time: 1, Argon2Threads: 1, PasswordMinLength: 10,
		Mail:   identityservice.MailConfig{SiteName: "campus", Language: "en", ConfirmTTL: time.Hour, ResetTTL: time.Hour, RetryBase: time.Hour},
		Issuer: srv.URL + "/idp", Base: "/idp", DataDir: t.TempDir(), PortalOrigin: srv.URL, HTTPClient: srv.Client(),
		Mailbox: mailbox, Home: srv.URL + "/", Out: io.Discard,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h = svc
	add := func(username, display string, roles ...string) identity.Account {
		a, err := svc.Store.CreateAccount(ctx, identity.Account{Username: username, Email: username + "@uni.example",
			DisplayName: display, EmailVerified: true, Roles: roles}, "")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	anna := add("anna", "Anna Weber", "student")
	bert := add("bert", "Bert Klein", "staff")

	cfg := people.Config{Issuer: srv.URL + "/idp", ClientID: identityservice.MessagesClientID,
		ClientSecret: svc.ClientSecret(identityservice.MessagesClientID), HTTPClient: srv.Client()}
	dir := people.NewDirectory(cfg, time.Now)
	got, err := dir.Lookup(ctx, []string{anna.ID, bert.ID, "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[anna.ID].DisplayName != "Anna Weber" || !slices.Equal(got[bert.ID].Roles, []string{"staff"}) {
		t.Fatalf("lookup: %+v", got)
	}
	found, err := dir.Search(ctx, "bert kl", 10)
	if err != nil || len(found) != 1 || found[0].ID != bert.ID || found[0].Username != "bert" {
		t.Fatalf("search: %+v %v", found, err)
	}

	m := people.NewMailer(cfg)
	mail := people.Mail{Subject: map[string]string{"en": "You have 2 unread messages in campus", "de": "Sie haben 2 ungelesene Nachrichten in campus"},
		Text: map[string]string{"en": "- in Databases", "de": "- in Datenbanken"}, Link: "/messages", Key: "digest:" + anna.ID + ":7"}
	if err := m.Mail(ctx, anna.ID, mail); err != nil {
		t.Fatal(err)
	}
	if err := m.Mail(ctx, anna.ID, mail); err != nil {
		t.Fatal(err)
	}
	queued, err := svc.Store.MailQueue(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, q := range queued {
		if q.Kind == "service_notice" && q.AccountID == anna.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d service mails to anna queued; want 1 (the key repeats)", n)
	}
	if err := m.Mail(ctx, "nobody", mail); !errors.Is(err, people.ErrNotFound) {
		t.Errorf("unknown person: %v", err)
	}
	bad := mail
	bad.Link = "https://elsewhere.example/"
	if err := m.Mail(ctx, anna.ID, bad); !errors.Is(err, people.ErrRejected) || !strings.Contains(err.Error(), "400") {
		t.Errorf("absolute link: %v", err)
	}
	// The study service's client may not read people's roles nor mail.
	study := cfg
	study.ClientID, study.ClientSecret = identityservice.StudyClientID, svc.ClientSecret(identityservice.StudyClientID)
	if _, err := people.NewDirectory(study, time.Now).Search(ctx, "anna", 5); !errors.Is(err, people.ErrUnavailable) {
		t.Errorf("study client searching: %v", err)
	}
}
