// The browser tests' world: a real SMTP sink, the real `keyhaven` binary (server and CLI),
// and guards that fail a test on a CSP violation or a serious accessibility problem.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type Page } from '@playwright/test';
import { SMTPServer } from 'smtp-server';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const BIN = process.env.KEYHAVEN_BIN ?? path.join(REPO, 'target/debug/keyhaven');
export const SCREENSHOTS = path.resolve(here, '../test-results/screenshots');

/** The password every test account starts with. */
export const PASSWORD = 'correct horse battery staple';
export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------
// Mail

export interface Mail {
  to: string[];
  subject: string;
  /** The decoded plain-text body. */
  text: string;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it receives. */
export class MailSink {
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    /** Every message received, oldest first (filled by the server's handler). */
    readonly mails: Mail[],
  ) {}

  static async start(): Promise<MailSink> {
    const received: Mail[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          received.push(parseMail(Buffer.concat(chunks).toString('utf8'), to));
          callback();
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    });
    return new MailSink(server, port, received);
  }

  /** How many messages arrived so far (to wait only for later ones). */
  count(): number {
    return this.mails.length;
  }

  /** The first message to `to` (arrived after the `since`-th) whose subject or text matches. */
  async waitForMail(to: string, pattern: RegExp, since = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const mail of this.mails.slice(since)) {
        if (!mail.to.includes(to.toLowerCase())) continue;
        const match = `${mail.subject}\n${mail.text}`.match(pattern);
        if (match) return match;
      }
      if (Date.now() > deadline) {
        const seen = this.mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('\n  ');
        throw new Error(`no mail to ${to} matching ${pattern} within ${timeoutMs} ms; received:\n  ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function parseMail(raw: string, to: string[]): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let text: string;
  if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (encoding === 'quoted-printable') text = decodeQuotedPrintable(body);
  else text = body;
  return { to, subject: decodeWords(headers.get('subject') ?? ''), text: text.replace(/\r\n/g, '\n') };
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** RFC 2047 encoded words in a header. */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=\s*/gi, (_, _charset: string, kind: string, data: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

/** The 8-digit code of a signup mail ("verification code is NNNNNNNN"). */
export const SIGNUP_CODE = /verification code is (\d{8})/;
/** The access code of a password-reset mail ("access code is NNNNNNNN"). */
export const RESET_CODE = /access code is (\d{8})/;
/** The welcome mail of `workspace`: its temporary key's ID and the key. */
export function welcomeMail(workspace: string): RegExp {
  const name = workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`temporary recovery key of ${name}[\\s\\S]*?\\(ID ([^)]+)\\):\\s+(\\d{6}(?:-\\d{6}){7})`);
}

// ---------------------------------------------------------------------------------------
// The server

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** `keyhaven server` on a fixed port (the origin, and so the browser's pins, stay the same
 * across restarts), its clock moved by KEYHAVEN_CLOCK_OFFSET_DAYS (feature test-clock). */
export class KeyhavenServer {
  private child: ChildProcess | null = null;
  readonly url: string;
  offsetDays = 0;
  readonly log: string[] = [];

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly smtpPort: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(sink: MailSink): Promise<KeyhavenServer> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'keyhaven-web-'));
    await chmod(dataDir, 0o700);
    const server = new KeyhavenServer(await freePort(), dataDir, sink.port);
    await server.spawn();
    return server;
  }

  /** Stops the server and starts it again on the same data and port, `offsetDays` ahead. */
  async restart(offsetDays: number): Promise<void> {
    await this.stop();
    this.offsetDays = offsetDays;
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    const args = [
      'server',
      '--listen',
      `127.0.0.1:${this.port}`,
      '--data-dir',
      this.dataDir,
      '--public-url',
      this.url,
      '--smtp-url',
      `smtp://127.0.0.1:${this.smtpPort}?tls=none`,
    ];
    const child = spawn(BIN, args, {
      env: {
        ...process.env,
        KEYHAVEN_CLOCK_OFFSET_DAYS: String(this.offsetDays),
        KEYHAVEN_LOG: process.env.KEYHAVEN_LOG ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => this.log.push(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${this.log.join('')}`)), 30_000);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        this.log.push(`${line}\n`);
        if (line.startsWith('keyhaven server listening on ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before listening:\n${this.log.join('')}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The command line

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI user with their own KEYHAVEN_HOME (another device of the same person). */
export class Cli {
  private constructor(readonly home: string) {}

  static async create(): Promise<Cli> {
    return new Cli(await mkdtemp(path.join(tmpdir(), 'keyhaven-cli-')));
  }

  run(args: string[], options: { password?: string; input?: string } = {}): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, KEYHAVEN_HOME: this.home, KEYHAVEN_SKIP_PROMPTS: '1' };
    delete env.KEYHAVEN_PASSWORD;
    delete env.KEYHAVEN_SERVER;
    if (options.password !== undefined) env.KEYHAVEN_PASSWORD = options.password;
    const child = spawn(BIN, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(options.input ?? '');
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(args: string[], options: { password?: string; input?: string } = {}): Promise<string> {
    const out = await this.run(args, options);
    expect(out.code, `keyhaven ${args.join(' ')}\n${out.stderr}`).toBe(0);
    return out.stdout;
  }

  async dispose(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Guards

/** Records CSP violations, page errors and CSP console messages of `page` and its workers;
 * `assertClean` fails the test if there was any. */
export async function guardPage(page: Page): Promise<{ assertClean: () => Promise<void> }> {
  const problems: string[] = [];
  const csp = /content security policy|securitypolicyviolation|refused to (load|execute|apply|create|connect|frame)/i;
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(`${e.violatedDirective}: ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  page.on('console', (message) => {
    if (csp.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('worker', (worker) => {
    worker.on('console', (message) => {
      if (csp.test(message.text())) problems.push(`worker console: ${message.text()}`);
    });
  });
  return {
    async assertClean() {
      const violations = page.isClosed()
        ? []
        : await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []).catch(() => []);
      expect([...problems, ...violations.map((v) => `securitypolicyviolation: ${v}`)]).toEqual([]);
    },
  };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** No axe violation of impact serious or critical on the page as it is now. */
export async function checkA11y(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `accessibility of ${name}`).toEqual([]);
}

/** Screenshot and accessibility check of the page as it is now. */
export async function visit(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await checkA11y(page, name);
}

/** `page` guarded against CSP violations for the whole test. */
export const test = base.extend<{ guard: void }>({
  guard: [
    async ({ page }, use) => {
      const guard = await guardPage(page);
      await use();
      await guard.assertClean();
    },
    { auto: true },
  ],
});

export { expect };

/** A fresh address for each run, so the server's throttles and accounts never collide. */
export function uniqueEmail(who: string): string {
  return `${who}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}@example.com`;
}
