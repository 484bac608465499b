// Package gateway is the public entry: it sends a device's track to refinement-api, then the
// outcome to learning-api, and answers with both. It is SERVING only while both answer SERVING.
// With JWT_SECRET set (the program always sets it), every API call needs a bearer token signed
// with it (HS256, with an expiry).
package gateway

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

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
	// JWTSecret signs the callers' tokens; empty turns authentication off (a local run).
	JWTSecret []byte
}

// minSecretBytes is the program's floor for the JWT secret (256 bits).
const minSecretBytes = 32

func ConfigFromEnv(e *platform.Env) Config {
	c := Config{
		RefinementAddr: e.Required("REFINEMENT_ADDR", "host:port of refinement-api"),
		LearningAddr:   e.Required("LEARNING_ADDR", "host:port of learning-api"),
	}
	if _, ok := e.Lookup("JWT_SECRET"); ok {
		c.JWTSecret = []byte(e.Secret("JWT_SECRET"))
		if len(c.JWTSecret) < minSecretBytes {
			e.Invalid("JWT_SECRET", "a secret of at least 256 bits (32 bytes)")
		}
	}
	return c
}

func New(c Config, log *slog.Logger) (platform.Service, error) {
	if len(c.JWTSecret) == 0 {
		log.Warn("JWT_SECRET is not set: API calls are not authenticated")
	}
	refine, err := platform.Dial(c.RefinementAddr)
	if err != nil {
		return platform.Service{}, err
	}
	learn, err := platform.Dial(c.LearningAddr)
	if err != nil {
		refine.Close()
		return platform.Service{}, err
	}
	g := &gateway{refine: refine, learn: learn, secret: c.JWTSecret}
	return platform.Service{
		APIs: []*grpc.ServiceDesc{platform.ServiceDesc(ServiceName,
			platform.Unary(ServiceName, "SubmitTrack", g.submit),
			platform.Unary(ServiceName, "GetProfile", g.profile),
		)},
		Probes: []platform.Probe{platform.HealthProbe("refinement-api", refine), platform.HealthProbe("learning-api", learn)},
		Close:  func() { refine.Close(); learn.Close() },
	}, nil
}

type gateway struct {
	refine, learn *grpc.ClientConn
	secret        []byte
}

// authenticate accepts an `authorization: Bearer <JWT>` signed with the secret by HS256, with an
// expiry in the future (30 s of clock skew allowed). Failures are the caller's: Unauthenticated.
func (g *gateway) authenticate(ctx context.Context) error {
	if len(g.secret) == 0 {
		return nil
	}
	values := metadata.ValueFromIncomingContext(ctx, "authorization")
	if len(values) != 1 || !strings.HasPrefix(values[0], "Bearer ") {
		return status.Error(codes.Unauthenticated, "expected one authorization: Bearer <JWT> header")
	}
	_, err := jwt.Parse(strings.TrimPrefix(values[0], "Bearer "), func(*jwt.Token) (any, error) { return g.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return status.Errorf(codes.Unauthenticated, "bearer token: %v", err)
	}
	return nil
}

func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, callTimeout)
}

// Downstream errors keep their gRPC code: a client's InvalidArgument stays the client's, an
// Unavailable dependency makes this call Unavailable too.
func (g *gateway) submit(ctx context.Context, req *refinement.RefineRequest) (*SubmitResponse, error) {
	if err := g.authenticate(ctx); err != nil {
		return nil, err
	}
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
	if err := g.authenticate(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := bounded(ctx)
	defer cancel()
	return platform.Call[learning.Profile](ctx, g.learn, learning.ServiceName, "GetProfile", req)
}
