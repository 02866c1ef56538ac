# Sourced by the bench scripts: reading SIPp's statistics CSV (-trace_stat -stf FILE), whose first
# line names the columns (`;`-separated) and whose last line holds the final (cumulative) values.
#
#   sipp_stat FILE COLUMN    prints COLUMN of FILE's last row, e.g. sipp_stat stats.csv 'SuccessfulCall(C)'
#                            (empty when the file or the column is missing)

sipp_stat() {
  [ -f "$1" ] || return 0
  awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } { last = $0 } END { if (c) { split(last, f, ";"); print f[c] } }' "$1"
}
