#!/bin/sh
# The redis image's entrypoint contract: arguments starting with '-' (or a .conf file) are options
# to redis-server; anything else is run as a command.
set -e
case "$1" in
  -* | *.conf) set -- redis-server "$@" ;;
esac
exec "$@"
