// Package testutil starts what the services' tests need on loopback: a real redis-server, a
// service in-process, and a scrape of its metrics.
package testutil

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"platform/reference-services/internal/platform"
)

// Quiet is the logger services get in tests.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Options probe fast so status changes show within a test's patience.
var Options = platform.Options{Host: "127.0.0.1", ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond}

// FreePort is a loopback port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Redis is a redis-server started by a test.
type Redis struct {
	Addr     string
	Password string
	cmd      *exec.Cmd
	args     []string
}

// StartRedis runs redis-server with requirepass on a free loopback port; it stops with the test.
func StartRedis(t testing.TB, password string) *Redis {
	t.Helper()
	Need(t, "redis-server")
	port := FreePort(t)
	r := &Redis{
		Addr:     "127.0.0.1:" + strconv.Itoa(port),
		Password: password,
		args:     []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", t.TempDir()},
	}
	r.Start(t)
	t.Cleanup(r.Stop)
	return r
}

// Start (re)starts the server and waits until it answers PING.
func (r *Redis) Start(t testing.TB) {
	t.Helper()
	r.cmd = exec.Command("redis-server", r.args...)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: r.Addr, Password: r.Password, DisableIdentity: true})
	defer client.Close()
	Eventually(t, 10*time.Second, "redis-server answers PING", func() bool {
		return client.Ping(context.Background()).Err() == nil
	})
}

// Stop ends the server and waits for it to exit.
func (r *Redis) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// Options is the client configuration a service reads from REDIS_ADDR and REDIS_PASSWORD.
func (r *Redis) Options() *redis.Options {
	return platform.RedisFromEnv(platform.NewEnv(platform.MapEnv(map[string]string{"REDIS_ADDR": r.Addr, "REDIS_PASSWORD": r.Password})))
}

// Eventually polls cond every 50 ms until it holds or within has passed.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Serve starts svc in-process on free loopback ports with fast probes; it stops with the test.
func Serve(t testing.TB, svc platform.Service, debug bool) *platform.Running {
	t.Helper()
	return ServeOn(t, svc, debug, 0)
}

// ServeOn is Serve with the gRPC port given, e.g. to restart a service where its clients expect it.
func ServeOn(t testing.TB, svc platform.Service, debug bool, port int) *platform.Running {
	t.Helper()
	common := platform.Common{ServerPort: port, MetricsPort: 0, DebugEndpoints: debug}
	r, err := platform.Start(common, svc, Options, Quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Conn is a client connection to addr, closed with the test.
func Conn(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := platform.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Health is the status a grpc.health.v1 Check reports for service ("" is the server).
func Health(t testing.TB, conn *grpc.ClientConn, service string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health check of %q: %v", service, err)
	}
	return res.GetStatus()
}

// WaitHealth waits until every name reports want.
func WaitHealth(t testing.TB, conn *grpc.ClientConn, want healthpb.HealthCheckResponse_ServingStatus, names ...string) {
	t.Helper()
	for _, n := range names {
		Eventually(t, 10*time.Second, fmt.Sprintf("health of %q is %s", n, want), func() bool { return Health(t, conn, n) == want })
	}
}

// Scrape reads the metric families a service serves on its metrics port.
func Scrape(t testing.TB, metricsAddr string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// Counter is the value of the counter series whose labels include these, and whether there is one.
func Counter(families map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := families[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match == len(labels) {
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// Need fails the test when a server binary it starts is missing.
func Need(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			if _, err := exec.LookPath(p); err != nil {
				t.Fatalf("%s is not installed: run scripts/servers/install.sh", p)
			}
		}
	}
}
