package directory_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"campus/internal/identity/directory"
	"campus/internal/identity/directory/ldaptest"
)

// people returns n users uid prefix00000, prefix00001, ... with all
// attributes set and the password "pw-" + uid.
func people(prefix string, n int) []ldaptest.User {
	users := make([]ldaptest.User, n)
	for i := range users {
		uid := fmt.Sprintf("%s%05d", prefix, i)
		users[i] = ldaptest.User{
			UID:        uid,
			Email:      uid + "@uni.example",
			GivenName:  "Given " + uid,
			FamilyName: "Family " + uid,
			Password:   "pw-" + uid,
		}
	}
	return users
}

// entryOf is the Entry that Members and Authenticate return for u.
func entryOf(srv *ldaptest.Server, u ldaptest.User) directory.Entry {
	return directory.Entry{DN: srv.UserDN(u.UID), Username: u.UID, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName}
}

func newClient(tb testing.TB, cfg directory.Config) *directory.Client {
	tb.Helper()
	c, err := directory.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// members reads all members into a map by username.
func members(t *testing.T, c *directory.Client) (map[string]directory.Entry, int) {
	t.Helper()
	got := map[string]directory.Entry{}
	skipped, err := c.Members(t.Context(), func(e directory.Entry) error {
		if _, dup := got[e.Username]; dup {
			t.Errorf("member %s read twice", e.Username)
		}
		got[e.Username] = e
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	return got, skipped
}

func TestMembersPaged(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	in, out := people("m", 1000), people("x", 50)
	srv.AddUsers(t, in, true)
	srv.AddUsers(t, out, false)

	cfg := srv.Config()
	cfg.PageSize = 100
	c := newClient(t, cfg)

	got := map[string]directory.Entry{}
	var progress []int
	skipped, err := c.Members(t.Context(), func(e directory.Entry) error {
		if _, dup := got[e.Username]; dup {
			t.Errorf("member %s read twice", e.Username)
		}
		got[e.Username] = e
		return nil
	}, func(n int) { progress = append(progress, n) })
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	if skipped != 0 {
		t.Errorf("skipped = %d, want 0", skipped)
	}
	if len(got) != len(in) {
		t.Errorf("read %d members, want %d", len(got), len(in))
	}
	for _, u := range in {
		if want := entryOf(srv, u); got[u.UID] != want {
			t.Errorf("member %s = %+v, want %+v", u.UID, got[u.UID], want)
		}
	}
	for _, u := range out {
		if _, ok := got[u.UID]; ok {
			t.Errorf("non-member %s was read", u.UID)
		}
	}

	// One call per page of at most 100, ending with the total.
	if len(progress) < 10 {
		t.Errorf("progress called %d times (%v), want one call per page of 100", len(progress), progress)
	}
	prev := 0
	for _, n := range progress {
		if n < prev || n-prev > 100 {
			t.Errorf("progress %v: step from %d to %d is not one page of at most 100", progress, prev, n)
		}
		prev = n
	}
	if prev != len(in) {
		t.Errorf("last progress = %d, want %d", prev, len(in))
	}
}

func TestMembersFollowsTheDirectory(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	users := people("u", 6)
	srv.AddUsers(t, users[:4], true)
	srv.AddUsers(t, users[4:], false)
	c := newClient(t, srv.Config())

	srv.RemoveFromGroup(t, "u00000", "u00001")
	srv.AddToGroup(t, "u00004")
	srv.Modify(t, "u00002", map[string]string{"mail": "new@uni.example", "sn": "Renamed", "givenName": ""})

	got, _ := members(t, c)
	want := map[string]directory.Entry{
		"u00002": {DN: srv.UserDN("u00002"), Username: "u00002", Email: "new@uni.example", FamilyName: "Renamed"},
		"u00003": entryOf(srv, users[3]),
		"u00004": entryOf(srv, users[4]),
	}
	if len(got) != len(want) {
		t.Errorf("members %v, want %v", got, want)
	}
	for uid, w := range want {
		if got[uid] != w {
			t.Errorf("member %s = %+v, want %+v", uid, got[uid], w)
		}
	}
}

func TestMembersStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, people("u", 20), true)
	c := newClient(t, srv.Config())

	errStop := errors.New("stop")
	calls := 0
	_, err := c.Members(t.Context(), func(directory.Entry) error {
		calls++
		if calls == 5 {
			return errStop
		}
		return nil
	}, nil)
	if err != errStop {
		t.Errorf("Members error = %v, want the callback's error as is", err)
	}
	if calls != 5 {
		t.Errorf("callback called %d times after its error, want 5", calls)
	}
}

// TestUsernameAttribute uses an attribute that some members lack and two
// share, which uid (the RDN) cannot show.
func TestUsernameAttribute(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	users := people("u", 4)
	srv.AddUsers(t, users, true)
	srv.Modify(t, "u00000", map[string]string{"displayName": "twin"})
	srv.Modify(t, "u00001", map[string]string{"displayName": "twin"})
	srv.Modify(t, "u00002", map[string]string{"displayName": "carol"})

	cfg := srv.Config()
	cfg.AttrUsername = "displayName"
	c := newClient(t, cfg)

	var names []string
	skipped, err := c.Members(t.Context(), func(e directory.Entry) error {
		names = append(names, e.Username)
		return nil
	}, nil)
	slices.Sort(names)
	if err != nil || skipped != 1 || !slices.Equal(names, []string{"carol", "twin", "twin"}) {
		t.Errorf("Members: %v, %d skipped, %v; want [carol twin twin], 1 skipped", names, skipped, err)
	}

	if _, err := c.Authenticate(t.Context(), "twin", users[0].Password); err != directory.ErrInvalidCredentials {
		t.Errorf("Authenticate with an ambiguous username: %v, want ErrInvalidCredentials", err)
	}
	e, err := c.Authenticate(t.Context(), "carol", users[2].Password)
	if err != nil {
		t.Fatalf("Authenticate carol: %v", err)
	}
	if e.DN != srv.UserDN("u00002") || e.Username != "carol" {
		t.Errorf("Authenticate carol = %+v, want %s with username carol", e, srv.UserDN("u00002"))
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	// alice is the only member, so a filter that an unescaped username
	// widened to "any member" would find her, and her password would work.
	alice := ldaptest.User{UID: "alice", Email: "alice@uni.example", GivenName: "Alice", FamilyName: "Liddell", Password: "rabbit-hole"}
	bob := ldaptest.User{UID: "bob", Email: "bob@uni.example", GivenName: "Bob", FamilyName: "Outsider", Password: "not-a-student"}
	srv.AddUsers(t, []ldaptest.User{alice}, true)
	srv.AddUsers(t, []ldaptest.User{bob}, false)

	for _, mode := range []struct {
		name   string
		config func(c *directory.Config)
	}{
		{"service account", func(c *directory.Config) {}},
		{"anonymous", func(c *directory.Config) { c.BindDN, c.BindPassword = "", "" }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			cfg := srv.Config()
			mode.config(&cfg)
			c := newClient(t, cfg)
			tests := []struct {
				name, username, password string
				ok                       bool
			}{
				{"right password", "alice", alice.Password, true},
				{"username in other case", "ALICE", alice.Password, true},
				{"wrong password", "alice", "wrong", false},
				{"password of another user", "alice", bob.Password, false},
				{"empty password", "alice", "", false},
				{"empty username", "", alice.Password, false},
				{"unknown user", "carol", alice.Password, false},
				{"not in the group", "bob", bob.Password, false},
				{"star", "*", alice.Password, false},
				{"prefix star", "al*", alice.Password, false},
				{"filter injection", "*)(uid=*", alice.Password, false},
				{"filter injection with or", "x)(|(uid=*", alice.Password, false},
				{"backslash", `alice\`, alice.Password, false},
				{"nul", "alice\x00", alice.Password, false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					e, err := c.Authenticate(t.Context(), tt.username, tt.password)
					if !tt.ok {
						// The very same error, so that nothing tells the cases apart.
						if err != directory.ErrInvalidCredentials {
							t.Errorf("Authenticate(%q) = %+v, %v; want ErrInvalidCredentials", tt.username, e, err)
						}
						return
					}
					if err != nil {
						t.Fatalf("Authenticate(%q): %v", tt.username, err)
					}
					if want := entryOf(srv, alice); e != want {
						t.Errorf("Authenticate(%q) = %+v, want %+v", tt.username, e, want)
					}
				})
			}
		})
	}
}

func TestServiceAccountRejected(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, people("u", 1), true)
	cfg := srv.Config()
	cfg.BindPassword = "not-the-admin-password"
	c := newClient(t, cfg)

	checks := map[string]func() error{
		"Ping": func() error { return c.Ping(t.Context()) },
		"Members": func() error {
			_, err := c.Members(t.Context(), func(directory.Entry) error { return nil }, nil)
			return err
		},
		"Authenticate": func() error {
			_, err := c.Authenticate(t.Context(), "u00000", "pw-u00000")
			return err
		},
	}
	for name, call := range checks {
		err := call()
		if !errors.Is(err, directory.ErrServiceAccount) || errors.Is(err, directory.ErrInvalidCredentials) || errors.Is(err, directory.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrServiceAccount only", name, err)
		}
		if err != nil && strings.Contains(err.Error(), cfg.BindPassword) {
			t.Errorf("%s: error %q shows the bind password", name, err)
		}
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	if err := newClient(t, srv.Config()).Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}

	cfg := srv.Config()
	cfg.BaseDN = "dc=elsewhere,dc=org"
	err := newClient(t, cfg).Ping(t.Context())
	if err == nil || errors.Is(err, directory.ErrUnavailable) {
		t.Errorf("Ping with a base dn that does not exist: %v, want an error that is not ErrUnavailable", err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	alice := ldaptest.User{UID: "alice", Password: "rabbit-hole"}
	srv.AddUsers(t, []ldaptest.User{alice}, true)

	tests := []struct {
		name   string
		config func(c *directory.Config)
		ok     bool
	}{
		{"starttls", func(c *directory.Config) { c.StartTLS, c.CAFile = true, srv.CAFile }, true},
		{"ldaps", func(c *directory.Config) { c.URL, c.CAFile = srv.LDAPSURL, srv.CAFile }, true},
		{"ldaps by name", func(c *directory.Config) {
			c.URL, c.CAFile = strings.Replace(srv.LDAPSURL, "127.0.0.1", "localhost", 1), srv.CAFile
		}, true},
		{"ldaps, skip verify", func(c *directory.Config) { c.URL, c.InsecureSkipVerify = srv.LDAPSURL, true }, true},
		{"ldaps, unknown certificate", func(c *directory.Config) { c.URL = srv.LDAPSURL }, false},
		{"starttls, unknown certificate", func(c *directory.Config) { c.StartTLS = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := srv.Config()
			tt.config(&cfg)
			c := newClient(t, cfg)
			_, err := c.Authenticate(t.Context(), "alice", alice.Password)
			if tt.ok && err != nil {
				t.Errorf("Authenticate: %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "certificate")) {
				t.Errorf("Authenticate: %v, want a certificate error", err)
			}
		})
	}
}

// unavailable checks that call fails with ErrUnavailable within limit.
func unavailable(t *testing.T, name string, limit time.Duration, call func() error) {
	t.Helper()
	start := time.Now()
	err := call()
	took := time.Since(start)
	if !errors.Is(err, directory.ErrUnavailable) {
		t.Errorf("%s: %v, want ErrUnavailable", name, err)
	}
	if errors.Is(err, directory.ErrInvalidCredentials) {
		t.Errorf("%s: %v is also ErrInvalidCredentials", name, err)
	}
	if took > limit {
		t.Errorf("%s took %v, want at most %v", name, took, limit)
	}
}

func TestServerDown(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	alice := ldaptest.User{UID: "alice", Password: "rabbit-hole"}
	srv.AddUsers(t, []ldaptest.User{alice}, true)
	cfg := srv.Config()
	cfg.Timeout = 2 * time.Second
	c := newClient(t, cfg)

	srv.Stop()
	unavailable(t, "Ping", cfg.Timeout, func() error { return c.Ping(t.Context()) })
	unavailable(t, "Members", cfg.Timeout, func() error {
		_, err := c.Members(t.Context(), func(directory.Entry) error { return nil }, nil)
		return err
	})
	unavailable(t, "Authenticate", cfg.Timeout, func() error {
		_, err := c.Authenticate(t.Context(), "alice", alice.Password)
		return err
	})

	srv.Restart(t)
	if _, err := c.Authenticate(t.Context(), "alice", alice.Password); err != nil {
		t.Errorf("Authenticate after restart: %v", err)
	}
}

func TestServerDownWhileReading(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, people("u", 300), true)
	cfg := srv.Config()
	cfg.PageSize = 100
	c := newClient(t, cfg)

	read := 0
	unavailable(t, "Members", cfg.Timeout, func() error {
		_, err := c.Members(t.Context(), func(directory.Entry) error {
			read++
			if read == 100 { // the last entry of the first page
				srv.Stop()
			}
			return nil
		}, nil)
		return err
	})
	if read != 100 {
		t.Errorf("read %d entries, want the 100 of the first page", read)
	}
}

// silentServer accepts connections and never answers, like a directory
// behind a firewall that drops packets or a hung server. received gets a
// value whenever a request arrives.
func silentServer(t *testing.T) (url string, received <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			})
		}
	})
	return "ldap://" + l.Addr().String(), ch
}

func silentConfig(url string, timeout time.Duration) directory.Config {
	return directory.Config{
		URL:          url,
		BindDN:       "cn=admin,dc=example,dc=org",
		BindPassword: "secret",
		BaseDN:       "dc=example,dc=org",
		GroupDN:      "cn=students,ou=groups,dc=example,dc=org",
		Timeout:      timeout,
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	url, _ := silentServer(t)
	cfg := silentConfig(url, 200*time.Millisecond)
	c := newClient(t, cfg)
	limit := 10 * cfg.Timeout // generous for a loaded machine; the default would be 10 s

	unavailable(t, "Ping", limit, func() error { return c.Ping(t.Context()) })
	unavailable(t, "Members", limit, func() error {
		_, err := c.Members(t.Context(), func(directory.Entry) error { return nil }, nil)
		return err
	})
	unavailable(t, "Authenticate", limit, func() error {
		_, err := c.Authenticate(t.Context(), "alice", "rabbit-hole")
		return err
	})
}

func TestContext(t *testing.T) {
	t.Parallel()
	// A timeout far beyond the test's limits: only the context can stop the calls.
	const timeout = time.Minute

	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		url, _ := silentServer(t)
		c := newClient(t, silentConfig(url, timeout))
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		var err error
		unavailable(t, "Members", 2*time.Second, func() error {
			_, err = c.Members(ctx, func(directory.Entry) error { return nil }, nil)
			return err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Members: %v, want context.DeadlineExceeded too", err)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		url, received := silentServer(t)
		c := newClient(t, silentConfig(url, timeout))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			<-received // the bind is in flight
			cancel()
		}()
		start := time.Now()
		_, err := c.Authenticate(ctx, "alice", "rabbit-hole")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Authenticate: %v, want context.Canceled", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("Authenticate returned %v after the cancel", took)
		}
	})

	t.Run("cancelled before", func(t *testing.T) {
		t.Parallel()
		url, _ := silentServer(t)
		c := newClient(t, silentConfig(url, timeout))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := c.Ping(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Ping: %v, want context.Canceled", err)
		}
	})
}
