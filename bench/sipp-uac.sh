#!/usr/bin/env bash
# Calls into SIPp's uas at rising rates, from (a) `sipflow load` with a client scenario (MakeCall →
# Release, bench/scenarios/call.json), (b) Node's floor: one node:dgram socket sending canned
# INVITE, ACK and BYE with no SIP stack (bench/raw-uac.ts), and (c) SIPp's own uac, alternating at
# each rate in the same run. For each: calls successful and failed (as the uas counts them, and as the caller does), the
# rate achieved, the share of calls that took 200 ms or more to set up (each caller's own figure), and
# the caller's CPU time per call (the whole process, start-up and sipflow's warm-up included; and
# sipflow's and the floor's own figure for the calls alone, "load µs/call"; and how busy sipflow's event loop was
# in its busiest second, "busy% max": near 100, sipflow itself was the limit). A rate is clean when every call
# succeeded, at least 90 % of the offered rate was achieved and under 1 % of the calls took 200 ms
# or more to set up. Prints the highest clean rate of each and their ratio (sipflow / SIPp). Every
# peer, SIPp included, gets the socket buffers `sipflow load` asks for (RECV_BUFFER, 4 MiB; see
# bench/sipp-stats.sh).
#
# usage: bench/sipp-uac.sh [rate ...]      (default: 100 250 500 1000 2000 3000 4000; each runs 5 s)
#        REPEAT=n runs each rate n times (default 1): the highest clean rate is then the highest clean in
#        every run (and the highest clean in any run is printed beside it)
#        WORKERS=n gives `sipflow load` --workers n (default 1); PEERS="sipflow sipp" runs only those
#        callers (default: sipflow raw sipp)
# needs: sipp (apt-get install sip-tester), a built dist/ (npm run build); builds .bench-out/ when missing
set -euo pipefail
# A command that fails ends the script (set -e): say which, rather than stop without a word.
trap 'echo "$0: line $LINENO: \"$BASH_COMMAND\" failed; stopping" >&2' ERR
cd "$(dirname "$0")/.."
. bench/sipp-stats.sh
command -v sipp >/dev/null || { echo "sipp not found (apt-get install sip-tester)" >&2; exit 2; }
[ -f dist/api/cli.js ] || npm run build >/dev/null
[ -f .bench-out/bench/raw-uac.js ] || npx tsc -p tsconfig.bench.json
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(100 250 500 1000 2000 3000 4000)
SECONDS_PER_RATE=${SECONDS_PER_RATE:-5}
REPEAT=${REPEAT:-1}
WORKERS=${WORKERS:-1}
read -r -a PEER_LIST <<<"${PEERS:-sipflow raw sipp}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
UAS_PORT=38300
UAC_PORT=38301
ports_free $UAS_PORT $UAC_PORT

printf '%-8s %6s %5s %12s %7s %9s %10s %11s %12s %12s %10s %s\n' caller rate run 'uas ok' failed achieved 'slow %' 'cpu µs' 'cpu µs/call' 'load µs/call' 'busy% max' clean
for rate in "${RATES[@]}"; do
  calls=$((rate * SECONDS_PER_RATE))
  for run in $(seq "$REPEAT"); do
    for peer in "${PEER_LIST[@]}"; do
      dir="$WORK/$peer-$rate-$run"; mkdir -p "$dir"
      (cd "$dir" && timeout $((SECONDS_PER_RATE + 100)) sipp -sn uas -i 127.0.0.1 -p $UAS_PORT -m "$calls" -nostdin -buff_size $RECV_BUFFER -timeout $((SECONDS_PER_RATE + 40))s \
        -trace_stat -stf uas.csv -fd 1 >uas.out 2>&1 || true) &
      uas=$!
      sleep 1
      TIMEFORMAT='%U %S'
      start=$(date +%s.%N)
      if [ "$peer" = sipflow ]; then
        # (timeout, for every peer: a run that never ends, as one did here after SIPp's uas was left
        # with calls it never completed, must not hold the whole script)
        { time timeout $((SECONDS_PER_RATE + 90)) node dist/api/cli.js load bench/scenarios/call.json --var TARGET=sip:service@127.0.0.1:$UAS_PORT --port-base $UAC_PORT \
            --rate "$rate" --calls "$calls" --workers "$WORKERS" --max-failures "$calls" --format json >"$dir/load.ndjson" 2>"$dir/load.err"; } 2>"$dir/time"
      elif [ "$peer" = raw ]; then
        { time timeout $((SECONDS_PER_RATE + 90)) node .bench-out/bench/raw-uac.js $UAC_PORT $UAS_PORT "$rate" "$calls" >"$dir/raw.json" 2>"$dir/raw.err" || true; } 2>"$dir/time"
      else
        { time timeout $((SECONDS_PER_RATE + 90)) sipp 127.0.0.1:$UAS_PORT -sn uac -i 127.0.0.1 -p $UAC_PORT -r "$rate" -m "$calls" -nostdin -buff_size $RECV_BUFFER -timeout $((SECONDS_PER_RATE + 30))s \
            -trace_stat -stf "$dir/uac.csv" -fd 1 >"$dir/uac.out" 2>&1 || true; } 2>"$dir/time"
      fi
      end=$(date +%s.%N)
      wait $uas || true
      ok=$(sipp_stat "$dir/uas.csv" 'SuccessfulCall(C)')
      if [ "$peer" = sipflow ]; then
        failed=$(grep -o '"failed":[0-9]*' "$dir/load.ndjson" | tail -1 | cut -d: -f2)
        achieved=$(grep -o '"averageRate":[0-9.]*' "$dir/load.ndjson" | tail -1 | cut -d: -f2)
        slow=$(node -e '
          const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse).find((x) => x.type === "load:summary");
          const n = l.setupHistogram.reduce((a, [, c]) => a + c, 0), slow = l.setupHistogram.filter(([ms]) => ms >= 200).reduce((a, [, c]) => a + c, 0);
          console.log(n > 0 ? (100 * slow / n).toFixed(2) : "100.00");' "$dir/load.ndjson")
      elif [ "$peer" = raw ]; then
        [ -s "$dir/raw.err" ] && echo "raw-uac at $rate: $(tail -2 "$dir/raw.err")" >&2
        ended=$(grep -o '"calls":[0-9]*' "$dir/raw.json" | cut -d: -f2 || true)
        failed=$((calls - ${ended:-0}))
        achieved=$(grep -o '"achievedRate":[0-9.]*' "$dir/raw.json" | cut -d: -f2 || echo 0)
        slow=$(grep -o '"slowPercent":[0-9.]*' "$dir/raw.json" | cut -d: -f2 || echo 100)
      else
        failed=$(sipp_stat "$dir/uac.csv" 'FailedCall(C)')
        elapsed=$(sipp_stat "$dir/uac.csv" 'ElapsedTime(C)')
        secs=$(awk -F: '{print $1*3600 + $2*60 + $3}' <<<"$elapsed")
        achieved=$(awk -v ok="$(sipp_stat "$dir/uac.csv" 'SuccessfulCall(C)')" -v s="$secs" 'BEGIN{ if (s > 0) printf "%.0f", ok / s; else print 0 }')
        slow=$(awk -v g="$(sipp_stat "$dir/uac.csv" 'ResponseTimeRepartition1_>=200')" -v c="$calls" 'BEGIN{ printf "%.2f", 100 * g / c }')
      fi
      read -r user sys <"$dir/time"
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{ printf "%.0f", (u + s) * 1e6 }')
      per=$(awk -v t="$cpu" -v c="$calls" 'BEGIN{ printf "%.0f", t / c }')
      achieved=$(awk -v a="$achieved" 'BEGIN{ printf "%.0f", a }')
      inload=-
      if [ "$peer" = sipflow ]; then inload=$(grep -o '"perCallUs":[0-9]*' "$dir/load.ndjson" | tail -1 | cut -d: -f2 || true); fi
      if [ "$peer" = raw ]; then inload=$(grep -o '"perCallUs":[0-9]*' "$dir/raw.json" | cut -d: -f2 || true); fi
      # sipflow's own event loop in its busiest second: near 100, sipflow (not the peer) was the limit.
      busy=""; if [ "$peer" = sipflow ]; then busy=$(grep -o '"maxLoopBusy":[0-9.]*' "$dir/load.ndjson" | tail -1 | cut -d: -f2 || true); fi
      clean=no
      if [ "$ok" = "$calls" ] && [ "${failed:-1}" = 0 ] && awk -v a="$achieved" -v r="$rate" -v s="$slow" 'BEGIN{ exit !(a >= 0.9 * r && s < 1) }'; then
        clean=yes
        note_clean "$peer" "$rate"
      fi
      printf '%-8s %6s %5s %12s %7s %9s %10s %11s %12s %12s %10s %s\n' "$peer" "$rate" "$run/$REPEAT" "$ok/$calls" "${failed:-?}" "$achieved" "$slow" "$cpu" "$per" "${inload:--}" "${busy:--}" "$clean"
    done
  done
done
echo
echo "highest clean rate$([ "$REPEAT" -gt 1 ] && echo " (clean in each of the $REPEAT runs)"): sipflow load $(highest_clean sipflow "$REPEAT") calls/s, Node floor (raw dgram) $(highest_clean raw "$REPEAT") calls/s, SIPp uac $(highest_clean sipp "$REPEAT") calls/s"
[ "$REPEAT" -gt 1 ] && echo "highest clean in at least one of the $REPEAT runs: sipflow load $(highest_clean sipflow 1), Node floor (raw dgram) $(highest_clean raw 1), SIPp uac $(highest_clean sipp 1)"
awk -v a="$(highest_clean sipflow "$REPEAT")" -v b="$(highest_clean sipp "$REPEAT")" 'BEGIN{ if (b > 0) printf "ratio sipflow / SIPp: %.2f (target >= 1.0)\n", a / b; else print "ratio: SIPp had no clean rate" }'
