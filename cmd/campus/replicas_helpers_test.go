package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// replicaHeader names the replica (0 or 1) a response came from. A request
// carrying it is sent to that replica: only the ETag case steers, to show
// that a version read on one replica is accepted on the other.
const replicaHeader = "X-Test-Replica"

// seqHeader numbers the requests a proxy sent round robin, so that a test
// can tell its consecutive requests from ones with other traffic between
// them (the services also call each other through the proxies).
const seqHeader = "X-Test-Seq"

// rrProxy is a round-robin reverse proxy in front of a service's replicas:
// TLS to the client with one test certificate, plain HTTP to the replicas
// (which run with --plain-http and trust 127.0.0.1 as a proxy). Without
// stickiness: consecutive requests go to different replicas.
type rrProxy struct {
	url      string // https://127.0.0.1:PORT, the service's public URL
	plainURL string // http://127.0.0.1:PORT, the internal entrance (back-channel logout)

	mu       sync.Mutex
	backends []*url.URL
	next     int
	hits     []int
	paths    map[string]int // requests per path, on any replica
}

// startProxy listens at once (so that the public URL is known before the
// replicas start); the replicas are added with setBackends.
func startProxy(t testing.TB, cert tls.Certificate) *rrProxy {
	t.Helper()
	p := &rrProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i, seq, target := p.pick(pr.In.Header.Get(replicaHeader), pr.In.URL.Path)
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			pr.Out.Header.Set(replicaHeader, strconv.Itoa(i))
			pr.Out.Header.Set(seqHeader, strconv.Itoa(seq))
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set(replicaHeader, resp.Request.Header.Get(replicaHeader))
			resp.Header.Set(seqHeader, resp.Request.Header.Get(seqHeader))
			return nil
		},
	}
	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.url, p.plainURL = "https://"+tlsLn.Addr().String(), "http://"+plainLn.Addr().String()
	secure := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	plain := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go secure.Serve(tls.NewListener(tlsLn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	go plain.Serve(plainLn)
	t.Cleanup(func() { secure.Close(); plain.Close() })
	return p
}

func (p *rrProxy) setBackends(addrs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range addrs {
		p.backends = append(p.backends, &url.URL{Scheme: "http", Host: a})
	}
	p.hits = make([]int, len(p.backends))
}

// pick returns the next replica in strict alternation and the request's
// number, or the replica asked for (number -1).
func (p *rrProxy) pick(want, path string) (int, int, *url.URL) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paths == nil {
		p.paths = map[string]int{}
	}
	p.paths[path]++
	i, seq := p.next%len(p.backends), -1
	if n, err := strconv.Atoi(want); err == nil && n >= 0 && n < len(p.backends) {
		i = n
	} else {
		seq = p.next
		p.next++
	}
	p.hits[i]++
	return i, seq, p.backends[i]
}

// served is how many requests for path the proxy passed on.
func (p *rrProxy) served(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[path]
}

func (p *rrProxy) counts() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.hits...)
}

var readyAddr = regexp.MustCompile(`msg="campus is ready".* addr=(\S+)`)

// replicaAddr is the address a replica listens at (its public URL is the
// proxy's), read from its "campus is ready" log line.
func replicaAddr(t testing.TB, r *running) string {
	t.Helper()
	m := readyAddr.FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no listen address in the log:\n%s", r.stderr)
	}
	return m[1]
}

// addClientDB is `campus clients add --identity-db DSN --json ...`: the
// manual registration of docs/operations.md for services running apart.
func addClientDB(t testing.TB, dsn string, args ...string) clientView {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"clients", "add", "--identity-db", dsn, "--data", t.TempDir(), "--json"}, args...)
	if err := run(context.Background(), all, envMap(nil), &out, &errOut); err != nil {
		t.Fatalf("campus clients add %v: %v\n%s", args, err, errOut.String())
	}
	var v clientView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// siteBrowser is a user agent with cookies that follows redirects between
// the test's proxies (all on 127.0.0.1) and stops at any other host.
func siteBrowser(t testing.TB, base *http.Client) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport: base.Transport,
		Jar:       jar,
		Timeout:   15 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != "127.0.0.1" || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// jsonCall is one API request; it returns the status, headers and body.
func jsonCall(t testing.TB, c *http.Client, method, u, token string, body any, headers ...string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// logoutReceiver counts the logout tokens it receives per sid.
type logoutReceiver struct {
	mu    sync.Mutex
	bySID map[string]int
}

func (l *logoutReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	parts := strings.Split(r.PostForm.Get("logout_token"), ".")
	var c struct {
		SID string `json:"sid"`
	}
	if len(parts) == 3 {
		if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			json.Unmarshal(b, &c)
		}
	}
	l.mu.Lock()
	l.bySID[c.SID]++
	l.mu.Unlock()
}

func (l *logoutReceiver) count(sid string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bySID[sid]
}
