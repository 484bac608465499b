package gateway_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/gateway"
	"platform/reference-services/internal/learning"
	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/refinement"
	"platform/reference-services/internal/testutil"
	"platform/reference-services/internal/track"
)

type stack struct {
	redis    *testutil.Redis
	learning *platform.Running
	gateway  *grpc.ClientConn
}

// start runs the real refinement-api and learning-api on one Redis, and the gateway in front
// (authenticating with secret when it is not empty).
func start(t testing.TB, secret ...byte) *stack {
	t.Helper()
	redis := testutil.StartRedis(t, "gateway-test-password")
	ref, err := refinement.New(refinement.Config{Redis: redis.Options(), MaxSpeedKmh: 150, MaxTimeDiff: 12 * time.Hour}, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	learn, err := learning.New(learning.Config{Redis: redis.Options()}, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	refRunning := testutil.Serve(t, ref, false)
	learnRunning := testutil.Serve(t, learn, false)
	gw, err := gateway.New(gateway.Config{RefinementAddr: refRunning.GRPCAddr, LearningAddr: learnRunning.GRPCAddr, JWTSecret: secret}, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{redis: redis, learning: learnRunning, gateway: testutil.Conn(t, testutil.Serve(t, gw, false).GRPCAddr)}
}

func submit(conn *grpc.ClientConn, req *refinement.RefineRequest) (*gateway.SubmitResponse, error) {
	return submitWith(context.Background(), conn, req)
}

func submitWith(ctx context.Context, conn *grpc.ClientConn, req *refinement.RefineRequest) (*gateway.SubmitResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return platform.Call[gateway.SubmitResponse](ctx, conn, gateway.ServiceName, "SubmitTrack", req)
}

var t0 = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

func TestSubmitTrackGoesThroughRefinementAndLearning(t *testing.T) {
	s := start(t)
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_SERVING, "", gateway.ServiceName)

	points := []track.Point{
		{RecordedAt: t0, Latitude: 48.85, Longitude: 2.35},
		{RecordedAt: t0.Add(time.Hour), Latitude: 49.44, Longitude: 1.10}, // about 110 km in an hour
		{RecordedAt: t0.Add(time.Hour + time.Minute), Latitude: 50.63, Longitude: 3.06},
	}
	res, err := submit(s.gateway, &refinement.RefineRequest{DeviceID: "truck-1", Points: points})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refined.Accepted) != 2 || res.Refined.Rejected != 1 {
		t.Fatalf("refined: %+v", res.Refined)
	}
	if res.Profile == nil || res.Profile.Tracks != 1 || res.Profile.Points != 2 || res.Profile.Rejected != 1 || res.Profile.DistanceKm < 100 {
		t.Fatalf("profile: %+v", res.Profile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := platform.Call[learning.Profile](ctx, s.gateway, gateway.ServiceName, "GetProfile", &learning.ProfileRequest{DeviceID: "truck-1"})
	if err != nil || p.Tracks != 1 {
		t.Fatalf("GetProfile through the gateway: %+v, %v", p, err)
	}
}

func TestDownstreamCodesReachTheClient(t *testing.T) {
	s := start(t)
	if _, err := submit(s.gateway, &refinement.RefineRequest{DeviceID: "truck-1"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("no points: got %v, want InvalidArgument from refinement-api", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := platform.Call[learning.Profile](ctx, s.gateway, gateway.ServiceName, "GetProfile", &learning.ProfileRequest{DeviceID: "nobody"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown device: got %v, want NotFound from learning-api", err)
	}
}

func TestGatewayIsNotServingWhileADownstreamServiceIsNot(t *testing.T) {
	s := start(t)
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_SERVING, "", gateway.ServiceName)

	// Redis down: both backends report NOT_SERVING, and so does the gateway.
	s.redis.Stop()
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_NOT_SERVING, "", gateway.ServiceName)
	s.redis.Start(t)
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_SERVING, "", gateway.ServiceName)

	// learning-api gone altogether: its health check fails to connect.
	s.learning.Stop()
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_NOT_SERVING, "", gateway.ServiceName)

	// Back on the same address after a while (a rollout): the gateway reconnects within seconds.
	time.Sleep(4 * time.Second)
	learn, err := learning.New(learning.Config{Redis: s.redis.Options()}, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(s.learning.GRPCAddr)
	p, _ := strconv.Atoi(port)
	testutil.ServeOn(t, learn, false, p)
	start := time.Now()
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_SERVING, "", gateway.ServiceName)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("gateway took %s to serve again after learning-api came back", took)
	}
}

func bearer(t *testing.T, method jwt.SigningMethod, secret []byte, expires time.Time) context.Context {
	t.Helper()
	claims := jwt.MapClaims{"sub": "drill"}
	if !expires.IsZero() {
		claims["exp"] = expires.Unix()
	}
	token, err := jwt.NewWithClaims(method, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

func TestCallsNeedABearerTokenSignedWithTheJWTSecret(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef-gateway")
	s := start(t, secret...)
	testutil.WaitHealth(t, s.gateway, healthpb.HealthCheckResponse_SERVING, "", gateway.ServiceName)
	req := &refinement.RefineRequest{DeviceID: "truck-9", Points: []track.Point{{RecordedAt: t0, Latitude: 1, Longitude: 1}}}
	hour := time.Now().Add(time.Hour)

	if _, err := submitWith(bearer(t, jwt.SigningMethodHS256, secret, hour), s.gateway, req); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	for name, ctx := range map[string]context.Context{
		"no token":          context.Background(),
		"another secret":    bearer(t, jwt.SigningMethodHS256, []byte("another-secret-of-thirty-two-bytes!!"), hour),
		"expired":           bearer(t, jwt.SigningMethodHS256, secret, time.Now().Add(-time.Hour)),
		"no expiry":         bearer(t, jwt.SigningMethodHS256, secret, time.Time{}),
		"another algorithm": bearer(t, jwt.SigningMethodHS512, secret, hour),
		"not bearer":        metadata.AppendToOutgoingContext(context.Background(), "authorization", "Basic dXNlcjpwYXNz"),
	} {
		if _, err := submitWith(ctx, s.gateway, req); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: got %v, want Unauthenticated", name, err)
		}
	}
	// Health checks (kubelet, verify) need no token.
	if got := testutil.Health(t, s.gateway, ""); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health without a token: %s", got)
	}
}

func TestAddressesFromTheEnvironment(t *testing.T) {
	env := platform.NewEnv(platform.MapEnv(map[string]string{"REFINEMENT_ADDR": "refinement-api:50051"}))
	c := gateway.ConfigFromEnv(env)
	if c.RefinementAddr != "refinement-api:50051" || c.JWTSecret != nil || env.Err() == nil || env.Err().Error() != `LEARNING_ADDR="": expected host:port of learning-api` {
		t.Fatalf("ConfigFromEnv = %+v, %v", c, env.Err())
	}
	env = platform.NewEnv(platform.MapEnv(map[string]string{"REFINEMENT_ADDR": "r:1", "LEARNING_ADDR": "l:2", "JWT_SECRET": "short-secret-value"}))
	gateway.ConfigFromEnv(env)
	if err := env.Err(); err == nil || err.Error() != "JWT_SECRET: expected a secret of at least 256 bits (32 bytes)" {
		t.Fatalf("short JWT secret: %v", err)
	}
}

// BenchmarkSubmitTrack: one call through the gateway, refinement-api and learning-api to Redis,
// all on loopback: go test ./internal/gateway -run '^$' -bench SubmitTrack
func BenchmarkSubmitTrack(b *testing.B) {
	s := start(b)
	testutil.WaitHealth(b, s.gateway, healthpb.HealthCheckResponse_SERVING, "")
	points := []track.Point{{RecordedAt: t0, Latitude: 48.85, Longitude: 2.35}}
	b.ResetTimer()
	for i := range b.N {
		points[0].RecordedAt = t0.Add(time.Duration(i) * time.Second)
		if _, err := submit(s.gateway, &refinement.RefineRequest{DeviceID: "bench", Points: points}); err != nil {
			b.Fatal(err)
		}
	}
}
