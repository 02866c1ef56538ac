#!/usr/bin/env node
// The sipflow command line. The only module allowed to print (../shared/DESIGN.md).
// Exit codes: 0 success, 1 failure (e.g. a message that does not parse), 2 usage or input error.

import { readFileSync } from 'node:fs';
import { parseMessage, SipParseError, SipRequest } from '../sip/parser/index.js';

const USAGE = `Usage: sipflow <command> [options]

Commands:
  parse <file|->   Parse one SIP message (raw bytes) and print its main fields as JSON.
                   Exits 1 and prints the reason when the message is malformed.

Options:
  -h, --help       Show this help.
  -v, --version    Show the version.

Scenarios run from code for now: new Engine().run(scenario), see docs/engine.md.
"sipflow run <scenario>" and its reports are the next piece of work.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function parseCommand(args: string[]): number {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    process.stderr.write('sipflow parse: expected exactly one file (or - for standard input)\n');
    return 2;
  }
  let data: Buffer;
  try {
    data = readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    process.stderr.write(`sipflow parse: cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const msg = parseMessage(data);
    const summary = {
      kind: msg instanceof SipRequest ? 'request' : 'response',
      ...(msg instanceof SipRequest ? { method: msg.method, uri: String(msg.uri) } : { status: msg.status, reason: msg.reason }),
      callId: msg.callId,
      cseq: msg.cseq && { seq: msg.cseq.seq, method: msg.cseq.method },
      from: msg.from && String(msg.from),
      to: msg.to && String(msg.to),
      vias: msg.vias.map(String),
      headers: msg.headerFields(),
      bodyBytes: msg.body.byteLength,
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof SipParseError) {
      process.stdout.write(JSON.stringify({ error: err.name, reason: err.reason, header: err.header, offset: err.offset }, null, 2) + '\n');
      return 1;
    }
    throw err;
  }
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case '-v':
    case '--version':
      process.stdout.write(version() + '\n');
      return 0;
    case 'parse':
      return parseCommand(rest);
    case undefined:
      process.stderr.write(USAGE + '\n');
      return 2;
    default:
      process.stderr.write(`sipflow: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
