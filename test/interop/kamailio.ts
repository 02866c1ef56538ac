// What the Kamailio interop tests (test/interop/engine-kamailio.test.ts) need: finding kamailio
// (the tests are skipped, with a warning, without it), a configuration written by the test (a
// registrar with its location table in memory, digest authentication with the passwords in the
// configuration, a record-routing proxy), starting it on a loopback UDP port in the foreground
// with its log on stderr, waiting until it answers, asking it whether a user is registered, and
// stopping it (and every process it forked) for sure. Not a test file (vitest.config.ts includes
// test/**/*.test.ts only).
//
// SIPFLOW_KEEP_KAMAILIO_LOGS=1 keeps each Kamailio's directory (kamailio.cfg, kamailio.log) and
// says where.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---- finding Kamailio ------------------------------------------------------------------------

/** The first executable `kamailio` on PATH or in the sbin directories (not always on a user's PATH), or undefined. */
function findKamailio(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'kamailio');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The kamailio executable, or undefined when there is none. */
const KAMAILIO: string | undefined = findKamailio();

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Whether kamailio is missing, for `describe.skipIf`; when it is, warns that the tests of the
 * calling file (pass `import.meta.url`) are skipped and how to install Kamailio. Call it once, at
 * the top level of the test file, so the warning shows in vitest's output.
 */
export function kamailioMissing(testFile: string): boolean {
  if (KAMAILIO !== undefined) return false;
  const file = relative(REPO, fileURLToPath(testFile));
  console.warn(`kamailio not found: skipping the Kamailio interop tests (${file}). Install Kamailio (Debian/Ubuntu: apt-get install kamailio) to run them.`);
  return true;
}

// ---- the configuration -----------------------------------------------------------------------

/** A subscriber: its user (the DN, also the digest user name) and digest password. */
export interface KamailioUser {
  readonly user: string;
  readonly password: string;
}

/** What the configuration is made of. */
export interface KamailioConfigOptions {
  /** UDP port on 127.0.0.1. */
  readonly port: number;
  readonly users: readonly KamailioUser[];
  /** Digest realm of every challenge (default `127.0.0.1`, the PBX host the instances use). */
  readonly realm?: string;
}

/** Users, passwords and the realm go into the script as string literals: keep them plain. */
const PLAIN = /^[A-Za-z0-9._~-]+$/;

/**
 * A kamailio.cfg without a database: location table in memory (usrloc db_mode 0), passwords
 * in the script (one `if` per user, keyed by the digest user name), realm `127.0.0.1`.
 *
 * - REGISTER: 401 challenge (qop=auth); credentials that do not check out are challenged again
 *   (as Kamailio's default configuration does), so a wrong password ends with a 401; a digest
 *   user that is not the To user gets 403. Then save("location").
 * - Other requests outside a dialog (INVITE, and the transferee's INVITE to the Refer-To): 407
 *   challenge, the same checks; then record_route(), lookup("location") of the Request-URI user
 *   (404 when not registered) and t_relay().
 * - Requests in a dialog: loose_route() and t_relay(); an ACK without Route that belongs to a
 *   transaction is relayed, others are dropped; CANCEL is relayed when it matches a transaction.
 * - OPTIONS without a user: 200 (the start-up probe); OPTIONS to `q-<user>`: 200 when `<user>`
 *   has a binding, 404 when not (the tests ask it; see {@link Kamailio.isRegistered}).
 */
export function kamailioConfig(o: KamailioConfigOptions): string {
  const realm = o.realm ?? '127.0.0.1';
  for (const v of [realm, ...o.users.flatMap((u) => [u.user, u.password])]) {
    if (!PLAIN.test(v)) throw new Error(`kamailioConfig: "${v}" must match ${PLAIN} (it is written into the script as is)`);
  }
  const passwords = o.users.map((u) => `  if ($au == "${u.user}") $var(pw) = "${u.password}";`).join('\n');
  return `#!KAMAILIO
# Written by test/interop/kamailio.ts for the engine's interop tests: registrar and proxy on
# udp:127.0.0.1:${o.port}, no database.

debug=2
log_stderror=yes

children=1
auto_aliases=no
disable_tcp=yes
enable_sctp=no
dns=no
rev_dns=no
use_dns_cache=no
listen=udp:127.0.0.1:${o.port}

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "default_expires", 300)
modparam("registrar", "min_expires", 10)
modparam("auth", "secret", "${randomBytes(16).toString('hex')}")

request_route {
  xlog("L_INFO", "request $rm $ru from $si:$sp\\n");
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (!sanity_check()) {
    xlog("L_WARN", "malformed $rm from $si:$sp\\n");
    exit;
  }
  if (is_method("OPTIONS") && $rU == $null) {
    sl_send_reply("200", "Alive");
    exit;
  }
  if (is_method("OPTIONS") && $rU =~ "^q-") {
    if (registered("location", "sip:$(rU{s.substr,2,0})@${realm}")) sl_send_reply("200", "Registered");
    else sl_send_reply("404", "Not Registered");
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) route(RELAY);
    exit;
  }
  if (has_totag()) {
    route(WITHINDLG);
    exit;
  }
  # A retransmission of a request we are already handling is absorbed here.
  t_check_trans();
  if (is_method("REGISTER")) {
    route(REGISTRAR);
    exit;
  }
  if (is_method("ACK")) exit;
  route(AUTH);
  remove_hf("Route");
  record_route();
  if ($rU == $null) {
    sl_send_reply("484", "Address Incomplete");
    exit;
  }
  if (!lookup("location")) {
    sl_send_reply("404", "Not Found");
    exit;
  }
  route(RELAY);
}

route[RELAY] {
  if (!t_relay()) sl_reply_error();
  exit;
}

route[WITHINDLG] {
  if (loose_route()) {
    route(RELAY);
  }
  if (is_method("ACK")) {
    if (t_check_trans()) route(RELAY);
    exit;
  }
  sl_send_reply("404", "Not here");
  exit;
}

# The password of the digest user name ($au); an unknown user gets one nobody knows.
route[PASSWORD] {
  $var(pw) = "${randomBytes(12).toString('hex')}";
${passwords}
}

route[REGISTRAR] {
  route(PASSWORD);
  if (!is_present_hf("Authorization") || !pv_www_authenticate("${realm}", "$var(pw)", "0")) {
    xlog("L_INFO", "REGISTER of $tU: challenged (digest user $au)\\n");
    www_challenge("${realm}", "1");
    exit;
  }
  if ($au != $tU) {
    sl_send_reply("403", "Forbidden auth ID");
    exit;
  }
  consume_credentials();
  if (!save("location")) sl_reply_error();
  xlog("L_INFO", "REGISTER of $tU: saved\\n");
  exit;
}

route[AUTH] {
  route(PASSWORD);
  if (!is_present_hf("Proxy-Authorization") || !pv_proxy_authenticate("${realm}", "$var(pw)", "0")) {
    xlog("L_INFO", "$rm from $fU: challenged (digest user $au)\\n");
    proxy_challenge("${realm}", "1");
    exit;
  }
  if ($au != $fU) {
    sl_send_reply("403", "Forbidden auth ID");
    exit;
  }
  consume_credentials();
}
`;
}

// ---- running Kamailio ------------------------------------------------------------------------

/** Whether Kamailio's directories are kept (SIPFLOW_KEEP_KAMAILIO_LOGS set, and not to '' or '0'). */
const KEEP_LOGS = !['', '0', undefined].includes(process.env.SIPFLOW_KEEP_KAMAILIO_LOGS);

/** Every Kamailio started by {@link startKamailio} whose process group may still be alive. */
const running = new Set<ChildProcess>();

/** Kills (SIGKILL) the process group of `child`: Kamailio's main process and every process it forked. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

// Kamailio runs in its own process group (so that its children can be killed with it): if this
// process exits without having stopped one (a crash, a forgotten stop), take it down too.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/**
 * Kills (SIGKILL) every Kamailio still running: pass it to `afterEach`/`afterAll`, so that a test
 * that failed or timed out leaves none behind.
 */
export function killLeftoverKamailio(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
  running.clear();
}

/** A running Kamailio. */
export interface Kamailio {
  /** Its UDP port on 127.0.0.1. */
  readonly port: number;
  /** Its directory: kamailio.cfg, the runtime dir (and kamailio.log, when kept). */
  readonly dir: string;
  /** Its log so far (stderr, the last 200,000 characters). */
  log(): string;
  /**
   * Whether `user` has a binding in the location table (an OPTIONS to `q-<user>` the configuration
   * answers with 200 or 404).
   */
  isRegistered(user: string): Promise<boolean>;
  /**
   * Stops it: SIGTERM to its process group, SIGKILL after `ms` (default 3000); resolves when the
   * main process has exited, then removes its directory (kept with SIPFLOW_KEEP_KAMAILIO_LOGS).
   * Safe to call twice.
   */
  stop(ms?: number): Promise<void>;
}

/** Options of {@link startKamailio}. */
export interface StartKamailioOptions extends KamailioConfigOptions {
  /** How long to wait until it answers, ms (default 10000). */
  readyMs?: number;
}

/**
 * Writes the configuration into a fresh temp directory and starts kamailio on it, in the
 * foreground (-DD), logging to stderr (-E), one worker (-n 1), its runtime files in that
 * directory (-Y), no user switch; resolves once it answers an OPTIONS. Rejects (after stopping it)
 * when it exits or does not answer in time, with its log. Throws when there is no kamailio.
 */
export async function startKamailio(o: StartKamailioOptions): Promise<Kamailio> {
  if (KAMAILIO === undefined) throw new Error('kamailio not found (the tests should have been skipped: see kamailioMissing)');
  const dir = await mkdtemp(join(tmpdir(), 'sipflow-kamailio-'));
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(cfg, kamailioConfig(o));
  const args = ['-f', cfg, '-DD', '-E', '-n', '1', '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir, '-m', '32', '-M', '4'];
  if (process.env.KAMAILIO_MODULES !== undefined && process.env.KAMAILIO_MODULES !== '') args.push('-L', process.env.KAMAILIO_MODULES);
  const child = spawn(KAMAILIO, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let log = '';
  const append = (d: Buffer): void => void (log = (log + d.toString('latin1')).slice(-200_000));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited = false;
  const closed = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      log += `\nspawn error: ${String(err)}`;
      exited = true;
      resolve();
    });
    child.once('close', (code, signal) => {
      log += `\n[kamailio exited: ${code ?? signal}]`;
      exited = true;
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const kamailio: Kamailio = {
    port: o.port,
    dir,
    log: () => log,
    isRegistered: async (user) => (await options(o.port, `sip:q-${user}@127.0.0.1:${o.port}`, 2000)) === 200,
    stop: (ms = 3000) =>
      (stopping ??= (async () => {
        if (!exited) {
          killGroup(child, 'SIGTERM');
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), ms);
          await closed;
          clearTimeout(timer);
        }
        // The main process is gone; make sure none of its children outlived it.
        killGroup(child, 'SIGKILL');
        running.delete(child);
        if (KEEP_LOGS) {
          await writeFile(join(dir, 'kamailio.log'), log);
          console.info(`Kamailio's files kept in ${dir}`);
        }
        else await rm(dir, { recursive: true, force: true });
      })()),
  };

  // Ready when it answers an OPTIONS (the configuration is loaded and a worker listens).
  const readyMs = o.readyMs ?? 10_000;
  const t0 = performance.now();
  while (!exited && performance.now() - t0 < readyMs) {
    if ((await options(o.port, `sip:127.0.0.1:${o.port}`, 200).catch(() => undefined)) === 200) return kamailio;
  }
  const why = exited ? 'kamailio exited at start' : `kamailio did not answer OPTIONS on 127.0.0.1:${o.port} within ${readyMs} ms`;
  await kamailio.stop(500);
  throw new Error(`${why}\nkamailio ${args.join(' ')}\nlog:\n${log.slice(-5000)}`);
}

/**
 * Sends one OPTIONS to 127.0.0.1:`port` from a fresh socket and resolves with the status of the
 * final response, or undefined when none comes within `ms`.
 */
function options(port: number, uri: string, ms: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const tag = randomBytes(6).toString('hex');
    let done = false;
    const finish = (status: number | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(status);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    socket.on('error', (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.on('message', (data) => {
      const m = /^SIP\/2\.0 (\d{3}) /.exec(data.toString('latin1'));
      if (m !== null && Number(m[1]) >= 200) finish(Number(m[1]));
    });
    socket.bind(0, '127.0.0.1', () => {
      const local = socket.address().port;
      const text = [
        `OPTIONS ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${tag};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=${tag}`,
        `To: <${uri}>`,
        `Call-ID: ${tag}@127.0.0.1`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(text, port, '127.0.0.1');
    });
  });
}
