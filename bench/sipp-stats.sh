# Sourced by the bench scripts: reading SIPp's statistics CSV (-trace_stat -stf FILE), whose first
# line names the columns (`;`-separated) and whose last line holds the final (cumulative) values.
#
#   sipp_stat FILE COLUMN    prints COLUMN of FILE's last row, e.g. sipp_stat stats.csv 'SuccessfulCall(C)'
#                            (empty when the file or the column is missing)

# Every peer's socket buffers, bytes: what `sipflow load` asks for its own (4 MiB). SIPp's default is
# 64 KB and Node's the system's (208 KB here): a burst overflows them and the datagrams lost show
# as retransmissions, slow calls and stalled runs that measure the buffer, not the peer.
# (SIPp gets -buff_size, the bench's Node peers RECV_BUFFER in their environment.)
RECV_BUFFER=${RECV_BUFFER:-4194304}
export RECV_BUFFER

sipp_stat() {
  [ -f "$1" ] || return 0
  awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } { last = $0 } END { if (c) { split(last, f, ";"); print f[c] } }' "$1"
}

# wait_for_line FILE PATTERN PID [SECONDS]
#                                      waits until process PID has written a line matching PATTERN (grep)
#                                      to FILE; fails when PID ends first or after SECONDS (default 120)
wait_for_line() {
  local deadline=$((SECONDS + ${4:-120}))
  until grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { echo "process $3 ended before writing $2 to $1: $(tail -3 "$1" 2>/dev/null)" >&2; return 1; }
    [ $SECONDS -lt $deadline ] || { echo "no $2 in $1 after ${4:-120} s" >&2; return 1; }
    sleep 0.1
  done
}

# wait_load_ready FILE PID [SECONDS]   waits until the `sipflow load --format json` writing FILE (process
#                                      PID) has printed its load:ready line (its warm-up done, its
#                                      instances listening); fails as wait_for_line does
wait_load_ready() {
  wait_for_line "$1" '"type":"load:ready"' "$2" "${3:-120}" || { tail -3 "${1%.ndjson}.err" >&2 2>/dev/null; return 1; }
}

# ports_free PORT...                   fails, saying which, when a UDP port is already bound on this
#                                      machine (a SIPp left running from another run would answer in
#                                      the bench's place, and its figures would be nobody's)
ports_free() {
  local port taken=()
  for port in "$@"; do
    if ss -Huln "sport = :$port" 2>/dev/null | grep -q .; then taken+=("$port"); fi
  done
  [ ${#taken[@]} -eq 0 ] || { echo "UDP port(s) ${taken[*]} already in use (a SIPp or sipflow left running?); stop it first" >&2; return 1; }
}

# Clean runs per peer and rate, for REPEAT runs of each rate: note_clean PEER RATE after each clean
# run, then highest_clean PEER MIN prints the highest rate at which PEER was clean in at least MIN
# runs (0 when none).
declare -A CLEAN_RUNS=()
note_clean() {
  CLEAN_RUNS["$1 $2"]=$(( ${CLEAN_RUNS["$1 $2"]:-0} + 1 ))
}
highest_clean() {
  local key best=0 rate
  for key in "${!CLEAN_RUNS[@]}"; do
    [ "${key%% *}" = "$1" ] || continue
    rate=${key#* }
    [ "${CLEAN_RUNS[$key]}" -ge "$2" ] && [ "$rate" -gt "$best" ] && best=$rate
  done
  echo "$best"
}
