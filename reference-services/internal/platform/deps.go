package platform

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// RedisFromEnv is the client for REDIS_ADDR with REDIS_PASSWORD (the platform's generated secret).
func RedisFromEnv(e *Env) *redis.Options {
	return &redis.Options{
		Addr:     e.Required("REDIS_ADDR", "host:port of Redis"),
		Password: e.Secret("REDIS_PASSWORD"),
		// CLIENT SETINFO needs Redis 7.2; older servers answer it with an error on every connect.
		DisableIdentity: true,
		DialTimeout:     2 * time.Second,
		ReadTimeout:     2 * time.Second,
		WriteTimeout:    2 * time.Second,
	}
}

// RedisProbe is PING with the password: a wrong password or a stopped server both fail it.
func RedisProbe(client *redis.Client) Probe {
	return Probe{Name: "redis", Check: func(ctx context.Context) error { return client.Ping(ctx).Err() }}
}

// HealthProbe asks a downstream service's grpc.health.v1 for the server as a whole.
func HealthProbe(name string, conn *grpc.ClientConn) Probe {
	client := healthpb.NewHealthClient(conn)
	return Probe{Name: name, Check: func(ctx context.Context) error {
		res, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%s", res.GetStatus())
		}
		return nil
	}}
}

// redisLog sends go-redis's own messages (one per failed dial) to the service's JSON log at debug
// level: the probe loop already reports the outage once, with its cause.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "client", "go-redis")
}
