package learning_test

import (
	"context"
	"math"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/learning"
	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/testutil"
)

func serve(t *testing.T, redis *testutil.Redis) *grpc.ClientConn {
	t.Helper()
	svc, err := learning.New(learning.Config{Redis: redis.Options()}, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return testutil.Conn(t, testutil.Serve(t, svc, false).GRPCAddr)
}

func call[Resp any](conn *grpc.ClientConn, method string, req any) (*Resp, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return platform.Call[Resp](ctx, conn, learning.ServiceName, method, req)
}

func TestProfilesAccumulateInRedis(t *testing.T) {
	redis := testutil.StartRedis(t, "learning-test-password")
	conn := serve(t, redis)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", learning.ServiceName)

	if _, err := call[learning.Profile](conn, "GetProfile", &learning.ProfileRequest{DeviceID: "van-1"}); status.Code(err) != codes.NotFound {
		t.Fatalf("profile before any track: got %v, want NotFound", err)
	}
	if _, err := call[learning.Profile](conn, "Learn", &learning.LearnRequest{DeviceID: "van-1", Points: 9, Rejected: 1, DistanceKm: 12.5}); err != nil {
		t.Fatal(err)
	}
	p, err := call[learning.Profile](conn, "Learn", &learning.LearnRequest{DeviceID: "van-1", Points: 6, Rejected: 4, DistanceKm: 7.5})
	if err != nil {
		t.Fatal(err)
	}
	want := learning.Profile{DeviceID: "van-1", Tracks: 2, Points: 15, Rejected: 5, DistanceKm: 20, RejectRatio: 0.25}
	if math.Abs(p.DistanceKm-want.DistanceKm) > 1e-9 {
		t.Fatalf("distance %v, want %v", p.DistanceKm, want.DistanceKm)
	}
	p.DistanceKm = want.DistanceKm
	if *p != want {
		t.Fatalf("profile after two tracks: %+v, want %+v", *p, want)
	}
	// A new replica (or a restart) reads the same profile from Redis.
	other := serve(t, redis)
	got, err := call[learning.Profile](other, "GetProfile", &learning.ProfileRequest{DeviceID: "van-1"})
	if err != nil || got.Tracks != 2 || got.Points != 15 {
		t.Fatalf("profile from another replica: %+v, %v", got, err)
	}
}

func TestLearnRefusesNonsense(t *testing.T) {
	redis := testutil.StartRedis(t, "learning-test-password")
	conn := serve(t, redis)
	for name, req := range map[string]*learning.LearnRequest{
		"no device":         {Points: 1},
		"negative points":   {DeviceID: "van-1", Points: -1},
		"negative distance": {DeviceID: "van-1", Points: 1, DistanceKm: -3},
	} {
		if _, err := call[learning.Profile](conn, "Learn", req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: got %v, want InvalidArgument", name, err)
		}
	}
}

func TestHealthAndCallsFollowRedis(t *testing.T) {
	redis := testutil.StartRedis(t, "learning-test-password")
	conn := serve(t, redis)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", learning.ServiceName)
	redis.Stop()
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_NOT_SERVING, "", learning.ServiceName)
	if _, err := call[learning.Profile](conn, "Learn", &learning.LearnRequest{DeviceID: "van-1", Points: 1}); status.Code(err) != codes.Unavailable {
		t.Fatalf("Learn with Redis stopped: got %v, want Unavailable", err)
	}
}
