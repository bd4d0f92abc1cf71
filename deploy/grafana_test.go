package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"campus/internal/metrics"
)

// dashboardPanel is what the test reads of a Grafana panel.
type dashboardPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos *struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // a collapsed row's
}

var (
	// A metric name in PromQL, where it is not a label, function or
	// keyword: campus's, the runtime's and the process's families.
	metricName = regexp.MustCompile(`\b(?:campus|go|process)_[a-zA-Z0-9_]+\b`)
	// The suffixes Prometheus adds to a histogram's family name.
	histogramSeries = regexp.MustCompile(`_(bucket|sum|count)$`)
)

// runtimeFamilies are the families of the Go runtime and process
// collectors the dashboard uses.
var runtimeFamilies = []string{"go_goroutines", "process_resident_memory_bytes"}

// TestGrafanaDashboard reads deploy/grafana/campus-dashboard.json as
// Grafana would and checks that it is a dashboard with a Prometheus
// data source variable, and that every panel asks for families campus
// exports (internal/metrics.Names): a renamed metric breaks this test, not
// an operator's dashboard.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("grafana/campus-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID           string           `json:"uid"`
		Title         string           `json:"title"`
		SchemaVersion int              `json:"schemaVersion"`
		Panels        []dashboardPanel `json:"panels"`
		Templating    struct {
			List []struct {
				Name, Type string
				Query      any
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want a current dashboard", d.UID, d.Title, d.SchemaVersion)
	}
	hasDatasource := slices.ContainsFunc(d.Templating.List, func(v struct {
		Name, Type string
		Query      any
	}) bool {
		return v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus"
	})
	if !hasDatasource {
		t.Error("no Prometheus data source variable named datasource")
	}

	known := append(slices.Clone(metrics.Names), runtimeFamilies...)
	used := map[string]bool{}
	ids := map[int]bool{}
	var check func(p dashboardPanel)
	check = func(p dashboardPanel) {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: bad gridPos %+v", p.Title, p.GridPos)
		}
		for _, c := range p.Panels {
			check(c)
		}
		if p.Type == "row" {
			return
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the data source variable", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q asks for nothing", p.Title)
		}
		for _, tg := range p.Targets {
			if !balanced(tg.Expr) {
				t.Errorf("panel %q: unbalanced brackets in %s", p.Title, tg.Expr)
			}
			if !strings.Contains(tg.Expr, `job=~"$job"`) {
				t.Errorf("panel %q: %s ignores the job variable", p.Title, tg.Expr)
			}
			names := metricName.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %s names no metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				family := n
				if !slices.Contains(known, family) {
					family = histogramSeries.ReplaceAllString(n, "")
				}
				if !slices.Contains(known, family) {
					t.Errorf("panel %q asks for %s, which campus does not export", p.Title, n)
				}
				used[family] = true
			}
		}
	}
	for _, p := range d.Panels {
		check(p)
	}
	// What the issue asks a dashboard to show.
	for _, want := range []string{metrics.HTTPRequests, metrics.HTTPRequestDuration, metrics.SignIns, metrics.TokensIssued,
		metrics.Lockouts, metrics.OutboxEntries, metrics.DirectorySyncs, metrics.DBConnections, metrics.BackupNewestTimestamp} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}

// balanced reports whether the brackets of a PromQL expression pair up
// (outside string literals).
func balanced(expr string) bool {
	var stack []rune
	inString := false
	for i, c := range expr {
		if c == '"' && (i == 0 || expr[i-1] != '\\') {
			inString = !inString
			continue
		}
		if inString {
			continue
		}
		switch c {
		case '(', '{', '[':
			stack = append(stack, c)
		case ')', '}', ']':
			open := map[rune]rune{')': '(', '}': '{', ']': '['}[c]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0 && !inString
}
