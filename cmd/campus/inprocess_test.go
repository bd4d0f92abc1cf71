package main

import (
	"io"
	"net/http"
	"runtime"
	"testing"
)

// TestInProcessStreams: an in-process answer streams to the caller as the
// handler writes it, so a large export costs constant memory (the gateway
// and the services call each other this way in all-in-one mode).
func TestInProcessStreams(t *testing.T) {
	const chunk, total = 32 << 10, 64 << 20
	var grown uint64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		buf := make([]byte, chunk)
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for written := 0; written < total; written += chunk {
			if _, err := w.Write(buf); err != nil {
				return
			}
			if written == total/2 {
				var now runtime.MemStats
				runtime.ReadMemStats(&now)
				if now.HeapAlloc > before.HeapAlloc {
					grown = now.HeapAlloc - before.HeapAlloc
				}
			}
		}
	})
	tr := &inProcess{}
	tr.set(h)
	resp, err := (&http.Client{Transport: tr}).Get("https://campus.test/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv" {
		t.Fatalf("answer: %d %v", resp.StatusCode, resp.Header)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != total {
		t.Fatalf("read %d bytes, %v; want %d", n, err, total)
	}
	if grown > 8<<20 {
		t.Fatalf("the heap grew by %d MiB while half of a %d MiB answer was sent: it is buffered, not streamed", grown>>20, total>>20)
	}
}

// TestInProcessHandlerWithoutBody: a handler that writes nothing answers
// 200 with an empty body; one that panics fails the request, not the process.
func TestInProcessHandlerWithoutBody(t *testing.T) {
	tr := &inProcess{}
	tr.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	resp, err := (&http.Client{Transport: tr}).Get("https://campus.test/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(b) != 0 {
		t.Fatalf("empty answer: %d %q", resp.StatusCode, b)
	}
	tr.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	resp, err = (&http.Client{Transport: tr}).Get("https://campus.test/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("a panicking handler: %d", resp.StatusCode)
	}
}
