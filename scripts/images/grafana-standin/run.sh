#!/bin/sh
# The grafana/grafana image's entrypoint path; this image runs the stand-in, not Grafana.
exec /usr/share/grafana/bin/grafana-standin "$@"
