package platform_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/testutil"
)

// With RUN_MAIN set, the test binary is a service built on platform.Main, as cmd/<name> is.
func TestMain(m *testing.M) {
	if os.Getenv("RUN_MAIN") == "1" {
		read := func(e *platform.Env) string { return e.Secret("ECHO_TOKEN") }
		platform.Main("echo", read, func(string, *slog.Logger) (platform.Service, error) { return platform.Service{}, nil })
		return
	}
	os.Exit(m.Run())
}

func mainProcess(t *testing.T, env ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{"RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	out := new(strings.Builder)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

func TestMainRefusesBadSettingsWithExitCode2(t *testing.T) {
	cmd, out := mainProcess(t, "SERVER_PORT=http", "LOG_LEVEL=loud", "ECHO_TOKEN=")
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 {
		t.Fatalf("exit: %v, want code 2\n%s", err, out)
	}
	for _, want := range []string{`SERVER_PORT=\"http\"`, `LOG_LEVEL=\"loud\"`, "ECHO_TOKEN is not set", `"level":"ERROR"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not say %s:\n%s", want, out)
		}
	}
}

func TestMainServesUntilSIGTERMThenExitsCleanly(t *testing.T) {
	port, metrics := testutil.FreePort(t), testutil.FreePort(t)
	cmd, out := mainProcess(t, "SERVER_PORT="+strconv.Itoa(port), "METRICS_PORT="+strconv.Itoa(metrics), "ECHO_TOKEN=a-token-never-logged")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	conn := testutil.Conn(t, "127.0.0.1:"+strconv.Itoa(port))
	// No dependency: SERVING after the first probe round.
	testutil.Eventually(t, 10*time.Second, "the service answers SERVING", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	if len(testutil.Scrape(t, "127.0.0.1:"+strconv.Itoa(metrics))) == 0 {
		t.Fatal("no metrics on METRICS_PORT")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM\n%s", out)
	}
	if !strings.Contains(out.String(), `"msg":"stopping"`) || strings.Contains(out.String(), "a-token-never-logged") {
		t.Fatalf("log:\n%s", out)
	}
}
