package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// LivenessService is the health name that stays SERVING while the process runs, whatever the
// dependencies do; "" and the API names follow the dependencies (readiness).
const LivenessService = "liveness"

// Common is what the program gives every service (components/platform.ts).
type Common struct {
	ServerPort     int
	MetricsPort    int
	LogLevel       slog.Level
	DebugEndpoints bool
	Fault          FaultSettings
}

func CommonFromEnv(e *Env) Common {
	return Common{
		ServerPort:     e.RequiredPort("SERVER_PORT"),
		MetricsPort:    e.Port("METRICS_PORT", 9464),
		LogLevel:       e.LogLevel("LOG_LEVEL"),
		DebugEndpoints: e.Bool("ENABLE_DEBUG_ENDPOINTS", false),
		Fault:          FaultFromEnv(e),
	}
}

// Probe checks one dependency; the service is SERVING only while every probe passes.
type Probe struct {
	Name  string
	Check func(context.Context) error
}

// Service is one service's API and its dependencies.
type Service struct {
	APIs   []*grpc.ServiceDesc
	Probes []Probe
	// Close releases the dependencies' clients after the server has stopped.
	Close func()
}

// Options are the runtime's knobs that are not part of the program's environment.
type Options struct {
	// Host to listen on; empty means every interface (in a pod), tests use 127.0.0.1.
	Host          string
	ProbeInterval time.Duration
	ProbeTimeout  time.Duration
}

// DefaultOptions probe well inside kubelet's readiness period (10 s) and timeout (2 s).
var DefaultOptions = Options{ProbeInterval: 3 * time.Second, ProbeTimeout: 2 * time.Second}

// Running is a started service.
type Running struct {
	GRPCAddr    string
	MetricsAddr string
	grpc        *grpc.Server
	health      *health.Server
	http        *http.Server
	stopProbes  context.CancelFunc
	probesDone  chan struct{}
	close       func()
	stopOnce    sync.Once
}

// Start serves svc: its APIs and grpc.health.v1 on SERVER_PORT, /metrics (and /admin/fault when
// debug endpoints are on) on METRICS_PORT, and a probe loop that keeps the health status current.
func Start(c Common, svc Service, opts Options, log *slog.Logger) (*Running, error) {
	grpcLis, err := net.Listen("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(c.ServerPort)))
	if err != nil {
		return nil, fmt.Errorf("gRPC port: %w", err)
	}
	metricsLis, err := net.Listen("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(c.MetricsPort)))
	if err != nil {
		grpcLis.Close()
		return nil, fmt.Errorf("metrics port: %w", err)
	}

	// The names and labels the alert rules and dashboards use (monitoring-config/metrics/sources.yml).
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	registry := prometheus.NewRegistry()
	registry.MustRegister(metrics, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	fault := NewFault(c.Fault)

	server := grpc.NewServer(
		grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor(), fault.Interceptor),
		grpc.ChainStreamInterceptor(metrics.StreamServerInterceptor()),
	)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(server, hs)
	names := []string{""}
	for _, api := range svc.APIs {
		server.RegisterService(api, nil)
		names = append(names, api.ServiceName)
	}
	metrics.InitializeMetrics(server)
	// Not serving until the first probe round has passed (health.NewServer starts "" as SERVING).
	for _, n := range names {
		hs.SetServingStatus(n, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	// For kubelet's liveness probe: a dependency outage makes the pod unready, never restarts it.
	hs.SetServingStatus(LivenessService, healthpb.HealthCheckResponse_SERVING)

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}))
	if c.DebugEndpoints {
		mux.Handle("/admin/fault", fault)
	}
	httpServer := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{
		GRPCAddr:    grpcLis.Addr().String(),
		MetricsAddr: metricsLis.Addr().String(),
		grpc:        server,
		health:      hs,
		http:        httpServer,
		stopProbes:  cancel,
		probesDone:  make(chan struct{}),
		close:       svc.Close,
	}
	go func() { _ = server.Serve(grpcLis) }()
	go func() { _ = httpServer.Serve(metricsLis) }()
	go func() {
		defer close(r.probesDone)
		watch(ctx, svc.Probes, opts, func(s healthpb.HealthCheckResponse_ServingStatus) {
			for _, n := range names {
				hs.SetServingStatus(n, s)
			}
		}, log)
	}()
	log.Info("serving", "grpc", r.GRPCAddr, "metrics", r.MetricsAddr, "debugEndpoints", c.DebugEndpoints)
	return r, nil
}

// watch runs every probe each interval, all in parallel, and reports the resulting status.
func watch(ctx context.Context, probes []Probe, opts Options, set func(healthpb.HealthCheckResponse_ServingStatus), log *slog.Logger) {
	last := healthpb.HealthCheckResponse_NOT_SERVING
	first := true
	for {
		errs := make([]error, len(probes))
		var wg sync.WaitGroup
		for i, p := range probes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pctx, cancel := context.WithTimeout(ctx, opts.ProbeTimeout)
				defer cancel()
				if err := p.Check(pctx); err != nil {
					errs[i] = fmt.Errorf("%s: %w", p.Name, err)
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		now := healthpb.HealthCheckResponse_SERVING
		if err := errors.Join(errs...); err != nil {
			now = healthpb.HealthCheckResponse_NOT_SERVING
			if now != last || first {
				log.Warn("dependencies failing: not serving", "error", err.Error())
			}
		} else if now != last {
			log.Info("dependencies answer: serving")
		}
		set(now)
		last, first = now, false
		select {
		case <-ctx.Done():
			return
		case <-time.After(opts.ProbeInterval):
		}
	}
}

// Stop reports NOT_SERVING, lets calls in flight finish (bounded), then releases the clients.
// Later calls do nothing.
func (r *Running) Stop() { r.stopOnce.Do(r.stop) }

func (r *Running) stop() {
	r.stopProbes()
	<-r.probesDone
	r.health.Shutdown()
	done := make(chan struct{})
	go func() { r.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.grpc.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.http.Shutdown(ctx)
	if r.close != nil {
		r.close()
	}
}

// Main runs one service until SIGTERM or SIGINT: read its settings, refuse bad ones with every
// problem listed, then serve.
func Main[C any](name string, read func(*Env) C, build func(C, *slog.Logger) (Service, error)) {
	env := NewEnv(os.LookupEnv)
	common := CommonFromEnv(env)
	cfg := read(env)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: common.LogLevel})).With("service", name)
	redis.SetLogger(redisLog{log})
	if err := env.Err(); err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(2)
	}
	svc, err := build(cfg, log)
	if err != nil {
		log.Error("cannot start", "error", err.Error())
		os.Exit(1)
	}
	running, err := Start(common, svc, DefaultOptions, log)
	if err != nil {
		log.Error("cannot listen", "error", err.Error())
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	log.Info("stopping")
	running.Stop()
}
