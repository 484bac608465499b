module platform.local/grafana-standin

go 1.22
