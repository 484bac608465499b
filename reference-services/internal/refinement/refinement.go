// Package refinement is refinement-api: it drops position reports a device cannot physically have
// made (faster than MAX_SPEED_KMH from the previous accepted one, or not later than it) and splits
// tracks at gaps longer than MAX_TIME_DIFF. Each device's last accepted point lives in Redis, so
// any replica can continue a track.
package refinement

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/track"
)

const ServiceName = "platform.refinement.v1.Refinement"

type RefineRequest struct {
	DeviceID string        `json:"device_id"`
	Points   []track.Point `json:"points"`
}

type RefineResponse struct {
	DeviceID string        `json:"device_id"`
	Accepted []track.Point `json:"accepted"`
	// Rejected counts points dropped as too fast or out of order.
	Rejected int `json:"rejected"`
	// Segments counts track starts: the first point ever, or one after a gap above MAX_TIME_DIFF.
	Segments   int     `json:"segments"`
	DistanceKm float64 `json:"distance_km"`
}

type Config struct {
	Redis       *redis.Options
	MaxSpeedKmh int
	MaxTimeDiff time.Duration
}

// ConfigFromEnv reads the limits with the program's ranges and defaults (config/schema.ts `app`).
func ConfigFromEnv(e *platform.Env) Config {
	return Config{
		Redis:       platform.RedisFromEnv(e),
		MaxSpeedKmh: e.Int("MAX_SPEED_KMH", 150, 1, 300),
		MaxTimeDiff: e.Duration("MAX_TIME_DIFF", 12*time.Hour, time.Minute, 48*time.Hour),
	}
}

func New(c Config, _ *slog.Logger) (platform.Service, error) {
	client := redis.NewClient(c.Redis)
	r := &refiner{cfg: c, redis: client}
	return platform.Service{
		APIs:   []*grpc.ServiceDesc{platform.ServiceDesc(ServiceName, platform.Unary(ServiceName, "Refine", r.refine))},
		Probes: []platform.Probe{platform.RedisProbe(client)},
		Close:  func() { _ = client.Close() },
	}, nil
}

type refiner struct {
	cfg   Config
	redis *redis.Client
}

func lastKey(deviceID string) string { return "refinement:last:" + deviceID }

func (r *refiner) refine(ctx context.Context, req *RefineRequest) (*RefineResponse, error) {
	if err := track.Validate(req.DeviceID, req.Points); err != nil {
		return nil, err
	}
	var prev *track.Point
	raw, err := r.redis.Get(ctx, lastKey(req.DeviceID)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "redis: %v", err)
	default:
		prev = new(track.Point)
		if json.Unmarshal(raw, prev) != nil {
			prev = nil // an unreadable entry only loses the continuity check
		}
	}

	res := Refine(prev, req.Points, float64(r.cfg.MaxSpeedKmh), r.cfg.MaxTimeDiff)
	res.DeviceID = req.DeviceID
	if n := len(res.Accepted); n > 0 {
		last, _ := json.Marshal(res.Accepted[n-1])
		// Beyond MAX_TIME_DIFF the last point no longer constrains the next one.
		if err := r.redis.Set(ctx, lastKey(req.DeviceID), last, r.cfg.MaxTimeDiff).Err(); err != nil {
			return nil, status.Errorf(codes.Unavailable, "redis: %v", err)
		}
	}
	return res, nil
}

// Refine applies the limits to points after prev (nil when the device has no recent point).
func Refine(prev *track.Point, points []track.Point, maxSpeedKmh float64, maxTimeDiff time.Duration) *RefineResponse {
	res := &RefineResponse{Accepted: []track.Point{}}
	for _, p := range points {
		if prev == nil {
			res.Segments++
		} else {
			dt := p.RecordedAt.Sub(prev.RecordedAt)
			switch {
			case dt <= 0:
				res.Rejected++
				continue
			case dt > maxTimeDiff:
				res.Segments++
			default:
				d := track.DistanceKm(*prev, p)
				speed := d / dt.Hours()
				if speed > maxSpeedKmh {
					res.Rejected++
					continue
				}
				p.SpeedKmh = speed
				res.DistanceKm += d
			}
		}
		res.Accepted = append(res.Accepted, p)
		prev = &res.Accepted[len(res.Accepted)-1]
	}
	return res
}
