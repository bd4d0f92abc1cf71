package realtime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"campus/internal/messages"
)

// envInt reads a benchmark's setting from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkFanout: 1,000 streams open on one node over real HTTP
// (loopback), 500 of them the members of one course group, the others
// people elsewhere; 100 messages a second to the group for
// RT_FANOUT_SECONDS (default 5), over an in-memory store (the hub alone;
// BenchmarkFanoutStore has the real store). It reports the latency from
// the commit (the store's hook) to the moment the last member's stream
// received the event, p50 and p99 over the messages, and the events
// written to streams per second. The target: p99 < 200 ms.
//
//	go test -run '^$' -bench 'Fanout$' -benchtime 1x ./internal/messages/realtime/
func BenchmarkFanout(b *testing.B) {
	members, others := fanoutPeople()
	f := newFake()
	f.join("course", members...)
	for i, o := range others {
		f.join(fmt.Sprintf("dm%d", i), o)
	}
	h, srv := serve(b, f, nil)
	fanout(b, h, srv, members, others, func() {
		h.Deliver([]messages.EventRef{f.commit(messages.EventMessageCreated, "course", "")})
	})
}

func fanoutPeople() (members, others []string) {
	for i := range 500 {
		members = append(members, fmt.Sprintf("m%d", i))
		others = append(others, fmt.Sprintf("o%d", i))
	}
	return members, others
}

// fanout opens the streams, calls send at the rate for the time, and
// reports the latency from each send's start to the moment the last
// member's stream had that message (the k-th message.created a stream
// gets is the k-th sent: the sends are sequential).
func fanout(b *testing.B, h *Hub, srv *httptest.Server, members, others []string, send func()) {
	rate := envInt("RT_FANOUT_RATE", 100)
	seconds := envInt("RT_FANOUT_SECONDS", 5)
	n := rate * seconds
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = len(members) + len(others)
	type recv struct {
		mu sync.Mutex
		at []time.Time // when the k-th message.created came
	}
	var (
		all   []*recv
		ready sync.WaitGroup
	)
	open := func(sub string, member bool) {
		req, _ := http.NewRequest("GET", srv.URL+"/events?sub="+sub, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { resp.Body.Close() })
		r := &recv{at: make([]time.Time, 0, n)}
		if member {
			all = append(all, r)
		}
		ready.Add(1)
		go func() {
			// Scan what the reads bring for the start (the first "id: "
			// line) and for message events: cheaper than a line reader,
			// so that the clients, which share the machine, take less
			// from the server.
			buf := make([]byte, 8192)
			var carry []byte
			started := false
			start, created := []byte("\nid: "), []byte("event: message.created\n")
			for {
				k, err := resp.Body.Read(buf)
				if k > 0 {
					now := time.Now()
					data := append(carry, buf[:k]...)
					if !started {
						if i := bytes.Index(data, start); i >= 0 {
							started = true
							ready.Done()
							data = data[i+len(start):]
						}
					}
					for started {
						i := bytes.Index(data, created)
						if i < 0 {
							break
						}
						data = data[i+len(created):]
						r.mu.Lock()
						r.at = append(r.at, now)
						r.mu.Unlock()
					}
					if len(data) > 64 {
						data = data[len(data)-64:]
					}
					carry = append(carry[:0], data...)
				}
				if err != nil {
					return
				}
			}
		}()
	}
	for _, m := range members {
		open(m, true)
	}
	for _, o := range others {
		open(o, false)
	}
	ready.Wait()
	waitStreams(b, h, len(members)+len(others))

	for b.Loop() {
		for _, r := range all {
			r.mu.Lock()
			r.at = r.at[:0]
			r.mu.Unlock()
		}
		sent := make([]time.Time, 0, n)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		start := time.Now()
		for range n {
			<-tick.C
			sent = append(sent, time.Now())
			send()
		}
		tick.Stop()
		deadline := time.Now().Add(10 * time.Second)
		for _, r := range all {
			for {
				r.mu.Lock()
				done := len(r.at) >= n
				r.mu.Unlock()
				if done || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		elapsed := time.Since(start)
		lat := make([]time.Duration, n)
		for _, r := range all {
			r.mu.Lock()
			if len(r.at) != n {
				b.Fatalf("a stream got %d of %d messages", len(r.at), n)
			}
			for k, at := range r.at {
				lat[k] = max(lat[k], at.Sub(sent[k]))
			}
			r.mu.Unlock()
		}
		slices.Sort(lat)
		p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
		b.ReportMetric(p(0.50), "p50-ms")
		b.ReportMetric(p(0.99), "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(n*len(members))/elapsed.Seconds(), "events/s")
	}
}

// BenchmarkIdleStreams opens RT_IDLE_STREAMS (default 5,000) idle
// streams on one node and reports the server's memory per stream: the
// live heap after a GC (heap-B/stream; the target is at most
// 20 KB) and the goroutine stacks (stack-B/stream), each the growth
// from before the streams opened. The clients run in a child process
// (this test binary again, as TestIdleClients), so their memory is not
// counted. Each person is in a group of ten and a direct conversation,
// with their group as contacts, so the hub's interest maps are counted
// too. Heartbeats are left at 15 s.
//
//	go test -run '^$' -bench IdleStreams -benchtime 1x ./internal/messages/realtime/
func BenchmarkIdleStreams(b *testing.B) {
	n := envInt("RT_IDLE_STREAMS", 5000)
	f := newFake()
	for i := range n {
		sub := fmt.Sprintf("u%d", i)
		f.join(fmt.Sprintf("g%d", i/10), sub)
		f.join(fmt.Sprintf("d%d", i/2), sub)
		for j := i / 10 * 10; j < i/10*10+10; j++ {
			if j != i {
				f.contacts[sub] = append(f.contacts[sub], fmt.Sprintf("u%d", j))
			}
		}
	}
	h, srv := serve(b, f, func(h *Hub) { h.Heartbeat = DefaultHeartbeat })
	for b.Loop() {
		before := heap()
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClients$", "-test.v")
		cmd.Env = append(os.Environ(), "RT_IDLE_ADDR="+srv.Listener.Addr().String(), "RT_IDLE_STREAMS="+strconv.Itoa(n))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		ok := false
		for sc.Scan() {
			if sc.Text() == "ready" {
				ok = true
				break
			}
		}
		if !ok {
			cmd.Wait()
			b.Fatal("the clients did not get ready")
		}
		waitStreams(b, h, n)
		after := heap()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/stream")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(n), "stack-B/stream")
		b.ReportMetric(float64(n), "streams")
		stdin.Close()
		go io.Copy(io.Discard, stdout)
		cmd.Wait()
		waitStreams(b, h, 0)
	}
}

func heap() runtime.MemStats {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m
}

// TestIdleClients is BenchmarkIdleStreams's child: it opens the streams
// (raw HTTP/1.1 over TCP, reading only up to each stream's start), says
// "ready", and holds them until its standard input closes.
func TestIdleClients(t *testing.T) {
	addr := os.Getenv("RT_IDLE_ADDR")
	if addr == "" {
		t.Skip("the child of BenchmarkIdleStreams")
	}
	n := envInt("RT_IDLE_STREAMS", 5000)
	conns := make([]net.Conn, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(c, "GET /events?sub=u%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			buf := make([]byte, 0, 1024)
			tmp := make([]byte, 512)
			for !strings.Contains(string(buf), "\nid: ") {
				k, err := c.Read(tmp)
				if err != nil {
					t.Error(err)
					return
				}
				buf = append(buf, tmp[:k]...)
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
