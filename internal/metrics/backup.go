package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"campus/internal/backup"
)

// Backups has the backups under dir listed at each scrape (the manifests
// of the few kept, --backup-keep): how many there are and when the newest
// was made, so that an alert can fire when backups stop, whoever makes
// them (the server's schedule or `campus backup` by hand).
func (r *Registry) Backups(dir string) {
	if r == nil {
		return
	}
	r.register(&backupCollector{dir: dir,
		count: prometheus.NewDesc(Backups, "Backups in the backup directory (SQLite, campus serve).", nil, nil),
		newest: prometheus.NewDesc(BackupNewestTimestamp,
			"When the newest backup in the backup directory was made (Unix time); absent when there is none. Its age is time() - this.", nil, nil),
	})
}

type backupCollector struct {
	dir           string
	count, newest *prometheus.Desc
}

func (c *backupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.newest
}

func (c *backupCollector) Collect(ch chan<- prometheus.Metric) {
	list, err := backup.List(c.dir)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.count, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(len(list)))
	if len(list) > 0 {
		ch <- prometheus.MustNewConstMetric(c.newest, prometheus.GaugeValue, float64(list[0].Time.UnixNano())/1e9)
	}
}
