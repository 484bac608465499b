// Command kafka-exporter-standin answers for danielqsj/kafka_exporter on the local real node, where
// that module is not served. It exports, under kafka_exporter's names and labels, the series the
// platform's alert rules and dashboards read, computed at each scrape from the cluster's metadata:
// kafka_brokers, kafka_topic_partitions, kafka_topic_partition_{current_offset,in_sync_replica,
// replicas,leader,under_replicated_partition} and kafka_consumergroup_{current_offset,lag}. Flags are
// kafka_exporter's: --kafka.server (repeatable), --web.listen-address, --web.telemetry-path; /healthz
// answers ok.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var version = "dev"

type servers []string

func (s *servers) String() string     { return strings.Join(*s, ",") }
func (s *servers) Set(v string) error { *s = append(*s, v); return nil }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("kafka_"+name, help, labels, nil)
}

var (
	brokers          = desc("brokers", "Number of Brokers in the Kafka Cluster.")
	topicPartitions  = desc("topic_partitions", "Number of partitions for this Topic", "topic")
	currentOffset    = desc("topic_partition_current_offset", "Current Offset of a Broker at Topic/Partition", "topic", "partition")
	inSync           = desc("topic_partition_in_sync_replica", "Number of In-Sync Replicas for this Topic/Partition", "topic", "partition")
	replicas         = desc("topic_partition_replicas", "Number of Replicas for this Topic/Partition", "topic", "partition")
	leader           = desc("topic_partition_leader", "Leader Broker ID of this Topic/Partition", "topic", "partition")
	underReplicated  = desc("topic_partition_under_replicated_partition", "1 if Topic/Partition is under Replicated", "topic", "partition")
	groupOffset      = desc("consumergroup_current_offset", "Current Offset of a ConsumerGroup at Topic/Partition", "consumergroup", "topic", "partition")
	groupLag         = desc("consumergroup_lag", "Current Approximate Lag of a ConsumerGroup at Topic/Partition", "consumergroup", "topic", "partition")
	allDescs         = []*prometheus.Desc{brokers, topicPartitions, currentOffset, inSync, replicas, leader, underReplicated, groupOffset, groupLag}
	scrapeTimeout    = 10 * time.Second
	internalPrefixes = []string{"__"}
)

type collector struct{ adm *kadm.Client }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func internal(topic string) bool {
	for _, p := range internalPrefixes {
		if strings.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// Collect asks the cluster at each scrape; a broker that does not answer yields no series, which the
// alert rules read as the exporter's target being down.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	meta, err := c.adm.Metadata(ctx)
	if err != nil {
		log.Printf("metadata: %v", err)
		return
	}
	gauge(ch, brokers, float64(len(meta.Brokers)))
	ends, err := c.adm.ListEndOffsets(ctx, meta.Topics.Names()...)
	if err != nil {
		log.Printf("end offsets: %v", err)
	}
	for _, t := range meta.Topics.Sorted() {
		if internal(t.Topic) {
			continue
		}
		gauge(ch, topicPartitions, float64(len(t.Partitions)), t.Topic)
		for _, p := range t.Partitions.Sorted() {
			part := strconv.Itoa(int(p.Partition))
			gauge(ch, inSync, float64(len(p.ISR)), t.Topic, part)
			gauge(ch, replicas, float64(len(p.Replicas)), t.Topic, part)
			gauge(ch, leader, float64(p.Leader), t.Topic, part)
			under := 0.0
			if len(p.ISR) < len(p.Replicas) {
				under = 1
			}
			gauge(ch, underReplicated, under, t.Topic, part)
			if o, ok := ends.Lookup(t.Topic, p.Partition); ok && o.Err == nil {
				gauge(ch, currentOffset, float64(o.Offset), t.Topic, part)
			}
		}
	}
	groups, err := c.adm.ListGroups(ctx)
	if err != nil {
		log.Printf("groups: %v", err)
		return
	}
	lags, err := c.adm.Lag(ctx, groups.Groups()...)
	if err != nil {
		log.Printf("lag: %v", err)
		return
	}
	for _, g := range lags.Sorted() {
		for _, l := range g.Lag.Sorted() {
			if l.Commit.At < 0 || internal(l.Topic) {
				continue
			}
			part := strconv.Itoa(int(l.Partition))
			gauge(ch, groupOffset, float64(l.Commit.At), g.Group, l.Topic, part)
			gauge(ch, groupLag, float64(l.Lag), g.Group, l.Topic, part)
		}
	}
}

func main() {
	var seeds servers
	flag.Var(&seeds, "kafka.server", "Address (host:port) of a Kafka server; repeatable.")
	listen := flag.String("web.listen-address", ":9308", "Address to listen on for web interface and telemetry.")
	path := flag.String("web.telemetry-path", "/metrics", "Path under which to expose metrics.")
	flag.Parse()
	if len(seeds) == 0 {
		seeds = servers{"kafka:9092"}
	}
	client, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		log.Fatalf("kafka client: %v", err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collector{adm: kadm.NewClient(client)})
	http.Handle(*path, promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	log.Printf("kafka-exporter-standin %s (not kafka_exporter): servers %s, listening on %s", version, seeds.String(), *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
