#!/usr/bin/env bash
# Runs Tandem's trace command and the peer CRDT benchmark (../shared/peer-bench: Yjs, Automerge,
# Loro, diamond-types, json-joy) on each trace, one right after the other, so the ratios come
# from the same minutes on the same machine. Usage: bench/crdt-vs-peers.sh [OUT_DIR] [TRACE...]
# Needs node/npm for the peers. Takes ~10 minutes for the four traces.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/tandem-bench}
shift || true
peers=${PEER_BENCH:-$here/../shared/peer-bench}
traces=("$@")
if [ ${#traces[@]} -eq 0 ]; then
  traces=("$here"/crdt/src/test/resources/traces/*.json.gz)
fi
mkdir -p "$out"
cd "$here"
./mvnw -q -pl crdt test-compile
for t in "${traces[@]}"; do
  name=$(basename "$t" .json.gz)
  echo "== $name: tandem"
  ./mvnw -q -pl crdt exec:java -Dexec.args="replay $t" | tee "$out/tandem-$name.txt" | tail -1
  if [ -x "$peers/run.sh" ]; then
    echo "== $name: peers"
    "$peers/run.sh" --traces "$(cd "$(dirname "$t")" && pwd)/$(basename "$t")" > "$out/peers-$name.txt" 2>&1 || echo "peer bench failed, see $out/peers-$name.txt"
    grep -E '^\|' "$out/peers-$name.txt" | head -12
  fi
done
