// Package storage is storage-service: it writes position reports to ClickHouse's raw_positions
// table (schema/clickhouse/) and publishes each to the raw-positions Kafka topic for consumers.
package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/track"
)

const (
	ServiceName = "platform.storage.v1.Storage"
	// Table and Topic are the names the program creates (schema/clickhouse/, platform:kafka.topics).
	Table = "raw_positions"
	Topic = "raw-positions"
)

type StoreRequest struct {
	DeviceID string        `json:"device_id"`
	Points   []track.Point `json:"points"`
}

type StoreResponse struct {
	Stored int `json:"stored"`
}

// Kafka is where records go; SASL is used when a user is set (SASL_PLAINTEXT).
type Kafka struct {
	Brokers       []string
	SASLMechanism string
	SASLUser      string
	SASLPassword  string
}

type Config struct {
	ClickHouse clickhouse.Options
	Database   string
	Kafka      Kafka
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func ConfigFromEnv(e *platform.Env) Config {
	db := e.Matching("CLICKHOUSE_DATABASE", identifier, "a lower-case SQL identifier such as telemetry")
	k := Kafka{
		Brokers:       e.List("KAFKA_BROKERS", "comma-separated host:port of the Kafka brokers"),
		SASLMechanism: e.OneOf("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
	}
	if _, ok := e.Lookup("KAFKA_SASL_USERNAME"); ok {
		k.SASLUser = e.Required("KAFKA_SASL_USERNAME", "the service's Kafka user")
		k.SASLPassword = e.Secret("KAFKA_SASL_PASSWORD")
	}
	return Config{
		ClickHouse: clickhouse.Options{
			Addr: []string{e.Required("CLICKHOUSE_ADDR", "host:port of ClickHouse's native protocol")},
			Auth: clickhouse.Auth{Database: db, Username: e.Required("CLICKHOUSE_USER", "the ClickHouse user"), Password: e.Secret("CLICKHOUSE_PASSWORD")},
		},
		Database: db,
		Kafka:    k,
	}
}

func (k Kafka) options() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(k.Brokers...),
		kgo.DefaultProduceTopic(Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.DialTimeout(2 * time.Second),
		// A stopped broker fails the call instead of holding it until the client gives up.
		kgo.RecordDeliveryTimeout(10 * time.Second),
	}
	if k.SASLUser == "" {
		return opts
	}
	switch k.SASLMechanism {
	case "PLAIN":
		return append(opts, kgo.SASL(plain.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		return append(opts, kgo.SASL(scram.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsSha256Mechanism()))
	default:
		return append(opts, kgo.SASL(scram.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsSha512Mechanism()))
	}
}

func New(c Config, _ *slog.Logger) (platform.Service, error) {
	c.ClickHouse.DialTimeout = 2 * time.Second
	ch, err := clickhouse.Open(&c.ClickHouse)
	if err != nil {
		return platform.Service{}, fmt.Errorf("ClickHouse client: %w", err)
	}
	kafka, err := kgo.NewClient(c.Kafka.options()...)
	if err != nil {
		ch.Close()
		return platform.Service{}, fmt.Errorf("Kafka client: %w", err)
	}
	s := &store{ch: ch, kafka: kafka, insert: fmt.Sprintf("INSERT INTO %s.%s (device_id, recorded_at, latitude, longitude, speed_kmh)", c.Database, Table)}
	return platform.Service{
		APIs: []*grpc.ServiceDesc{platform.ServiceDesc(ServiceName, platform.Unary(ServiceName, "StorePositions", s.storePositions))},
		Probes: []platform.Probe{
			{Name: "clickhouse", Check: func(ctx context.Context) error {
				var one uint8
				return ch.QueryRow(ctx, "SELECT 1").Scan(&one)
			}},
			{Name: "kafka", Check: func(ctx context.Context) error { return topicReady(ctx, kafka, Topic) }},
		},
		Close: func() { kafka.Close(); ch.Close() },
	}, nil
}

// topicReady asks a broker for the topic's metadata: the broker answers and the topic has a leader
// for every partition, so a produce can succeed.
func topicReady(ctx context.Context, client *kgo.Client, topic string) error {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	res, err := req.RequestWith(ctx, client)
	if err != nil {
		return err
	}
	for _, t := range res.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("topic %s: %w", topic, err)
		}
		for _, p := range t.Partitions {
			if p.Leader < 0 {
				return fmt.Errorf("topic %s partition %d has no leader", topic, p.Partition)
			}
		}
	}
	return nil
}

type store struct {
	ch     clickhouse.Conn
	kafka  *kgo.Client
	insert string
}

func (s *store) storePositions(ctx context.Context, req *StoreRequest) (*StoreResponse, error) {
	if err := track.Validate(req.DeviceID, req.Points); err != nil {
		return nil, err
	}
	batch, err := s.ch.PrepareBatch(ctx, s.insert)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "clickhouse: %v", err)
	}
	records := make([]*kgo.Record, 0, len(req.Points))
	for _, p := range req.Points {
		if err := batch.Append(req.DeviceID, p.RecordedAt.UTC(), p.Latitude, p.Longitude, float32(p.SpeedKmh)); err != nil {
			_ = batch.Abort()
			return nil, status.Errorf(codes.Internal, "clickhouse row: %v", err)
		}
		value, _ := json.Marshal(struct {
			DeviceID string `json:"device_id"`
			track.Point
		}{req.DeviceID, p})
		// Keyed by device, so one device's reports stay in order on one partition.
		records = append(records, &kgo.Record{Key: []byte(req.DeviceID), Value: value})
	}
	if err := batch.Send(); err != nil {
		return nil, status.Errorf(codes.Unavailable, "clickhouse: %v", err)
	}
	if err := s.kafka.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return nil, status.Errorf(codes.Unavailable, "kafka: %v", err)
	}
	return &StoreResponse{Stored: len(req.Points)}, nil
}
