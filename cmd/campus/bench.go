package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/config"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
	"campus/internal/identity/password"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
	"campus/internal/lazyregexp"
)

// benchOptions are the settings of `campus bench`.
type benchOptions struct {
	URL, CAFile   string
	Insecure      bool
	Data          string
	IdentityDB    dbOption
	KEK           string
	AdminPassword string
	Rate          string
	Duration      time.Duration
	Warmup        time.Duration
	Concurrency   int
	FindCapacity  bool
	Load          string
	Step          time.Duration
	P99Bound      time.Duration
	Students      int
	Staff         int
	Modules       int
	Mix           string
	HeapEvery     time.Duration
	HeapTolerance int
	NodeFlags     []string
	JSON          bool

	rate, load float64
	mix        []mixEntry
}

const benchUsage = `Run a realistic mix of requests (sign-ins, token refreshes, catalogue
reads, grade entry, a student's grades and portal page) against one campus node at a fixed
rate (open loop) and report counts, errors, latency percentiles,
throughput and the node's heap. By default it starts its own 'campus serve'
on a temporary data directory (SQLite); with --url it measures a running
node, whose identity database it needs (--data or --identity-db) to
register its client and accounts. Exit status 1 when any request failed
or the heap grew by more than --heap-tolerance. ('campus bench node' is
the node bench starts, not for use by hand.)`

func newBenchConfig() (*benchOptions, *config.Set) {
	o := &benchOptions{IdentityDB: dbOption{service: "identity"}}
	s := config.NewSet("bench", benchUsage)
	s.String(&o.URL, "bench.url", "url", "CAMPUS_BENCH_URL", "", "Campus to measure, e.g. https://127.0.0.1:8443 (default: start a node of its own)")
	s.String(&o.CAFile, "bench.ca_file", "ca-file", "CAMPUS_BENCH_CA_FILE", "", "PEM file of the CA (or the self-signed certificate) of --url")
	s.Bool(&o.Insecure, "bench.insecure", "insecure", "CAMPUS_BENCH_INSECURE", "false", "Do not check the certificate of --url (a dev certificate)")
	s.String(&o.KEK, "identity.key_encryption_key", "", "CAMPUS_KEY_ENCRYPTION_KEY", "", "The node's key-encryption key, when not the one in --data", config.Secret(), config.EnvOnly())
	s.String(&o.Data, "bench.data", "data", "CAMPUS_DATA", "", "Data directory of the node of --url, for its identity database (default without --url: a temporary one, removed afterwards)")
	o.IdentityDB.register(s, "identity-db")
	s.String(&o.AdminPassword, "admin.password", "", "CAMPUS_ADMIN_PASSWORD", "",
		"Password of the administrator 'admin' (required with --url; generated for a started node)", config.Secret(), config.EnvOnly())
	s.String(&o.Rate, "bench.rate", "rate", "CAMPUS_BENCH_RATE", "20/s", "Requests per second to send (N or N/s); with --find-capacity the first step")
	s.Duration(&o.Duration, "bench.duration", "duration", "CAMPUS_BENCH_DURATION", "1m", "How long to measure, after the warm-up")
	s.Duration(&o.Warmup, "bench.warmup", "warmup", "CAMPUS_BENCH_WARMUP", "30s", "Load before measuring, not counted; the heap is read after it")
	s.Int(&o.Concurrency, "bench.concurrency", "concurrency", "CAMPUS_BENCH_CONCURRENCY", "64", "Requests in flight at most")
	s.Bool(&o.FindCapacity, "bench.find_capacity", "find-capacity", "CAMPUS_BENCH_FIND_CAPACITY", "false",
		"First raise the rate step by step (x1.25) until a request fails, p99 exceeds --p99-bound or the rate is not reached; then measure at --load times the last rate that passed")
	s.String(&o.Load, "bench.load", "load", "CAMPUS_BENCH_LOAD", "0.8", "Fraction of the capacity found to measure at (with --find-capacity)")
	s.Duration(&o.Step, "bench.step", "step", "CAMPUS_BENCH_STEP", "15s", "Length of each step of --find-capacity")
	s.Duration(&o.P99Bound, "bench.p99_bound", "p99-bound", "CAMPUS_BENCH_P99_BOUND", "500ms", "Highest p99 latency a step of --find-capacity may have")
	s.Int(&o.Students, "bench.students", "students", "CAMPUS_BENCH_STUDENTS", "100", "Student accounts to create and use")
	s.Int(&o.Staff, "bench.staff", "staff", "CAMPUS_BENCH_STAFF", "10", "Staff accounts (graders) to create and use")
	s.Int(&o.Modules, "bench.modules", "modules", "CAMPUS_BENCH_MODULES", "10", "Modules (each with one lecture) of the programme created for the run")
	s.String(&o.Mix, "bench.mix", "mix", "CAMPUS_BENCH_MIX", "catalogue=50,grade-entry=15,refresh=10,my-grades=10,portal=10,sign-in=5",
		"Weights of the kinds of request: sign-in, refresh, catalogue, my-grades, portal, grade-entry")
	s.Duration(&o.HeapEvery, "bench.heap_every", "heap-every", "CAMPUS_BENCH_HEAP_EVERY", "10s", "How often to read the started node's heap during the run")
	s.Int(&o.HeapTolerance, "bench.heap_tolerance", "heap-tolerance", "CAMPUS_BENCH_HEAP_TOLERANCE", "10", "Percent the heap may grow from after the warm-up to the end and still be flat")
	s.StringList(&o.NodeFlags, "bench.node_flags", "node-flag", "CAMPUS_BENCH_NODE_FLAGS", "", "Extra flag for the started 'campus serve', e.g. --node-flag=--argon2-time=1 (repeatable)")
	s.Bool(&o.JSON, "bench.json", "json", "CAMPUS_BENCH_JSON", "false", "Print the report as JSON")
	return o, s
}

func (o *benchOptions) validate(s *config.Set) []error {
	var errs []error
	r, err := strconv.ParseFloat(strings.TrimSuffix(o.Rate, "/s"), 64)
	if err != nil || r <= 0 {
		errs = append(errs, fmt.Errorf("--rate %q: want a positive number of requests per second, e.g. 50/s", o.Rate))
	}
	o.rate = r
	l, err := strconv.ParseFloat(o.Load, 64)
	if err != nil || l <= 0 || l > 1 {
		errs = append(errs, fmt.Errorf("--load %q: want a fraction above 0 and at most 1, e.g. 0.8", o.Load))
	}
	o.load = l
	if o.Duration <= 0 || o.Warmup < 0 || o.Step <= 0 || o.P99Bound <= 0 || o.HeapEvery <= 0 {
		errs = append(errs, errors.New("--duration, --step, --p99-bound and --heap-every must be positive, --warmup not negative"))
	}
	if o.Concurrency < 1 || o.Students < 1 || o.Staff < 1 || o.Modules < 1 || o.HeapTolerance < 0 {
		errs = append(errs, errors.New("--concurrency, --students, --staff and --modules must be at least 1, --heap-tolerance not negative"))
	}
	mix, err := parseMix(o.Mix)
	if err != nil {
		errs = append(errs, fmt.Errorf("--mix %q: %v", o.Mix, err))
	}
	o.mix = mix
	if o.URL != "" {
		if err := checkServiceURL(o.URL); err != nil {
			errs = append(errs, fmt.Errorf("--url %q: %v", o.URL, err))
		}
		if o.AdminPassword == "" {
			errs = append(errs, errors.New("--url needs the administrator's password in CAMPUS_ADMIN_PASSWORD (for the study token that builds the catalogue)"))
		}
		if o.Data == "" && s.Source("identity.db") == "default" {
			errs = append(errs, errors.New("--url needs the node's identity database (--data or --identity-db) to register the bench client and accounts"))
		}
		errs = append(errs, o.IdentityDB.validate()...)
	} else {
		if o.CAFile != "" || o.Insecure {
			errs = append(errs, errors.New("--ca-file and --insecure are for --url; a started node's certificate is trusted as it is"))
		}
		// CAMPUS_DATA and CAMPUS_IDENTITY_DB may be set for serve; only
		// a flag or the file asking for them is a mistake here.
		given := func(key string) bool { src := s.Source(key); return src == "flag" || src == "file" }
		if given("bench.data") || given("identity.db") {
			errs = append(errs, errors.New("--data and --identity-db are for --url; a started node gets a temporary data directory"))
		}
	}
	if o.URL != "" && len(o.NodeFlags) > 0 {
		errs = append(errs, errors.New("--node-flag is for a started node, not --url"))
	}
	return errs
}

// The kinds of request of the mix.
const (
	kindSignIn     = "sign-in"
	kindRefresh    = "refresh"
	kindCatalogue  = "catalogue"
	kindMyGrades   = "my-grades"
	kindPortal     = "portal"
	kindGradeEntry = "grade-entry"
)

var benchKinds = []string{kindSignIn, kindRefresh, kindCatalogue, kindMyGrades, kindPortal, kindGradeEntry}

type mixEntry struct {
	kind   string
	weight int
}

func parseMix(s string) ([]mixEntry, error) {
	var out []mixEntry
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		k, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want KIND=WEIGHT", part)
		}
		if !slices.Contains(benchKinds, k) {
			return nil, fmt.Errorf("unknown kind %q: want %s", k, strings.Join(benchKinds, ", "))
		}
		if n > 0 {
			out = append(out, mixEntry{k, n})
		}
		total += n
	}
	if total == 0 {
		return nil, errors.New("the weights add up to nothing")
	}
	return out, nil
}

// scheduler interleaves the kinds smoothly by weight (smooth weighted
// round robin), so even a short run has each kind in its share.
type scheduler struct {
	mix     []mixEntry
	current []int
	total   int
}

func newScheduler(mix []mixEntry) *scheduler {
	s := &scheduler{mix: mix, current: make([]int, len(mix))}
	for _, m := range mix {
		s.total += m.weight
	}
	return s
}

func (s *scheduler) next() string {
	best := 0
	for i, m := range s.mix {
		s.current[i] += m.weight
		if s.current[i] > s.current[best] {
			best = i
		}
	}
	s.current[best] -= s.total
	return s.mix[best].kind
}

// nodeCommand is how bench starts its own node: this program's
// `campus bench node`, or in tests the test binary standing in for it.
type nodeCommand struct {
	path string
	args []string
	env  []string
}

// runBench is `campus bench`, and `campus bench node`, the node it starts.
func runBench(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "node" {
		return runBenchNode(ctx, e, args[1:])
	}
	return benchCommand(ctx, e, args, nil)
}

func benchCommand(ctx context.Context, e env, args []string, node *nodeCommand) error {
	o, s := newBenchConfig()
	if err := load(s, e, args, func() []error { return o.validate(s) }); err != nil {
		return err
	}
	if node == nil {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		node = &nodeCommand{path: self, args: []string{"bench", "node"}}
	}
	progress := e.stderr
	b := &bench{o: o, log: func(format string, a ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", a...) }, run: newRunID()}
	var identityDSN, dataDir string
	if o.URL == "" {
		dir, err := os.MkdirTemp("", "campus-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		n, err := startBenchNode(ctx, node, dir, o)
		if err != nil {
			return err
		}
		defer n.stop()
		b.node, b.base = n, n.url
		o.AdminPassword = n.adminPassword
		o.CAFile = filepath.Join(dir, "tls", "cert.pem")
		identityDSN, dataDir = "sqlite:"+filepath.Join(dir, "identity.db"), dir
	} else {
		b.base = strings.TrimSuffix(o.URL, "/")
		dir, err := absPath(o.Data)
		if err != nil {
			return err
		}
		identityDSN, dataDir = o.IdentityDB.resolve(dir), dir
	}
	if err := b.connect(); err != nil {
		return err
	}
	if err := b.setup(ctx, identityDSN, dataDir); err != nil {
		return err
	}
	defer b.teardown(identityDSN)
	rep, err := b.measure(ctx)
	if err != nil {
		return err
	}
	if o.JSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.print(e.stdout)
	}
	return rep.verdict()
}

func newRunID() string {
	var b [3]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// bench is one run: the target, its accounts and catalogue, the results.
type bench struct {
	o    *benchOptions
	log  func(format string, a ...any)
	run  string // names this run's client, accounts and catalogue
	base string // the node's URL
	node *benchNode
	tr   *http.Transport
	http *http.Client

	authURL, tokenURL string
	clientID, secret  string
	redirect          string
	students, staff   []*benchUser
	everyone          []*benchUser
	portalUsers       []*benchUser // students signed in to the portal
	programme         string
	modules, lectures []string
	slots             []*gradeSlot
	etags             sync.Map // path -> ETag of catalogue reads
	nextUser, nextN   atomic.Uint64
}

// benchUser is an account with its current tokens. mu is held while the
// tokens change, since refresh tokens rotate on use.
type benchUser struct {
	username, password, sub string
	mu                      sync.Mutex
	access, refresh         string
	expires                 time.Time
	portal                  *http.Client // a browser with a portal session, for some students
}

// gradeSlot is one person's grade at one lecture: created once, then
// corrected with If-Match, as an examiner does while marking.
type gradeSlot struct {
	mu            sync.Mutex
	subject, lect string
	id, etag      string
}

// benchError is a request that went wrong, with what the server said.
type benchError struct {
	kind, step string
	status     int
	body       string
}

func (e *benchError) Error() string {
	if e.status == 0 {
		return fmt.Sprintf("%s: %s: %s", e.kind, e.step, e.body)
	}
	return fmt.Sprintf("%s: %s: status %d: %s", e.kind, e.step, e.status, e.body)
}

func (b *bench) connect() error {
	// InsecureSkipVerify only with --insecure, for a dev certificate.
	tlsConf := &tls.Config{InsecureSkipVerify: b.o.Insecure}
	if b.o.CAFile != "" {
		pem, err := os.ReadFile(b.o.CAFile)
		if err != nil {
			return fmt.Errorf("--ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--ca-file %s: no PEM certificate in it", b.o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	// Many people, many connections: HTTP/1.1 with keep-alive, a pool as
	// large as the requests in flight.
	b.tr = &http.Transport{TLSClientConfig: tlsConf, MaxIdleConns: b.o.Concurrency + 16, MaxIdleConnsPerHost: b.o.Concurrency + 16,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	b.http = &http.Client{Transport: b.tr, Timeout: 30 * time.Second}
	return nil
}

// setup registers the bench client and the accounts in identity's
// database (as `campus clients add` and `campus demo load` do: identity's
// admin API creates no accounts, and self-registration is limited per
// address), then signs everyone in and builds the catalogue, the
// enrolments and the first grades through the public APIs.
func (b *bench) setup(ctx context.Context, identityDSN, dataDir string) error {
	start := time.Now()
	logger := newLogger(io.Discard, "text", "warn")
	d, err := openDB(ctx, logger, "identity", identityDSN, identitystore.Migrations)
	if err != nil {
		return err
	}
	defer d.Close()
	kek, err := identityservice.Secret(dataDir, b.o.KEK, logger)
	if err != nil {
		return err
	}
	st, err := identityservice.OpenStore(ctx, d, kek, logger)
	if err != nil {
		return err
	}
	b.clientID, b.redirect = "bench-"+b.run, "https://bench.invalid/cb"
	_, secret, err := identityservice.AddClient(ctx, st, identity.Client{ID: b.clientID, Name: "campus bench " + b.run, FirstParty: true,
		RedirectURIs: []string{b.redirect}, GrantTypes: []string{"authorization_code", "refresh_token"},
		Scopes: []string{"openid", "offline_access", "grades:read", "grades:write", "studies:write"}, IDTokenAlg: "RS256"}, "campus bench")
	if err != nil {
		return fmt.Errorf("registering the bench client: %w", err)
	}
	b.secret = secret
	b.log("run %s: creating %d students and %d staff", b.run, b.o.Students, b.o.Staff)
	// One password (and one hash, with the node's default parameters) for
	// every account of the run: the node checks each sign-in in full all
	// the same, and setup does not spend minutes hashing.
	pw := "bench-" + oauth2.GenerateVerifier()[:20]
	h, err := password.Hash(pw, password.Default)
	if err != nil {
		return err
	}
	mk := func(role string, i int) (*benchUser, error) {
		u := &benchUser{username: fmt.Sprintf("bench-%s-%s%03d", b.run, role, i), password: pw}
		a, err := st.CreateAccount(ctx, identity.Account{Username: u.username, Email: u.username + "@bench.invalid", DisplayName: "Bench " + role,
			GivenName: "Bench", FamilyName: strings.ToUpper(role[:1]) + role[1:], EmailVerified: true, Roles: []string{role}}, h)
		if err != nil {
			return nil, fmt.Errorf("creating %s: %w", u.username, err)
		}
		u.sub = a.ID
		return u, nil
	}
	b.students, b.staff = make([]*benchUser, b.o.Students), make([]*benchUser, b.o.Staff)
	if err := parallel(ctx, b.o.Students+b.o.Staff, func(i int) (err error) {
		if i < b.o.Students {
			b.students[i], err = mk("student", i)
		} else {
			b.staff[i-b.o.Students], err = mk("staff", i-b.o.Students)
		}
		return err
	}); err != nil {
		return err
	}

	var disc struct {
		Auth  string `json:"authorization_endpoint"`
		Token string `json:"token_endpoint"`
	}
	if err := b.getJSON(ctx, b.base+"/idp/.well-known/openid-configuration", &disc); err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	b.authURL, b.tokenURL = disc.Auth, disc.Token

	// The study token: the administrator's password again (prompt=login).
	admin := &benchUser{username: "admin", password: b.o.AdminPassword}
	if err := b.signIn(ctx, admin, "openid studies:write", true); err != nil {
		return fmt.Errorf("the administrator's study token: %w", err)
	}
	prog, err := b.create(ctx, admin, "/v1/programmes", map[string]any{"title": "Bench programme " + b.run, "degree": "B.Sc.",
		"semesters": 6, "credits_required": 180, "language": "en", "status": "published"})
	if err != nil {
		return err
	}
	b.programme = prog
	for i := range b.o.Modules {
		m, err := b.create(ctx, admin, "/v1/modules", map[string]any{"code": fmt.Sprintf("B%s-%02d", b.run, i), "title": fmt.Sprintf("Bench module %d", i), "credits": 5})
		if err != nil {
			return err
		}
		l, err := b.create(ctx, admin, "/v1/lectures", map[string]any{"code": fmt.Sprintf("B%s-%02d-V", b.run, i), "title": fmt.Sprintf("Bench lecture %d", i), "hours_per_week": 2})
		if err != nil {
			return err
		}
		if _, err := b.call(ctx, "setup", admin.access, http.MethodPut, "/study/v1/programmes/"+prog+"/modules/"+m, map[string]any{"compulsory": true, "recommended_semester": 1}, nil, http.StatusCreated); err != nil {
			return err
		}
		if _, err := b.call(ctx, "setup", admin.access, http.MethodPut, "/study/v1/modules/"+m+"/lectures/"+l, nil, nil, http.StatusCreated); err != nil {
			return err
		}
		b.modules, b.lectures = append(b.modules, m), append(b.lectures, l)
	}

	b.log("signing in %d accounts (and %d students to the portal), enrolling the students", len(b.students)+len(b.staff), min(len(b.students), benchPortalUsers))
	if err := parallel(ctx, len(b.students)+len(b.staff), func(i int) error {
		if i >= len(b.students) {
			return b.signIn(ctx, b.staff[i-len(b.students)], "openid offline_access grades:read grades:write", false)
		}
		u := b.students[i]
		if err := b.signIn(ctx, u, "openid offline_access", false); err != nil {
			return err
		}
		_, err := b.call(ctx, "setup", u.access, http.MethodPost, "/study/v1/me/enrolments", map[string]any{"programme_id": prog}, nil, http.StatusCreated)
		return err
	}); err != nil {
		return err
	}
	b.everyone = append(slices.Clone(b.students), b.staff...)
	b.portalUsers = b.students[:min(len(b.students), benchPortalUsers)]
	if err := parallel(ctx, len(b.portalUsers), func(i int) error { return b.portalSignIn(ctx, b.portalUsers[i]) }); err != nil {
		return err
	}
	for _, s := range b.students {
		for _, l := range b.lectures {
			b.slots = append(b.slots, &gradeSlot{subject: s.sub, lect: l})
		}
	}
	b.log("set up in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// teardown removes the bench client and so every token of the run.
func (b *bench) teardown(identityDSN string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := openDB(ctx, newLogger(io.Discard, "text", "warn"), "identity", identityDSN, identitystore.Migrations)
	if err != nil {
		return
	}
	defer d.Close()
	// Removing a client touches no personal data: no data keys needed.
	_ = identityservice.RemoveClient(ctx, identitystore.New(d, time.Now, datakeys.Random()), b.clientID, "campus bench")
}

// parallel runs f(0..n-1), four at a time, and returns the first error.
func parallel(ctx context.Context, n int, f func(i int) error) error {
	var wg sync.WaitGroup
	var first error
	var mu sync.Mutex
	sem := make(chan struct{}, 4)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func (b *bench) getJSON(ctx context.Context, u string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (b *bench) create(ctx context.Context, u *benchUser, path string, body any) (string, error) {
	raw, err := b.call(ctx, "setup", u.access, http.MethodPost, "/study"+path, body, nil, http.StatusCreated)
	if err != nil {
		return "", err
	}
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw.body, &v); err != nil || v.ID == "" {
		return "", &benchError{kind: "setup", step: "POST " + path, status: raw.status, body: excerpt(raw.body)}
	}
	return v.ID, nil
}

type benchResp struct {
	status int
	header http.Header
	body   []byte
}

// call sends one API request and checks its status against want.
func (b *bench) call(ctx context.Context, kind, token, method, path string, body any, header http.Header, want ...int) (benchResp, error) {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return benchResp{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return benchResp{}, &benchError{kind: kind, step: method + " " + path, body: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := benchResp{status: resp.StatusCode, header: resp.Header, body: raw}
	if !slices.Contains(want, resp.StatusCode) {
		return r, &benchError{kind: kind, step: method + " " + path, status: resp.StatusCode, body: excerpt(raw)}
	}
	return r, nil
}

var (
	htmlHead = lazyregexp.New(`(?is)<head.*?</head>|<script.*?</script>|<style.*?</style>`)
	htmlTag  = lazyregexp.New(`<[^>]*>`)
)

// excerpt is the start of a response body for an error report; of an
// HTML page only its text, where the message to the person is.
func excerpt(b []byte) string {
	text := string(b)
	if strings.Contains(text, "<html") {
		text = htmlTag.ReplaceAllString(htmlHead.ReplaceAllString(text, " "), " ")
	}
	s := strings.Join(strings.Fields(text), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

var (
	benchAuthRequest = lazyregexp.New(`name="authRequestID" value="([^"]+)"`)
	benchCSRF        = lazyregexp.New(`name="csrf" value="([^"]+)"`)
)

// signIn is a whole sign-in as a browser and its application do it:
// authorization request with PKCE (RFC 7636, S256), identity's sign-in
// form with the password, the code back at the redirect URI, and its
// exchange for tokens (RFC 6749 section 4.1). stepUp adds prompt=login,
// which the study token (studies:write) needs.
func (b *bench) signIn(ctx context.Context, u *benchUser, scope string, stepUp bool) error {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(strings.TrimPrefix(b.base, "https://"), "http://")
	browser := &http.Client{Transport: b.tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Host != host {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	verifier, state := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()[:12]
	q := url.Values{"response_type": {"code"}, "client_id": {b.clientID}, "redirect_uri": {b.redirect}, "scope": {scope},
		"state": {state}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	if stepUp {
		q.Set("prompt", "login")
	}
	fail := func(step string, status int, body []byte) error {
		return &benchError{kind: kindSignIn, step: step, status: status, body: excerpt(body)}
	}
	resp, page, err := b.fillSignInForm(ctx, browser, b.authURL+"?"+q.Encode(), u, "", fail)
	if err != nil {
		return err
	}
	loc, _ := resp.Location()
	if loc == nil && resp.Request != nil && (strings.HasSuffix(resp.Request.URL.Path, "/login/factor") || strings.HasSuffix(resp.Request.URL.Path, "/login/enrol")) {
		return fail("login: "+u.username+" signs in with a second factor on this campus, which a load generator cannot (run its identity with --mfa-roles none, or let bench start its own node)",
			resp.StatusCode, page)
	}
	if loc == nil || !strings.HasPrefix(loc.String(), b.redirect) || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		return fail("login: no code", resp.StatusCode, page)
	}
	return b.token(ctx, kindSignIn, u, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {b.redirect}, "code_verifier": {verifier}})
}

// fillSignInForm opens start in browser, which must lead to identity's
// sign-in form, and posts u's username and password into it; it answers
// the response to the post and its body. Failures are fail(prefix+step).
func (b *bench) fillSignInForm(ctx context.Context, browser *http.Client, start string, u *benchUser, prefix string,
	fail func(step string, status int, body []byte) error) (*http.Response, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, start, nil)
	resp, err := browser.Do(req)
	if err != nil {
		return nil, nil, fail(prefix+"authorize", 0, []byte(err.Error()))
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ar, csrf := benchAuthRequest.FindSubmatch(page), benchCSRF.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || ar == nil || csrf == nil {
		return nil, nil, fail(prefix+"authorize: no sign-in form", resp.StatusCode, page)
	}
	form := url.Values{"authRequestID": {string(ar[1])}, "csrf": {string(csrf[1])}, "username": {u.username}, "password": {u.password}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/idp/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err = browser.Do(req); err != nil {
		return nil, nil, fail(prefix+"login", 0, []byte(err.Error()))
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, page, nil
}

// benchPortalUsers is how many students also use the portal: each costs
// one more sign-in in setup.
const benchPortalUsers = 25

// portalSignIn signs u in to the portal as a browser does: the portal's
// sign-in sends it to identity's form and, after the password, back to
// "my study". u.portal keeps the browser's cookies and follows no
// redirect afterwards, so a lost portal session shows as an error.
func (b *bench) portalSignIn(ctx context.Context, u *benchUser) error {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(strings.TrimPrefix(b.base, "https://"), "http://")
	browser := &http.Client{Transport: b.tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Host != host {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	fail := func(step string, status int, body []byte) error {
		return &benchError{kind: kindPortal, step: step, status: status, body: excerpt(body)}
	}
	resp, page, err := b.fillSignInForm(ctx, browser, b.base+"/auth/login?return=%2Fmy", u, "portal sign-in: ", fail)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/my" {
		return fail("portal sign-in: not back at /my ("+resp.Request.URL.Path+")", resp.StatusCode, page)
	}
	u.portal = &http.Client{Transport: b.tr, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return nil
}

// refresh rotates u's refresh token (RFC 6749 section 6). The caller
// holds u.mu.
func (b *bench) refresh(ctx context.Context, u *benchUser) error {
	return b.token(ctx, kindRefresh, u, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {u.refresh}})
}

// token calls the token endpoint with the client's secret
// (client_secret_basic) and keeps the tokens in u.
func (b *bench) token(ctx context.Context, kind string, u *benchUser, form url.Values) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(b.clientID), url.QueryEscape(b.secret))
	resp, err := b.http.Do(req)
	if err != nil {
		return &benchError{kind: kind, step: "token", body: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var t struct {
		Access    string `json:"access_token"`
		Refresh   string `json:"refresh_token"`
		ExpiresIn int    `json:"expires_in"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &t) != nil || t.Access == "" {
		return &benchError{kind: kind, step: "token (" + form.Get("grant_type") + ")", status: resp.StatusCode, body: excerpt(raw)}
	}
	u.access, u.expires = t.Access, time.Now().Add(time.Duration(t.ExpiresIn)*time.Second)
	if t.Refresh != "" {
		u.refresh = t.Refresh
	}
	return nil
}

// sample is one finished request of the mix.
type sample struct {
	kind    string
	latency time.Duration
	err     error
}

// bearer returns u's access token, refreshed first when it ends within a
// minute, as an application does; that refresh is a sample of its own.
func (b *bench) bearer(ctx context.Context, u *benchUser, out func(sample)) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if time.Until(u.expires) < time.Minute && u.refresh != "" {
		start := time.Now()
		err := b.refresh(ctx, u)
		out(sample{kind: kindRefresh, latency: time.Since(start), err: err})
	}
	return u.access
}

func (b *bench) pick(users []*benchUser) *benchUser {
	return users[b.nextUser.Add(1)%uint64(len(users))]
}

// do runs one request of the given kind.
func (b *bench) do(ctx context.Context, kind string, out func(sample)) error {
	switch kind {
	case kindSignIn:
		u := b.pick(b.students)
		v := &benchUser{username: u.username, password: u.password}
		if err := b.signIn(ctx, v, "openid offline_access", false); err != nil {
			return err
		}
		u.mu.Lock()
		u.access, u.refresh, u.expires = v.access, v.refresh, v.expires
		u.mu.Unlock()
		return nil
	case kindRefresh:
		u := b.pick(b.everyone)
		u.mu.Lock()
		defer u.mu.Unlock()
		return b.refresh(ctx, u)
	case kindMyGrades:
		u := b.pick(b.students)
		_, err := b.call(ctx, kind, b.bearer(ctx, u, out), http.MethodGet, "/study/v1/me/grades", nil, nil, http.StatusOK)
		return err
	case kindPortal:
		// A student's "my study" page: the portal's session, its call to
		// the study API with the token it keeps, the page rendered.
		u := b.portalUsers[b.nextUser.Add(1)%uint64(len(b.portalUsers))]
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/my", nil)
		resp, err := u.portal.Do(req)
		if err != nil {
			return &benchError{kind: kind, step: "GET /my", body: err.Error()}
		}
		defer resp.Body.Close()
		page, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return &benchError{kind: kind, step: "GET /my", status: resp.StatusCode, body: excerpt(page) + " " + resp.Header.Get("Location")}
		}
		return nil
	case kindCatalogue:
		// Anonymous reads, as a faculty website makes them: the lists, a
		// programme's tree, a module with the ETag it saw before.
		var path string
		switch n := b.nextN.Add(1); n % 4 {
		case 0:
			path = "/study/v1/programmes"
		case 1:
			path = "/study/v1/modules?limit=20"
		case 2:
			path = "/study/v1/programmes/" + b.programme
		default:
			path = "/study/v1/modules/" + b.modules[mrand.IntN(len(b.modules))]
		}
		var h http.Header
		if et, ok := b.etags.Load(path); ok {
			h = http.Header{"If-None-Match": {et.(string)}}
		}
		r, err := b.call(ctx, kind, "", http.MethodGet, path, nil, h, http.StatusOK, http.StatusNotModified)
		if err == nil && r.header.Get("ETag") != "" {
			b.etags.Store(path, r.header.Get("ETag"))
		}
		return err
	default: // grade entry
		s := b.slots[mrand.IntN(len(b.slots))]
		s.mu.Lock()
		defer s.mu.Unlock()
		grader := b.staff[mrand.IntN(len(b.staff))]
		token := b.bearer(ctx, grader, out)
		grade := studyGrades[mrand.IntN(len(studyGrades))]
		var r benchResp
		var err error
		if s.id == "" {
			r, err = b.call(ctx, kind, token, http.MethodPost, "/study/v1/lectures/"+s.lect+"/grades",
				map[string]any{"subject": s.subject, "grade": grade, "status": "provisional"}, nil, http.StatusCreated)
			if err == nil {
				var v struct {
					ID string `json:"id"`
				}
				json.Unmarshal(r.body, &v)
				s.id = v.ID
			}
		} else {
			r, err = b.call(ctx, kind, token, http.MethodPatch, "/study/v1/grades/"+s.id, map[string]any{"grade": grade},
				http.Header{"If-Match": {s.etag}}, http.StatusOK)
		}
		if err == nil {
			s.etag = r.header.Get("ETag")
		}
		return err
	}
}

var studyGrades = []string{"1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0"}

// phase sends the mix at rate for d, open loop: each request has its
// planned start, and its latency counts from there, so a node that falls
// behind shows it in the latencies, not in a lower rate alone. It returns
// once every request sent has finished.
func (b *bench) phase(ctx context.Context, rate float64, d time.Duration, rec *recorder) {
	jobs := make(chan job, b.o.Concurrency)
	var wg sync.WaitGroup
	for range b.o.Concurrency {
		wg.Go(func() {
			for j := range jobs {
				err := b.do(ctx, j.kind, rec.add)
				rec.add(sample{kind: j.kind, latency: time.Since(j.at), err: err})
			}
		})
	}
	sched := newScheduler(b.o.mix)
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			break
		}
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- job{kind: sched.next(), at: at}:
		case <-ctx.Done():
		}
		rec.planned.Add(1)
	}
	close(jobs)
	wg.Wait()
	rec.elapsed = time.Since(start)
}

type job struct {
	kind string
	at   time.Time
}

// recorder collects the samples of one phase. It keeps every latency:
// the load generator's memory does not count, the node's does.
type recorder struct {
	mu        sync.Mutex
	latencies map[string][]time.Duration
	errors    map[string]int
	errOrder  []string       // distinct errors, the first 20
	errSeen   map[string]int // how often each
	errCount  int
	planned   atomic.Int64
	elapsed   time.Duration
}

func newRecorder() *recorder {
	return &recorder{latencies: map[string][]time.Duration{}, errors: map[string]int{}, errSeen: map[string]int{}}
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies[s.kind] = append(r.latencies[s.kind], s.latency)
	if s.err != nil {
		r.errors[s.kind]++
		r.errCount++
		msg := s.err.Error()
		if _, seen := r.errSeen[msg]; !seen && len(r.errOrder) < 20 {
			r.errOrder = append(r.errOrder, msg)
		}
		r.errSeen[msg]++
	}
}

// errorList is every distinct error (the first 20) with how often it
// happened.
func (r *recorder) errorList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.errOrder))
	for i, msg := range r.errOrder {
		out[i] = fmt.Sprintf("%dx %s", r.errSeen[msg], msg)
	}
	return out
}

// kindReport is what one kind of request did.
type kindReport struct {
	Kind      string  `json:"kind"`
	Count     int     `json:"count"`
	Errors    int     `json:"errors"`
	PerSecond float64 `json:"per_second"`
	P50ms     float64 `json:"p50_ms"`
	P95ms     float64 `json:"p95_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
}

func (r *recorder) summary() (total kindReport, kinds []kindReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []time.Duration
	for _, k := range benchKinds {
		l := r.latencies[k]
		if len(l) == 0 {
			continue
		}
		kinds = append(kinds, stats(k, l, r.errors[k], r.elapsed))
		all = append(all, l...)
	}
	return stats("all", all, r.errCount, r.elapsed), kinds
}

func stats(kind string, l []time.Duration, errs int, elapsed time.Duration) kindReport {
	k := kindReport{Kind: kind, Count: len(l), Errors: errs}
	if len(l) == 0 {
		return k
	}
	l = slices.Clone(l)
	slices.Sort(l)
	q := func(p float64) float64 {
		i := max(int(float64(len(l))*p+0.999999)-1, 0)
		return ms(l[min(i, len(l)-1)])
	}
	k.P50ms, k.P95ms, k.P99ms, k.MaxMs = q(0.50), q(0.95), q(0.99), ms(l[len(l)-1])
	if elapsed > 0 {
		k.PerSecond = round1(float64(len(l)) / elapsed.Seconds())
	}
	return k
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// capacityStep is one step of --find-capacity.
type capacityStep struct {
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`
	P99ms      float64 `json:"p99_ms"`
	Errors     int     `json:"errors"`
	Passed     bool    `json:"passed"`
}

// heapSample is the node's Go heap right after a forced collection: the
// live objects only.
type heapSample struct {
	AtSeconds  float64 `json:"at_s"`
	HeapLive   uint64  `json:"heap_live_bytes"`
	HeapInuse  uint64  `json:"heap_inuse_bytes"`
	Sys        uint64  `json:"sys_bytes"`
	Goroutines int     `json:"goroutines"`
}

type heapReport struct {
	AfterWarmup heapSample   `json:"after_warmup"`
	End         heapSample   `json:"end"`
	ChangePct   float64      `json:"change_percent"`
	Tolerance   int          `json:"tolerance_percent"`
	Flat        bool         `json:"flat"`
	Samples     []heapSample `json:"samples"`
}

// benchReport is what `campus bench` prints.
type benchReport struct {
	URL         string         `json:"url"`
	Node        string         `json:"node"` // started or external
	Capacity    float64        `json:"capacity,omitempty"`
	Steps       []capacityStep `json:"capacity_steps,omitempty"`
	Rate        float64        `json:"rate"`
	Warmup      string         `json:"warmup"`
	Duration    string         `json:"duration"`
	Concurrency int            `json:"concurrency"`
	Planned     int64          `json:"planned"`
	Throughput  float64        `json:"throughput"`
	Total       kindReport     `json:"total"`
	Kinds       []kindReport   `json:"kinds"`
	Errors      int            `json:"errors"`
	// WarmupErrors are failures during the warm-up: not measured, but
	// failures all the same.
	WarmupErrors int         `json:"warmup_errors"`
	ErrorList    []string    `json:"error_list,omitempty"`
	Heap         *heapReport `json:"heap,omitempty"`
	HeapNote     string      `json:"heap_note,omitempty"`
}

// measure finds the capacity when asked, warms up, and measures.
func (b *bench) measure(ctx context.Context) (*benchReport, error) {
	rep := &benchReport{URL: b.base, Node: "external", Rate: b.o.rate, Warmup: b.o.Warmup.String(), Duration: b.o.Duration.String(), Concurrency: b.o.Concurrency}
	if b.node != nil {
		rep.Node = "started"
	}
	if b.o.FindCapacity {
		for rate := b.o.rate; ; rate *= 1.25 {
			rec := newRecorder()
			b.phase(ctx, rate, b.o.Step, rec)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			total, _ := rec.summary()
			st := capacityStep{Rate: round1(rate), Throughput: round1(total.PerSecond), P99ms: total.P99ms, Errors: total.Errors}
			st.Passed = st.Errors == 0 && total.P99ms <= ms(b.o.P99Bound) && total.PerSecond >= 0.95*rate
			rep.Steps = append(rep.Steps, st)
			b.log("step %.1f/s: %.1f/s done, p99 %.1f ms, %d errors", rate, total.PerSecond, total.P99ms, total.Errors)
			if !st.Passed || len(rep.Steps) == 40 {
				break
			}
			rep.Capacity = round1(rate)
		}
		if rep.Capacity == 0 {
			return nil, fmt.Errorf("the node does not sustain even the first step, %.1f/s (%+v): start lower with --rate", b.o.rate, rep.Steps[0])
		}
		rep.Rate = round1(rep.Capacity * b.o.load)
		b.log("capacity %.1f/s; measuring at %.0f%%: %.1f/s", rep.Capacity, 100*b.o.load, rep.Rate)
	}
	if b.o.Warmup > 0 {
		b.log("warming up for %s at %.1f/s", b.o.Warmup, rep.Rate)
		warm := newRecorder()
		b.phase(ctx, rep.Rate, b.o.Warmup, warm)
		rep.WarmupErrors = warm.errCount
		for _, e := range warm.errorList() {
			rep.ErrorList = append(rep.ErrorList, "warm-up: "+e)
		}
	}
	var heap *heapReport
	start := time.Now()
	if b.node != nil {
		s, err := b.node.settledHeap(start)
		if err != nil {
			return nil, err
		}
		heap = &heapReport{AfterWarmup: s, Tolerance: b.o.HeapTolerance, Samples: []heapSample{s}}
	} else {
		rep.HeapNote = "not measured: campus exposes no runtime metrics, and only a node bench starts itself can be asked for its heap"
	}
	b.log("measuring for %s at %.1f/s", b.o.Duration, rep.Rate)
	rec := newRecorder()
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	if heap != nil {
		sampling.Go(func() {
			t := time.NewTicker(b.o.HeapEvery)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					if s, err := b.node.heap(start); err == nil {
						heap.Samples = append(heap.Samples, s)
					}
				case <-stopSampling:
					return
				}
			}
		})
	}
	b.phase(ctx, rep.Rate, b.o.Duration, rec)
	close(stopSampling)
	sampling.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if heap != nil {
		s, err := b.node.settledHeap(start)
		if err != nil {
			return nil, err
		}
		heap.End = s
		heap.Samples = append(heap.Samples, s)
		heap.ChangePct = round1(100 * (float64(s.HeapLive) - float64(heap.AfterWarmup.HeapLive)) / float64(max(heap.AfterWarmup.HeapLive, 1)))
		heap.Flat = heap.ChangePct <= float64(heap.Tolerance)
		rep.Heap = heap
	}
	rep.Total, rep.Kinds = rec.summary()
	rep.Planned = rec.planned.Load()
	rep.Throughput = round1(rep.Total.PerSecond)
	rep.Errors = rep.Total.Errors
	rep.ErrorList = append(rep.ErrorList, rec.errorList()...)
	return rep, nil
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "campus bench against %s (%s node)\n", r.URL, r.Node)
	if len(r.Steps) > 0 {
		fmt.Fprintln(w, "\nCapacity search (a step passes with 0 errors, p99 within the bound and 95% of its rate done):")
		for _, s := range r.Steps {
			verdict := "passed"
			if !s.Passed {
				verdict = "failed"
			}
			fmt.Fprintf(w, "  %8.1f/s  done %8.1f/s  p99 %8.1f ms  errors %d  %s\n", s.Rate, s.Throughput, s.P99ms, s.Errors, verdict)
		}
		fmt.Fprintf(w, "Capacity: %.1f/s; measured at %.1f/s\n", r.Capacity, r.Rate)
	}
	fmt.Fprintf(w, "\nRate %.1f/s for %s after %s warm-up, %d in flight at most: %d planned, %d done, %.1f/s\n\n",
		r.Rate, r.Duration, r.Warmup, r.Concurrency, r.Planned, r.Total.Count, r.Throughput)
	fmt.Fprintf(w, "  %-12s %8s %7s %8s %9s %9s %9s %9s\n", "kind", "count", "errors", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, k := range append(slices.Clone(r.Kinds), r.Total) {
		fmt.Fprintf(w, "  %-12s %8d %7d %8.1f %9.1f %9.1f %9.1f %9.1f\n", k.Kind, k.Count, k.Errors, k.PerSecond, k.P50ms, k.P95ms, k.P99ms, k.MaxMs)
	}
	if r.Errors+r.WarmupErrors > 0 {
		fmt.Fprintf(w, "\n%d errors (%d in the warm-up); each distinct one, how often:\n", r.Errors+r.WarmupErrors, r.WarmupErrors)
		limited := false
		for _, e := range r.ErrorList {
			fmt.Fprintf(w, "  %s\n", e)
			limited = limited || strings.Contains(e, "status 429")
		}
		if limited {
			fmt.Fprintln(w, "  (429: all bench traffic comes from one address; raise the node's --sign-ins-per-ip-minute, CAMPUS_SIGN_INS_PER_IP_MINUTE)")
		}
	}
	if r.Heap == nil {
		fmt.Fprintf(w, "\nHeap: %s\n", r.HeapNote)
		return
	}
	h := r.Heap
	verdict := "flat"
	if !h.Flat {
		verdict = "NOT flat"
	}
	fmt.Fprintf(w, "\nHeap (live after a forced GC, no request in flight): after warm-up %s, at the end %s: %+.1f%%, %s (tolerance %d%%)\n",
		mib(h.AfterWarmup.HeapLive), mib(h.End.HeapLive), h.ChangePct, verdict, h.Tolerance)
	fmt.Fprintf(w, "  %8s %12s %12s %12s %10s\n", "at s", "live", "in use", "sys", "goroutines")
	for _, s := range h.Samples {
		fmt.Fprintf(w, "  %8.0f %12s %12s %12s %10d\n", s.AtSeconds, mib(s.HeapLive), mib(s.HeapInuse), mib(s.Sys), s.Goroutines)
	}
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// verdict is the exit status: an error when a request failed or the heap
// grew.
func (r *benchReport) verdict() error {
	var problems []string
	if r.Errors+r.WarmupErrors > 0 {
		problems = append(problems, fmt.Sprintf("%d requests failed (%d in the warm-up)", r.Errors+r.WarmupErrors, r.WarmupErrors))
	}
	if r.Heap != nil && !r.Heap.Flat {
		problems = append(problems, fmt.Sprintf("the heap grew %.1f%% (more than %d%%)", r.Heap.ChangePct, r.Heap.Tolerance))
	}
	if len(problems) > 0 {
		return &benchFailure{problems: problems, errors: r.Errors + r.WarmupErrors}
	}
	return nil
}

// benchFailure is a run that measured but did not pass.
type benchFailure struct {
	problems []string
	errors   int
}

func (f *benchFailure) Error() string { return "bench: " + strings.Join(f.problems, "; ") }

// benchNode is the `campus serve` bench started, as a child process.
type benchNode struct {
	cmd           *exec.Cmd
	url           string
	adminPassword string
	stdin         io.WriteCloser
	mu            sync.Mutex // one heap reading at a time
	heaps         chan heapSample
	exited        chan struct{}
	logPath       string
}

const (
	benchHeapRequest = "heap"
	benchHeapPrefix  = "campus-bench-heap "
)

var benchRunning = lazyregexp.New(`^campus is running at (\S+?)/?$`)

// startBenchNode starts `campus bench node`, which is `campus serve` on
// dir with the per-address sign-in limit lifted (all bench traffic comes
// from one address) and request logs off, and which reads its heap when
// asked on stdin.
func startBenchNode(ctx context.Context, n *nodeCommand, dir string, o *benchOptions) (*benchNode, error) {
	pw := o.AdminPassword
	if pw == "" {
		pw = "bench-" + oauth2.GenerateVerifier()[:24]
	}
	// The bench signs its administrator in with the password alone to
	// get the study token (a load generator has no authenticator app), so
	// its own node requires no second factor of any role.
	args := append(slices.Clone(n.args), "--addr", "127.0.0.1:0", "--data", dir, "--log-level", "warn", "--sign-ins-per-ip-minute", "1000000",
		"--mfa-roles", "none")
	args = append(args, o.NodeFlags...)
	cmd := exec.Command(n.path, args...)
	cmd.Env = append(os.Environ(), "CAMPUS_ADMIN_PASSWORD="+pw)
	cmd.Env = append(cmd.Env, n.env...)
	logPath := filepath.Join(dir, "node.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the node: %w", err)
	}
	node := &benchNode{cmd: cmd, adminPassword: pw, stdin: stdin, heaps: make(chan heapSample, 1), exited: make(chan struct{}), logPath: logPath}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if m := benchRunning.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			} else if rest, ok := strings.CutPrefix(line, benchHeapPrefix); ok {
				var s heapSample
				if json.Unmarshal([]byte(rest), &s) == nil {
					node.heaps <- s
				}
			}
		}
		cmd.Wait()
		logFile.Close()
		close(node.exited)
	}()
	select {
	case node.url = <-ready:
		return node, nil
	case <-node.exited:
		return nil, fmt.Errorf("the node exited before serving:\n%s", tail(logPath))
	case <-time.After(60 * time.Second):
		node.stop()
		return nil, fmt.Errorf("the node did not serve within 60s:\n%s", tail(logPath))
	case <-ctx.Done():
		node.stop()
		return nil, ctx.Err()
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// heap asks the node for its heap after a forced collection.
func (n *benchNode) heap(since time.Time) (heapSample, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := io.WriteString(n.stdin, benchHeapRequest+"\n"); err != nil {
		return heapSample{}, fmt.Errorf("asking the node for its heap: %w", err)
	}
	select {
	case s := <-n.heaps:
		s.AtSeconds = round1(time.Since(since).Seconds())
		return s, nil
	case <-n.exited:
		return heapSample{}, fmt.Errorf("the node exited:\n%s", tail(n.logPath))
	case <-time.After(30 * time.Second):
		return heapSample{}, errors.New("the node did not report its heap within 30s")
	}
}

// settledHeap is the node's heap once the work of the load is done: the
// smallest of readings a second apart, taken until two in a row agree
// within 1% (at most 15). The bench's requests have all been answered by
// then, but the node may still be finishing work whose client gave up (a
// sign-in's password hash goes on after a client timeout).
func (n *benchNode) settledHeap(since time.Time) (heapSample, error) {
	best, err := n.heap(since)
	if err != nil {
		return heapSample{}, err
	}
	prev := best
	for range 14 {
		time.Sleep(time.Second)
		s, err := n.heap(since)
		if err != nil {
			return heapSample{}, err
		}
		if s.HeapLive < best.HeapLive {
			best = s
		}
		if diff := float64(s.HeapLive) - float64(prev.HeapLive); diff < 0.01*float64(prev.HeapLive) && -diff < 0.01*float64(prev.HeapLive) {
			break
		}
		prev = s
	}
	return best, nil
}

// stop closes the node's stdin, on which it shuts down as on Ctrl-C, and
// kills it if it has not ended within 30s.
func (n *benchNode) stop() {
	n.stdin.Close()
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
	}
}

// runBenchNode is `campus bench node SERVE-FLAGS`: `campus serve` that
// also answers "heap" lines on stdin with its heap after a forced
// collection, and stops when stdin closes. Only bench starts it.
func runBenchNode(ctx context.Context, e env, args []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &lockedWriter{w: e.stdout}
	e.stdout = out
	profiles := 0
	go func() {
		defer cancel()
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if sc.Text() != benchHeapRequest {
				continue
			}
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			j, _ := json.Marshal(heapSample{HeapLive: m.HeapAlloc, HeapInuse: m.HeapInuse, Sys: m.Sys, Goroutines: runtime.NumGoroutine()})
			fmt.Fprintf(out, "%s%s\n", benchHeapPrefix, j)
			writeHeapProfile(&profiles)
		}
	}()
	return runServe(ctx, e, args)
}

// writeHeapProfile writes the node's heap profile (pprof) after a
// reading when CAMPUS_BENCH_HEAP_PROFILE names a file: the first reading
// to FILE.first, each later one to FILE.last, so that
// `go tool pprof -base FILE.first FILE.last` shows what grew.
func writeHeapProfile(n *int) {
	path := os.Getenv("CAMPUS_BENCH_HEAP_PROFILE")
	if path == "" {
		return
	}
	suffix := ".last"
	if *n == 0 {
		suffix = ".first"
	}
	*n++
	f, err := os.Create(path + suffix)
	if err != nil {
		return
	}
	defer f.Close()
	pprof.Lookup("heap").WriteTo(f, 0)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
