package ldaptest

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/go-ldap/ldap/v3"

	"campus/internal/identity/directory"
	"campus/internal/testenv"
)

// SlapdPath is where Debian's slapd package installs the server.
const SlapdPath = "/usr/sbin/slapd"

// batch is how many member values one Modify of the group carries: few
// round trips, yet a request far below slapd's size limits.
const batch = 1000

// Server is a running (or stopped) slapd owned by one test.
type Server struct {
	URL      string // ldap://127.0.0.1:PORT; StartTLS works on it
	LDAPSURL string // ldaps://127.0.0.1:PORT
	CAFile   string // PEM file of the server's self-signed certificate (valid for 127.0.0.1 and localhost)

	BaseDN        string // dc=example,dc=org
	AdminDN       string // the rootdn, also the placeholder member of the group
	AdminPassword string
	GroupDN       string // cn=students,ou=groups,dc=example,dc=org; its placeholder member is AdminDN (groupOfNames needs one)

	dir string

	mu   sync.Mutex
	proc *process // nil while stopped
}

type process struct {
	cmd  *exec.Cmd
	out  capped // slapd's stdout and stderr; read only after done
	done chan struct{}
}

// User is an inetOrgPerson entry uid=UID,ou=people,BaseDN. Empty
// attributes are left out, except sn and cn, which the schema requires and
// which fall back to the uid.
type User struct {
	UID, Email, GivenName, FamilyName, Password string
}

var slapdConf = template.Must(template.New("slapd.conf").Parse(`
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {{.Dir}}/slapd.pid
TLSCertificateFile {{.Dir}}/cert.pem
TLSCertificateKeyFile {{.Dir}}/key.pem
sizelimit unlimited

database mdb
maxsize 104857600
dbnosync
suffix "{{.BaseDN}}"
rootdn "{{.AdminDN}}"
rootpw {{.RootPW}}
directory {{.Dir}}/data
index objectClass,uid,memberOf eq
overlay memberof
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`))

// Start starts slapd on free loopback ports with a fresh database holding
// BaseDN, ou=people, ou=groups and the group GroupDN, and stops it when
// the test ends. Without slapd it skips the test, or fails it in CI.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(SlapdPath); err != nil {
		testenv.Missing(t, "OpenLDAP slapd is not installed (apt-get install slapd ldap-utils)")
	}
	dir := t.TempDir()
	s := &Server{
		CAFile:        filepath.Join(dir, "cert.pem"),
		BaseDN:        "dc=example,dc=org",
		AdminDN:       "cn=admin,dc=example,dc=org",
		AdminPassword: rand.Text(),
		GroupDN:       "cn=students,ou=groups,dc=example,dc=org",
		dir:           dir,
	}
	if err := s.writeFiles(); err != nil {
		t.Fatalf("ldaptest: %v", err)
	}
	// A port found free may be taken before slapd binds it: retry with new ones.
	for attempt := 1; ; attempt++ {
		s.URL = "ldap://" + freeAddr(t)
		s.LDAPSURL = "ldaps://" + freeAddr(t)
		err := s.start()
		if err == nil {
			break
		}
		if attempt == 5 || !errors.Is(err, errAddrInUse) {
			t.Fatalf("ldaptest: %v", err)
		}
	}
	t.Cleanup(s.Stop)
	s.addBase(t)
	return s
}

// Config returns a directory.Config for this server: bound as the admin,
// inetOrgPerson users with uid as the username, a 5 s timeout.
func (s *Server) Config() directory.Config {
	return directory.Config{
		URL:            s.URL,
		BindDN:         s.AdminDN,
		BindPassword:   s.AdminPassword,
		BaseDN:         s.BaseDN,
		GroupDN:        s.GroupDN,
		UserFilter:     "(objectClass=inetOrgPerson)",
		AttrUsername:   "uid",
		AttrEmail:      "mail",
		AttrGivenName:  "givenName",
		AttrFamilyName: "sn",
		AttrMemberOf:   "memberOf",
		Timeout:        5 * time.Second,
	}
}

// UserDN returns the DN of the user with uid.
func (s *Server) UserDN(uid string) string {
	return "uid=" + ldap.EscapeDN(uid) + ",ou=people," + s.BaseDN
}

// AddUsers adds the users and, when member, puts them in the group, whose
// memberof overlay then gives them memberOf.
func (s *Server) AddUsers(t testing.TB, users []User, member bool) {
	t.Helper()
	c := s.admin(t)
	defer c.Close()
	for _, u := range users {
		req := ldap.NewAddRequest(s.UserDN(u.UID), nil)
		req.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "inetOrgPerson"})
		req.Attribute("uid", []string{u.UID})
		req.Attribute("sn", []string{cmp.Or(u.FamilyName, u.UID)})
		req.Attribute("cn", []string{cmp.Or(strings.TrimSpace(u.GivenName+" "+u.FamilyName), u.UID)})
		if u.GivenName != "" {
			req.Attribute("givenName", []string{u.GivenName})
		}
		if u.Email != "" {
			req.Attribute("mail", []string{u.Email})
		}
		if u.Password != "" {
			req.Attribute("userPassword", []string{ssha(u.Password)})
		}
		if err := c.Add(req); err != nil {
			t.Fatalf("ldaptest: add %s: %v", u.UID, err)
		}
	}
	if member {
		uids := make([]string, len(users))
		for i, u := range users {
			uids[i] = u.UID
		}
		s.changeGroup(t, c, true, uids)
	}
}

// Modify replaces attributes of the user; an empty value removes the
// attribute.
func (s *Server) Modify(t testing.TB, uid string, changes map[string]string) {
	t.Helper()
	c := s.admin(t)
	defer c.Close()
	req := ldap.NewModifyRequest(s.UserDN(uid), nil)
	for _, attr := range slices.Sorted(maps.Keys(changes)) {
		var vals []string
		if v := changes[attr]; v != "" {
			vals = []string{v}
		}
		req.Replace(attr, vals)
	}
	if err := c.Modify(req); err != nil {
		t.Fatalf("ldaptest: modify %s: %v", uid, err)
	}
}

// AddToGroup makes the users members of the group.
func (s *Server) AddToGroup(t testing.TB, uids ...string) {
	t.Helper()
	c := s.admin(t)
	defer c.Close()
	s.changeGroup(t, c, true, uids)
}

// RemoveFromGroup removes the users from the group.
func (s *Server) RemoveFromGroup(t testing.TB, uids ...string) {
	t.Helper()
	c := s.admin(t)
	defer c.Close()
	s.changeGroup(t, c, false, uids)
}

func (s *Server) changeGroup(t testing.TB, c *ldap.Conn, add bool, uids []string) {
	t.Helper()
	for chunk := range slices.Chunk(uids, batch) {
		dns := make([]string, len(chunk))
		for i, uid := range chunk {
			dns[i] = s.UserDN(uid)
		}
		req := ldap.NewModifyRequest(s.GroupDN, nil)
		if add {
			req.Add("member", dns)
		} else {
			req.Delete("member", dns)
		}
		if err := c.Modify(req); err != nil {
			t.Fatalf("ldaptest: change members of %s: %v", s.GroupDN, err)
		}
	}
}

// Stop stops slapd (SIGTERM, then SIGKILL after 10 s) and returns once it
// has exited, so its ports are closed. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	if sigResume != nil {
		_ = p.cmd.Process.Signal(sigResume) // a paused slapd cannot act on SIGTERM
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Pause freezes slapd (SIGSTOP): its ports still accept connections but
// nothing answers, as a hung or overloaded server, so clients wait for
// their timeouts. Resume lets it go on; Stop resumes it first.
func (s *Server) Pause(t testing.TB) { s.signal(t, sigPause) }

// Resume undoes Pause (SIGCONT).
func (s *Server) Resume(t testing.TB) { s.signal(t, sigResume) }

func (s *Server) signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if sig == nil {
		t.Skip("ldaptest: pausing slapd needs SIGSTOP")
	}
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		t.Fatalf("ldaptest: %v: slapd is not running", sig)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("ldaptest: %v: %v", sig, err)
	}
}

// Restart starts a stopped server again on the same ports and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("ldaptest: restart: %v", err)
	}
}

var errAddrInUse = errors.New("address already in use")

// start runs slapd in the foreground (-d none: errors only), so that the test owns the
// process and Stop is a plain signal and wait, and returns once it answers
// a bind as the admin.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("slapd is already running")
	}
	p := &process{done: make(chan struct{})}
	p.cmd = exec.Command(SlapdPath, "-d", "none", "-h", s.URL+"/ "+s.LDAPSURL+"/", "-f", filepath.Join(s.dir, "slapd.conf"))
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	p.cmd.SysProcAttr = sysProcAttr()
	if err := startCmd(p.cmd); err != nil {
		return fmt.Errorf("start slapd: %w", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
			out := strings.TrimSpace(p.out.String())
			// A port found free may have been taken meanwhile (by another
			// test's server): slapd says so at -d none (at -d 0 it exits
			// without a word), and the caller retries on new ports.
			if strings.Contains(out, "Address already in use") || taken(s.URL) || taken(s.LDAPSURL) {
				return fmt.Errorf("slapd on %s (%v): %w", s.URL, p.cmd.ProcessState, errAddrInUse)
			}
			return fmt.Errorf("slapd exited at start (%v): %s", p.cmd.ProcessState, out)
		default:
		}
		err := s.ping()
		if err == nil {
			s.proc = p
			return nil
		}
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("slapd did not answer within 15s: %v; output: %s", err, p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) ping() error {
	c, err := s.dial()
	if err != nil {
		return err
	}
	return c.Close()
}

func (s *Server) dial() (*ldap.Conn, error) {
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}))
	if err != nil {
		return nil, err
	}
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *Server) admin(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := s.dial()
	if err != nil {
		t.Fatalf("ldaptest: connect as admin: %v", err)
	}
	return c
}

func (s *Server) addBase(t testing.TB) {
	t.Helper()
	c := s.admin(t)
	defer c.Close()
	entries := []struct {
		dn    string
		attrs map[string][]string
	}{
		{s.BaseDN, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}}},
		{"ou=people," + s.BaseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}}},
		{"ou=groups," + s.BaseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}}},
		// groupOfNames needs a member: the admin, which has no entry and
		// so never matches a user filter.
		{s.GroupDN, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"students"}, "member": {s.AdminDN}}},
	}
	for _, e := range entries {
		req := ldap.NewAddRequest(e.dn, nil)
		for _, attr := range slices.Sorted(maps.Keys(e.attrs)) {
			req.Attribute(attr, e.attrs[attr])
		}
		if err := c.Add(req); err != nil {
			t.Fatalf("ldaptest: add %s: %v", e.dn, err)
		}
	}
}

func (s *Server) writeFiles() error {
	if err := os.Mkdir(filepath.Join(s.dir, "data"), 0o700); err != nil {
		return err
	}
	if err := writeCert(s.dir); err != nil {
		return err
	}
	var conf bytes.Buffer
	err := slapdConf.Execute(&conf, map[string]string{
		"Dir":     s.dir,
		"BaseDN":  s.BaseDN,
		"AdminDN": s.AdminDN,
		"RootPW":  ssha(s.AdminPassword),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "slapd.conf"), conf.Bytes(), 0o600)
}

// writeCert writes a self-signed certificate for the loopback addresses,
// which is its own CA, so that tests can use it as CAFile.
func writeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "ldaptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600)
}

// ssha hashes a password as slapd's {SSHA} scheme does: SHA-1 of the
// password and a salt, followed by the salt.
func ssha(password string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	sum := sha1.Sum(append([]byte(password), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// freeAddr returns a loopback address whose port was free a moment ago.
// taken reports whether the address of an ldap:// or ldaps:// URL is in
// use by another process.
func taken(u string) bool {
	_, hostport, ok := strings.Cut(u, "://")
	if !ok {
		return false
	}
	l, err := net.Listen("tcp", hostport)
	if err != nil {
		return true
	}
	l.Close()
	return false
}

func freeAddr(t testing.TB) string {
	t.Helper()
	// Below the kernel's ephemeral range: a port there is never taken as
	// the source port of an outgoing connection, which is what took the
	// ports a listen on :0 had just returned while another test package
	// opened connections by the thousand (CI's memory step).
	low, high := 10000, ephemeralLow()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", low+mathrand.IntN(high-low))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ldaptest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ephemeralLow is where the kernel's ephemeral ports begin (Linux's
// ip_local_port_range; 32768 where it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 11000 {
		return 32768
	}
	return n
}

// capped keeps the first 64 KiB written to it and drops the rest, so that
// a long-running slapd's log cannot grow the test's heap (the directory's
// memory tests measure it).
type capped struct{ bytes.Buffer }

const outCap = 64 << 10

func (c *capped) Write(p []byte) (int, error) {
	if room := outCap - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
