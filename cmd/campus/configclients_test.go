package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"
)

func TestClientsFromTheConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "campus.yaml")
	write := func(yaml string) {
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`addr: 127.0.0.1:0
identity:
  clients:
    - id: exporter
      name: Grade exporter
      grant_types: [client_credentials]
      scopes: [grades:read]
    - id: wiki
      first_party: true
      redirect_uris: [https://wiki.uni.example/cb]
`)
	env := map[string]string{"CAMPUS_DATA": filepath.Join(dir, "data"), "CAMPUS_ADMIN_PASSWORD": adminPassword}
	r := startCampus(t, env, "serve", "--config", cfg)
	m := regexp.MustCompile(`client "exporter".*\n\s+client_secret: (\S+)`).FindStringSubmatch(r.stdout.String())
	if m == nil || strings.Contains(r.stdout.String(), `client "wiki"`) == false {
		t.Fatalf("secrets not shown once for the declared clients:\n%s", r.stdout)
	}
	secret := m[1]
	httpc := tlsClient(t, filepath.Join(dir, "data", "tls", "cert.pem"))
	token := func(url string) error {
		cc := clientcredentials.Config{ClientID: "exporter", ClientSecret: secret, TokenURL: url + "/idp/oauth/token", Scopes: []string{"grades:read"}}
		_, err := cc.Token(oidc.ClientContext(context.Background(), httpc))
		return err
	}
	if err := token(r.url); err != nil {
		t.Fatalf("declared client cannot get a token: %v", err)
	}
	r.stop()

	// A restart keeps the secret and shows nothing; a client dropped from
	// the file is removed.
	write(`addr: 127.0.0.1:0
identity:
  clients:
    - id: exporter
      name: Grade exporter (renamed)
      grant_types: [client_credentials]
      scopes: [grades:read]
`)
	r2 := startCampus(t, env, "serve", "--config", cfg)
	if strings.Contains(r2.stdout.String(), "client_secret") {
		t.Fatalf("restart showed a secret again:\n%s", r2.stdout)
	}
	if err := token(r2.url); err != nil {
		t.Fatalf("secret changed across restarts: %v", err)
	}
	var out bytes.Buffer
	run(context.Background(), []string{"clients", "list", "--data", filepath.Join(dir, "data")}, envMap(nil), &out, io.Discard)
	if strings.Contains(out.String(), "wiki") || !strings.Contains(out.String(), "renamed") {
		t.Fatalf("clients after the file changed:\n%s", out.String())
	}
	r2.stop()

	// A bad declaration is a usage problem naming the client.
	write("identity:\n  clients:\n    - id: bad client\n      redirect_uris: [http://evil.example/cb]\n")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--config", cfg, "--data", filepath.Join(dir, "data")}, envMap(nil), io.Discard, &stderr)
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "identity.clients[0]") || !strings.Contains(stderr.String(), "plain http only") {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}
