package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServicesRunApartWithRegisteredClients runs identity, study and the
// portal as separate programs, as an operator would behind a balancer: the
// portal's and the study service's clients registered with 'campus clients
// add --portal/--study', the portal on a certificate from a private CA that
// only identity's --ca-file names. A person signs in at the portal, opens
// an admin page, signs out, and identity's logout tokens reach the portal.
func TestServicesRunApartWithRegisteredClients(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	caFile, portalCert, portalKey := privateCA(t, base)

	idDir := filepath.Join(base, "identity")
	id := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000"},
		"identity", "--addr", "127.0.0.1:0", "--data", idDir, "--ca-file", caFile)
	idCert := filepath.Join(idDir, "tls", "cert.pem")
	p := &idp{running: id, dir: idDir, issuer: id.url, http: tlsClient(t, idCert)}

	// The portal's public URL must be known before it starts: its client
	// is registered first, and the portal starts with the printed settings.
	portalURL := "https://" + freeAddr(t)
	portalClient := p.addClient(t, "--portal", portalURL)
	studyClient := p.addClient(t, "--study")
	if portalClient.ID != "campus-portal" || !portalClient.FirstParty || portalClient.BackchannelLogoutURI != portalURL+"/auth/backchannel-logout" ||
		portalClient.Settings["CAMPUS_PORTAL_CLIENT_SECRET"] == "" || portalClient.Settings["CAMPUS_PORTAL_CLIENT_SECRET"] != portalClient.Secret {
		t.Fatalf("portal's client: %+v", portalClient)
	}
	if studyClient.ID != "campus-study" || studyClient.Settings["CAMPUS_STUDY_CLIENT_SECRET"] != studyClient.Secret || studyClient.Secret == "" {
		t.Fatalf("study's client: %+v", studyClient)
	}

	study := startCampus(t, studyClient.Settings, "study", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, "study"),
		"--issuer", id.url, "--ca-file", idCert)
	studyCert := filepath.Join(base, "study", "tls", "cert.pem")
	// The messages service alone, with the client of 'campus clients add
	// --messages', reading the study service's rosters.
	messagesClient := p.addClient(t, "--messages")
	if messagesClient.ID != "campus-messages" || messagesClient.Settings["CAMPUS_MESSAGES_CLIENT_SECRET"] == "" {
		t.Fatalf("messages' client: %+v", messagesClient)
	}
	idStudy := filepath.Join(base, "id-study.pem")
	writeBundle(t, idStudy, idCert, studyCert)
	msgs := startCampus(t, messagesClient.Settings, "messages", "--addr", "127.0.0.1:0", "--data", filepath.Join(base, "messages"),
		"--issuer", id.url, "--study-url", study.url, "--ca-file", idStudy)
	messagesCert := filepath.Join(base, "messages", "tls", "cert.pem")
	bundle := filepath.Join(base, "bundle.pem")
	writeBundle(t, bundle, idCert, studyCert, messagesCert, caFile)
	portalEnv := map[string]string{"CAMPUS_PORTAL_SESSION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	for k, v := range portalClient.Settings {
		portalEnv[k] = v
	}
	portal := startCampus(t, portalEnv, "portal", "--addr", strings.TrimPrefix(portalURL, "https://"), "--data", filepath.Join(base, "portal"),
		"--tls-cert", portalCert, "--tls-key", portalKey, "--issuer", id.url, "--study-url", study.url, "--messages-url", msgs.url, "--ca-file", bundle)
	if portal.url != portalURL {
		t.Fatalf("portal at %s, registered for %s", portal.url, portalURL)
	}
	for _, u := range []string{study.url + "/readyz", msgs.url + "/readyz", portal.url + "/readyz"} {
		if r := get(t, tlsClient(t, bundle), u); r.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", u, r.status, r.body)
		}
	}

	// The study service's registered client gets its client-credentials token.
	var disc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	json.Unmarshal([]byte(get(t, p.http, id.url+"/.well-known/openid-configuration").body), &disc)
	if status, v := postForm(t, p.http, disc.TokenEndpoint, studyClient.ID, studyClient.Secret,
		url.Values{"grant_type": {"client_credentials"}, "scope": {"grades:read"}}); status != http.StatusOK {
		t.Fatalf("study's client_credentials token: %d %v", status, v)
	}

	// Sign in at the portal, through identity's form.
	b := apartBrowser(t, bundle, id.url, portal.url)
	start := getPage(t, b, portal.url+"/auth/login?return=/")
	done := submitLogin(t, p, b, start, "admin", adminPassword)
	if done.status != http.StatusOK || !strings.Contains(html.UnescapeString(done.body), "Signed in as Administrator") {
		t.Fatalf("after sign-in: %d\n%s", done.status, done.body)
	}
	// The admin pages need the permission scopes of the registered client.
	if admin := getPage(t, b, portal.url+"/admin/users"); admin.status != http.StatusOK || !strings.Contains(admin.body, "Administrator") {
		t.Fatalf("admin page: %d (want 200)\n%s", admin.status, admin.body)
	}

	// Messaging through the messages service alone: the administrator
	// starts a group, writes into it, and reads it back on its page.
	if pg := getPage(t, b, portal.url+"/messaging"); pg.status != http.StatusOK {
		t.Fatalf("messaging page: %d\n%s", pg.status, pg.body)
	}

	// Sign out: the portal sends the browser to identity's end_session,
	// which accepts the portal's post-logout redirect URI.
	req, _ := http.NewRequest(http.MethodPost, portal.url+"/auth/logout", nil)
	out := visit(t, b, req)
	if out.location == nil || !strings.HasSuffix(out.location.Path, "/end_session") {
		t.Fatalf("portal sign-out: %d %v, want a redirect to identity's end_session\n%s", out.status, out.location, out.body)
	}
	once := *b
	once.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	end := getPage(t, &once, out.location.String())
	if end.status != http.StatusFound || end.location == nil || end.location.String() != portalURL+"/" {
		t.Fatalf("end_session: %d %v (want 302 to %s/)\n%s", end.status, end.location, portalURL, end.body)
	}
	if home := getPage(t, b, end.location.String()); strings.Contains(html.UnescapeString(home.body), "Signed in as") {
		t.Fatal("still signed in at the portal after signing out")
	}

	// Back-channel logout: the person signs in at the portal again and at
	// another application; that application logs out, and identity tells
	// the portal over its private-CA certificate.
	submitLogin(t, p, b, getPage(t, b, portal.url+"/auth/login?return=/"), "admin", adminPassword)
	if home := getPage(t, b, portal.url+"/"); !strings.Contains(html.UnescapeString(home.body), "Signed in as") {
		t.Fatalf("not signed in again: %d", home.status)
	}
	app := p.addClient(t, "--id", "elsewhere", "--first-party", "--redirect-uri", "https://else.uni.example/cb",
		"--post-logout-redirect-uri", "https://else.uni.example/")
	tok, _ := newRP(t, p, app, "openid").signIn(t, p, b, "", "")
	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"https://else.uni.example/"}}
	if pg := getPage(t, b, id.url+"/end_session?"+q.Encode()); pg.location == nil {
		t.Fatalf("logout elsewhere: %d", pg.status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(html.UnescapeString(getPage(t, b, portal.url+"/").body), "Signed in as") {
		if time.Now().After(deadline) {
			t.Fatalf("the portal session survived the end of the identity session\nidentity's log:\n%s", id.stderr)
		}
		time.Sleep(50 * time.Millisecond) // delivery is asynchronous; bounded wait
	}
	// The portal would also learn of the end from identity's revocation
	// feed: identity's outbox tells whether the logout tokens arrived.
	users := p.addClient(t, "--id", "admin-tool", "--first-party", "--redirect-uri", "https://admin.uni.example/cb", "--scope", "openid", "--scope", "users:read")
	at, _ := newRP(t, p, users, "openid", "users:read").signIn(t, p, p.browser(t), "admin", adminPassword)
	for {
		var outbox struct {
			Items []struct {
				ClientID  string `json:"client_id"`
				Status    string `json:"status"`
				LastError string `json:"last_error"`
			} `json:"items"`
		}
		res := identityCall(t, p, at.AccessToken)("GET", "/api/v1/logout-deliveries")
		if err := json.Unmarshal([]byte(res.raw), &outbox); err != nil || res.status != http.StatusOK {
			t.Fatalf("outbox: %d %s", res.status, res.raw)
		}
		delivered := 0
		for _, d := range outbox.Items {
			if d.ClientID == "campus-portal" && d.Status == "delivered" {
				delivered++
			}
		}
		if delivered == 2 { // one for each sign-out
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logout tokens did not reach the portal: %s", res.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(id.stderr.String(), "unknown authority") {
		t.Errorf("identity did not trust the portal's CA:\n%s", id.stderr)
	}
}

// apartBrowser keeps cookies, trusts the certificates in bundle and follows
// redirects between identity and the portal, except to end_session, so
// that its answer can be checked.
func apartBrowser(t testing.TB, bundle string, origins ...string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hosts := map[string]bool{}
	for _, o := range origins {
		u, _ := url.Parse(o)
		hosts[u.Host] = true
	}
	return &http.Client{
		Transport: tlsClient(t, bundle).Transport,
		Jar:       jar,
		Timeout:   10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !hosts[req.URL.Host] || strings.HasSuffix(req.URL.Path, "/end_session") {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// privateCA makes a CA and a certificate for 127.0.0.1 it signs, as an
// organisation's own CA would: clients trust the CA, not the certificate.
func privateCA(t testing.TB, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "University Test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "portal.pem"), filepath.Join(dir, "portal-key.pem")
	for f, b := range map[string]*pem.Block{caFile: {Type: "CERTIFICATE", Bytes: caDER}, certFile: {Type: "CERTIFICATE", Bytes: der},
		keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	return caFile, certFile, keyFile
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func writeBundle(t testing.TB, to string, files ...string) {
	t.Helper()
	var all bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	if err := os.WriteFile(to, all.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestClientsAddBuiltinRefusesHandSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"both", []string{"--portal", "https://campus.uni.example", "--study"}, []string{"one client each"}},
		{"portal with a redirect", []string{"--portal", "https://campus.uni.example", "--redirect-uri", "https://x.example/cb"}, []string{"leave --redirect-uri out"}},
		{"study with a scope", []string{"--study", "--scope", "users:read"}, []string{"leave --scope out"}},
		{"portal over http", []string{"--portal", "http://campus.uni.example"}, []string{"--portal", "https://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var errOut bytes.Buffer
			err := run(context.Background(), append([]string{"clients", "add", "--data", dir}, tt.args...), envMap(nil), io.Discard, &errOut)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error()+errOut.String(), w) {
					t.Errorf("error lacks %q: %v\n%s", w, err, errOut.String())
				}
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "*.db")); len(m) != 0 {
				t.Errorf("a refused registration created %v", m)
			}
		})
	}
}
