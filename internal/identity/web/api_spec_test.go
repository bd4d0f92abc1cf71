package web

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestAPIOpenAPIDocument(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	file, err := os.ReadFile("../../../api/identity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := getPage(t, p.http, p.issuer+"/api/v1/openapi.yaml")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") || r.body != string(file) {
		t.Fatalf("GET /idp/api/v1/openapi.yaml = %d %s, not api/identity.yaml", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(file, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	routes := APIRoutes()
	for _, rt := range routes {
		if !slices.Contains(documented, rt) {
			t.Errorf("route %s is not in api/identity.yaml", rt)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("api/identity.yaml documents %s, which the API does not serve", d)
		}
	}
	// Every documented operation answers something other than 404 or 405.
	for _, d := range documented {
		method, path, _ := strings.Cut(d, " ")
		path = strings.NewReplacer("{id}", "some-id", "{name}", "student").Replace(path)
		req, _ := http.NewRequest(method, p.issuer+path, nil)
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", d, resp.StatusCode)
		}
	}
	if r := getPage(t, p.http, p.issuer+"/api/v1/nothing-here"); r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown API path: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
