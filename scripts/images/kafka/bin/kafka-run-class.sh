#!/bin/bash
# Runs a Kafka class on the image's classpath with the options Kafka's own kafka-run-class.sh honours
# (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_JMX_OPTS, KAFKA_OPTS).
base="$(cd "$(dirname "$0")/.." && pwd)"
: "${KAFKA_HEAP_OPTS:=-Xmx256M}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j.configuration=file:$base/config/tools-log4j.properties}"
# shellcheck disable=SC2086 # the *_OPTS variables are option lists
exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_JMX_OPTS:-} $KAFKA_LOG4J_OPTS -cp "$base/libs/*" ${KAFKA_OPTS:-} "$@"
