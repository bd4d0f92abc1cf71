package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"campus/internal/db"
)

// Database has the connection pools of one service's database read at
// each scrape: how many connections are open, in use and idle, the
// limit, and how often and how long requests waited for one.
func (r *Registry) Database(service string, d *db.DB) {
	if r == nil {
		return
	}
	// The service is a constant label: one collector per database.
	svc, labels := prometheus.Labels{"service": service}, []string{"pool"}
	r.register(&dbCollector{d: d,
		conns: prometheus.NewDesc(DBConnections,
			"Open connections of a database pool by state: in_use or idle. On SQLite a service has a write pool (one connection) and a read pool; on PostgreSQL one shared pool.",
			[]string{"pool", "state"}, svc),
		max:       prometheus.NewDesc(DBMaxOpenConnections, "The most connections a database pool opens.", labels, svc),
		waits:     prometheus.NewDesc(DBWaits, "Times a query waited for a free connection of a database pool.", labels, svc),
		waitedFor: prometheus.NewDesc(DBWaitSeconds, "Time queries spent waiting for a free connection of a database pool.", labels, svc),
	})
}

type dbCollector struct {
	d                            *db.DB
	conns, max, waits, waitedFor *prometheus.Desc
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.conns
	ch <- c.max
	ch <- c.waits
	ch <- c.waitedFor
}

// Collect reads sql.DBStats, which takes no query: it is as cheap as a
// scrape can be.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.d.PoolStats() {
		s := p.Stats
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.InUse), p.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Idle), p.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.MaxOpenConnections), p.Pool)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount), p.Pool)
		ch <- prometheus.MustNewConstMetric(c.waitedFor, prometheus.CounterValue, s.WaitDuration.Seconds(), p.Pool)
	}
}
