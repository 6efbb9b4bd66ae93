#!/usr/bin/env bash
# Start-up time of the desktop client: from the process's start to its first window accepting
# typing (TANDEM_READY_PROBE: the focus is in a text field or the editor), under Xvfb.
#   plain-jdk   the jars on the full JDK: java -cp ... --module-path javafx-jars (no app image)
#   image-noappcds  the app image (jlink runtime, JavaFX natives beside it), its app archive moved away
#   image       the app image as built (jlink runtime + application CDS archive)
# Each: one cold start (page cache dropped, as root; fresh profile and HOME, so JavaFX's
# native-library cache is empty for plain-jdk) and RUNS warm starts, taken round robin
# (median, min, max).
# Two windows: the start screen (started from a menu) and a room (an invite; a local hub).
#
# Usage: client-fx/packaging/startup-bench.sh [RUNS]   (after ./mvnw -Pdist -DskipTests package)
set -euo pipefail
runs=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
target="$here/../target"
image="$target/dist/Tandem"
appdir="$image/lib/app"
[ -x "$image/bin/Tandem" ] || { echo "startup-bench.sh: build the app image first" >&2; exit 1; }
cp=()
while IFS= read -r line; do
  case $line in app.classpath=*) cp+=("$appdir/${line#app.classpath=\$APPDIR/}") ;; esac
done < "$appdir/Tandem.cfg"
classpath=$(IFS=:; echo "${cp[*]}")
fxpath=$(ls "$target"/jpackage/javafx/javafx-*-*-*.jar | paste -sd: -)
jdk_java=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/java

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  [ -f "$tmp/tandem.jsa.away" ] && mv "$tmp/tandem.jsa.away" "$appdir/tandem.jsa"
  rm -rf "$tmp"
}
trap cleanup EXIT

display=:$(( 90 + RANDOM % 100 ))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp > /dev/null 2>&1 &
pids+=($!)
"$jdk_java" -cp "$classpath" dev.tandem.hub.HubMain --port 0 --data "$tmp/hub" > "$tmp/hub.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q 'listening on' "$tmp/hub.log" && break; sleep 0.2; done
port=$(sed -n 's/.*listening on ws:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/hub.log" | head -n 1)

launch() { # config window cold -> prints ms
  local config=$1 window=$2 cold=$3 n=$RANDOM
  local home="$tmp/home-$config"; [ "$cold" = cold ] && home="$tmp/home-$config-$n"
  local args=(--name Bench)
  [ "$window" = room ] && args+=(--server "ws://127.0.0.1:$port" --room "bench-$n")
  if [ "$cold" = cold ]; then sync; echo 3 > /proc/sys/vm/drop_caches 2> /dev/null || true; fi
  local cmd
  case $config in
    plain-jdk) cmd=("$jdk_java" --module-path "$fxpath" --add-modules javafx.controls -cp "$classpath" dev.tandem.client.Main) ;;
    *) cmd=("$image/bin/Tandem") ;;
  esac
  mkdir -p "$home"
  HOME="$home" DISPLAY="$display" TANDEM_READY_PROBE=exit TANDEM_CLIENT_DATA="$tmp/profile-$n" \
    timeout 120 "${cmd[@]}" "${args[@]}" 2> /dev/null | sed -n 's/^tandem-ready .*uptime-ms=\([0-9]*\)$/\1/p'
}

summary() { sort -n | awk '{a[NR]=$1} END {printf "%d (min %d, max %d, n=%d)", a[int((NR+1)/2)], a[1], a[NR], NR}'; }

# The app archive is moved away for image-noappcds and put back after each of its starts.
use() {
  if [ "$1" = image-noappcds ]; then mv "$appdir/tandem.jsa" "$tmp/tandem.jsa.away"; fi
}
done_with() {
  if [ "$1" = image-noappcds ]; then mv "$tmp/tandem.jsa.away" "$appdir/tandem.jsa"; fi
}

configs=(plain-jdk image-noappcds image)
declare -A cold warm
# Cold first, one of each, page cache dropped before each.
for config in "${configs[@]}"; do
  for window in start room; do
    use $config; cold[$config,$window]=$(launch $config $window cold); done_with $config
  done
done
# Warm: round robin, so a burst of load on this shared machine hits every configuration alike.
for config in "${configs[@]}"; do use $config; launch $config start warm > /dev/null; done_with $config; done
for i in $(seq "$runs"); do
  for config in "${configs[@]}"; do
    for window in start room; do
      use $config; echo "$(launch $config $window warm)" >> "$tmp/warm-$config-$window"; done_with $config
    done
  done
done

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$image/lib/runtime/bin/java" -version 2>&1 | head -n 1)"
echo "| configuration | window | cold ms | warm ms, median |"
echo "| --- | --- | --- | --- |"
for config in "${configs[@]}"; do
  for window in start room; do
    echo "| $config | $window | ${cold[$config,$window]} | $(summary < "$tmp/warm-$config-$window") |"
  done
done
