package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"campus/internal/config"
)

// TestBenchNodeProcess is no test of its own: it is the node TestBench's
// `campus bench` starts, this test binary standing in for the campus
// binary (`campus bench node` with the flags after --).
func TestBenchNodeProcess(t *testing.T) {
	if os.Getenv("CAMPUS_BENCH_NODE_PROCESS") != "1" {
		t.Skip("the node process of TestBench; runs only when TestBench starts it")
	}
	err := run(context.Background(), append([]string{"bench", "node"}, flag.Args()...), os.Getenv, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// TestBench runs `campus bench` for a few seconds at a low rate against the
// node it starts, and checks the report: every kind of the mix done, no
// error, latencies and the node's heap reported.
func TestBench(t *testing.T) {
	t.Parallel()
	node := &nodeCommand{path: os.Args[0], args: []string{"-test.run=^TestBenchNodeProcess$", "--"}, env: []string{"CAMPUS_BENCH_NODE_PROCESS=1"}}
	var out, errOut syncBuffer
	e := env{getenv: envMap(nil), stdout: &out, stderr: &errOut}
	err := benchCommand(context.Background(), e, []string{"--rate", "20/s", "--warmup", "1s", "--duration", "4s", "--concurrency", "8",
		"--students", "4", "--staff", "2", "--modules", "2", "--heap-every", "1s", "--json"}, node)
	var failed *benchFailure
	if errors.As(err, &failed) && failed.errors == 0 {
		// A few seconds are too short for the heap verdict to mean much;
		// the 10-minute run decides that. Errors always fail.
		t.Logf("heap verdict of a short run: %v", err)
	} else if err != nil {
		t.Fatalf("campus bench: %v\nstderr:\n%s\nstdout:\n%s", err, errOut.String(), out.String())
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("report is no JSON: %v\n%s", err, out.String())
	}
	if rep.Node != "started" || !strings.HasPrefix(rep.URL, "https://127.0.0.1:") || rep.Rate != 20 {
		t.Errorf("node %q url %q rate %v", rep.Node, rep.URL, rep.Rate)
	}
	if rep.Errors != 0 || rep.WarmupErrors != 0 || len(rep.ErrorList) != 0 {
		t.Errorf("errors %d, in the warm-up %d: %v", rep.Errors, rep.WarmupErrors, rep.ErrorList)
	}
	sum := 0
	for _, k := range rep.Kinds {
		sum += k.Count
		if k.Count == 0 || k.P50ms <= 0 || k.P50ms > k.P95ms || k.P95ms > k.P99ms || k.P99ms > k.MaxMs || k.PerSecond <= 0 {
			t.Errorf("kind %s: %+v", k.Kind, k)
		}
	}
	if len(rep.Kinds) != len(benchKinds) {
		t.Errorf("kinds %+v, want one each of %v", rep.Kinds, benchKinds)
	}
	// Inline refreshes (a token about to end) would add to the count; none
	// are due in a few seconds, so exactly the planned requests were done.
	if rep.Total.Count != sum || int64(sum) != rep.Planned || rep.Planned < 70 {
		t.Errorf("total %d, kinds %d, planned %d", rep.Total.Count, sum, rep.Planned)
	}
	h := rep.Heap
	if h == nil || h.AfterWarmup.HeapLive == 0 || h.End.HeapLive == 0 || len(h.Samples) < 3 || h.Tolerance != 10 || h.End.Goroutines == 0 {
		t.Fatalf("heap: %+v", h)
	}
}

// TestBenchSettings: bad settings are usage errors naming every problem,
// before anything starts.
func TestBenchSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"rate, load and mix", []string{"--rate", "fast", "--load", "1.5", "--mix", "sign-in=1,lunch=2"},
			nil, []string{"--rate", "--load", `unknown kind "lunch"`}},
		{"url without password and database", []string{"--url", "https://campus.example.edu"},
			nil, []string{"CAMPUS_ADMIN_PASSWORD", "--data or --identity-db"}},
		{"url and node flags", []string{"--url", "https://127.0.0.1:8443", "--data", "x", "--node-flag", "--argon2-time=1"},
			map[string]string{"CAMPUS_ADMIN_PASSWORD": "pw"}, []string{"--node-flag"}},
		{"own node with --data", []string{"--data", "x", "--insecure"}, nil, []string{"--ca-file and --insecure", "--data and --identity-db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut syncBuffer
			err := runWith(context.Background(), env{getenv: envMap(tc.env), stdout: &out, stderr: &errOut}, append([]string{"bench"}, tc.args...))
			var ue *config.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("err %v, want a usage error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not name %q", err.Error(), w)
				}
			}
		})
	}
	var out syncBuffer
	if err := runWith(context.Background(), env{getenv: envMap(nil), stdout: &out, stderr: &out}, []string{"bench", "--help"}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"--rate", "--find-capacity", "--load", "--url", "--insecure", "CAMPUS_ADMIN_PASSWORD", "--heap-tolerance"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("--help does not mention %s:\n%s", w, out.String())
		}
	}
}
