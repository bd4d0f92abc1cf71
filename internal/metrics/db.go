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
	labels := []string{"service", "pool"}
	r.register(&dbCollector{service: service, d: d,
		conns: prometheus.NewDesc(DBConnections,
			"Open connections of a database pool by state: in_use or idle. On SQLite a service has a write pool (one connection) and a read pool; on PostgreSQL one shared pool.",
			[]string{"service", "pool", "state"}, nil),
		max:       prometheus.NewDesc(DBMaxOpenConnections, "The most connections a database pool opens.", labels, nil),
		waits:     prometheus.NewDesc(DBWaits, "Times a query waited for a free connection of a database pool.", labels, nil),
		waitedFor: prometheus.NewDesc(DBWaitSeconds, "Time queries spent waiting for a free connection of a database pool.", labels, nil),
	})
}

type dbCollector struct {
	service                      string
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
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.InUse), c.service, p.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Idle), c.service, p.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.MaxOpenConnections), c.service, p.Pool)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount), c.service, p.Pool)
		ch <- prometheus.MustNewConstMetric(c.waitedFor, prometheus.CounterValue, s.WaitDuration.Seconds(), c.service, p.Pool)
	}
}
