package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestPasswordPolicyIsConfigurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_PASSWORD_MIN_LENGTH": "16"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir)
	client := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))
	register := func(pw string) (int, string) {
		body, _ := json.Marshal(map[string]string{"username": "newbie" + pw[:2], "email": "newbie" + pw[:2] + "@uni.example",
			"password": pw, "given_name": "New", "family_name": "Student"})
		resp, err := client.Post(r.url+"/idp/api/v1/registrations", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		raw, _ := json.Marshal(v)
		return resp.StatusCode, string(raw)
	}
	if st, body := register("tw3lve-chars"); st != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 16") {
		t.Fatalf("12 characters under a minimum of 16: %d %s", st, body)
	}
	if st, body := register("sixteen-chars-ok!"); st != http.StatusCreated {
		t.Fatalf("17 characters: %d %s", st, body)
	}
}
