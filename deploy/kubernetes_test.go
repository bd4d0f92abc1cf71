// Package deploy holds the container and Kubernetes files; its tests
// check them.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// TestKubernetesManifests decodes every document of deploy/kubernetes
// strictly into the Kubernetes API's own types (an unknown or misspelt
// field, or a wrong type, fails: kubeconform would fetch its schemas from
// the network, which the build machines cannot reach), then checks what
// issue 15 asks of them: two replicas, probes on /healthz and /readyz,
// non-root, a read-only root file system, no capabilities, a disruption
// budget and a Service per Deployment, and an Ingress that reaches all
// four services.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("kubernetes", "campus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	deployments := map[string]*appsv1.Deployment{}
	services := map[string]*corev1.Service{}
	budgets := map[string]*policyv1.PodDisruptionBudget{}
	var ingresses []*networkingv1.Ingress
	for i, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj interface{ GetName() string }
		switch head.APIVersion + " " + head.Kind {
		case " ":
			continue // the comment before the first document
		case "apps/v1 Deployment":
			d := &appsv1.Deployment{}
			obj, deployments[name(t, doc, d)] = d, d
		case "v1 Service":
			s := &corev1.Service{}
			obj, services[name(t, doc, s)] = s, s
		case "policy/v1 PodDisruptionBudget":
			b := &policyv1.PodDisruptionBudget{}
			obj, budgets[name(t, doc, b)] = b, b
		case "networking.k8s.io/v1 Ingress":
			in := &networkingv1.Ingress{}
			name(t, doc, in)
			obj, ingresses = in, append(ingresses, in)
		default:
			t.Fatalf("document %d: unexpected %s %s", i, head.APIVersion, head.Kind)
		}
		if obj.GetName() == "" {
			t.Fatalf("document %d (%s) has no name", i, head.Kind)
		}
	}
	want := []string{"campus-identity", "campus-messages", "campus-portal", "campus-study"}
	if got := slices.Sorted(maps.Keys(deployments)); !slices.Equal(got, want) {
		t.Fatalf("deployments %v, want %v", got, want)
	}
	for n, d := range deployments {
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
			t.Errorf("%s: replicas %v, want 2", n, d.Spec.Replicas)
		}
		pod := d.Spec.Template.Spec
		if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
			t.Errorf("%s: the pod must run as non-root uid 65532", n)
		}
		if !labelsMatch(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("%s: the selector does not match the pod's labels", n)
		}
		for _, c := range pod.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
				*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("%s/%s: want a read-only root, no privilege escalation, capabilities dropped", n, c.Name)
			}
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || !strings.HasSuffix(c.ReadinessProbe.HTTPGet.Path, "/readyz") ||
				c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || !strings.HasSuffix(c.LivenessProbe.HTTPGet.Path, "/healthz") {
				t.Errorf("%s/%s: want readiness on /readyz and liveness on /healthz", n, c.Name)
			}
			if len(c.Args) == 0 || "campus-"+c.Args[0] != n {
				t.Errorf("%s/%s: args %v, want the service's command", n, c.Name, c.Args)
			}
			for _, e := range c.Env {
				if strings.Contains(strings.ToUpper(e.Name), "SECRET") && !strings.HasSuffix(e.Name, "_FILE") {
					t.Errorf("%s: %s given as a value, not a file of the secret", n, e.Name)
				}
			}
		}
		if s := services[n]; s == nil || !labelsMatch(s.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("%s: no Service selecting its pods", n)
		}
		if b := budgets[n]; b == nil || b.Spec.Selector == nil || !labelsMatch(b.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("%s: no PodDisruptionBudget for its pods", n)
		}
	}
	if len(ingresses) != 1 {
		t.Fatalf("%d ingresses, want 1", len(ingresses))
	}
	routes := map[string]string{}
	for _, r := range ingresses[0].Spec.Rules {
		for _, p := range r.HTTP.Paths {
			if services[p.Backend.Service.Name] == nil {
				t.Errorf("the ingress routes %s to %s, which is no Service here", p.Path, p.Backend.Service.Name)
			}
			routes[p.Path] = p.Backend.Service.Name
		}
	}
	wantRoutes := map[string]string{"/idp": "campus-identity", "/study": "campus-study", "/messages": "campus-messages", "/": "campus-portal"}
	if fmt.Sprint(routes) != fmt.Sprint(wantRoutes) {
		t.Errorf("ingress routes %v, want %v", routes, wantRoutes)
	}
}

// name decodes doc strictly into obj, as the API server does (field
// names case-sensitive, no unknown or duplicate fields: encoding/json
// alone would take readOnlyRootFileSystem for readOnlyRootFilesystem),
// and returns its name.
func name(t *testing.T, doc []byte, obj interface{ GetName() string }) string {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowUnknownFields)
	if err = errors.Join(append(strict, err)...); err != nil {
		t.Fatalf("%s: %v", strings.SplitN(string(doc), "\n", 4)[2:3], err)
	}
	return obj.GetName()
}

func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
