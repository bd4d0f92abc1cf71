package api

import (
	"slices"
	"strings"
	"testing"

	"campus/internal/study/api/spectest"
)

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
	documented := spectest.Validator(t).Operations()
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("%s is served but not in api/study.yaml", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("%s is in api/study.yaml but not served", op)
		}
	}
}
