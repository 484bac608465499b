package refinement_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/refinement"
	"platform/reference-services/internal/testutil"
	"platform/reference-services/internal/track"
)

var t0 = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

// at is a point d after t0, north of the equator by km (1 degree of latitude is about 111.2 km).
func at(d time.Duration, km float64) track.Point {
	return track.Point{RecordedAt: t0.Add(d), Latitude: km / 111.195, Longitude: 0}
}

func TestRefineDropsImpossibleAndOutOfOrderPointsAndSplitsAtGaps(t *testing.T) {
	points := []track.Point{
		at(0, 0),
		at(time.Hour, 100),                 // 100 km/h: kept
		at(time.Hour+time.Minute, 110),     // 600 km/h: too fast
		at(30*time.Minute, 50),             // before the last kept point
		at(time.Hour, 100),                 // same time as the last kept point
		at(2*time.Hour, 240),               // 140 km/h: kept
		at(20*time.Hour, 5000),             // 18 h gap above 12 h: a new segment, no speed check
		at(20*time.Hour+time.Minute, 5001), // 60 km/h: kept
	}
	res := refinement.Refine(nil, points, 150, 12*time.Hour)
	if len(res.Accepted) != 5 || res.Rejected != 3 || res.Segments != 2 {
		t.Fatalf("accepted %d, rejected %d, segments %d; want 5, 3, 2", len(res.Accepted), res.Rejected, res.Segments)
	}
	if math.Abs(res.DistanceKm-241) > 0.5 {
		t.Fatalf("distance %.2f km, want about 241 (the gap does not count)", res.DistanceKm)
	}
	if s := res.Accepted[1].SpeedKmh; math.Abs(s-100) > 0.5 {
		t.Fatalf("derived speed %.2f km/h, want about 100", s)
	}
}

func TestRefineHonoursTheConfiguredLimits(t *testing.T) {
	points := []track.Point{at(0, 0), at(time.Hour, 200)}
	if res := refinement.Refine(nil, points, 150, 12*time.Hour); res.Rejected != 1 {
		t.Fatalf("200 km/h under a 150 km/h limit: rejected %d", res.Rejected)
	}
	if res := refinement.Refine(nil, points, 250, 12*time.Hour); res.Rejected != 0 {
		t.Fatalf("200 km/h under a 250 km/h limit: rejected %d", res.Rejected)
	}
	// With a 30 min MAX_TIME_DIFF the same hour is a gap: a new segment, no speed check.
	if res := refinement.Refine(nil, points, 150, 30*time.Minute); res.Rejected != 0 || res.Segments != 2 {
		t.Fatalf("1 h gap under a 30 min limit: rejected %d, segments %d", res.Rejected, res.Segments)
	}
}

func TestLimitsFromTheEnvironment(t *testing.T) {
	base := map[string]string{"REDIS_ADDR": "redis:6379", "REDIS_PASSWORD": "0123456789abcdef"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range base {
			m[a] = b
		}
		return m
	}
	env := platform.NewEnv(platform.MapEnv(with("MAX_SPEED_KMH", "120")))
	if c := refinement.ConfigFromEnv(env); c.MaxSpeedKmh != 120 || c.MaxTimeDiff != 12*time.Hour || env.Err() != nil {
		t.Fatalf("ConfigFromEnv = %d, %s, %v", c.MaxSpeedKmh, c.MaxTimeDiff, env.Err())
	}
	for key, bad := range map[string]string{"MAX_SPEED_KMH": "0", "MAX_TIME_DIFF": "72h"} {
		env := platform.NewEnv(platform.MapEnv(with(key, bad)))
		refinement.ConfigFromEnv(env)
		if env.Err() == nil || !strings.Contains(env.Err().Error(), key+`="`+bad+`"`) {
			t.Errorf("%s=%s: error %v", key, bad, env.Err())
		}
	}
}

func serve(t *testing.T, redis *testutil.Redis) (*platform.Running, *grpc.ClientConn) {
	t.Helper()
	svc, err := refinement.New(refinement.Config{Redis: redis.Options(), MaxSpeedKmh: 150, MaxTimeDiff: 12 * time.Hour}, testutil.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	r := testutil.Serve(t, svc, false)
	return r, testutil.Conn(t, r.GRPCAddr)
}

func refine(conn *grpc.ClientConn, device string, points ...track.Point) (*refinement.RefineResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return platform.Call[refinement.RefineResponse](ctx, conn, refinement.ServiceName, "Refine", &refinement.RefineRequest{DeviceID: device, Points: points})
}

func TestTrackContinuesAcrossCallsThroughRedis(t *testing.T) {
	redis := testutil.StartRedis(t, "refinement-test-password")
	_, conn := serve(t, redis)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", refinement.ServiceName)

	if res, err := refine(conn, "bus-7", at(0, 0), at(time.Hour, 100)); err != nil || len(res.Accepted) != 2 {
		t.Fatalf("first call: %+v, %v", res, err)
	}
	// 10 minutes after the stored point but 100 km away: too fast, whichever replica answers.
	res, err := refine(conn, "bus-7", at(70*time.Minute, 200), at(2*time.Hour, 150))
	if err != nil || res.Rejected != 1 || len(res.Accepted) != 1 || res.Segments != 0 {
		t.Fatalf("second call: %+v, %v", res, err)
	}
	// Another device has its own track.
	if res, err := refine(conn, "bus-8", at(70*time.Minute, 200)); err != nil || res.Segments != 1 || res.Rejected != 0 {
		t.Fatalf("other device: %+v, %v", res, err)
	}
}

func TestBadRequestsAreTheClientsError(t *testing.T) {
	redis := testutil.StartRedis(t, "refinement-test-password")
	_, conn := serve(t, redis)
	for name, call := range map[string]func() error{
		"no device":      func() error { _, err := refine(conn, "", at(0, 0)); return err },
		"no points":      func() error { _, err := refine(conn, "bus-1"); return err },
		"off the globe":  func() error { _, err := refine(conn, "bus-1", track.Point{RecordedAt: t0, Latitude: 91}); return err },
		"no time":        func() error { _, err := refine(conn, "bus-1", track.Point{Latitude: 1}); return err },
		"too many point": func() error { _, err := refine(conn, "bus-1", make([]track.Point, track.MaxPoints+1)...); return err },
	} {
		if err := call(); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: got %v, want InvalidArgument", name, err)
		}
	}
}

func TestHealthFollowsRedis(t *testing.T) {
	redis := testutil.StartRedis(t, "refinement-test-password")
	_, conn := serve(t, redis)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", refinement.ServiceName)

	redis.Stop()
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_NOT_SERVING, "", refinement.ServiceName)
	if _, err := refine(conn, "bus-1", at(0, 0)); status.Code(err) != codes.Unavailable {
		t.Fatalf("Refine with Redis stopped: got %v, want Unavailable", err)
	}

	redis.Start(t)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_SERVING, "", refinement.ServiceName)
	if _, err := refine(conn, "bus-1", at(0, 0)); err != nil {
		t.Fatalf("Refine after Redis came back: %v", err)
	}
}

func TestWrongRedisPasswordIsNotServing(t *testing.T) {
	redis := testutil.StartRedis(t, "refinement-test-password")
	wrong := *redis
	wrong.Password = "not-the-password"
	_, conn := serve(t, &wrong)
	time.Sleep(3 * testutil.Options.ProbeInterval)
	testutil.WaitHealth(t, conn, healthpb.HealthCheckResponse_NOT_SERVING, "", refinement.ServiceName)
}
