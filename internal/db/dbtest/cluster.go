package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"campus/internal/testenv"
)

// Cluster is a throwaway PostgreSQL server of one test: its own data
// directory, a free loopback port, trust authentication, no Unix socket.
// Unlike the shared server of CAMPUS_TEST_POSTGRES it may be stopped,
// killed and started again, for outage tests.
//
// PostgreSQL refuses to run as root: when the test runs as root, initdb
// and the server run as the unprivileged user nobody, in a directory
// it owns.
type Cluster struct {
	Port int

	bin  string // directory of initdb and postgres
	dir  string // holds data/ and server.log
	cred *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once the running postmaster was reaped
}

// StartCluster initialises and starts a cluster, stopped and removed when
// the test ends. Without PostgreSQL's server binaries the test is skipped,
// or fails in CI.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin := serverBinaries()
	if bin == "" {
		testenv.Missing(tb, "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin or PATH; install the postgresql package")
	}
	c := &Cluster{bin: bin}
	parent := os.TempDir()
	if fi, err := os.Stat(parent); os.Geteuid() == 0 && (err != nil || fi.Mode().Perm()&0o001 == 0) {
		parent = "/tmp" // nobody must be able to reach its directory
	}
	dir, err := os.MkdirTemp(parent, "campus-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir = dir
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			testenv.Missing(tb, "running as root and no user nobody to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		// The temporary directory (0700, under the world-writable /tmp)
		// becomes nobody's.
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	initdb := c.command(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--no-sync", "--encoding=UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.Start(tb)
	tb.Cleanup(func() { c.stop(syscall.SIGINT) })
	return c
}

// serverBinaries is the newest /usr/lib/postgresql/N/bin holding initdb
// and postgres, or the directory of initdb on PATH; "" when there is none.
func serverBinaries() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir
	// LC_ALL=C: no locale warnings; the server's messages stay English.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// URL is the address of database name (e.g. "postgres") on the cluster.
// connect_timeout bounds a connection attempt to a server that does not
// answer.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5", c.Port, name)
}

// CreateDatabase creates database name and returns its URL.
func (c *Cluster) CreateDatabase(tb testing.TB, name string) string {
	tb.Helper()
	admin, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	return c.URL(name)
}

// Start starts the server and waits until it accepts connections. After
// a kill the old server's processes may still hold its shared memory for
// a moment: Start tries again until it is free (30 s at most).
func (c *Cluster) Start(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.startOnce()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("postgres did not start: %v\n%s", err, c.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Ready when a query is answered.
	probe, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer probe.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := probe.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("postgres started but does not answer: %v\n%s", err, c.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startOnce starts a postmaster; an error when it exits at once (the
// port or the shared memory of a killed predecessor still taken).
func (c *Cluster) startOnce() error {
	logf, err := os.OpenFile(filepath.Join(c.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := c.command(filepath.Join(c.bin, "postgres"), "-D", c.data(), "-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "max_connections=100", "-c", "shared_buffers=16MB")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	// A postmaster that cannot start exits within moments; one that runs
	// soon accepts connections.
	for range 100 {
		select {
		case <-exited:
			return fmt.Errorf("postgres exited: %v", cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), time.Second); err == nil {
			conn.Close()
			break
		}
	}
	c.mu.Lock()
	c.cmd, c.exited = cmd, exited
	c.mu.Unlock()
	return nil
}

// Stop is a fast shutdown (SIGINT): sessions are ended with SQLSTATE
// 57P01, transactions in flight roll back, and the server exits cleanly.
func (c *Cluster) Stop(tb testing.TB) {
	tb.Helper()
	if err := c.stop(syscall.SIGINT); err != nil {
		tb.Fatalf("stop postgres: %v\n%s", err, c.log())
	}
}

// Kill is SIGKILL to the postmaster alone, as a crash: no shutdown, its
// backends find their parent gone and exit by themselves.
func (c *Cluster) Kill(tb testing.TB) {
	tb.Helper()
	if err := c.stop(syscall.SIGKILL); err != nil {
		tb.Fatalf("kill postgres: %v", err)
	}
}

func (c *Cluster) stop(sig syscall.Signal) error {
	c.mu.Lock()
	cmd, exited := c.cmd, c.exited
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		return errors.New("postgres did not stop within 30 s; killed")
	}
}

// log is the end of the server's log, for failure messages.
func (c *Cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	s := string(b)
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return strings.TrimSpace(s)
}
