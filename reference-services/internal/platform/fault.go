package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Bounds of the fault switch: enough for the alert drills (error rate above 1 %, p99 above 500 ms)
// without letting a typo hang every call for minutes.
const (
	MaxFaultLatency = 10 * time.Second
	healthPrefix    = "/grpc.health.v1.Health/"
)

// FaultSettings inject failures into the service's own API calls, for the alert and load drills.
type FaultSettings struct {
	// ErrorRate is the share of calls answered with Unavailable, in [0, 1].
	ErrorRate float64 `json:"error_rate"`
	// LatencyMs is added to every call before it is handled, in [0, MaxFaultLatency].
	LatencyMs int `json:"latency_ms"`
}

func (f FaultSettings) validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("error_rate=%g: expected a share between 0 and 1", f.ErrorRate)
	}
	if f.LatencyMs < 0 || time.Duration(f.LatencyMs)*time.Millisecond > MaxFaultLatency {
		return fmt.Errorf("latency_ms=%d: expected milliseconds between 0 and %d", f.LatencyMs, MaxFaultLatency.Milliseconds())
	}
	return nil
}

// FaultFromEnv reads FAULT_ERROR_RATE and FAULT_LATENCY_MS (both off when unset).
func FaultFromEnv(e *Env) FaultSettings {
	return FaultSettings{
		ErrorRate: e.Float("FAULT_ERROR_RATE", 0, 0, 1),
		LatencyMs: e.Int("FAULT_LATENCY_MS", 0, 0, int(MaxFaultLatency.Milliseconds())),
	}
}

// Fault is the switch itself, changed at run time through the admin endpoint.
type Fault struct {
	mu  sync.RWMutex
	now FaultSettings
}

func NewFault(initial FaultSettings) *Fault { return &Fault{now: initial} }

func (f *Fault) Get() FaultSettings {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.now
}

func (f *Fault) Set(s FaultSettings) error {
	if err := s.validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = s
	return nil
}

// Interceptor delays and fails API calls as set. It runs inside the metrics interceptor so injected
// errors and latency show in grpc_server_handled_total and the latency histogram, as real ones do.
// Health checks are exempt: a drill must not make kubelet restart the pods.
func (f *Fault) Interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, healthPrefix) {
		return next(ctx, req)
	}
	s := f.Get()
	if s.LatencyMs > 0 {
		select {
		case <-time.After(time.Duration(s.LatencyMs) * time.Millisecond):
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if s.ErrorRate > 0 && rand.Float64() < s.ErrorRate {
		return nil, status.Error(codes.Unavailable, "fault injected by the drill switch")
	}
	return next(ctx, req)
}

// ServeHTTP shows the settings (GET) or replaces them (PUT/POST with a JSON body).
func (f *Fault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut, http.MethodPost:
		var s FaultSettings
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			http.Error(w, `expected {"error_rate": 0..1, "latency_ms": 0..10000}: `+err.Error(), http.StatusBadRequest)
			return
		}
		if err := f.Set(s); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, PUT, POST")
		http.Error(w, "GET, PUT or POST", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(f.Get())
}
