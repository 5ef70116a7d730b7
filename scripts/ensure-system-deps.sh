#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# librdkafka-dev (the Kafka-protocol mock brokers the Kafka tests run against)
# and bsdutils (util-linux's logger, which writes real syslog lines for the parser tests).
set -euo pipefail
missing=()
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || missing+=(librdkafka-dev)
command -v logger >/dev/null 2>&1 || missing+=(bsdutils)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ -n "${KAFKA_BROKERS:-}" ] && [ "${missing[*]}" = "librdkafka-dev" ]; then exit 0; fi
echo "installing ${missing[*]} with apt-get" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
