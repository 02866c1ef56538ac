# Sourced by the bench scripts: reading SIPp's statistics CSV (-trace_stat -stf FILE), whose first
# line names the columns (`;`-separated) and whose last line holds the final (cumulative) values.
#
#   sipp_stat FILE COLUMN    prints COLUMN of FILE's last row, e.g. sipp_stat stats.csv 'SuccessfulCall(C)'
#                            (empty when the file or the column is missing)

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
