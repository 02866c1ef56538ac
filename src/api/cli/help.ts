// The CLI's help texts: `sipflow --help` and `sipflow <command> --help`. docs/cli.md says the same
// at length; a test keeps every flag a command takes in its help.

/** The general usage. */
export const USAGE = `Usage: sipflow <command> [options]

Run SIP call-flow scenarios on sipflow's own SIP stack and see what happened on the wire.

Commands:
  run <scenario|dir>...      Run scenarios one after the other; exit 0 if all pass.
  load <scenario>            Run a scenario as load: calls at a rate, live statistics.
  stats merge <file>...      Merge the summaries of load runs (their --format json output).
  validate <scenario|dir>... Check scenarios: every error and warning with file:line:column.
  convert <file>             Print a scenario in the other format (compact <-> sipflow).
  parse <file|->             Parse one raw SIP message and print its fields as JSON.

Options:
  -h, --help                 Show this help, or a command's (sipflow run --help).
  -v, --version              Show the version.

Exit codes: 0 success, 1 a scenario failed (or was stopped), 2 an invalid scenario or bad usage.
Examples:
  sipflow run examples/basic-call.json
  sipflow run examples/ --report run.html --junit junit.xml --pcap run.pcap
  sipflow validate my-flow.json
  sipflow load call.json --rate 50 --calls 1000 --stats-file stats.csv
Docs: docs/cli.md, docs/scenarios.md, docs/engine.md, docs/load.md`;

/** Each command's usage. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  run: `Usage: sipflow run <scenario | directory>... [options]

Runs each scenario (compact or sipflow format; a directory means every .json/.jsonc file in it)
one after the other, each on a fresh engine, on loopback or against the PBX the scenario names.

Options:
  --format pretty|json   pretty (default): live instance lines on a terminal, then the SIP ladder
                         and the verdict. json: one JSON object per line (NDJSON) for every run
                         event, as schema/events.schema.json describes; nothing else on stdout.
  --rtp                  With --format json: also a line per RTP/RTCP packet (base64; about 100
                         a second per call).
  --report <file.html>   Write a self-contained HTML report: verdict, ladder diagram of every SIP
                         message (click one to read it), node timeline, DTMF/playback/hold marks.
  --junit <file.xml>     Write a JUnit XML report (a testsuite per scenario file).
  --pcap <file.pcap>     Write every SIP and RTP packet of the runs as a pcap capture
                         (Wireshark, tshark, sngrep).
  --var NAME=value       Fill \${NAME} placeholders in the scenarios (repeatable; wins over the
                         environment).
  --port-base <n>        First local port for the instances (default 15060; they step by 2).
  --timeout <ms>         Stop a scenario that has not finished after this long; it fails.
  --output-dir <dir>     Where call recordings go (default sipflow-output).
  -v, --verbose          Also print every action log and every SIP message in full.
  --allow-outside-files  Accept PlayAudio/ExpectAudio files outside the scenario file's directory
                         (refused by default: a scenario may come from anyone).
  --unsafe-show-secrets  Leave the credentials of Authorization and Proxy-Authorization headers
                         readable in the output, the reports and the pcap (masked with * by
                         default; passwords never appear at all).
  -h, --help             Show this help.

Ctrl-C stops the run, cleans up (BYE, CANCEL, un-REGISTER), writes the reports asked for so far,
and exits 1. Colours only on a terminal, and never with NO_COLOR set.
Exit codes: 0 all passed, 1 one failed or was stopped, 2 an invalid scenario or bad usage.`,
  load: `Usage: sipflow load <scenario> [options]

Runs a scenario as a call template, as SIPp runs a scenario: its chains that start with a command
(client chains) start together as one call --rate times a second, after an optional linear
--ramp, until --calls or --duration, never more than --concurrency at once; chains that start with
INCOMING (server chains) run once per incoming call (give those instances a fixed port so another
system can call in). The instances start once and are shared by every call; each call has its own
Call-ID, tags and keys, and leaves nothing behind.

Options:
  --rate <cps>           Calls started per second (default 10; decimals allowed).
  --calls <n>            Stop starting calls after n (default: no limit).
  --concurrency <n>      Never more than n calls at once (default 10000).
  --setup-limit <n|off>  Never more than n INVITEs without any response yet (default: 0.2 s of
                         the rate, at least 20). A peer answers or sends 100 Trying within 200 ms,
                         so more means the peer, or sipflow, fell behind: due calls wait, as with
                         SIPp's -l, instead of piling up into retransmissions and timeouts. Raise
                         it for a peer that is slow to respond.
  --duration <s>         Stop starting calls after s seconds; calls in progress finish.
  --ramp <s>             Rise linearly from 0 to --rate over s seconds first.
  --settle <s>           After the last call, stay up s seconds (default 0) answering what the peer
                         re-sends (a BYE whose 200 it lost) before the instances close.
  --warmup <n>           First make n calls on 127.0.0.1, so V8 has compiled the code before the
                         first real call (default 3000, about 2 s; 0 for none): half between two
                         instances of its own, half with a scripted peer that writes its messages as
                         SIPp, a PBX and a softphone do. Not counted in the statistics. The scenario's
                         instances listen only after it: with --format json, wait for the
                         load:ready line before calling in.
  --stats-file <f.csv>   Write a CSV row of statistics every --stats-interval (header first).
  --stats-interval <s>   How often the statistics are shown and written (default 1).
  --max-failures <n>     Exit 0 when at most n calls failed (default 0).
  --format pretty|json   pretty (default): a live statistics line, then a summary with the failures
                         grouped by reason. json: a load:stats line per interval and a
                         load:summary line at the end (NDJSON, for sipflow stats merge).
  --media on|off|auto    RTP for the calls (default auto: only when the scenario has a media step).
  --port-base <n>        First local port for the instances (default 15060; they step by 2).
  --workers <n>          Spread the calls over n processes (default 1), each with its share of the
                         rate, calls, concurrency and setup limit and its own ports; their
                         statistics merge. Needs instances without a fixed port.
  --max-dialogs <n>      Calls each instance keeps at once (default 20000); beyond, a new INVITE
                         gets 503 with Retry-After. Raise it to hold more calls open.
  --max-transactions <n> Transactions each instance keeps (default 100000). At the limit the oldest
                         that only linger (answered, kept 32 s for retransmissions) end early; if
                         all are at work, a new request gets 503.
  --var NAME=value       Fill \${NAME} placeholders (repeatable; wins over the environment).
  --allow-outside-files  Accept PlayAudio/ExpectAudio files outside the scenario file's directory.
  -h, --help             Show this help.

The statistics include how busy sipflow's own event loop was (its busiest interval) and how late
it ran: from 90 % busy or a p99 lag of 50 ms the summary warns, in yellow, that sipflow itself
was short of CPU and its times include its own delay.

Without --calls or --duration the load runs until Ctrl-C, which stops it, ends its calls and
prints the summary. Exit codes: 0 failures within --max-failures, 1 more (or stopped), 2 an
invalid scenario or bad usage.`,
  stats: `Usage: sipflow stats merge <load.ndjson>... [--format pretty|json]

Merges the summaries of load runs that ran side by side (sipflow load --format json > a.ndjson on
each machine or worker): calls, failures and responses add up, setup-time percentiles come from
the merged histograms, rates add up, failures are grouped by reason across the runs, and each event
loop figure is the worst run's.

Options:
  --format pretty|json   json: one load:summary line, as sipflow load --format json ends with.
  -h, --help             Show this help.
Exit codes: 0 every run passed, 1 one did not, 2 a file is missing or has no summary.`,
  validate: `Usage: sipflow validate <scenario | directory>... [options]

Checks scenarios without running them: every error and warning, with file:line:column, node id
and field. Exit 2 when any has an error (warnings alone exit 0).

Options:
  --var NAME=value       Fill \${NAME} placeholders (repeatable; wins over the environment).
  --format pretty|json   json: one JSON object per file ({ file, ok, format, diagnostics }).
  --allow-outside-files  Accept PlayAudio/ExpectAudio files outside the scenario file's directory.
  -h, --help             Show this help.`,
  convert: `Usage: sipflow convert <file> [--to compact|sipflow] [--ids keep|tidy]

Prints the scenario in the other format: the original sipflow app's flow JSON becomes the compact
format, and the compact format becomes flow JSON the desktop app can import. Placeholders stay as
written. Warnings (e.g. steps no chain reaches, left out) go to stderr; errors exit 2.

Options:
  --to compact|sipflow   The format to write (default: the other one).
  --ids keep|tidy        compact output: keep every id (default; same graph, ids included), or
                         tidy (instances named by label or DN, only ids another step needs).
  -h, --help             Show this help.`,
  parse: `Usage: sipflow parse <file | ->

Parses one SIP message (raw bytes, from a file or standard input) and prints its main fields as
JSON. Exits 1 and prints the reason when the message is malformed.

Options:
  -h, --help             Show this help.`,
};
