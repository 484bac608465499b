package platform_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"platform/reference-services/internal/platform"
)

func TestCommonSettingsFromTheProgramsEnvironment(t *testing.T) {
	env := platform.NewEnv(platform.MapEnv(map[string]string{
		"SERVER_PORT": "50051", "METRICS_PORT": "9464", "LOG_LEVEL": "DEBUG", "ENABLE_DEBUG_ENDPOINTS": "false",
	}))
	c := platform.CommonFromEnv(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if c.ServerPort != 50051 || c.MetricsPort != 9464 || c.LogLevel != slog.LevelDebug || c.DebugEndpoints {
		t.Fatalf("CommonFromEnv = %+v", c)
	}
}

func TestBadSettingsAreAllReportedWithKeyValueAndWhatIsAllowed(t *testing.T) {
	env := platform.NewEnv(platform.MapEnv(map[string]string{
		"METRICS_PORT": "70000", "LOG_LEVEL": "TRACE", "ENABLE_DEBUG_ENDPOINTS": "yes please", "MAX_TIME_DIFF": "12 hours",
	}))
	platform.CommonFromEnv(env)
	env.Duration("MAX_TIME_DIFF", time.Hour, time.Minute, 48*time.Hour)
	err := env.Err()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`SERVER_PORT="": expected a TCP port between 1 and 65535`,
		`METRICS_PORT="70000": expected a whole number between 1 and 65535`,
		`LOG_LEVEL="TRACE": expected one of DEBUG, INFO, WARN, ERROR`,
		`ENABLE_DEBUG_ENDPOINTS="yes please": expected true or false`,
		`MAX_TIME_DIFF="12 hours": expected a duration such as 12h between 1m0s and 48h0m0s`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %s:\n%v", want, err)
		}
	}
}

func TestSecretsAreNeverRepeatedInErrors(t *testing.T) {
	env := platform.NewEnv(platform.MapEnv(map[string]string{"REDIS_PASSWORD": ""}))
	platform.RedisFromEnv(env)
	err := env.Err()
	if err == nil || !strings.Contains(err.Error(), "REDIS_PASSWORD is not set") || !strings.Contains(err.Error(), `REDIS_ADDR="": expected host:port of Redis`) {
		t.Fatalf("missing Redis settings: %v", err)
	}
	env = platform.NewEnv(platform.MapEnv(map[string]string{"REDIS_ADDR": "redis:6379", "REDIS_PASSWORD": "s3cr3t-value-123"}))
	if o := platform.RedisFromEnv(env); o.Password != "s3cr3t-value-123" || o.Addr != "redis:6379" || env.Err() != nil {
		t.Fatalf("RedisFromEnv = %s, %v", o.Addr, env.Err())
	}
}
