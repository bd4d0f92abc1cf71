package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds campus as shipped (CGO_ENABLED=0) once per benchmark.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "campus")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinary starts `campus serve` as a process and returns once /readyz
// answers 200, with the time that took and the process.
func startBinary(b *testing.B, bin, dir string) (time.Duration, *exec.Cmd) {
	b.Helper()
	d, cmd, _ := startBinaryURL(b, bin, dir)
	return d, cmd
}

func startBinaryURL(b *testing.B, bin, dir string) (time.Duration, *exec.Cmd, string) {
	b.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-level", "warn")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdout, _ := cmd.StdoutPipe()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	url := ""
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "campus is running at "); ok {
			url = strings.TrimSuffix(u, "/")
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if url == "" {
		b.Fatal("campus did not say where it runs")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	for {
		resp, err := client.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), cmd, url
			}
		}
		if time.Since(t0) > 10*time.Second {
			b.Fatalf("not ready after 10s: %v", err)
		}
	}
}

func stopBinary(b *testing.B, cmd *exec.Cmd) {
	b.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("campus exited with %v after SIGTERM, want 0", err)
	}
}

// BenchmarkStartReady measures process start to a ready /readyz.
//
//	go test -run '^$' -bench StartReady -benchtime 20x ./cmd/campus
func BenchmarkStartReady(b *testing.B) {
	bin := buildBinary(b)
	b.Run("fresh-data-dir", func(b *testing.B) {
		var total time.Duration
		for i := 0; b.Loop(); i++ {
			d, cmd := startBinary(b, bin, filepath.Join(b.TempDir(), fmt.Sprint(i)))
			total += d
			stopBinary(b, cmd)
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
	})
	b.Run("existing-data-dir", func(b *testing.B) {
		dir := b.TempDir()
		_, cmd := startBinary(b, bin, dir)
		stopBinary(b, cmd)
		var total time.Duration
		for b.Loop() {
			d, cmd := startBinary(b, bin, dir)
			total += d
			stopBinary(b, cmd)
		}
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
	})
}

// BenchmarkIdleMemory reports the resident memory of an idle campus serve
// after start-up and one request to each service: on its first start
// (which hashes the generated administrator password with argon2id, 19 MiB)
// and on a later one.
//
//	go test -run '^$' -bench IdleMemory -benchtime 5x ./cmd/campus
func BenchmarkIdleMemory(b *testing.B) {
	bin := buildBinary(b)
	measure := func(b *testing.B, dir func() string) {
		var rss, anon float64
		for b.Loop() {
			_, cmd, url := startBinaryURL(b, bin, dir())
			touchEveryService(b, url)
			rss += float64(statusKiB(b, cmd.Process.Pid, "VmRSS")) / 1024
			anon += float64(statusKiB(b, cmd.Process.Pid, "RssAnon")) / 1024
			stopBinary(b, cmd)
		}
		b.ReportMetric(rss/float64(b.N), "RSS-MiB")
		// The process's own memory (heap, stacks, SQLite's caches): the
		// rest of its RSS is pages of the binary, which the kernel maps 64
		// KB around each page touched (docs/performance.md).
		b.ReportMetric(anon/float64(b.N), "anon-MiB")
	}
	b.Run("first-start", func(b *testing.B) { measure(b, func() string { return b.TempDir() }) })
	b.Run("later-start", func(b *testing.B) {
		dir := b.TempDir()
		_, cmd, _ := startBinaryURL(b, bin, dir)
		stopBinary(b, cmd)
		measure(b, func() string { return dir })
	})
}

func touchEveryService(b *testing.B, url string) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	for _, p := range []string{"/", "/static/campus.css", "/idp/", "/study/", "/idp/readyz", "/study/readyz"} {
		resp, err := client.Get(url + p)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %v", p, err)
		}
		resp.Body.Close()
	}
}

// statusKiB reads a field of /proc/PID/status given in kB (VmRSS,
// RssAnon).
func statusKiB(b *testing.B, pid int, field string) int {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	b.Fatal("no " + field)
	return 0
}
