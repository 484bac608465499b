package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/storage"
	"platform/reference-services/internal/testutil"
	"platform/reference-services/internal/track"
)

const (
	chUser     = "platform"
	chPassword = "clickhouse-test-password"
	database   = "telemetry"
)

// config is the service's environment with SASL through mechanism ("" for the default, SCRAM-SHA-512).
func config(chAddr string, k *testutil.Kafka, mechanism, password string) storage.Config {
	vars := map[string]string{
		"CLICKHOUSE_ADDR": chAddr, "CLICKHOUSE_DATABASE": database, "CLICKHOUSE_USER": chUser, "CLICKHOUSE_PASSWORD": chPassword,
		"KAFKA_BROKERS": k.SASLAddr, "KAFKA_SASL_USERNAME": k.User, "KAFKA_SASL_PASSWORD": password,
	}
	if mechanism != "" {
		vars["KAFKA_SASL_MECHANISM"] = mechanism
	}
	env := platform.NewEnv(platform.MapEnv(vars))
	c := storage.ConfigFromEnv(env)
	if err := env.Err(); err != nil {
		panic(err)
	}
	return c
}

func serve(t *testing.T, c storage.Config) *grpc.ClientConn {
	t.Helper()
	svc, err := storage.New(c, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return testutil.Conn(t, testutil.Serve(t, svc, false).GRPCAddr)
}

// The table of schema/clickhouse/001_tables.sql with DateTime for DateTime64, which the
// clickhouse-server the tests run (Debian's 18.16) predates.
const table = `CREATE TABLE telemetry.raw_positions (device_id String, recorded_at DateTime, latitude Float64,
  longitude Float64, speed_kmh Float32, received_at DateTime DEFAULT now())
  ENGINE = MergeTree PARTITION BY toYYYYMM(recorded_at) ORDER BY (device_id, recorded_at)`

func createTopic(t *testing.T, addr string) {
	t.Helper()
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	topic := kmsg.NewCreateTopicsRequestTopic()
	topic.Topic, topic.NumPartitions, topic.ReplicationFactor = storage.Topic, 1, 1
	req.Topics = append(req.Topics, topic)
	req.TimeoutMillis = 10_000
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := req.RequestWith(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(res.Topics[0].ErrorCode); err != nil {
		t.Fatal(err)
	}
}

func TestStorePositionsWritesClickHouseAndKafkaWithSASLSCRAM(t *testing.T) {
	chAddr := testutil.StartClickHouse(t, chUser, chPassword)
	kafka := testutil.StartKafka(t)
	ch, err := clickhouse.Open(&clickhouse.Options{Addr: []string{chAddr}, Auth: clickhouse.Auth{Username: chUser, Password: chPassword}})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	testutil.Eventually(t, 30*time.Second, "ClickHouse answers", func() bool { return ch.Ping(ctx) == nil })
	for _, q := range []string{"CREATE DATABASE telemetry", table} {
		if err := ch.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	conn := serve(t, config(chAddr, kafka, "", kafka.Password))
	// The topic the program's Job creates is missing: a produce could not succeed.
	time.Sleep(5 * testutil.Options.ProbeInterval)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_NOT_SERVING, "", storage.ServiceName)
	createTopic(t, kafka.Addr)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", storage.ServiceName)

	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	points := []track.Point{
		{RecordedAt: t0, Latitude: 52.52, Longitude: 13.40, SpeedKmh: 42},
		{RecordedAt: t0.Add(time.Minute), Latitude: 52.53, Longitude: 13.41},
		{RecordedAt: t0.Add(2 * time.Minute), Latitude: 52.54, Longitude: 13.42},
	}
	res, err := platform.Call[storage.StoreResponse](ctx, conn, storage.ServiceName, "StorePositions", &storage.StoreRequest{DeviceID: "tram-3", Points: points})
	if err != nil || res.Stored != 3 {
		t.Fatalf("StorePositions: %+v, %v", res, err)
	}

	var rows uint64
	var speed float32
	if err := ch.QueryRow(ctx, "SELECT count(), max(speed_kmh) FROM telemetry.raw_positions WHERE device_id = 'tram-3'").Scan(&rows, &speed); err != nil || rows != 3 || speed != 42 {
		t.Fatalf("ClickHouse rows %d, max speed %v, %v", rows, speed, err)
	}

	consumer, err := kgo.NewClient(kgo.SeedBrokers(kafka.Addr), kgo.ConsumeTopics(storage.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var records []*kgo.Record
	for len(records) < 3 && ctx.Err() == nil {
		records = append(records, consumer.PollFetches(ctx).Records()...)
	}
	if len(records) != 3 || string(records[0].Key) != "tram-3" {
		t.Fatalf("Kafka records: %d, want 3 keyed by device", len(records))
	}

	if _, err := platform.Call[storage.StoreResponse](ctx, conn, storage.ServiceName, "StorePositions", &storage.StoreRequest{DeviceID: "tram-3"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("no points: got %v, want InvalidArgument", err)
	}

	// SASL/PLAIN works as well; a wrong password is refused by the broker and the service does not serve.
	testutil.WaitHealth(t, serve(t, config(chAddr, kafka, "PLAIN", kafka.Password)), healthpb.HealthCheckResponse_SERVING, "")
	for _, mechanism := range []string{"PLAIN", "SCRAM-SHA-512"} {
		wrong := serve(t, config(chAddr, kafka, mechanism, "not-the-password"))
		time.Sleep(5 * testutil.Options.ProbeInterval)
		testutil.WaitHealth(t, wrong, healthpb.HealthCheckResponse_NOT_SERVING, "", storage.ServiceName)
	}
}

func TestSettingsFromTheEnvironment(t *testing.T) {
	env := platform.NewEnv(platform.MapEnv(map[string]string{
		"CLICKHOUSE_ADDR": "clickhouse:9000", "CLICKHOUSE_DATABASE": "telemetry; DROP", "CLICKHOUSE_USER": "platform",
		"KAFKA_BROKERS": "kafka-0.kafka-headless:9092, kafka-1.kafka-headless:9092", "KAFKA_SASL_MECHANISM": "GSSAPI",
	}))
	c := storage.ConfigFromEnv(env)
	if len(c.Kafka.Brokers) != 2 || c.Kafka.Brokers[1] != "kafka-1.kafka-headless:9092" || c.Kafka.SASLUser != "" {
		t.Fatalf("Kafka settings: %+v", c.Kafka)
	}
	err := env.Err()
	for _, want := range []string{
		`CLICKHOUSE_DATABASE="telemetry; DROP": expected a lower-case SQL identifier`,
		"CLICKHOUSE_PASSWORD is not set",
		`KAFKA_SASL_MECHANISM="GSSAPI": expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %s", err, want)
		}
	}
}
