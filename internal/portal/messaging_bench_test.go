package portal

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// BenchmarkPageTopBar measures a whole page for a signed-in person (the
// catalogue, read from a fake study API over loopback HTTP, like
// BenchmarkRenderMyStudy's page plus the session and the API call):
// without messaging; with the top bar's unread count remembered for the
// session (the usual case: a count is asked for at most every 5 s); and
// with the count asked of a fake messages API for every page (the worst
// case). It reports the p99 of each.
//
//	go test -run '^$' -bench PageTopBar -benchtime 2000x ./internal/portal
func BenchmarkPageTopBar(b *testing.B) {
	for _, mode := range []string{"off", "remembered", "asked"} {
		b.Run(mode, func(b *testing.B) {
			var p *portalTest
			if mode == "off" {
				p = newPortal(b)
			} else {
				p = newPortal(b, withMessaging, func(d *Deps, _ *fakeAPI) {
					if mode == "asked" {
						d.UnreadTTL = -1
					}
				})
				p.api.on("GET /messages/v1/unread", 200, `{"total":3,"conversations":{"c1":3}}`)
			}
			p.catalogueAPI()
			cookie := p.signIn(student())
			var lat []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				r := httptest.NewRequest(http.MethodGet, "/programmes", nil)
				r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
				w := httptest.NewRecorder()
				p.h.ServeHTTP(w, r)
				lat = append(lat, time.Since(t0))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
