// Minimal typing for the parts of kirm's `sip` package (v0.0.6, CommonJS) the benchmark uses.
// Only for bench/: the package is a devDependency used as a point of comparison.

declare module 'sip' {
  /** A Via value as `sip` parses it. */
  interface SipJsVia {
    version: string;
    protocol: string;
    host: string;
    port: number | undefined;
    params: Record<string, string | null>;
  }

  /** A parsed message: request fields (method, uri) or response fields (status, reason). */
  interface SipJsMessage {
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    version: string;
    /** Lower-case full header names; a few are parsed (via, cseq, from, to, contact ...), the rest are strings. */
    headers: {
      'call-id'?: string;
      cseq?: { seq: number; method: string };
      via?: SipJsVia[];
      'content-length'?: number;
      [name: string]: unknown;
    };
    content: string;
  }

  interface SipJs {
    /**
     * Parses one message from a datagram or a string (`toString('binary')` is applied to it first).
     * Returns `undefined` when the start line or a header line does not parse.
     */
    parse(data: Buffer | string): SipJsMessage | undefined;
  }

  const sip: SipJs;
  export default sip;
  export type { SipJsMessage, SipJsVia };
}
