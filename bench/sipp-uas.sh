#!/usr/bin/env bash
# SIPp's uac at rising call rates against (a) `sipflow load` with a server scenario (INCOMING →
# Answer → DISCONNECTED, bench/scenarios/answer.json), (b) the bare stack (one UserAgent answering,
# bench/bare-uas.ts), (c) Node's floor (canned responses on a bare node:dgram socket, no SIP stack,
# bench/raw-uas.ts) and (d) SIPp's own uas, alternating at each rate in the same run. sipflow load
# and the bare stack warm up first (3,000 calls each); SIPp's uac starts once they listen. For
# each: calls successful and failed, the call rate achieved, the share of calls whose response time
# (INVITE → 200, SIPp's ResponseTimeRepartition1) was 200 ms or more, and the server's CPU time per
# call: the whole process (user + system, from bash's `time`, start-up and sipflow's warm-up
# included) and, for sipflow and the bare stack, their own figure for the calls alone; for sipflow
# also how busy its event loop was in its busiest second ("busy% max": near 100, sipflow itself was
# the limit). A rate is
# clean when every call succeeded, at least 90 % of the offered rate was achieved and under 1 % of
# the calls took 200 ms or more. Prints the highest clean rate of each and their ratio (sipflow /
# SIPp). Every peer, SIPp included, gets the socket buffers `sipflow load` asks for (RECV_BUFFER,
# 4 MiB; see bench/sipp-stats.sh).
#
# usage: bench/sipp-uas.sh [rate ...]      (default: 100 250 500 1000 2000 3000 4000; each runs 5 s)
#        REPEAT=n runs each rate n times (default 1): near its limit a server is often clean in one run
#        and swamped in the next, so the highest clean rate is then the highest clean in every run (and
#        the highest clean in any run is printed beside it)
#        PEERS="sipflow sipp" answers with only those (default: sipflow bare raw sipp)
# needs: sipp (apt-get install sip-tester); builds dist/ and .bench-out/ when missing
set -euo pipefail
# A command that fails ends the script (set -e): say which, rather than stop without a word.
trap 'echo "$0: line $LINENO: \"$BASH_COMMAND\" failed; stopping" >&2' ERR
cd "$(dirname "$0")/.."
. bench/sipp-stats.sh
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)" >&2; exit 2; }
[ -f dist/api/cli.js ] || npm run build >/dev/null
[ -f .bench-out/bench/bare-uas.js ] && [ -f .bench-out/bench/raw-uas.js ] || npx tsc -p tsconfig.bench.json
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(100 250 500 1000 2000 3000 4000)
SECONDS_PER_RATE=${SECONDS_PER_RATE:-5}
REPEAT=${REPEAT:-1}
read -r -a PEER_LIST <<<"${PEERS:-sipflow bare raw sipp}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SERVER_PORT=38200
UAC_PORT=38201
ports_free $SERVER_PORT $UAC_PORT

printf '%-8s %6s %5s %12s %7s %9s %9s %11s %12s %12s %10s %s\n' peer rate run calls failed achieved '>=200ms%' 'cpu µs' 'cpu µs/call' 'load µs/call' 'busy% max' clean
for rate in "${RATES[@]}"; do
  calls=$((rate * SECONDS_PER_RATE))
  for run in $(seq "$REPEAT"); do
    for peer in "${PEER_LIST[@]}"; do
      dir="$WORK/$peer-$rate-$run"; mkdir -p "$dir"
      TIMEFORMAT='%U %S'
      if [ "$peer" = sipflow ]; then
        { time node dist/api/cli.js load bench/scenarios/answer.json --var PORT=$SERVER_PORT --calls "$calls" --duration $((SECONDS_PER_RATE + 40)) --max-failures "$calls" --format json >"$dir/load.ndjson" 2>"$dir/load.err"; } 2>"$dir/time" &
      elif [ "$peer" = bare ]; then
        { time node .bench-out/bench/bare-uas.js $SERVER_PORT "$calls" >"$dir/bare.json" 2>"$dir/bare.err"; } 2>"$dir/time" &
      elif [ "$peer" = raw ]; then
        { time node .bench-out/bench/raw-uas.js $SERVER_PORT "$calls" >"$dir/raw.json" 2>"$dir/raw.err"; } 2>"$dir/time" &
      else
        { time sipp -sn uas -i 127.0.0.1 -p $SERVER_PORT -m "$calls" -nostdin -buff_size $RECV_BUFFER -timeout $((SECONDS_PER_RATE + 40))s >"$dir/uas.out" 2>&1; } 2>"$dir/time" &
      fi
      server=$!
      # sipflow and the bare stack warm up first (a load:ready line, a 'ready' line on stderr, says when
      # they listen); the others are up in well under 1.5 s.
      if [ "$peer" = sipflow ]; then wait_load_ready "$dir/load.ndjson" $server
      elif [ "$peer" = bare ]; then wait_for_line "$dir/bare.err" '^ready' $server || true
      else sleep 1.5; fi
      # (timeout: SIPp's own -timeout did not end a uac whose server had stopped answering mid-run.)
      (cd "$dir" && timeout $((SECONDS_PER_RATE + 60)) sipp 127.0.0.1:$SERVER_PORT -sn uac -i 127.0.0.1 -p $UAC_PORT -r "$rate" -m "$calls" -nostdin -buff_size $RECV_BUFFER \
        -timeout $((SECONDS_PER_RATE + 30))s -trace_stat -stf stats.csv -fd 1 >uac.out 2>&1 || true)
      wait $server || true
      col() { sipp_stat "$dir/stats.csv" "$1"; }
      ok=$(col 'SuccessfulCall(C)'); failed=$(col 'FailedCall(C)'); ge200=$(col 'ResponseTimeRepartition1_>=200')
      elapsed=$(col 'ElapsedTime(C)')
      secs=$(awk -F: '{print $1*3600 + $2*60 + $3}' <<<"$elapsed")
      achieved=$(awk -v ok="$ok" -v s="$secs" 'BEGIN{ if (s > 0) printf "%.0f", ok / s; else print 0 }')
      slow=$(awk -v g="$ge200" -v c="$calls" 'BEGIN{ printf "%.2f", 100 * g / c }')
      read -r user sys <"$dir/time"
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{ printf "%.0f", (u + s) * 1e6 }')
      per=$(awk -v t="$cpu" -v c="$calls" 'BEGIN{ printf "%.0f", t / c }')
      inload=-
      if [ "$peer" = sipflow ]; then inload=$(grep -o '"perCallUs":[0-9]*' "$dir/load.ndjson" | tail -1 | cut -d: -f2 || true); fi
      # sipflow's own event loop in its busiest second: near 100, sipflow (not the peer) was the limit.
      busy=""; if [ "$peer" = sipflow ]; then busy=$(grep -o '"maxLoopBusy":[0-9.]*' "$dir/load.ndjson" | tail -1 | cut -d: -f2 || true); fi
      if [ "$peer" = bare ] || [ "$peer" = raw ]; then inload=$(grep -o '"perCallUs":[0-9]*' "$dir/$peer.json" | tail -1 | cut -d: -f2 || true); fi
      clean=no
      if [ "$ok" = "$calls" ] && [ "$failed" = 0 ] && awk -v a="$achieved" -v r="$rate" -v g="$ge200" -v c="$calls" 'BEGIN{ exit !(a >= 0.9 * r && g < 0.01 * c) }'; then
        clean=yes
        note_clean "$peer" "$rate"
      fi
      printf '%-8s %6s %5s %12s %7s %9s %9s %11s %12s %12s %10s %s\n' "$peer" "$rate" "$run/$REPEAT" "$ok/$calls" "$failed" "$achieved" "$slow" "$cpu" "$per" "${inload:--}" "${busy:--}" "$clean"
    done
  done
done
echo
echo "highest clean rate$([ "$REPEAT" -gt 1 ] && echo " (clean in each of the $REPEAT runs)"): sipflow load $(highest_clean sipflow "$REPEAT") calls/s, bare UserAgent $(highest_clean bare "$REPEAT") calls/s, Node floor (raw dgram) $(highest_clean raw "$REPEAT") calls/s, SIPp uas $(highest_clean sipp "$REPEAT") calls/s"
[ "$REPEAT" -gt 1 ] && echo "highest clean in at least one of the $REPEAT runs: sipflow load $(highest_clean sipflow 1), bare UserAgent $(highest_clean bare 1), Node floor (raw dgram) $(highest_clean raw 1), SIPp uas $(highest_clean sipp 1)"
awk -v a="$(highest_clean sipflow "$REPEAT")" -v b="$(highest_clean sipp "$REPEAT")" 'BEGIN{ if (b > 0) printf "ratio sipflow / SIPp: %.2f (target >= 1.0)\n", a / b; else print "ratio: SIPp had no clean rate" }'
