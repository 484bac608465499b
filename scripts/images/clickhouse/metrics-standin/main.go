// Stand-in for ClickHouse's built-in Prometheus endpoint (<prometheus> in config.d, port 9363),
// which the ClickHouse 18.16 of Debian predates. It serves /metrics in the same shape: every row of
// system.metrics as a gauge ClickHouseMetrics_<name>, system.events as a counter
// ClickHouseProfileEvents_<name> and system.asynchronous_metrics as a gauge
// ClickHouseAsyncMetrics_<name>, plus ClickHouseAsyncMetrics_Uptime from uptime(). It reads them
// over the server's HTTP port on loopback as CLICKHOUSE_USER with CLICKHOUSE_PASSWORD (the image's
// entrypoint contract). Gaps from upstream: 18.16's system.events lists only events that happened
// (upstream prints every event, zero included), and a scrape fails with 500 while the server is down.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var invalid = regexp.MustCompile(`[^a-zA-Z0-9_:]`)

const query = `SELECT 'gauge', concat('ClickHouseMetrics_', metric), toFloat64(value) FROM system.metrics
UNION ALL SELECT 'counter', concat('ClickHouseProfileEvents_', event), toFloat64(value) FROM system.events
UNION ALL SELECT 'gauge', concat('ClickHouseAsyncMetrics_', metric), toFloat64(value) FROM system.asynchronous_metrics
UNION ALL SELECT 'gauge', 'ClickHouseAsyncMetrics_Uptime', toFloat64(uptime())
FORMAT TabSeparated`

type exporter struct {
	server, user, password string
	client                 *http.Client
}

func (e *exporter) rows(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.server, strings.NewReader(query))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-ClickHouse-User", e.user)
	req.Header.Set("X-ClickHouse-Key", e.password)
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("clickhouse answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return resp.Body, nil
}

func (e *exporter) metrics(w http.ResponseWriter, r *http.Request) {
	body, err := e.rows(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	out := bufio.NewWriter(w)
	defer out.Flush()
	seen := map[string]bool{}
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			continue
		}
		if _, err := strconv.ParseFloat(f[2], 64); err != nil {
			continue
		}
		// As upstream: characters Prometheus does not allow in a name (jemalloc.active) become '_'.
		name := invalid.ReplaceAllString(f[1], "_")
		// Once the server has computed its asynchronous metrics, they hold Uptime too: first wins.
		if seen[name] {
			continue
		}
		seen[name] = true
		fmt.Fprintf(out, "# TYPE %s %s\n%s %s\n", name, f[0], name, f[2])
	}
}

func main() {
	listen := flag.String("listen", ":9363", "address of the /metrics endpoint")
	server := flag.String("clickhouse", "http://127.0.0.1:8123/", "the server's HTTP interface")
	flag.Parse()
	e := &exporter{server: *server, user: os.Getenv("CLICKHOUSE_USER"), password: os.Getenv("CLICKHOUSE_PASSWORD"), client: &http.Client{Timeout: 5 * time.Second}}
	if e.user == "" {
		e.user = "default"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.metrics)
	log.Printf("clickhouse metrics stand-in on %s reading %s", *listen, *server)
	log.Fatal((&http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}).ListenAndServe())
}
