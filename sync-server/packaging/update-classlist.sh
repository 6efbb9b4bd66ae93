#!/usr/bin/env bash
# Records sync-server/packaging/classlist, the classes a hub loads while it starts and serves,
# from which the .deb's postinst dumps the hub's application CDS archive (see build-deb.sh and
# docs/benchmarks.md, "A leaner hub": it halves the time to a listening hub). Run it after a
# change that moves what the hub loads; a stale list only makes start-up a little slower (classes
# not in it load the ordinary way).
#
# It starts the hub with -XX:DumpLoadedClassList on a temporary data directory, runs the load
# command against it for a few seconds (two rooms, so that joins, pushes, relays, acks, the store
# and compaction all run), stops it with SIGTERM (a graceful stop: the shutdown path is listed
# too) and keeps the class names.
#
# Usage: sync-server/packaging/update-classlist.sh   (after ./mvnw -pl sync-server -am package -DskipTests;
#        JAVA_HOME: the JDK the .deb is built with)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar="$here/../target/tandem-hub.jar"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[ -f "$jar" ] || { echo "update-classlist.sh: build the hub first (./mvnw -pl sync-server -am package -DskipTests)" >&2; exit 1; }

tmp=$(mktemp -d)
hub_pid=
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$java" -Xshare:off -XX:DumpLoadedClassList="$tmp/classlist" -jar "$jar" serve --auth none --port 0 --compact-every 50 \
  --data "$tmp/data" > "$tmp/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 150); do grep -q 'listening on' "$tmp/hub.log" && break; sleep 0.2; done
port=$(sed -n 's/.*listening on ws:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/hub.log" | head -n 1)
[ -n "$port" ] || { cat "$tmp/hub.log" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/metrics" > /dev/null
"$java" -jar "$jar" load "ws://127.0.0.1:$port" --rooms 2 --clients 4 --rate 10 --warmup 2 --seconds 4 > "$tmp/load.log" 2>&1
kill -TERM "$hub_pid"
wait "$hub_pid" || true
hub_pid=
# Class names only, no lambda or hidden classes (their names differ from run to run).
grep -v -e '^#' -e '^@' -e '\$\$Lambda' -e '/0x' "$tmp/classlist" | sed 's/ .*//' | sort -u > "$here/classlist"
echo "update-classlist.sh: $(wc -l < "$here/classlist") classes in $here/classlist"
