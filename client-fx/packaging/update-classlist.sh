#!/usr/bin/env bash
# Records packaging/classlist, the classes a start-up of the app image loads, from which
# build-app.sh dumps the application CDS archive. Run it (Linux, with xvfb-run) after a change
# that moves what start-up loads, then rebuild with -Pdist; a stale list only makes start-up a
# little slower (classes not in it load the ordinary way).
#
# It starts the image twice under Xvfb with -XX:DumpLoadedClassList and TANDEM_READY_PROBE=exit:
# once to the start screen, once into a room on a local hub; each run quits once its window
# accepts typing. The two lists are merged (class names only: the per-run ids would clash).
#
# Usage: client-fx/packaging/update-classlist.sh   (after ./mvnw -Pdist -DskipTests package)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image="$here/../target/dist/Tandem"
appdir="$image/lib/app"
java="$image/lib/runtime/bin/java"
[ -x "$java" ] || { echo "update-classlist.sh: build the app image first (./mvnw -Pdist -DskipTests package)" >&2; exit 1; }

cp=()
while IFS= read -r line; do
  case $line in app.classpath=*) cp+=("$appdir/${line#app.classpath=\$APPDIR/}") ;; esac
done < "$appdir/Tandem.cfg"
classpath=$(IFS=:; echo "${cp[*]}")

tmp=$(mktemp -d)
hub_pid=
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$java" -cp "$classpath" dev.tandem.hub.HubMain --port 0 --data "$tmp/hub" > "$tmp/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/hub.log" && break; sleep 0.2; done
port=$(sed -n 's/.*listening on ws:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/hub.log" | head -n 1)
[ -n "$port" ] || { cat "$tmp/hub.log" >&2; exit 1; }

run() {
  local list=$1; shift
  TANDEM_READY_PROBE=exit TANDEM_CLIENT_DATA="$tmp/profile-$list" timeout 120 xvfb-run -a \
    "$java" -Xshare:off -XX:DumpLoadedClassList="$tmp/$list" --enable-native-access=javafx.graphics \
    -cp "$classpath" dev.tandem.client.Main "$@" | grep tandem-ready
}
run start --name Trainer
run room --name Trainer --server "ws://127.0.0.1:$port" --room training

# Keep plain class names (drop "id: N" and "super:"/"source:" parts, which only custom loaders need
# and which differ between runs) and the lambda lines; one of each.
cat "$tmp/start" "$tmp/room" | grep -v ' source: ' | sed 's/ id: [0-9]*$//' | grep -v '^#' | sort -u > "$here/classlist"
echo "update-classlist.sh: $(wc -l < "$here/classlist") lines in $here/classlist"
