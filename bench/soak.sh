#!/usr/bin/env bash
# Soak: SIPp's uac (bench/scenarios/sipp-caller.xml: its uac, with responses matched to their
# transactions, so a lost BYE is re-sent rather than "answered" by a retransmitted 200) calls `sipflow load` server chains (bench/scenarios/answer.json: INCOMING →
# Answer → DISCONNECTED) at RATE calls/s for DURATION_S seconds while SIPp drops LOST % of the
# packets it sends and receives (-lost). Every INTERVAL_S seconds: sipflow's resident memory
# (VmRSS), its CPU time, and its live statistics line (calls completed, failed, concurrent,
# retransmissions). At the end: calls SIPp counted successful and failed, sipflow's failures by
# reason, and its memory at the start, the peak and the end, so a leak shows as a climb.
#
# usage: DURATION_S=600 RATE=50 LOST=10 INTERVAL_S=30 bench/soak.sh
# needs: sipp (apt-get install sip-tester), a built dist/ (npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/sipp-stats.sh
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)" >&2; exit 2; }
[ -f dist/api/cli.js ] || npm run build >/dev/null
DURATION_S=${DURATION_S:-600}
RATE=${RATE:-50}
LOST=${LOST:-10}
INTERVAL_S=${INTERVAL_S:-30}
PORT=38500
CALLER="$PWD/bench/scenarios/sipp-caller.xml"
WORK=$(mktemp -d)
cleanup() { kill -9 "${SIPP_PID:-}" "${LOAD_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }

CALLS=$((RATE * DURATION_S))
# sipflow runs until SIPp is done (a lost BYE is retransmitted for up to 32 s) and a margin.
node dist/api/cli.js load bench/scenarios/answer.json --var PORT=$PORT --calls "$CALLS" --duration $((DURATION_S + 120)) \
  --max-failures "$CALLS" --format json --stats-interval "$INTERVAL_S" >"$WORK/load.ndjson" 2>"$WORK/load.err" &
LOAD_PID=$!
wait_load_ready "$WORK/load.ndjson" $LOAD_PID
start_rss=$(rss_kb $LOAD_PID)
(cd "$WORK" && exec sipp 127.0.0.1:$PORT -sf "$CALLER" -i 127.0.0.1 -p $((PORT + 1)) -r "$RATE" -m "$CALLS" -lost "$LOST" \
  -nostdin -timeout $((DURATION_S + 90))s -trace_stat -stf stats.csv -fd "$INTERVAL_S" >sipp.out 2>&1) &
SIPP_PID=$!
peak=$start_rss
last_rss=$start_rss
printf '%8s %10s %8s %10s %8s %11s %8s\n' elapsed 'rss MB' 'cpu s' completed failed concurrent retrans
t0=$SECONDS
while kill -0 $SIPP_PID 2>/dev/null; do
  sleep "$INTERVAL_S"
  rss=$(rss_kb $LOAD_PID)
  [ "$rss" -gt 0 ] && last_rss=$rss
  [ "$rss" -gt "$peak" ] && peak=$rss
  line=$(grep '"type":"load:stats"' "$WORK/load.ndjson" | tail -1 || true)
  field() { grep -o "\"$1\":[0-9]*" <<<"$line" | head -1 | cut -d: -f2; }
  printf '%8s %10.1f %8s %10s %8s %11s %8s\n' "$((SECONDS - t0))s" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$(cpu_s $LOAD_PID)" \
    "$(field completed)" "$(field failed)" "$(field concurrent)" "$(field retransmissions)"
done
wait $SIPP_PID || true
# The last reading while sipflow ran (it ends by itself once its --calls are done).
end_rss=$last_rss
kill -INT $LOAD_PID 2>/dev/null || true
wait $LOAD_PID || true
col() { sipp_stat "$WORK/stats.csv" "$1"; }
echo
echo "SIPp (uac, -lost $LOST): $(col 'SuccessfulCall(C)') successful, $(col 'FailedCall(C)') failed of $CALLS; retransmissions $(col 'Retransmissions(C)')"
summary=$(grep '"type":"load:summary"' "$WORK/load.ndjson" | tail -1 || true)
echo "sipflow: $(grep -o '"completed":[0-9]*' <<<"$summary" | head -1) $(grep -o '"failed":[0-9]*' <<<"$summary" | head -1) $(grep -o '"retransmissions":[0-9]*' <<<"$summary" | head -1)"
echo "sipflow failures by reason: $(grep -o '"failures":\[[^]]*\]' <<<"$summary" || echo none)"
awk -v s="$start_rss" -v p="$peak" -v e="$end_rss" 'BEGIN{printf "sipflow memory (RSS): start %.1f MB, peak %.1f MB, last reading %.1f MB\n", s/1024, p/1024, e/1024}'
