// Package gateway is the public entry: it sends a device's track to refinement-api, then the
// outcome to learning-api, and answers with both. It is SERVING only while both answer SERVING.
package gateway

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"platform/reference-services/internal/learning"
	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/refinement"
)

const ServiceName = "platform.gateway.v1.Gateway"

// callTimeout bounds each downstream call when the client set no deadline of its own.
const callTimeout = 5 * time.Second

type SubmitResponse struct {
	Refined *refinement.RefineResponse `json:"refined"`
	// Profile is absent when refinement accepted no point.
	Profile *learning.Profile `json:"profile,omitempty"`
}

type Config struct {
	RefinementAddr string
	LearningAddr   string
}

func ConfigFromEnv(e *platform.Env) Config {
	return Config{
		RefinementAddr: e.Required("REFINEMENT_ADDR", "host:port of refinement-api"),
		LearningAddr:   e.Required("LEARNING_ADDR", "host:port of learning-api"),
	}
}

func New(c Config, _ *slog.Logger) (platform.Service, error) {
	refine, err := platform.Dial(c.RefinementAddr)
	if err != nil {
		return platform.Service{}, err
	}
	learn, err := platform.Dial(c.LearningAddr)
	if err != nil {
		refine.Close()
		return platform.Service{}, err
	}
	g := &gateway{refine: refine, learn: learn}
	return platform.Service{
		APIs: []*grpc.ServiceDesc{platform.ServiceDesc(ServiceName,
			platform.Unary(ServiceName, "SubmitTrack", g.submit),
			platform.Unary(ServiceName, "GetProfile", g.profile),
		)},
		Probes: []platform.Probe{platform.HealthProbe("refinement-api", refine), platform.HealthProbe("learning-api", learn)},
		Close:  func() { refine.Close(); learn.Close() },
	}, nil
}

type gateway struct{ refine, learn *grpc.ClientConn }

func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, callTimeout)
}

// Downstream errors keep their gRPC code: a client's InvalidArgument stays the client's, an
// Unavailable dependency makes this call Unavailable too.
func (g *gateway) submit(ctx context.Context, req *refinement.RefineRequest) (*SubmitResponse, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	refined, err := platform.Call[refinement.RefineResponse](ctx, g.refine, refinement.ServiceName, "Refine", req)
	if err != nil {
		return nil, err
	}
	res := &SubmitResponse{Refined: refined}
	if len(refined.Accepted) == 0 {
		return res, nil
	}
	res.Profile, err = platform.Call[learning.Profile](ctx, g.learn, learning.ServiceName, "Learn", &learning.LearnRequest{
		DeviceID: req.DeviceID, Points: len(refined.Accepted), Rejected: refined.Rejected, DistanceKm: refined.DistanceKm,
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (g *gateway) profile(ctx context.Context, req *learning.ProfileRequest) (*learning.Profile, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	return platform.Call[learning.Profile](ctx, g.learn, learning.ServiceName, "GetProfile", req)
}
