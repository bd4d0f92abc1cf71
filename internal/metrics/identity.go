package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Identity are the identity service's metrics: what its audit trail
// records, the tokens it issues, its directory syncs, and the depth of
// its outboxes. The methods are safe on a nil *Identity (no metrics).
type Identity struct {
	audit        *prometheus.CounterVec
	signIns      *prometheus.CounterVec
	lockouts     prometheus.Counter
	tokens       *prometheus.CounterVec
	syncs        *prometheus.CounterVec
	syncDuration prometheus.Histogram
	syncLastOK   prometheus.Gauge
	attempts     *prometheus.CounterVec

	mu      sync.Mutex
	actions map[[2]string]prometheus.Counter
}

// maxActions bounds the action label: audit actions are campus's own
// words, a few dozen; should a bug ever make them data, the rest count as
// "other" rather than as new series.
const maxActions = 200

// Identity returns identity's metrics, registered on first use.
func (r *Registry) Identity() *Identity {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.identity != nil {
		return r.identity
	}
	m := &Identity{
		audit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: AuditEvents,
			Help: "Events written to identity's audit trail by this process, by action (sign_in, lock, password_changed, ...) and outcome (success, failure, denied).",
		}, []string{"action", "outcome"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: SignIns,
			Help: "Sign-in attempts (password, directory or session) by outcome: success, failure (wrong credentials, locked, directory down), denied (right credentials, refused by a rule).",
		}, []string{"outcome"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: Lockouts,
			Help: "Accounts locked after too many failed sign-ins.",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: TokensIssued,
			Help: "Access tokens issued, by grant: authorization_code, refresh_token, client_credentials, device_code.",
		}, []string{"grant"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: DirectorySyncs,
			Help: "Directory (LDAP) syncs run by this process, by outcome: success or failure.",
		}, []string{"outcome"}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    DirectorySyncDuration,
			Help:    "How long directory syncs took, successful or not.",
			Buckets: []float64{.1, .5, 1, 5, 10, 30, 60, 120, 300, 600},
		}),
		syncLastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: DirectorySyncLastOK,
			Help: "When this process last finished a directory sync successfully (Unix time); 0 when it has not since it started.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: OutboxAttempts,
			Help: "Delivery attempts of outbox entries by this process, by service, outbox (mail, logout) and outcome (delivered, failed).",
		}, []string{"service", "outbox", "outcome"}),
		actions: map[[2]string]prometheus.Counter{},
	}
	for _, o := range []string{"success", "failure", "denied"} {
		m.signIns.WithLabelValues(o) // present at zero, so rates start from the first event
	}
	r.register(m.audit, m.signIns, m.lockouts, m.tokens, m.syncs, m.syncDuration, m.syncLastOK, m.attempts)
	r.identity = m
	return m
}

// Audited counts one event written to the audit trail; sign-ins and
// locks also count in their own families.
func (m *Identity) Audited(action, outcome string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	c := m.actions[[2]string{action, outcome}]
	if c == nil {
		a := action
		if len(m.actions) >= maxActions {
			a = "other"
		}
		c = m.audit.WithLabelValues(a, outcome)
		m.actions[[2]string{action, outcome}] = c
	}
	m.mu.Unlock()
	c.Inc()
	switch action {
	case "sign_in":
		m.signIns.WithLabelValues(outcome).Inc()
	case "lock":
		m.lockouts.Inc()
	}
}

// TokenIssued counts one access token issued under grant.
func (m *Identity) TokenIssued(grant string) {
	if m != nil {
		m.tokens.WithLabelValues(grant).Inc()
	}
}

// DirectorySynced records a directory sync that ended after took.
func (m *Identity) DirectorySynced(took time.Duration, err error) {
	if m == nil {
		return
	}
	m.syncDuration.Observe(took.Seconds())
	if err != nil {
		m.syncs.WithLabelValues("failure").Inc()
		return
	}
	m.syncs.WithLabelValues("success").Inc()
	m.syncLastOK.SetToCurrentTime()
}

// Attempted counts one delivery attempt of an entry of outbox ("mail",
// "logout"): err nil when it was delivered.
func (m *Identity) Attempted(outbox string, err error) {
	if m == nil {
		return
	}
	outcome := "delivered"
	if err != nil {
		outcome = "failed"
	}
	m.attempts.WithLabelValues("identity", outbox, outcome).Inc()
}

// Outbox is the state of one outbox when read.
type Outbox struct {
	Name     string // mail, logout
	Pending  int    // waiting to be delivered, retries included
	Retrying int    // pending after at least one failed attempt
	Failed   int    // given up
	// OldestPending is when the oldest pending entry was created; zero
	// when none waits.
	OldestPending time.Time
}

// Outboxes has identity's outboxes read from its database at each scrape
// (bounded by scrapeTimeout), so that every replica reports the same.
func (r *Registry) Outboxes(service string, read func(context.Context) ([]Outbox, error)) {
	if r == nil {
		return
	}
	svc := prometheus.Labels{"service": service}
	r.register(&outboxCollector{read: read,
		entries: prometheus.NewDesc(OutboxEntries,
			"Entries of an outbox by state: pending (waiting, retries included), retrying (pending after a failed attempt), failed (given up); read from the database at scrape time.",
			[]string{"outbox", "state"}, svc),
		oldest: prometheus.NewDesc(OutboxOldestPendingAge,
			"Age of the oldest pending entry of an outbox; 0 when none waits.",
			[]string{"outbox"}, svc),
	})
}

type outboxCollector struct {
	read            func(context.Context) ([]Outbox, error)
	entries, oldest *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.entries
	ch <- c.oldest
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	boxes, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.entries, err)
		return
	}
	now := time.Now()
	for _, b := range boxes {
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(b.Pending), b.Name, "pending")
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(b.Retrying), b.Name, "retrying")
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(b.Failed), b.Name, "failed")
		age := 0.0
		if !b.OldestPending.IsZero() {
			age = max(now.Sub(b.OldestPending).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, b.Name)
	}
}
