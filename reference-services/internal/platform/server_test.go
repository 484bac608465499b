package platform_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/testutil"
)

const echoService = "platform.test.v1.Echo"

type echo struct {
	Text string `json:"text"`
}

// echoService answers Say with its request, or InvalidArgument for an empty text; its one
// dependency is healthy while up is true.
func echoSvc(up *atomic.Bool) platform.Service {
	say := func(_ context.Context, in *echo) (*echo, error) {
		if in.Text == "" {
			return nil, status.Error(codes.InvalidArgument, "text: expected a non-empty string")
		}
		return in, nil
	}
	return platform.Service{
		APIs: []*grpc.ServiceDesc{platform.ServiceDesc(echoService, platform.Unary(echoService, "Say", say))},
		Probes: []platform.Probe{{Name: "dependency", Check: func(context.Context) error {
			if !up.Load() {
				return errors.New("down")
			}
			return nil
		}}},
	}
}

// echoServer serves echoSvc with its dependency up or not; the returned switch flips it.
func echoServer(t *testing.T, up, debug bool) (*atomic.Bool, *platform.Running, *grpc.ClientConn) {
	dep := new(atomic.Bool)
	dep.Store(up)
	r := testutil.Serve(t, echoSvc(dep), debug)
	return dep, r, testutil.Conn(t, r.GRPCAddr)
}

func say(conn *grpc.ClientConn, text string) (*echo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return platform.Call[echo](ctx, conn, echoService, "Say", &echo{Text: text})
}

func TestHealthFollowsTheDependencyForServerAndNamedService(t *testing.T) {
	up, _, conn := echoServer(t, false, false)

	// Down from the start: never SERVING before a probe round has passed.
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_NOT_SERVING, "", echoService)
	up.Store(true)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", echoService)
	up.Store(false)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_NOT_SERVING, "", echoService)
	// Liveness does not follow dependencies: an outage must not restart the pods.
	if got := testutil.Health(t, conn, platform.LivenessService); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("liveness during an outage: %s", got)
	}
	up.Store(true)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", echoService)

	// A name the server does not serve is reported as unknown, not as SERVING.
	_, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: "platform.other.v1.Other"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown service: got %v, want NotFound", err)
	}
}

func TestJSONMethodAnswersAndKeepsClientErrorCodes(t *testing.T) {
	_, _, conn := echoServer(t, true, false)
	got, err := say(conn, "hello")
	if err != nil || got.Text != "hello" {
		t.Fatalf("Say(hello) = %v, %v", got, err)
	}
	if _, err := say(conn, ""); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Say(\"\"): got %v, want InvalidArgument", err)
	}
}

// The metric names the alert rules and dashboards use, from the list they are checked against.
func monitoredMetrics(t *testing.T) []string {
	raw, err := os.ReadFile("../../../monitoring-config/metrics/sources.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sources map[string]struct {
			Metrics []string `yaml:"metrics"`
		} `yaml:"sources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	names := doc.Sources["grpc-services"].Metrics
	if len(names) < 5 {
		t.Fatalf("sources.yml lists %d metrics for grpc-services", len(names))
	}
	return names
}

func TestMetricsCarryTheNamesAndLabelsOfTheRulesAndDashboards(t *testing.T) {
	_, r, conn := echoServer(t, true, false)
	for range 3 {
		if _, err := say(conn, "hi"); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = say(conn, "")

	families := testutil.Scrape(t, r.MetricsAddr)
	for _, name := range monitoredMetrics(t) {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if trimmed, ok := strings.CutSuffix(name, suffix); ok && families[trimmed] != nil {
				base = trimmed
			}
		}
		if families[base] == nil {
			t.Errorf("metric %s (from monitoring-config/metrics/sources.yml) is not served", name)
		}
	}
	ok := map[string]string{"grpc_service": echoService, "grpc_method": "Say", "grpc_type": "unary", "grpc_code": "OK"}
	if v, _ := testutil.Counter(families, "grpc_server_handled_total", ok); v != 3 {
		t.Errorf("grpc_server_handled_total%v = %v, want 3", ok, v)
	}
	bad := map[string]string{"grpc_service": echoService, "grpc_method": "Say", "grpc_code": "InvalidArgument"}
	if v, _ := testutil.Counter(families, "grpc_server_handled_total", bad); v != 1 {
		t.Errorf("grpc_server_handled_total%v = %v, want 1", bad, v)
	}
	// Codes never seen are present at 0, so the error-ratio rule has a series from the start.
	unavailable := map[string]string{"grpc_service": echoService, "grpc_method": "Say", "grpc_code": "Unavailable"}
	if v, found := testutil.Counter(families, "grpc_server_handled_total", unavailable); !found || v != 0 {
		t.Errorf("no pre-initialised grpc_server_handled_total%v series", unavailable)
	}
	var calls uint64
	var buckets []float64
	for _, m := range families["grpc_server_handling_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "grpc_method" && l.GetValue() == "Say" {
				calls = m.GetHistogram().GetSampleCount()
				for _, b := range m.GetHistogram().GetBucket() {
					buckets = append(buckets, b.GetUpperBound())
				}
			}
		}
	}
	if calls != 4 {
		t.Fatalf("grpc_server_handling_seconds{grpc_method=\"Say\"} counted %d calls, want 4", calls)
	}
	// The latency alerts compare against 500 ms: a bucket must end there.
	if !slices.Contains(buckets, 0.5) {
		t.Error("grpc_server_handling_seconds has no 0.5 s bucket boundary")
	}
}
