// `sipflow parse`: one raw SIP message in, its main fields out as JSON (exit 1 when malformed).

import { readFileSync } from 'node:fs';
import { parseMessage, SipParseError, SipRequest } from '../../sip/parser/index.js';
import { UsageError, type ParsedArgs } from './args.js';
import type { CliIo } from './terminal.js';

/** Flags of `sipflow parse`. */
export const PARSE_FLAGS = { help: { kind: 'switch', short: 'h' } } as const;

/** Runs `sipflow parse`; returns the exit code. `stdin` reads standard input (for `-`). */
export function parseCommand(args: ParsedArgs, io: CliIo, stdin: () => Buffer = () => readFileSync(0)): number {
  const file = args.positionals[0];
  if (file === undefined || args.positionals.length > 1) throw new UsageError('sipflow parse: expected exactly one file (or - for standard input)', 'parse');
  let data: Buffer;
  try {
    data = file === '-' ? stdin() : readFileSync(file);
  } catch (err) {
    io.stderr.write(`sipflow parse: cannot read ${file}: ${(err as Error).message}\n`);
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
    io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof SipParseError) {
      io.stdout.write(JSON.stringify({ error: err.name, reason: err.reason, header: err.header, offset: err.offset }, null, 2) + '\n');
      return 1;
    }
    throw err;
  }
}
