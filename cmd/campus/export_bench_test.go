package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	studystore "campus/internal/study/store"
)

// exportGrades is how many grades the export tests load: 10,000
// students with 10 grades each.
const exportGrades = 100_000

const exportHeader = "id,subject,lecture_id,module_id,attempt,grade,graded_on,status,grader"

// exportSetup starts `campus serve` over a study database that the
// large-data generator filled with exportGrades grades, signs the
// administrator in to the portal, and returns the portal session's client
// (no overall timeout: the download may take longer than a page) and the
// export's address on the portal's origin, which the gateway proxies to
// the study API's /study/v1/grades/export.
func exportSetup(tb testing.TB) (*http.Client, string) {
	tb.Helper()
	dir := tb.TempDir()
	start := time.Now()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "study.db"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := d.Migrate(context.Background(), studystore.Migrations); err != nil {
		d.Close()
		tb.Fatal(err)
	}
	sizes := studystore.Sizes{Programmes: 10, Modules: 300, Lectures: 1000, Students: 10_000, Grades: exportGrades}
	err = studystore.New(d, time.Now).Generate(context.Background(), sizes, nil)
	d.Close()
	if err != nil {
		tb.Fatalf("generate %d grades: %v", exportGrades, err)
	}
	generated := time.Since(start)

	r := startCampus(tb, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword}, "serve", "--addr", "127.0.0.1:0", "--data", dir,
		"--log-level", "error")
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(tb, filepath.Join(dir, "tls", "cert.pem"))}
	b := p.browser(tb)
	b.Timeout = 0
	if pg := submitLogin(tb, p, b, getPage(tb, b, p.url+"/auth/login?return=/"), "admin", adminPassword); pg.status != http.StatusOK {
		tb.Fatalf("portal sign-in: %d\n%s", pg.status, pg.body)
	}
	// The messages service makes the course groups of these enrolments a
	// second after the start (reading the study service's rosters, tens
	// of MiB for a moment): wait for it, so that only the export is
	// measured.
	mdb, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "messages.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer mdb.Close()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int
		if err := mdb.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM conversations WHERE kind = 'course'`).Scan(&n); err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("the messages service made no course groups within 60 s")
		}
	}
	tb.Logf("generated %d grades in %s; campus started, administrator signed in after %s",
		exportGrades, generated.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return b, p.url + "/api/study/v1/grades/export"
}

// exportStats is what one download saw.
type exportStats struct {
	bytes, lines int64
	header       string
	proto        string
	took         time.Duration
	base         uint64 // live heap before the request
	peakLive     uint64 // live heap at the samples, the highest
	peakInuse    uint64 // heap in use at the samples, garbage included, the highest
	samples      int
}

// liveGrowth is how far the live heap rose above its level before the
// request.
func (s exportStats) liveGrowth() uint64 {
	if s.peakLive < s.base {
		return 0
	}
	return s.peakLive - s.base
}

// download fetches the export with the portal session of c and reads it
// as it comes, counting lines and keeping none. With sample, after every
// 10,000 lines it collects garbage and reads the live heap: the server
// runs in this process, so whatever the study API, the gateway or the
// in-process transport between them held of the answer would be live.
func download(tb testing.TB, c *http.Client, url string, sample bool) exportStats {
	tb.Helper()
	var st exportStats
	var m runtime.MemStats
	read := func() {
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		st.samples++
		st.peakLive, st.peakInuse = max(st.peakLive, m.HeapAlloc), max(st.peakInuse, m.HeapInuse)
	}
	if sample {
		runtime.GC()
		runtime.ReadMemStats(&m)
		st.base = m.HeapAlloc
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	st.proto = resp.Proto
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/csv") {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		tb.Fatalf("export through the gateway: %d %s\n%s", resp.StatusCode, ct, body)
	}
	buf := make([]byte, 32<<10)
	var head []byte // the first line, until it is complete
	next := int64(10_000)
	for {
		n, err := resp.Body.Read(buf)
		chunk := buf[:n]
		if st.lines == 0 && len(head) < 1<<10 {
			head = append(head, chunk[:min(len(chunk), 1<<10)]...)
		}
		st.bytes += int64(n)
		st.lines += int64(bytes.Count(chunk, []byte{'\n'}))
		if sample && st.lines >= next {
			read()
			next += 10_000
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("export cut after %d bytes, %d lines: %v", st.bytes, st.lines, err)
		}
	}
	st.took = time.Since(start)
	if sample {
		read()
	}
	st.header, _, _ = strings.Cut(string(head), "\n")
	st.header = strings.TrimSuffix(st.header, "\r")
	if st.header != exportHeader {
		tb.Fatalf("export header %q, want %q", st.header, exportHeader)
	}
	if st.lines != exportGrades+1 {
		tb.Fatalf("export has %d lines, want %d grades and the header", st.lines, exportGrades)
	}
	return st
}

// TestGatewayExportConstantMemory downloads a CSV export of 100,000 grades
// through the portal's same-origin gateway (/api/study/v1/grades/export,
// the administrator's portal session) and checks that it streams: the live
// heap of the process, which serves the export too (study API, gateway and
// the in-process transport between them, and the HTTP/2 connection to the
// test), stays far below the size of the file while it passes.
//
// It is not parallel: the heap is the process's, and tests running beside
// it would be counted.
func TestGatewayExportConstantMemory(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's shadow memory would be measured too; run without -race")
	}
	// The heap is the whole test binary's: other tests' campus instances,
	// running beside it, would be measured too. CI runs it alone in its
	// own step, with this set.
	if os.Getenv("CAMPUS_MEMORY_TESTS") == "" && !strings.Contains(flag.Lookup("test.run").Value.String(), "ConstantMemory") {
		t.Skip("measures the process's heap: run it alone (go test -run TestGatewayExportConstantMemory ./cmd/campus, or CAMPUS_MEMORY_TESTS=1)")
	}
	b, url := exportSetup(t)
	// A collection marks what is allocated while it runs as live, and
	// the server keeps writing (and allocating) while the reader waits
	// for it, as far as HTTP/2 flow control lets it: Go's client lets it
	// send 4 MiB ahead, into a buffer of this process, which would be
	// counted too. A window of 16 KiB stops the serving side within a few
	// dozen KiB of CSV, so that a sample, taken twice over, sees it still
	// and holding only what it really holds.
	tr := b.Transport.(*http.Transport)
	small := &http.Transport{TLSClientConfig: tr.TLSClientConfig.Clone(), ForceAttemptHTTP2: true,
		HTTP2: &http.HTTP2Config{MaxReceiveBufferPerStream: 16 << 10, MaxReceiveBufferPerConnection: 64 << 10}}
	t.Cleanup(small.CloseIdleConnections)
	c := &http.Client{Transport: small, Jar: b.Jar}
	st := download(t, c, url, true)
	if st.proto != "HTTP/2.0" {
		t.Errorf("the export came over %s, want HTTP/2.0 as browsers use", st.proto)
	}
	growth := st.liveGrowth()
	t.Logf("CSV of %d grades: %d bytes (%.2f MiB) in %s (%.1f MiB/s, %.0f rows/s, with %d forced collections); "+
		"live heap %.2f MiB before, peak +%.2f MiB; heap in use at most %.2f MiB",
		exportGrades, st.bytes, float64(st.bytes)/(1<<20), st.took.Round(time.Millisecond), float64(st.bytes)/(1<<20)/st.took.Seconds(),
		float64(exportGrades)/st.took.Seconds(), st.samples, float64(st.base)/(1<<20), float64(growth)/(1<<20),
		float64(st.peakInuse)/(1<<20))
	if limit := min(uint64(st.bytes)/2, 32<<20); growth >= limit {
		t.Errorf("the live heap grew by %.2f MiB while a %.2f MiB export passed (limit %.2f MiB): the export is buffered, not streamed",
			float64(growth)/(1<<20), float64(st.bytes)/(1<<20), float64(limit)/(1<<20))
	}
}

// BenchmarkGatewayExport100k downloads the CSV export of 100,000 grades
// through the portal's gateway with an administrator's portal session,
// once per iteration: MB/s of CSV and rows/s.
//
//	go test -run '^$' -bench BenchmarkGatewayExport100k -benchtime 3x ./cmd/campus/
func BenchmarkGatewayExport100k(b *testing.B) {
	c, url := exportSetup(b)
	warm := download(b, c, url, false)
	b.SetBytes(warm.bytes)
	for b.Loop() {
		if st := download(b, c, url, false); st.bytes != warm.bytes {
			b.Fatalf("export of %d bytes, the first was %d", st.bytes, warm.bytes)
		}
	}
	b.ReportMetric(float64(exportGrades*b.N)/b.Elapsed().Seconds(), "rows/s")
}
