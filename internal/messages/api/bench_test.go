package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The figure to report is BenchmarkSend's ns/op over BenchmarkHealthz's:
// what a message costs (token check, presence, validation, the store's
// transaction with its event, the JSON with HTML) against the cheapest
// request the handler serves. Run, on a quiet machine:
//
//	go test -run '^$' -bench 'Send|Healthz' -benchtime 2s ./internal/messages/api/
//
// (the ratio healthz/send is the "send/healthz" throughput ratio).

func BenchmarkHealthz(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkSend(b *testing.B) {
	e := newEnv(b)
	path := "/v1/conversations/" + e.group.ID + "/messages"
	const body = `{"text":"Hallo **alle**, das Skript liegt unter https://uni.example/skript"}`
	auth := "Bearer " + tokenOf(bob)
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Authorization", auth)
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusCreated {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

func BenchmarkHistory(b *testing.B) {
	e := newEnv(b)
	path := "/v1/conversations/" + e.group.ID + "/messages"
	auth := "Bearer " + tokenOf(bob)
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkSendParallel sends from 16 goroutines per core at once, as a
// loaded server does: sends that wait for the writer are written
// together (the store's group commit).
func BenchmarkSendParallel(b *testing.B) {
	e := newEnv(b)
	path := "/v1/conversations/" + e.group.ID + "/messages"
	const body = `{"text":"Hallo **alle**, das Skript liegt unter https://uni.example/skript"}`
	auth := "Bearer " + tokenOf(bob)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			r.Header.Set("Authorization", auth)
			r.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, r)
			if rec.Code != http.StatusCreated {
				b.Error(rec.Code, rec.Body.String())
				return
			}
		}
	})
}
