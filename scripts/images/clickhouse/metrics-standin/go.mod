module platform.local/clickhouse-metrics-standin

go 1.22
