// Package learning is learning-api: it accumulates what refinement found about each device
// (tracks, points, rejections, distance) in a Redis hash and answers with the device's profile.
package learning

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/track"
)

const ServiceName = "platform.learning.v1.Learning"

// LearnRequest is one refined track's outcome.
type LearnRequest struct {
	DeviceID   string  `json:"device_id"`
	Points     int     `json:"points"`
	Rejected   int     `json:"rejected"`
	DistanceKm float64 `json:"distance_km"`
}

type ProfileRequest struct {
	DeviceID string `json:"device_id"`
}

// Profile is everything learnt about a device so far.
type Profile struct {
	DeviceID   string  `json:"device_id"`
	Tracks     int64   `json:"tracks"`
	Points     int64   `json:"points"`
	Rejected   int64   `json:"rejected"`
	DistanceKm float64 `json:"distance_km"`
	// RejectRatio is the share of reports refinement dropped: a device's GPS quality.
	RejectRatio float64 `json:"reject_ratio"`
}

type Config struct{ Redis *redis.Options }

func ConfigFromEnv(e *platform.Env) Config { return Config{Redis: platform.RedisFromEnv(e)} }

func New(c Config, _ *slog.Logger) (platform.Service, error) {
	client := redis.NewClient(c.Redis)
	l := &learner{redis: client}
	return platform.Service{
		APIs: []*grpc.ServiceDesc{platform.ServiceDesc(ServiceName,
			platform.Unary(ServiceName, "Learn", l.learn),
			platform.Unary(ServiceName, "GetProfile", l.profile),
		)},
		Probes: []platform.Probe{platform.RedisProbe(client)},
		Close:  func() { _ = client.Close() },
	}, nil
}

type learner struct{ redis *redis.Client }

func profileKey(deviceID string) string { return "learning:profile:" + deviceID }

func (l *learner) learn(ctx context.Context, req *LearnRequest) (*Profile, error) {
	if err := track.ValidateDevice(req.DeviceID); err != nil {
		return nil, err
	}
	if req.Points < 0 || req.Rejected < 0 || req.DistanceKm < 0 {
		return nil, status.Error(codes.InvalidArgument, "points, rejected and distance_km: expected no negative value")
	}
	key := profileKey(req.DeviceID)
	var all *redis.MapStringStringCmd
	// One transaction: concurrent replicas never see or leave a half-counted track.
	_, err := l.redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, "tracks", 1)
		p.HIncrBy(ctx, key, "points", int64(req.Points))
		p.HIncrBy(ctx, key, "rejected", int64(req.Rejected))
		p.HIncrByFloat(ctx, key, "distance_km", req.DistanceKm)
		all = p.HGetAll(ctx, key)
		return nil
	})
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "redis: %v", err)
	}
	return toProfile(req.DeviceID, all.Val()), nil
}

func (l *learner) profile(ctx context.Context, req *ProfileRequest) (*Profile, error) {
	if err := track.ValidateDevice(req.DeviceID); err != nil {
		return nil, err
	}
	fields, err := l.redis.HGetAll(ctx, profileKey(req.DeviceID)).Result()
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "redis: %v", err)
	}
	if len(fields) == 0 {
		return nil, status.Errorf(codes.NotFound, "no profile for device %q yet", req.DeviceID)
	}
	return toProfile(req.DeviceID, fields), nil
}

func toProfile(deviceID string, f map[string]string) *Profile {
	num := func(k string) int64 { n, _ := strconv.ParseInt(f[k], 10, 64); return n }
	p := &Profile{DeviceID: deviceID, Tracks: num("tracks"), Points: num("points"), Rejected: num("rejected")}
	p.DistanceKm, _ = strconv.ParseFloat(f["distance_km"], 64)
	if total := p.Points + p.Rejected; total > 0 {
		p.RejectRatio = float64(p.Rejected) / float64(total)
	}
	return p
}
