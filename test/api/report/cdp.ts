// A tiny Chrome DevTools Protocol client for the browser tests, with no dependency: Chromium is
// started with --remote-debugging-pipe and reads JSON commands from its fd 3 and writes responses
// and events to its fd 4, each message ended by a NUL byte. Pages are targets attached with
// `flatten: true`: their commands carry the session id.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';

/** An event from the browser: a CDP method with its params, and the page session it is about. */
export interface CdpEvent {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly sessionId?: string;
}

/** How to start Chromium. */
export interface LaunchOptions {
  /** A fresh directory of its own (removed by the caller afterwards). */
  readonly userDataDir: string;
  /** The executable (default `chromium`). */
  readonly executable?: string;
  /** Window size (default 1400×1000). */
  readonly width?: number;
  readonly height?: number;
  /** How long a command may take (default 30 s). */
  readonly timeoutMs?: number;
}

/** Whether a Chromium can be started: its `--version` runs. */
export function chromiumVersion(executable = 'chromium'): string | undefined {
  const r = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The browser: send commands, listen for events, open pages, close. */
export class Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Set<(e: CdpEvent) => void>();
  private buffer: Buffer = Buffer.alloc(0);
  private stderrTail = '';
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly input: Writable,
    output: Readable,
    private readonly timeoutMs: number,
  ) {
    output.on('data', (chunk: Buffer) => this.read(chunk));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000)));
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exit.then(() => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}: ${this.stderrTail}`));
      this.pending.clear();
    });
  }

  /** Starts a headless Chromium talking CDP over pipes. */
  static async launch(options: LaunchOptions): Promise<Cdp> {
    const args = [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      `--user-data-dir=${options.userDataDir}`,
      '--remote-debugging-pipe',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-breakpad',
      '--disable-crash-reporter',
      '--disable-dev-shm-usage',
      '--mute-audio',
      '--force-color-profile=srgb',
      `--window-size=${options.width ?? 1400},${options.height ?? 1000}`,
      'about:blank',
    ];
    // Its own process group, so that closing it also ends every helper process it started.
    const child = spawn(options.executable ?? 'chromium', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
    const cdp = new Cdp(child, child.stdio[3] as Writable, child.stdio[4] as Readable, options.timeoutMs ?? 30_000);
    await cdp.send('Browser.getVersion');
    return cdp;
  }

  /** The browser's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let end: number;
    while ((end = this.buffer.indexOf(0)) >= 0) {
      const text = this.buffer.subarray(0, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 1);
      const msg = JSON.parse(text) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (p === undefined) continue;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      } else if (msg.method !== undefined) {
        const e: CdpEvent = { method: msg.method, params: msg.params ?? {}, ...(msg.sessionId !== undefined ? { sessionId: msg.sessionId } : {}) };
        for (const l of this.listeners) l(e);
      }
    }
  }

  /** Sends a command (to a page when `sessionId` is given) and waits for its result. */
  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`chromium has exited (${method})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.input.write(JSON.stringify({ id, method, params, ...(sessionId !== undefined ? { sessionId } : {}) }) + '\0');
    });
  }

  /** Listens for every event; returns the function that stops listening. */
  on(listener: (e: CdpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next event `method` (of page `sessionId`, when given) that `match` accepts. */
  waitFor(method: string, sessionId?: string, match: (e: CdpEvent) => boolean = () => true, timeoutMs = this.timeoutMs): Promise<CdpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on((e) => {
        if (e.method !== method || (sessionId !== undefined && e.sessionId !== sessionId) || !match(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  /** Opens a new page (tab) and attaches to it. */
  async newPage(): Promise<CdpPage> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    return new CdpPage(this, sessionId, targetId);
  }

  /** Closes the browser (Browser.close, then a kill of its process group if it lingers) and waits for it to exit. */
  async close(): Promise<void> {
    if (!this.exited) {
      await Promise.race([this.send('Browser.close').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
      await Promise.race([this.exit, new Promise((r) => setTimeout(r, 5000))]);
    }
    const pid = this.child.pid;
    if (!this.exited && pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL'); // the process group this client started: its helpers too
      } catch {
        // already gone
      }
      await Promise.race([this.exit, new Promise((r) => setTimeout(r, 5000))]);
    }
    this.child.stdio.forEach((s) => (s as { destroy?: () => void } | null)?.destroy?.());
  }
}

/** A page (tab) of the browser. */
export class CdpPage {
  constructor(
    readonly cdp: Cdp,
    readonly sessionId: string,
    readonly targetId: string,
  ) {}

  /** Sends a page command. */
  send<T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  /** Listens for this page's events. */
  on(listener: (e: CdpEvent) => void): () => void {
    return this.cdp.on((e) => {
      if (e.sessionId === this.sessionId) listener(e);
    });
  }

  /** Loads `url` and waits for its load event. */
  async navigate(url: string): Promise<void> {
    const loaded = this.cdp.waitFor('Page.loadEventFired', this.sessionId);
    const r = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (r.errorText !== undefined) throw new Error(`navigate ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails !== undefined) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A real left click (press and release) at viewport coordinates. */
  async click(x: number, y: number): Promise<void> {
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', buttons: 1, clickCount: 1 });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', buttons: 0, clickCount: 1 });
  }

  /** A real key press (down and up): `Enter`, `Tab`, `ArrowDown` … */
  async press(key: 'Enter' | 'Tab' | 'ArrowDown' | 'ArrowUp' | 'Escape'): Promise<void> {
    const codes = { Enter: 13, Tab: 9, ArrowDown: 40, ArrowUp: 38, Escape: 27 } as const;
    const text = key === 'Enter' ? '\r' : undefined;
    const base = { key, code: key, windowsVirtualKeyCode: codes[key], nativeVirtualKeyCode: codes[key] };
    await this.send('Input.dispatchKeyEvent', { type: text !== undefined ? 'keyDown' : 'rawKeyDown', ...base, ...(text !== undefined ? { text, unmodifiedText: text } : {}) });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
  }

  /** Saves a PNG screenshot of the viewport (or the whole page). */
  async screenshot(path: string, fullPage = false): Promise<void> {
    const r = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: fullPage });
    await writeFile(path, Buffer.from(r.data, 'base64'));
  }
}
