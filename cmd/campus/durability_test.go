package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/password"
	"campus/internal/testenv"
)

// durabilityKills is CAMPUS_DURABILITY_KILLS, or 100 in CI and 10 otherwise.
func durabilityKills(t *testing.T) int {
	if s := os.Getenv("CAMPUS_DURABILITY_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CAMPUS_DURABILITY_KILLS=%q", s)
		}
		return n
	}
	if testenv.InCI() {
		return 100
	}
	return 10
}

// buildCampus builds the real binary, as shipped, once per test.
func buildCampus(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "campus")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as shipped
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is campus serve as a separate OS process.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{} // closed once Wait returned
}

func startProc(t *testing.T, bin string, client *http.Client, url string, args []string) *proc {
	t.Helper()
	p := &proc{stderr: &syncBuffer{}}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), "CAMPUS_ADMIN_PASSWORD="+adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE=6000", "CAMPUS_MFA_ROLES=none")
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	p.exited = exited
	go func() { p.cmd.Wait(); close(exited) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-exited })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("campus exited before serving:\n%s", p.stderr)
		default:
		}
		if client != nil {
			if resp, err := client.Get(url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return p
				}
			}
		} else if strings.Contains(p.stderr.String(), "campus is ready") {
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("campus did not get ready:\n%s", p.stderr)
	return nil
}

// kill is SIGKILL: no shutdown, no flush.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// catalogueState is what the ledger expects of one programme or module:
// the value last acknowledged (or that it was deleted), or, when the last
// edit's or deletion's answer was lost in the kill, either that state or
// the new one.
type catalogueState struct {
	version int
	title   string
	gone    bool
	alt     *catalogueState // set while a change's outcome is unknown
}

// Both run beside the other tests: they spend most of their time waiting
// for a killed campus to come back, and each has its own data.
func TestDurabilitySQLite(t *testing.T) {
	t.Parallel()
	testDurability(t, "sqlite")
}

func TestDurabilityPostgres(t *testing.T) {
	t.Parallel()
	testDurability(t, "postgres")
}

func testDurability(t *testing.T, engine string) {
	if testing.Short() {
		t.Skip("kills a real campus many times")
	}
	kills := durabilityKills(t)
	var dsns []string
	if engine == "postgres" {
		dsns = []string{dbtest.PostgresURL(t), dbtest.PostgresURL(t), dbtest.PostgresURL(t)}
	}
	bin := buildCampus(t)
	dir := t.TempDir()
	addr := freePort(t)
	// Mail goes to a port nobody listens at: every confirmation mail stays
	// in the outbox, where the check finds it. Registrations are limited
	// per client address; 127.0.0.1 may name another in X-Forwarded-For.
	args := []string{"serve", "--addr", addr, "--data", dir, "--trusted-proxies", "127.0.0.1",
		"--smtp-host", "127.0.0.1", "--smtp-port", strings.Split(freePort(t), ":")[1], "--smtp-tls", "none", "--smtp-from", "campus@uni.example"}
	identityDSN := "sqlite:" + filepath.Join(dir, "identity.db")
	if dsns != nil {
		args = append(args, "--identity-db", dsns[0], "--study-db", dsns[1], "--portal-db", dsns[2])
		identityDSN = dsns[0]
	}
	url := "https://" + addr
	cur := startProc(t, bin, nil, url, args)
	client := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))
	p := &idp{running: &running{url: url}, dir: dir, issuer: url + "/idp", http: client}
	var app clientView
	clientArgs := []string{"--id", "durability", "--first-party", "--redirect-uri", "https://durability.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:write", "--scope", "grades:read"}
	if dsns != nil {
		app = addClientDB(t, dsns[0], clientArgs...)
	} else {
		app = p.addClient(t, clientArgs...)
	}
	scopes := []string{oidc.ScopeOpenID, "studies:write", "grades:write", "grades:read"}
	tok, _ := newRP(t, p, app, scopes...).signIn(t, p, p.browser(t), "admin", adminPassword,
		oauth2.SetAuthURLParam("prompt", "login"))
	token := tok.AccessToken

	callAs := func(token, method, path string, body any, ifMatch string) (int, http.Header, map[string]any, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, url+"/study"+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, nil, nil, err // the answer did not arrive whole: not acknowledged
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		return resp.StatusCode, resp.Header, m, nil
	}
	call := func(method, path string, body any, ifMatch string) (int, http.Header, map[string]any, error) {
		return callAs(token, method, path, body, ifMatch)
	}
	must := func(status int, method, path string, body any) map[string]any {
		st, _, b, err := call(method, path, body, "")
		if err != nil || st != status {
			t.Fatalf("%s %s: %d %v %v", method, path, st, b, err)
		}
		return b
	}

	// Students, each with a token, enrolled in one programme whose module
	// gets a new lecture per round for the grade uploads.
	const nStudents = 3
	students := make([]struct{ id, token string }, nStudents)
	for i := range students {
		name := fmt.Sprintf("student%d", i)
		students[i].id = addUserDSN(t, identityDSN, dir, name, "student-password-1", "student")
		st, _ := newRP(t, p, app, scopes...).signIn(t, p, p.browser(t), name, "student-password-1")
		students[i].token = st.AccessToken
	}
	progID := must(http.StatusCreated, "POST", "/v1/programmes", map[string]any{"title": "Durability", "degree": "B.Sc.", "semesters": 6,
		"credits_required": 180, "language": "en", "status": "published"})["id"].(string)
	modID := must(http.StatusCreated, "POST", "/v1/modules", map[string]any{"code": "DUR-1", "title": "Durability", "credits": 10})["id"].(string)
	must(http.StatusCreated, "PUT", "/v1/programmes/"+progID+"/modules/"+modID, map[string]any{"compulsory": true, "recommended_semester": 1})
	for _, st := range students {
		if c, _, b, err := callAs(st.token, "POST", "/v1/me/enrolments", map[string]any{"programme_id": progID}, ""); c != http.StatusCreated || err != nil {
			t.Fatalf("enrol: %d %v %v", c, b, err)
		}
	}
	gradeValues := []string{"1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0"}
	// uploads: lecture id -> the grades of its upload, and whether acknowledged.
	type upload struct {
		grades map[string]string
		acked  bool
	}
	uploads := map[string]*upload{}
	// enrolments: programme id -> student index, and whether acknowledged.
	type enrolment struct {
		student int
		acked   bool
	}
	enrolments := map[string]*enrolment{}

	// registered: username -> acknowledged (true) or answer lost (false).
	registered := map[string]bool{}
	register := func(k, i int) {
		username := fmt.Sprintf("dur%d_%d", k, i)
		b, _ := json.Marshal(map[string]any{"username": username, "email": username + "@uni.example", "password": "a-fine-passphrase",
			"given_name": "Dura", "family_name": "Bility"})
		req, _ := http.NewRequest("POST", url+"/idp/api/v1/registrations", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", k/250, k%250, i%250+1))
		resp, err := client.Do(req)
		ok := false
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusCreated {
				t.Errorf("registration %s: %d", username, resp.StatusCode)
			}
			ok = err == nil && resp.StatusCode == http.StatusCreated
		}
		registered[username] = ok
	}

	var (
		mu      sync.Mutex
		ledger  = map[string]*catalogueState{} // by path: /v1/modules/ID, /v1/programmes/ID
		checked int
		fails   int
		acked   int
		byKind  = map[string]int{}
	)
	touched := map[string]bool{}
	checkCatalogue := func(round int, paths map[string]bool) {
		for path := range paths {
			s := ledger[path]
			st, h, body, err := call("GET", path, nil, "")
			if err != nil {
				t.Fatalf("after kill %d: GET %s: %v", round, path, err)
			}
			checked++
			got := catalogueState{title: fmt.Sprint(body["title"]), gone: st == http.StatusNotFound}
			got.version, _ = strconv.Atoi(strings.Trim(h.Get("ETag"), `"`))
			matches := func(want *catalogueState) bool {
				if want.gone {
					return got.gone
				}
				return st == http.StatusOK && got.version == want.version && got.title == want.title
			}
			if !matches(s) && (s.alt == nil || !matches(s.alt)) {
				fails++
				t.Errorf("after kill %d: %s = %d version %d %q, want %+v (or %+v)", round, path, st, got.version, got.title, *s, s.alt)
				continue
			}
			if got.gone {
				*s = catalogueState{gone: true}
			} else {
				*s = catalogueState{version: got.version, title: got.title}
			}
		}
	}
	const workers = 4
	start := time.Now()
	for k := 0; k < kills; k++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				register(k, i)
				mu.Lock()
				if registered[fmt.Sprintf("dur%d_%d", k, i)] {
					acked++
					byKind["registration"]++
				}
				mu.Unlock()
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// A grade upload of several rows into a fresh lecture.
				c, _, b, err := call("POST", "/v1/lectures", map[string]any{"code": fmt.Sprintf("DL%d-%d", k, i), "title": "Lecture", "hours_per_week": 2}, "")
				if err != nil || c != http.StatusCreated {
					return
				}
				lec := b["id"].(string)
				if c, _, _, err := call("PUT", "/v1/modules/"+modID+"/lectures/"+lec, nil, ""); err != nil || c != http.StatusCreated {
					return
				}
				u := &upload{grades: map[string]string{}}
				csv := "subject;grade;status\n"
				for _, st := range students {
					g := gradeValues[rand.IntN(len(gradeValues))]
					u.grades[st.id] = g
					csv += st.id + ";" + g + ";final\n"
				}
				mu.Lock()
				uploads[lec] = u
				mu.Unlock()
				req, _ := http.NewRequest("POST", url+"/study/v1/lectures/"+lec+"/grades/upload?dry_run=false", strings.NewReader(csv))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "text/csv")
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return
				}
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"applied":true`) {
					t.Errorf("upload: %d %s", resp.StatusCode, raw)
					return
				}
				mu.Lock()
				u.acked = true
				acked++
				byKind["grade upload"]++
				mu.Unlock()

				// An enrolment in a fresh programme.
				c, _, b, err = call("POST", "/v1/programmes", map[string]any{"title": fmt.Sprintf("P %d-%d", k, i), "degree": "M.Sc.", "semesters": 4,
					"credits_required": 120, "language": "en", "status": "published"}, "")
				if err != nil || c != http.StatusCreated {
					return
				}
				prog := b["id"].(string)
				e := &enrolment{student: i % nStudents}
				mu.Lock()
				enrolments[prog] = e
				mu.Unlock()
				c, _, _, err = callAs(students[e.student].token, "POST", "/v1/me/enrolments", map[string]any{"programme_id": prog}, "")
				if err != nil {
					return
				}
				if c != http.StatusCreated {
					t.Errorf("enrolment: %d", c)
					return
				}
				mu.Lock()
				e.acked = true
				acked++
				byKind["enrolment"]++
				mu.Unlock()
			}
		}()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				// Even workers keep modules, odd ones programmes: create one,
				// then edit or delete one of this round's (If-Match).
				kind, mine := "modules", []string{}
				if w%2 == 1 {
					kind = "programmes"
				}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if i%2 == 0 || len(mine) == 0 {
						title := fmt.Sprintf("Catalogue %d-%d-%d", k, w, i)
						body := map[string]any{"code": fmt.Sprintf("D%d-%d-%d", k, w, i), "title": title, "credits": 5}
						if kind == "programmes" {
							body = map[string]any{"title": title, "degree": "B.A.", "semesters": 6, "credits_required": 180, "language": "de", "status": "draft"}
						}
						st, _, created, err := call("POST", "/v1/"+kind, body, "")
						if err != nil {
							return
						}
						if st == http.StatusCreated {
							path := "/v1/" + kind + "/" + fmt.Sprint(created["id"])
							mu.Lock()
							ledger[path] = &catalogueState{version: 1, title: title}
							touched[path] = true
							acked++
							byKind["catalogue create"]++
							mu.Unlock()
							mine = append(mine, path)
						} else {
							t.Errorf("create in %s: %d %v", kind, st, created)
						}
						continue
					}
					j := rand.IntN(len(mine))
					path := mine[j]
					mu.Lock()
					s := ledger[path]
					prev := *s
					next := catalogueState{version: prev.version + 1, title: fmt.Sprintf("Edited %d-%d-%d", k, w, i)}
					method, what, body, want := "PATCH", "catalogue edit", any(map[string]any{"title": next.title}), http.StatusOK
					if i%8 == 7 {
						next = catalogueState{gone: true}
						method, what, body, want = "DELETE", "catalogue delete", nil, http.StatusNoContent
					}
					s.alt = &next
					touched[path] = true
					mu.Unlock()
					st, h, _, err := call(method, path, body, fmt.Sprintf(`"%d"`, prev.version))
					if err != nil {
						return // outcome unknown: either state is right
					}
					mu.Lock()
					switch {
					case st == want:
						if method == "PATCH" && h.Get("ETag") != fmt.Sprintf(`"%d"`, next.version) {
							t.Errorf("%s: edit answered ETag %s, want %d", path, h.Get("ETag"), next.version)
						}
						*s = next
						acked++
						byKind[what]++
					default:
						t.Errorf("%s %s: %d", method, path, st)
						s.alt = nil
					}
					mu.Unlock()
					if next.gone && st == want {
						mine = append(mine[:j], mine[j+1:]...)
					}
				}
			}(w)
		}
		// Mostly short windows; every tenth is 1–2 s, so that writes that
		// take longer (a registration spends an argon2id hash) are
		// acknowledged too, not only lost in the kill.
		window := time.Duration(20+rand.IntN(281)) * time.Millisecond
		if k%10 == 9 {
			window = time.Duration(1000+rand.IntN(1001)) * time.Millisecond
		}
		time.Sleep(window)
		cur.kill(t)
		close(stop)
		wg.Wait()
		client.Transport.(*http.Transport).CloseIdleConnections()
		cur = startProc(t, bin, client, url, args)

		// Every acknowledged write of this round is there with its exact
		// value; an edit whose answer was lost is all there or not at all.
		// (Older modules are checked once more at the end: checking all of
		// them after every kill would grow quadratically.)
		checkCatalogue(k+1, touched)
		clear(touched)
		for _, st := range ledger {
			st.alt = nil
		}
		for lec, u := range uploads {
			c, _, b, err := call("GET", "/v1/lectures/"+lec+"/grades", nil, "")
			if err != nil || c != http.StatusOK {
				t.Fatalf("grades of %s: %d %v", lec, c, err)
			}
			got := map[string]string{}
			items, _ := b["items"].([]any)
			for _, it := range items {
				m := it.(map[string]any)
				got[fmt.Sprint(m["subject"])] = fmt.Sprint(m["grade"])
			}
			checked++
			whole := fmt.Sprint(got) == fmt.Sprint(u.grades)
			if !(whole || (!u.acked && len(got) == 0)) {
				fails++
				t.Errorf("after kill %d: lecture %s has grades %v, want %v (acknowledged %v)", k+1, lec, got, u.grades, u.acked)
			}
		}
		clear(uploads)
		enrolled := make([]map[string]bool, nStudents)
		for i, st := range students {
			// Every page: a student gathers hundreds of enrolments.
			enrolled[i] = map[string]bool{}
			for path := "/v1/me/enrolments?limit=200"; path != ""; {
				c, _, b, err := callAs(st.token, "GET", path, nil, "")
				if err != nil || c != http.StatusOK {
					t.Fatalf("enrolments: %d %v", c, err)
				}
				items, _ := b["items"].([]any)
				for _, it := range items {
					enrolled[i][fmt.Sprint(it.(map[string]any)["programme_id"])] = true
				}
				path = ""
				if next, _ := b["next_cursor"].(string); next != "" {
					path = "/v1/me/enrolments?limit=200&cursor=" + neturl.QueryEscape(next)
				}
			}
		}
		for prog, e := range enrolments {
			checked++
			if e.acked && !enrolled[e.student][prog] {
				fails++
				t.Errorf("after kill %d: acknowledged enrolment of student %d in %s is gone", k+1, e.student, prog)
			}
		}
		clear(enrolments)
		c, f := checkRegistrations(t, identityDSN, dir, registered)
		checked += c
		fails += f
		clear(registered)
	}
	all := map[string]bool{}
	for path := range ledger {
		all[path] = true
	}
	checkCatalogue(kills, all)
	t.Logf("%s: %d kills in %v, %d acknowledged writes, %d checks of the ledger after restarts, %d failures",
		engine, kills, time.Since(start).Round(time.Millisecond), acked, checked, fails)
	t.Logf("%s: acknowledged by kind: %v", engine, byKind)
}

// checkRegistrations looks into identity's database: an acknowledged
// registration has its account and its confirmation mail in the outbox;
// one whose answer was lost has both or neither.
func checkRegistrations(t *testing.T, dsn, dir string, registered map[string]bool) (checked, fails int) {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Usernames are stored encrypted: the store looks them up.
	st := identityStore(t, d, dir)
	q2 := "SELECT COUNT(*) FROM mail_outbox WHERE account_id = ? AND kind = 'confirm_email'"
	if d.Dialect() == db.Postgres {
		q2 = strings.Replace(q2, "?", "$1", 1)
	}
	for username, acked := range registered {
		var id string
		a, _, err := st.AccountByLogin(context.Background(), username)
		if err != nil && !errors.Is(err, identity.ErrNotFound) {
			t.Fatal(err)
		}
		id = a.ID
		mails := 0
		if id != "" {
			if err := d.QueryRowContext(context.Background(), q2, id).Scan(&mails); err != nil {
				t.Fatal(err)
			}
		}
		checked++
		switch {
		case acked && (id == "" || mails != 1):
			t.Errorf("acknowledged registration %s: account %q, %d confirmation mails", username, id, mails)
			fails++
		case !acked && id != "" && mails != 1:
			t.Errorf("registration %s half there: account %q, %d confirmation mails", username, id, mails)
			fails++
		}
	}
	return checked, fails
}

// addUserDSN creates an account with roles directly in identity's database.
func addUserDSN(t *testing.T, dsn, dir, username, pw string, roles ...string) string {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	h, _ := password.Hash(pw, password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	a, err := identityStore(t, d, dir).CreateAccount(context.Background(), identity.Account{
		Username: username, Email: username + "@uni.example", DisplayName: username,
		GivenName: "Given", FamilyName: "Family", EmailVerified: true, Roles: roles}, h)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
