package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/study/api/spectest"
	"campus/internal/study/store"
	"campus/internal/tokencheck"
)

// A JWT and an API key the fakes below accept; the JWT's parts need not
// be valid base64, as fakeJWT checks nothing but equality.
const (
	testJWT    = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzdHVkZW50LTEifQ.c2lnbmF0dXJl"
	testAPIKey = "campus_XyZ123secretsecretsecretsecretsecretsecret"
)

type fakeJWT struct{}

func (fakeJWT) Verify(_ context.Context, raw string) (*tokencheck.Claims, error) {
	if raw != testJWT {
		return nil, errors.New("bad signature")
	}
	return &tokencheck.Claims{Subject: "student-1", ClientID: "portal", Roles: []string{"student"}}, nil
}

type fakeKeys struct{}

func (fakeKeys) Introspect(_ context.Context, token string) (*Principal, error) {
	if token != testAPIKey {
		return nil, errors.New("inactive")
	}
	return &Principal{Subject: "student-1", ClientID: "apikey"}, nil
}

// testServer is the study API over an empty SQLite catalogue, with fakes
// for identity.
func testServer(t *testing.T) http.Handler {
	t.Helper()
	d := dbtest.SQLite(t, store.Migrations)
	h, err := NewServer(Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer: "https://id.uni.example",
		Store:  store.New(d, time.Now),
		JWT:    fakeJWT{},
		Keys:   fakeKeys{},
		Now:    time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type problemBody struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, body []byte) problemBody {
	t.Helper()
	var p problemBody
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem: %v in %s", err, body)
	}
	return p
}

// TestKeyParameterRefusesAccessTokens: ?key= takes API keys only; an
// access token (a JWT) there is refused with 401, even a valid one, and
// the header keeps working for it.
func TestKeyParameterRefusesAccessTokens(t *testing.T) {
	v := spectest.Validator(t)
	h := testServer(t)
	const inURL = "Access tokens go in the Authorization header, never in the URL; the key parameter takes API keys only."
	tests := []struct {
		name       string
		path       string
		header     string
		wantStatus int
		wantDetail string
	}{
		{name: "API key in the URL", path: "/v1/me/enrolments?key=" + url.QueryEscape(testAPIKey), wantStatus: http.StatusOK},
		{name: "API key in the header", path: "/v1/me/enrolments", header: "Bearer " + testAPIKey, wantStatus: http.StatusOK},
		{name: "access token in the header", path: "/v1/me/enrolments", header: "Bearer " + testJWT, wantStatus: http.StatusOK},
		{name: "access token in the URL", path: "/v1/me/enrolments?key=" + testJWT, wantStatus: http.StatusUnauthorized, wantDetail: inURL},
		{name: "access token in the URL of a public list", path: "/v1/programmes?key=" + testJWT, wantStatus: http.StatusUnauthorized, wantDetail: inURL},
		{name: "invalid JWT in the URL", path: "/v1/me/enrolments?key=a.b.c", wantStatus: http.StatusUnauthorized, wantDetail: inURL},
		{name: "unknown API key in the URL", path: "/v1/me/enrolments?key=campus_nope", wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, body := v.Do(t, h, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus != http.StatusUnauthorized {
				return
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if p := decodeProblem(t, body); tt.wantDetail != "" && p.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
		})
	}
}
