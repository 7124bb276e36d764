// Figures of the device pages in Chromium (scripts/bench-web.sh): search-as-you-type latency
// among 100,000 escrowed keys (keystroke → matching row on screen, timed in the page), the
// import of 1,000 BitLocker .txt files dropped at once (drop → summary), and the first page of
// the devices list of a 10,000-device workspace (click → 50 rows on screen). The fleets are
// escrowed with the CLI (`keyhaven device import` of a CSV), which is the same client code.
// Prints one JSON object; asserts only that each step finished.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from '@playwright/test';
import { Cli, expect, KeyhavenServer, MailSink, PASSWORD, REPO, uniqueEmail } from '../tests/harness';
import {
  createWorkspace,
  dropFiles,
  openDevices,
  randomBitLockerKey,
  randomKeyId,
  readBitLockerFile,
  signIn,
  signUp,
} from '../tests/flows';

const FLEET = Number(process.env.FLEET ?? 100_000);
const LIST = Number(process.env.LIST ?? 10_000);
const FILES = Number(process.env.FILES ?? 1000);
const QUERIES = Number(process.env.QUERIES ?? 100);
const FIXTURE = path.join(REPO, 'crates/core/tests/data/bitlocker-txt/windows-utf16le-bom-crlf.TXT');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: number[]) {
  const round = (v: number) => Math.round(v * 10) / 10;
  return { n: values.length, p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), max: round(Math.max(...values)) };
}

test('device pages: search among 100,000 keys, 1,000 dropped files, a list of 10,000', async ({ page }) => {
  const sink = await MailSink.start();
  const server = await KeyhavenServer.start(sink);
  const cli = await Cli.create();
  const temp = await mkdtemp(path.join(tmpdir(), 'keyhaven-bench-devices-'));
  try {
    const email = uniqueEmail('bench');
    await signUp(page, server, sink, email);
    await signIn(page, server, email);
    const fleet = await createWorkspace(page, 'Fleet');
    const list = await createWorkspace(page, 'List');
    const drop = await createWorkspace(page, 'Drop');
    await cli.ok(['login', '--server', server.url, '--email', email], { password: PASSWORD });
    for (const ws of [fleet, list, drop]) await cli.ok(['workspace', 'trust', ws]);

    const seed = async (name: string, count: number, salt: number) => {
      const csv = path.join(temp, `${name}.csv`);
      execFileSync('python3', [path.join(REPO, 'scripts/gen-bitlocker-csv.py'), String(count), csv, String(salt)]);
      const started = Date.now();
      await cli.ok(['device', 'import', csv, '--workspace', name]);
      return { csv, seconds: (Date.now() - started) / 1000 };
    };
    const fleetSeed = await seed('Fleet', FLEET, 1);
    const listSeed = await seed('List', LIST, 2);

    // 1. Search as you type: the first 8 characters of real key IDs, typed one by one.
    const rows = (await readFile(fleetSeed.csv, 'utf8')).trim().split(/\r?\n/).slice(1);
    const picked = Array.from({ length: QUERIES }, (_, i) => rows[Math.floor(((i + 0.5) * rows.length) / QUERIES)]!.split(',')[3]!);
    await openDevices(page, 'Fleet', 'Find a device key');
    const box = page.getByLabel('Key ID or device name');
    const latencies: number[] = [];
    for (const keyId of picked) {
      await box.fill('');
      const prefix = keyId.slice(0, 8).toLowerCase();
      await box.pressSequentially(prefix.slice(0, 7));
      // Timed in the page: from the last keystroke's event to a row with the key ID.
      const done = page.evaluate(
        (id) =>
          new Promise<number>((resolve) => {
            const input = document.querySelector<HTMLInputElement>('input[type="search"], input#find, main input')!;
            let pressed = 0;
            input.addEventListener('keydown', (e) => (pressed = e.timeStamp), { once: true, capture: true });
            const found = () => [...document.querySelectorAll('main table tbody tr')].some((r) => r.textContent?.includes(id));
            const observer = new MutationObserver(() => {
              if (pressed && found()) {
                observer.disconnect();
                resolve(performance.now() - pressed);
              }
            });
            observer.observe(document.querySelector('main')!, { childList: true, subtree: true, characterData: true });
          }),
        keyId,
      );
      await box.press(prefix[7]!);
      latencies.push(await done);
    }

    // 2. A list of 10,000 devices: click "All devices" → the first 50 rows on screen.
    const firstPage: number[] = [];
    for (let run = 0; run < 5; run++) {
      await openDevices(page, 'List', 'Find a device key');
      const done = page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            let clicked = 0;
            document.addEventListener('click', (e) => (clicked = e.timeStamp), { once: true, capture: true });
            const observer = new MutationObserver(() => {
              if (clicked && document.querySelectorAll('main table tbody tr').length === 50) {
                observer.disconnect();
                resolve(performance.now() - clicked);
              }
            });
            observer.observe(document.querySelector('main')!, { childList: true, subtree: true });
          }),
      );
      await page.getByRole('navigation', { name: 'Device recovery keys' }).getByRole('link', { name: 'All devices' }).click();
      firstPage.push(await done);
    }

    console.log(JSON.stringify({ search_as_you_type_ms: summary(latencies), devices_list_first_page_ms: summary(firstPage) }));

    // 3. 1,000 BitLocker .txt files as Windows writes them, dropped at once.
    const fixture = await readBitLockerFile(FIXTURE);
    const text = fixture.bytes.toString('utf16le').replace(/^\uFEFF/, '');
    const files = Array.from({ length: FILES }, () => {
      const id = randomKeyId();
      const body = text.replace(fixture.keyId, id).replace(fixture.key, randomBitLockerKey());
      return { name: `BitLocker Recovery Key ${id}.TXT`, bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]) };
    });
    await openDevices(page, 'Drop', 'Import');
    await page.getByLabel('Device name').fill('DROPPED');
    // In the page: from the drop event to the list of files on screen (reading them included).
    const listedInPage = page.evaluate(
      (more) =>
        new Promise<number>((resolve) => {
          let dropped = 0;
          document.addEventListener('drop', (e) => (dropped = e.timeStamp), { once: true, capture: true });
          const observer = new MutationObserver(() => {
            if (dropped && document.querySelector('.file-list')?.textContent?.includes(more)) {
              observer.disconnect();
              resolve(performance.now() - dropped);
            }
          });
          observer.observe(document.querySelector('main')!, { childList: true, subtree: true, characterData: true });
        }),
      `and ${FILES - 20} files more`,
    );
    const dropStarted = Date.now();
    await dropFiles(page, files);
    // The list names the first 20 files and counts the rest.
    await expect(page.locator('.file-list')).toContainText(`and ${FILES - 20} files more`, { timeout: 120_000 });
    const listed = Date.now() - dropStarted;
    const listedPage = await listedInPage;
    const importStarted = Date.now();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.locator('.summary')).toContainText(`Imported ${FILES} key(s)`, { timeout: 600_000 });
    const imported = Date.now() - importStarted;

    console.log(
      JSON.stringify(
        {
          seeded_by_cli_s: { fleet: FLEET, fleet_s: fleetSeed.seconds, list: LIST, list_s: listSeed.seconds },
          search_as_you_type_ms: { keys: FLEET, ...summary(latencies) },
          devices_list_first_page_ms: { devices: LIST, ...summary(firstPage), all: firstPage.map(Math.round) },
          drop_import: {
            files: FILES,
            // The test driver building the files in the page (a DataTransfer from bytes) is in this.
            driver_drop_to_listed_ms: listed,
            page_drop_event_to_listed_ms: Math.round(listedPage),
            import_click_to_summary_ms: imported,
            page_total_ms: Math.round(listedPage) + imported,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await cli.dispose();
    await server.dispose();
    await sink.close();
    await rm(temp, { recursive: true, force: true });
  }
});
