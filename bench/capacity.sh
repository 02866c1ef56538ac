#!/usr/bin/env bash
# Capacity: CALLS concurrent established calls held open (no media). SIPp's uac places them at
# RATE calls/s and keeps each up; `sipflow load` answers them with a server chain
# (bench/scenarios/hold-open.json). Once every call is up: sipflow's resident memory (VmRSS) next to
# what it had before the first call, per call, and its CPU use over IDLE_S seconds of holding
# (target: RSS under 150 MB for 10,000 calls, CPU near zero). RSS is read twice: as soon as every
# call is up, and SETTLE_S seconds later (default 60), once the INVITE server transactions have left
# RFC 6026's Accepted state (Timer L, 64·T1 = 32 s) and only the dialogs remain. Then both are
# stopped.
#
# usage: CALLS=10000 RATE=500 IDLE_S=5 SETTLE_S=60 bench/capacity.sh
# needs: sipp (apt-get install sip-tester), a built dist/ (npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/sipp-stats.sh
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)" >&2; exit 2; }
[ -f dist/api/cli.js ] || npm run build >/dev/null
CALLS=${CALLS:-10000}
RATE=${RATE:-500}
IDLE_S=${IDLE_S:-5}
SETTLE_S=${SETTLE_S:-60}
PORT=38400
WORK=$(mktemp -d)
cleanup() { kill -9 "${SIPP_PID:-}" "${LOAD_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# (beyond the 20,000 calls an instance keeps at once by default, room for them all)
LIMITS=(); [ "$CALLS" -le 20000 ] || LIMITS=(--max-dialogs "$CALLS")
node dist/api/cli.js load bench/scenarios/hold-open.json --var PORT=$PORT --calls "$CALLS" --duration 3600 "${LIMITS[@]}" \
  --max-failures "$CALLS" --format json >"$WORK/load.ndjson" 2>"$WORK/load.err" &
LOAD_PID=$!
wait_load_ready "$WORK/load.ndjson" $LOAD_PID
before=$(rss_kb $LOAD_PID)
(cd "$WORK" && exec sipp 127.0.0.1:$PORT -sn uac -i 127.0.0.1 -p $((PORT + 1)) -r "$RATE" -m "$CALLS" -l "$CALLS" -d 3600000 \
  -nostdin -timeout 3600s >sipp.out 2>&1) &
SIPP_PID=$!
peak=$before
deadline=$((SECONDS + CALLS / RATE * 3 + 60))
up=0
while [ $SECONDS -lt $deadline ]; do
  sleep 1
  peak=$(( $(rss_kb $LOAD_PID) > peak ? $(rss_kb $LOAD_PID) : peak ))
  up=$(grep -o '"concurrent":[0-9]*' "$WORK/load.ndjson" | tail -1 | cut -d: -f2)
  [ "${up:-0}" -ge "$CALLS" ] && break
done
[ "${up:-0}" -ge "$CALLS" ] || { echo "only ${up:-0} of $CALLS calls came up; see SIPp: $(tail -5 "$WORK/sipp.out")" >&2; exit 1; }
sleep 2
up_rss=$(rss_kb $LOAD_PID)
sleep "$SETTLE_S"
held=$(rss_kb $LOAD_PID)
t0=$(cpu_ticks $LOAD_PID)
sleep "$IDLE_S"
t1=$(cpu_ticks $LOAD_PID)
hz=$(getconf CLK_TCK)
echo "calls held open:           $up"
echo "RSS before the first call: $((before / 1024)) MB"
echo "RSS with every call up:    $((up_rss / 1024)) MB (peak while they came up $((peak / 1024)) MB)"
echo "RSS $SETTLE_S s later:          $((held / 1024)) MB (target under 150 MB), $(( (held - before) * 1024 / CALLS )) bytes per call"
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$IDLE_S" 'BEGIN{ printf "CPU while holding:         %.1f %% of a core over %d s\n", 100 * (b - a) / hz / s, s }'
