package api

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"campus/internal/messages/api/spectest"
)

func specOperations(t *testing.T) []string {
	t.Helper()
	return spectest.Validator(t).Operations()
}

// TestRoutesMatchTheSpec: every route served is an operation of
// api/messages.yaml, and every operation is served.
func TestRoutesMatchTheSpec(t *testing.T) {
	t.Parallel()
	docs, err := newDocs()
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, rt := range (&server{}).routes(docs) {
		method, path, _ := strings.Cut(rt.pattern, " ")
		served = append(served, method+" "+path)
	}
	slices.Sort(served)
	documented := specOperations(t)
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("%s is served but not in api/messages.yaml", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("%s is in api/messages.yaml but not served", op)
		}
	}
}

// TestServesTheSpec: the document served is the file api/messages.yaml.
func TestServesTheSpec(t *testing.T) {
	want, err := os.ReadFile("../../../api/messages.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Spec(), want) {
		t.Error("Spec() differs from api/messages.yaml")
	}
}

// TestSpecIsValidOpenAPI loads the document with kin-openapi, which
// validates it (examples included) as OpenAPI 3.0.
func TestSpecIsValidOpenAPI(t *testing.T) {
	doc := spectest.Validator(t).Document()
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 0 {
		t.Errorf("the document names servers %v; it must not (the API is mounted under different prefixes)", doc.Servers)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) != 1 {
				t.Errorf("%s %s: wants an operationId, a summary and one tag", method, path)
			}
		}
	}
}
