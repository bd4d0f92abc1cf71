package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Check is one readiness condition: a database, a service depended on.
type Check struct {
	Name string
	Fn   func(context.Context) error
	// Degrades marks a dependency the service works in part without (a
	// service it calls): failing, it makes the answer "degraded", still
	// 200. Such a dependency is shared by every replica, so failing them
	// all would take the balancer's last replicas away and turn a partial
	// outage into a whole one.
	Degrades bool
}

// Healthz answers 200 while the process is alive and serving.
func Healthz(service string) http.Handler {
	return JSON(map[string]string{"status": "ok", "service": service})
}

// JSON serves a fixed document, encoded once.
func JSON(v any) http.Handler {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("httpserver.JSON: %v", err)) // a programming error
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	})
}

// Readyz answers 200 when every check passes within two seconds, else 503
// naming the failing checks; when only checks that degrade fail, 200 with
// the status "degraded". The reasons go to the log, not to the caller.
func Readyz(service string, logger *slog.Logger, checks ...Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		results := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		ready, degraded := true, false
		for _, c := range checks {
			wg.Go(func() {
				err := c.Fn(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if c.Degrades {
						degraded = true
					} else {
						ready = false
					}
					results[c.Name] = "failing"
					logger.WarnContext(ctx, "readiness check failed", "service", service, "check", c.Name, "err", err)
					return
				}
				results[c.Name] = "ok"
			})
		}
		wg.Wait()
		status, code := "ready", http.StatusOK
		switch {
		case !ready:
			status, code = "unavailable", http.StatusServiceUnavailable
		case degraded:
			status = "degraded"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{"status": status, "service": service, "checks": results})
	})
}

// URLCheck passes when a GET of url answers 2xx. Each probe asks afresh:
// a readiness answer must not hide an outage that has already begun. It
// is a service depended on: its failure degrades (see Check.Degrades).
func URLCheck(name string, client *http.Client, url string) Check {
	return Check{Name: name, Degrades: true, Fn: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}}
}
