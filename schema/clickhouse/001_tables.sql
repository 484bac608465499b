-- Tables the storage-service writes; `{database}` is replaced with platform:clickhouse.database.
CREATE DATABASE IF NOT EXISTS {database};

CREATE TABLE IF NOT EXISTS {database}.raw_positions
(
    device_id   String,
    recorded_at DateTime64(3, 'UTC'),
    latitude    Float64,
    longitude   Float64,
    speed_kmh   Float32,
    received_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(recorded_at)
ORDER BY (device_id, recorded_at)
TTL toDateTime(recorded_at) + INTERVAL 180 DAY;

CREATE TABLE IF NOT EXISTS {database}.refined_tracks
(
    device_id   String,
    started_at  DateTime64(3, 'UTC'),
    ended_at    DateTime64(3, 'UTC'),
    points      UInt32,
    distance_km Float64,
    rejected    UInt32
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (device_id, started_at);
