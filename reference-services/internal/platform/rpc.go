package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
)

// The services' own APIs carry JSON messages (content type application/grpc+json), so they need no
// generated code; grpc.health.v1 keeps the protobuf codec, which kubelet and `verify` speak.
const jsonSubtype = "json"

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func (jsonCodec) Name() string                    { return jsonSubtype }

func init() { encoding.RegisterCodec(jsonCodec{}) }

// Unary describes one method of a JSON service: the request is decoded into Req and h answers it.
// Interceptors (metrics, fault injection) see the call exactly as for generated code.
func Unary[Req any, Resp any](service, method string, h func(context.Context, *Req) (*Resp, error)) grpc.MethodDesc {
	full := "/" + service + "/" + method
	return grpc.MethodDesc{
		MethodName: method,
		Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(Req)
			if err := dec(in); err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "request is not a valid %s message: %v", method, err)
			}
			if ic == nil {
				return h(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: full}, func(ctx context.Context, req any) (any, error) {
				return h(ctx, req.(*Req))
			})
		},
	}
}

// ServiceDesc is a JSON service named like a protobuf one (package.Service).
func ServiceDesc(name string, methods ...grpc.MethodDesc) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{ServiceName: name, HandlerType: (*any)(nil), Methods: methods, Metadata: "json"}
}

// Reconnect within seconds once a backend is back (gRPC's default backoff grows to 2 minutes, which
// would keep the gateway NOT_SERVING long after a backend's rollout).
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 200 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second},
	MinConnectTimeout: 2 * time.Second,
}

// Dial connects to another service (plain text inside the cluster, like the probes kubelet sends).
func Dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithConnectParams(reconnect))
	if err != nil {
		return nil, fmt.Errorf("gRPC client for %s: %w", addr, err)
	}
	return conn, nil
}

// Call invokes service/method on conn with the JSON codec and decodes the answer into a new Resp.
func Call[Resp any](ctx context.Context, conn *grpc.ClientConn, service, method string, req any) (*Resp, error) {
	out := new(Resp)
	if err := conn.Invoke(ctx, "/"+service+"/"+method, req, out, grpc.CallContentSubtype(jsonSubtype)); err != nil {
		return nil, err
	}
	return out, nil
}
