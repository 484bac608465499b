package platform_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/testutil"
)

func setFault(t *testing.T, metricsAddr, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+metricsAddr+"/admin/fault", strings.NewReader(body))
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, res.Body)
	return res.StatusCode, b.String()
}

func TestFaultSwitchInjectsErrorsSeenByMetricsButSparesHealth(t *testing.T) {
	_, r, conn := echoServer(t, true, true)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "")

	if code, body := setFault(t, r.MetricsAddr, `{"error_rate": 1}`); code != http.StatusOK || !strings.Contains(body, `"error_rate":1`) {
		t.Fatalf("PUT error_rate 1: %d %s", code, body)
	}
	for range 4 {
		if _, err := say(conn, "x"); status.Code(err) != codes.Unavailable {
			t.Fatalf("with error_rate 1: got %v, want Unavailable", err)
		}
	}
	// kubelet's probes keep passing during a drill.
	if s := testutil.Health(t, conn, ""); s != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health during an error drill: %s", s)
	}
	v, _ := testutil.Counter(testutil.Scrape(t, r.MetricsAddr), "grpc_server_handled_total", map[string]string{"grpc_method": "Say", "grpc_code": "Unavailable"})
	if v != 4 {
		t.Fatalf("injected errors counted as Unavailable: %v, want 4", v)
	}

	if code, _ := setFault(t, r.MetricsAddr, `{"error_rate": 0}`); code != http.StatusOK {
		t.Fatal("could not switch the fault off")
	}
	if _, err := say(conn, "x"); err != nil {
		t.Fatalf("after the drill: %v", err)
	}
}

func TestFaultSwitchAddsLatency(t *testing.T) {
	_, r, conn := echoServer(t, true, true)
	if code, body := setFault(t, r.MetricsAddr, `{"latency_ms": 300}`); code != http.StatusOK {
		t.Fatalf("PUT latency: %d %s", code, body)
	}
	start := time.Now()
	if _, err := say(conn, "x"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("call took %s with 300 ms injected", took)
	}
	h := testutil.Scrape(t, r.MetricsAddr)["grpc_server_handling_seconds"]
	for _, m := range h.GetMetric() {
		for _, b := range m.GetHistogram().GetBucket() {
			if b.GetUpperBound() == 0.25 && b.GetCumulativeCount() != 0 {
				t.Fatalf("a 300 ms call was counted under 0.25 s")
			}
		}
	}
}

func TestFaultSwitchRefusesValuesOutOfBounds(t *testing.T) {
	_, r, _ := echoServer(t, false, true)
	for body, want := range map[string]string{
		`{"error_rate": 1.5}`:    "error_rate=1.5: expected a share between 0 and 1",
		`{"error_rate": -0.1}`:   "error_rate=-0.1",
		`{"latency_ms": 600000}`: "latency_ms=600000: expected milliseconds between 0 and 10000",
		`{"latency": 5}`:         "unknown field",
		`not json`:               "expected {",
	} {
		code, got := setFault(t, r.MetricsAddr, body)
		if code != http.StatusBadRequest || !strings.Contains(got, want) {
			t.Errorf("PUT %s: %d %q, want 400 with %q", body, code, got, want)
		}
	}
	// Refused values leave the switch as it was.
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.MetricsAddr+"/admin/fault", nil)
	if _, got := do(t, req); !strings.Contains(got, `"error_rate":0,"latency_ms":0`) {
		t.Fatalf("switch after refused values: %s", got)
	}
}

func TestFaultEndpointOnlyWithDebugEndpoints(t *testing.T) {
	_, r, _ := echoServer(t, false, false)
	if code, _ := setFault(t, r.MetricsAddr, `{"error_rate": 1}`); code != http.StatusNotFound {
		t.Fatalf("admin endpoint with ENABLE_DEBUG_ENDPOINTS=false: %d, want 404", code)
	}
}

func TestFaultFromEnvironment(t *testing.T) {
	env := platform.NewEnv(platform.MapEnv(map[string]string{"FAULT_ERROR_RATE": "0.05", "FAULT_LATENCY_MS": "600"}))
	if got := platform.FaultFromEnv(env); got.ErrorRate != 0.05 || got.LatencyMs != 600 || env.Err() != nil {
		t.Fatalf("FaultFromEnv = %+v, %v", got, env.Err())
	}
	env = platform.NewEnv(platform.MapEnv(map[string]string{"FAULT_ERROR_RATE": "2", "FAULT_LATENCY_MS": "-1"}))
	platform.FaultFromEnv(env)
	for _, want := range []string{`FAULT_ERROR_RATE="2": expected a number between 0 and 1`, `FAULT_LATENCY_MS="-1": expected a whole number between 0 and 10000`} {
		if env.Err() == nil || !strings.Contains(env.Err().Error(), want) {
			t.Errorf("error %v does not say %s", env.Err(), want)
		}
	}
}
