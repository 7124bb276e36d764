// Figures of the web vault in Chromium (scripts/bench-web.sh): first load (bytes over the wire
// per kind, as sent: gzip), time to sign in (Argon2id m = 64 MiB, t = 3, p = 4, in the
// worker), and time from opening a workspace of 1,000 secrets to the list on screen.
// Prints one JSON object; asserts only that each step finished.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from '@playwright/test';
import { expect, KeyhavenServer, MailSink, PASSWORD, REPO, uniqueEmail } from '../tests/harness';
import { createWorkspace, signIn, signUp } from '../tests/flows';

const RUNS = Number(process.env.RUNS ?? 5);
const SECRETS = Number(process.env.SECRETS ?? 1000);
const SEED = process.env.KEYHAVEN_SEED ?? path.join(REPO, 'target/release/examples/bench_support');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function kindOf(url: string): string {
  const name = new URL(url).pathname;
  if (name === '/' || name.endsWith('.html')) return 'html';
  const extension = name.split('.').pop() ?? '';
  return ['js', 'css', 'wasm'].includes(extension) ? extension : 'other';
}

test('first load, sign-in and a workspace of 1,000 secrets', async ({ browser }) => {
  const sink = await MailSink.start();
  const server = await KeyhavenServer.start(sink);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const email = uniqueEmail('bench');
    await signUp(page, server, sink, email);
    await signIn(page, server, email);
    const ws = await createWorkspace(page, 'Bench');
    execFileSync(SEED, ['seed', server.url, email, ws, String(SECRETS)], {
      env: { ...process.env, KEYHAVEN_PASSWORD: PASSWORD },
      stdio: 'ignore',
    });

    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const loads: Record<string, number>[] = [];
    const signIns: number[] = [];
    const lists: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // A first visit: nothing cached (the device's pins in IndexedDB stay, as on a return).
      await cdp.send('Network.clearBrowserCache');
      const bytes: Record<string, number> = { html: 0, js: 0, css: 0, wasm: 0, other: 0 };
      const sizes: Promise<void>[] = [];
      const onResponse = (response: import('@playwright/test').Response) => {
        if (new URL(response.url()).pathname.startsWith('/v1/')) return;
        sizes.push(
          response
            .request()
            .sizes()
            .then((s) => {
              bytes[kindOf(response.url())]! += s.responseBodySize + s.responseHeadersSize;
            }),
        );
      };
      page.on('response', onResponse);
      // A new document: the previous page, its worker and its session are gone.
      await page.goto('about:blank');
      await page.goto(`${server.url}/#/signin`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      // The worker (and its WebAssembly) starts with the first call: part of the first load.
      const signInStart = Date.now();
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Workspaces' })).toBeVisible({ timeout: 60_000 });
      signIns.push(Date.now() - signInStart);
      page.off('response', onResponse);
      await Promise.all(sizes);
      loads.push(bytes);

      const listStart = Date.now();
      await page.getByRole('table').getByRole('link', { name: 'Bench', exact: true }).click();
      await expect(page.getByText(`${SECRETS} secrets`, { exact: true })).toBeVisible({ timeout: 60_000 });
      await expect(page.locator('table.secrets tbody tr')).toHaveCount(SECRETS);
      lists.push(Date.now() - listStart);
    }
    const first = loads[0]!;
    const total = Object.values(first).reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify(
        {
          runs: RUNS,
          first_load_bytes: { ...first, total },
          sign_in_ms: { median: median(signIns), all: signIns },
          open_1000_secrets_ms: { secrets: SECRETS, median: median(lists), all: lists },
        },
        null,
        2,
      ),
    );
    await context.close();
  } finally {
    await server.dispose();
    await sink.close();
  }
});
