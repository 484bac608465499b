package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// process runs a server for the test's duration; its output goes to a file in dir for failures.
func process(t testing.TB, dir, name string, args ...string) *exec.Cmd {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.Close()
		if t.Failed() {
			log, _ := os.ReadFile(out.Name())
			t.Logf("%s output:\n%s", name, tail(string(log), 3000))
		}
	})
	return cmd
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// WaitPort waits until something accepts connections on addr.
func WaitPort(t testing.TB, addr string, within time.Duration) {
	t.Helper()
	Eventually(t, within, addr+" accepts connections", func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

const clickhouseServer = "/usr/sbin/clickhouse-server"

// StartClickHouse runs clickhouse-server with one password-protected user and returns the native
// protocol's address.
func StartClickHouse(t testing.TB, user, password string) string {
	t.Helper()
	Need(t, clickhouseServer)
	dir := t.TempDir()
	httpPort, tcpPort := FreePort(t), FreePort(t)
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>%d</http_port>
  <tcp_port>%d</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>%[3]s/data/</path>
  <tmp_path>%[3]s/tmp/</tmp_path>
  <users_config>%[3]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
</yandex>
`, httpPort, tcpPort, dir)
	users := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><%[1]s><password>%[2]s</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></%[1]s></users>
  <quotas><default></default></quotas>
</yandex>
`, user, password)
	for name, content := range map[string]string{"config.xml": config, "users.xml": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	process(t, dir, clickhouseServer, "--config-file="+filepath.Join(dir, "config.xml"))
	addr := "127.0.0.1:" + strconv.Itoa(tcpPort)
	WaitPort(t, addr, 30*time.Second)
	return addr
}

// Kafka is a single KRaft broker: PLAINTEXT on Addr, SASL (PLAIN and SCRAM-SHA-512, both with User
// and Password) on SASLAddr.
type Kafka struct {
	Addr, SASLAddr, User, Password string
}

// StartKafka runs a broker from the jars scripts/servers/install.sh caches.
func StartKafka(t testing.TB) *Kafka {
	t.Helper()
	Need(t, "java")
	cache := os.Getenv("PLATFORM_SERVERS_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "platform-servers")
	}
	versions, _ := filepath.Glob(filepath.Join(cache, "kafka-*"))
	if len(versions) == 0 {
		t.Fatalf("no Kafka jars under %s: run scripts/servers/install.sh", cache)
	}
	sort.Strings(versions)
	classpath := filepath.Join(versions[len(versions)-1], "libs", "*")
	dir := t.TempDir()
	port, saslPort, controllerPort := FreePort(t), FreePort(t), FreePort(t)
	k := &Kafka{Addr: fmt.Sprintf("127.0.0.1:%d", port), SASLAddr: fmt.Sprintf("127.0.0.1:%d", saslPort), User: "storage-service", Password: "kafka-test-password"}
	properties := filepath.Join(dir, "server.properties")
	lines := []string{
		"process.roles=broker,controller",
		"node.id=1",
		fmt.Sprintf("controller.quorum.voters=1@127.0.0.1:%d", controllerPort),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", port, saslPort, controllerPort),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://%s,SASL_PLAINTEXT://%s", k.Addr, k.SASLAddr),
		"controller.listener.names=CONTROLLER",
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
		"inter.broker.listener.name=PLAINTEXT",
		"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
		fmt.Sprintf(`listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_%s="%s";`, k.User, k.Password),
		"listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
		"log.dirs=" + filepath.Join(dir, "data"),
		"auto.create.topics.enable=false",
		"offsets.topic.replication.factor=1",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"",
	}
	if err := os.WriteFile(properties, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	java := []string{"-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dlog4j.configuration=file:/dev/null", "-cp", classpath}
	// SCRAM users live in the cluster metadata; format writes the first one (Kafka 3.5 and later).
	scramUser := fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", k.User, k.Password)
	format := exec.Command("java", append(java, "kafka.tools.StorageTool", "format", "-t", "MkU3OEVBNTcwNTJENDM2Qg", "-c", properties, "--add-scram", scramUser)...)
	if out, err := format.CombinedOutput(); err != nil {
		t.Fatalf("formatting Kafka's log dir: %v\n%s", err, out)
	}
	process(t, dir, "java", append(java, "kafka.Kafka", properties)...)
	WaitPort(t, k.SASLAddr, 90*time.Second)
	return k
}
