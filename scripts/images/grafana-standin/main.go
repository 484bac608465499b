// Command grafana-standin answers for Grafana on the local real node, where Grafana itself cannot be
// used (its Go module is not served here, and it is AGPL). It serves what the platform relies on,
// from Grafana's own environment variables and paths, and nothing else:
//
//   - GET /api/health: {"database":"ok","version":"stand-in-..."} once the provisioning files loaded;
//   - GET /metrics: grafana_build_info and the number of provisioned dashboards;
//   - with the admin user's basic auth (GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD):
//     GET /api/search (the provisioned dashboards), GET /api/dashboards/uid/<uid>, and
//     GET /api/datasources (the provisioned datasource files, as text).
//
// Dashboards are read from the folders the dashboard providers under
// $GF_PATHS_PROVISIONING/dashboards name (their `path:` keys); a file that is not valid JSON fails
// the start, as it would fail Grafana's provisioning.
package main

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

var version = "dev"

type dashboard struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
	raw   json.RawMessage
}

type state struct {
	dashboards  map[string]dashboard
	datasources map[string]string
	user, pass  string
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// providerPath finds the `path:` option of a dashboard provider file without a YAML parser: the
// files are the program's own, one provider option per line.
var providerPath = regexp.MustCompile(`(?m)^\s*path:\s*["']?([^"'\s]+)["']?\s*$`)

func load(provisioning string) (*state, error) {
	s := &state{dashboards: map[string]dashboard{}, datasources: map[string]string{}}
	sources, _ := filepath.Glob(filepath.Join(provisioning, "datasources", "*.y*ml"))
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s.datasources[filepath.Base(f)] = string(b)
	}
	providers, _ := filepath.Glob(filepath.Join(provisioning, "dashboards", "*.y*ml"))
	for _, f := range providers {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range providerPath.FindAllStringSubmatch(string(b), -1) {
			files, _ := filepath.Glob(filepath.Join(m[1], "*.json"))
			for _, jf := range files {
				raw, err := os.ReadFile(jf)
				if err != nil {
					return nil, err
				}
				var d dashboard
				if err := json.Unmarshal(raw, &d); err != nil {
					return nil, fmt.Errorf("dashboard %s: %w", jf, err)
				}
				if d.UID == "" {
					d.UID = strings.TrimSuffix(filepath.Base(jf), ".json")
				}
				d.raw = raw
				s.dashboards[d.UID] = d
			}
		}
	}
	return s, nil
}

func (s *state) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) == 1 && subtle.ConstantTimeCompare([]byte(p), []byte(s.pass)) == 1
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *state) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"commit": "stand-in", "database": "ok", "version": "stand-in-" + version})
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE grafana_build_info gauge\ngrafana_build_info{edition=\"stand-in\",version=%q} 1\n", version)
		fmt.Fprintf(w, "# TYPE grafana_stat_totals_dashboard gauge\ngrafana_stat_totals_dashboard %d\n", len(s.dashboards))
	})
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !s.authorized(r) {
				w.Header().Set("WWW-Authenticate", `Basic realm="grafana-standin"`)
				http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("/api/search", authed(func(w http.ResponseWriter, _ *http.Request) {
		list := []map[string]string{}
		for _, d := range s.dashboards {
			list = append(list, map[string]string{"uid": d.UID, "title": d.Title, "type": "dash-db"})
		}
		sort.Slice(list, func(i, j int) bool { return list[i]["uid"] < list[j]["uid"] })
		writeJSON(w, list)
	}))
	mux.HandleFunc("/api/dashboards/uid/", authed(func(w http.ResponseWriter, r *http.Request) {
		d, ok := s.dashboards[strings.TrimPrefix(r.URL.Path, "/api/dashboards/uid/")]
		if !ok {
			http.Error(w, `{"message":"Dashboard not found"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"dashboard": d.raw, "meta": map[string]any{"provisioned": true}})
	}))
	mux.HandleFunc("/api/datasources", authed(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.datasources)
	}))
	return mux
}

func main() {
	s, err := load(env("GF_PATHS_PROVISIONING", "/etc/grafana/provisioning"))
	if err != nil {
		log.Fatalf("grafana-standin: provisioning: %v", err)
	}
	s.user = env("GF_SECURITY_ADMIN_USER", "admin")
	s.pass = env("GF_SECURITY_ADMIN_PASSWORD", "admin")
	addr := env("GF_SERVER_HTTP_ADDR", "") + ":" + env("GF_SERVER_HTTP_PORT", "3000")
	log.Printf("grafana-standin %s (not Grafana): %d dashboards, %d datasource files, listening on %s", version, len(s.dashboards), len(s.datasources), addr)
	log.Fatal(http.ListenAndServe(addr, s.routes()))
}
