// Device recovery keys in the browser, the helpdesk's story: keys imported from the files
// Windows writes (chosen, dropped, whole folders), found by what the blue BitLocker recovery
// screen shows while the user waits on the phone, revealed with a reason (audited, hidden
// again after 60 s, then "rotate after use"), a typed key checked, the key exported byte for
// byte as Windows writes it; and the CLI sees all of it.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type BitLockerFile,
  createWorkspace,
  dataRows,
  downloaded,
  dropFiles,
  findDevice,
  mistype,
  openDevices,
  randomBitLockerKey,
  randomKeyId,
  readBitLockerFile,
  runImport,
  shownGroups,
  signIn,
  signUp,
  withKey,
} from './flows';
import { Cli, KeyhavenServer, MailSink, PASSWORD, REPO, expect, test, uniqueEmail, visit } from './harness';

test.describe.configure({ mode: 'serial' });

const FIXTURE = path.join(REPO, 'crates/core/tests/data/bitlocker-txt/windows-utf16le-bom-crlf.TXT');
const FIXTURE_NAME = path.basename(FIXTURE);
const DEVICE = 'FIN-LAPTOP-07';
const WORKSPACE = 'Fleet';
/** Keys imported from a CSV to page through (with the fixture's: 3 pages of 50). */
const CSV_KEYS = 120;

let sink: MailSink;
let server: KeyhavenServer;
let cli: Cli;
let temp: string;
let fixture: BitLockerFile;

test.beforeAll(async () => {
  sink = await MailSink.start();
  server = await KeyhavenServer.start(sink);
  cli = await Cli.create();
  temp = await mkdtemp(path.join(tmpdir(), 'keyhaven-devices-'));
  fixture = await readBitLockerFile(FIXTURE);
});

test.afterAll(async () => {
  await cli?.dispose();
  await server?.dispose();
  await sink?.close();
  if (temp) await rm(temp, { recursive: true, force: true });
});

test('a helpdesk reads a BitLocker key out to a user at a locked machine', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  await page.clock.install();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const email = uniqueEmail('helpdesk');
  const prefix = fixture.keyId.slice(0, 8).toLowerCase();
  const groups = fixture.key.split('-');
  let workspaceId = '';

  await test.step('an owner signs up and creates a workspace', async () => {
    await signUp(page, server, sink, email);
    await signIn(page, server, email);
    workspaceId = await createWorkspace(page, WORKSPACE);
  });

  await test.step('Devices → Import: the file Windows wrote, chosen with the file input', async () => {
    await openDevices(page, WORKSPACE, 'Import');
    await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
    await expect(page.getByLabel('Choose files')).toBeVisible();
    await expect(page.getByLabel('Choose a folder')).toHaveAttribute('webkitdirectory', '');
    await visit(page, 'devices-import');
    await page.getByLabel('Device name').fill(DEVICE);
    await page.getByLabel('Choose files').setInputFiles(FIXTURE);
    await expect(page.locator('.file-list')).toContainText(FIXTURE_NAME);
    const summary = await runImport(page);
    expect(summary).toContain('Imported 1 key(s); 0 replacing older keys; 0 already present; 0 invalid.');
    await visit(page, 'devices-import-summary');
  });

  await test.step('the same file dropped on the drop zone: already present', async () => {
    await dropFiles(page, [{ name: FIXTURE_NAME, bytes: fixture.bytes }]);
    await expect(page.locator('.file-list')).toContainText(FIXTURE_NAME);
    const summary = await runImport(page);
    expect(summary).toContain('Imported 0 key(s); 0 replacing older keys; 1 already present; 0 invalid.');
  });

  await test.step('a file with a mistyped group is listed invalid, by its name, naming the group', async () => {
    const typo = path.join(temp, 'typo.txt');
    await writeFile(typo, withKey(fixture, mistype(fixture.key, 3)));
    await page.getByLabel('Choose files').setInputFiles(typo);
    const summary = await runImport(page);
    expect(summary).toContain('1 invalid.');
    const invalid = page.locator('.summary .invalid li');
    await expect(invalid).toHaveCount(1);
    await expect(invalid).toContainText(/^invalid: typo\.txt: .*group 3/);
    await visit(page, 'devices-import-invalid');
  });

  await test.step('a whole folder, chosen with the folder input: hidden files skipped, paths kept', async () => {
    const folder = path.join(temp, 'usb');
    await mkdir(path.join(folder, 'old'), { recursive: true });
    await writeFile(path.join(folder, FIXTURE_NAME), fixture.bytes);
    await writeFile(path.join(folder, 'old', 'typo.txt'), withKey(fixture, mistype(fixture.key, 5)));
    await writeFile(path.join(folder, '.DS_Store'), 'not a key file');
    await page.getByLabel('Choose a folder').setInputFiles(folder);
    await expect(page.locator('.file-list li')).toHaveCount(2);
    const summary = await runImport(page);
    expect(summary).toContain('Imported 0 key(s); 0 replacing older keys; 1 already present; 1 invalid.');
    await expect(page.locator('.summary .invalid li')).toContainText(/^invalid: usb\/old\/typo\.txt: .*group 5/);
  });

  await test.step('find as you type: 8 characters of the key ID in lower case, or the device name', async () => {
    await openDevices(page, WORKSPACE, 'Find a device key');
    const byId = await findDevice(page, prefix);
    await expect(dataRows(byId)).toHaveCount(1);
    const row = dataRows(byId).first();
    await expect(row.getByRole('rowheader')).toHaveText(DEVICE);
    await expect(row).toContainText(fixture.keyId);
    await expect(row).toContainText('BitLocker');
    await expect(row).toContainText(/\d{4}-\d{2}-\d{2}/);
    await expect(row).toContainText('current');
    await expect(page.getByText(`1 key found for “${prefix}”`)).toBeVisible();
    // Never the key itself.
    expect(await page.locator('main').innerText()).not.toContain(groups[0]);
    await visit(page, 'devices-find');

    const withBraces = await findDevice(page, `{${fixture.keyId.slice(0, 13)}`);
    await expect(dataRows(withBraces)).toHaveCount(1);

    const byName = await findDevice(page, DEVICE.toLowerCase());
    await expect(dataRows(byName)).toHaveCount(1);
    await expect(dataRows(byName).first()).toContainText(fixture.keyId);

    await findDevice(page, prefix.slice(0, 5));
    await expect(page.getByText('Type at least 8 characters of the key ID')).toBeVisible();
    await expect(page.getByRole('table')).toHaveCount(0);

    const none = await findDevice(page, '00000000');
    await expect(page.getByText('No escrowed key matches “00000000”')).toBeVisible();
    await expect(none).toHaveCount(0);
  });

  await test.step('reveal with a reason: 8 large groups, copied, hidden again after 60 s', async () => {
    const table = await findDevice(page, prefix);
    const row = dataRows(table).first();
    await row.getByRole('button', { name: /^Reveal/ }).click();
    const panel = page.getByRole('region', { name: /^Reveal the key: FIN-LAPTOP-07/ });
    await expect(panel.getByRole('heading', { name: 'Reveal the key' })).toBeFocused();
    await visit(page, 'devices-reveal');
    await panel.getByLabel('Reason (for the audit log)').fill('ticket 4711');
    await panel.getByRole('button', { name: 'Reveal the key', exact: true }).click();
    await expect(page.getByTestId('key-groups').getByRole('listitem')).toHaveCount(8, { timeout: 30_000 });
    expect(await shownGroups(page)).toEqual(groups);
    await expect(panel.getByRole('group', { name: /^The recovery key of FIN-LAPTOP-07/ })).toBeFocused();
    await expect(panel.getByText(/Hidden again in \d+ s/)).toBeVisible();
    await expect(
      panel.getByText('This key was revealed: the device should get a new recovery key (rotate after use)'),
    ).toBeVisible();
    await expect(row).toContainText('rotate after use');
    await visit(page, 'devices-revealed');

    await panel.getByRole('button', { name: 'Copy the key' }).click();
    await expect(panel.getByText('Copied; the clipboard is cleared in 30 s.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(fixture.key);

    await page.clock.fastForward(61_000);
    await expect(page.getByTestId('key-groups')).toHaveCount(0);
    await expect(panel.getByRole('status').filter({ hasText: 'Hidden again after 60 s' })).toBeVisible();
    expect(await page.locator('main').innerText()).not.toContain(groups[0]);
    await expect(row).toContainText('rotate after use');
  });

  await test.step('check a typed key: the right one matches, a mistyped group is named', async () => {
    const table = await findDevice(page, prefix);
    await dataRows(table).first().getByRole('button', { name: /^Check/ }).click();
    const panel = page.getByRole('region', { name: /^Is this the right key for this device\?/ });
    await expect(panel.getByRole('heading', { name: 'Is this the right key for this device?' })).toBeFocused();
    await panel.getByLabel('Key to check').fill(fixture.key.replace(/-/g, ' '));
    await panel.getByRole('button', { name: 'Check the key' }).click();
    await expect(panel.getByText(`Matches: this is the recovery key of ${DEVICE}`)).toBeVisible({ timeout: 30_000 });
    await visit(page, 'devices-check');

    await panel.getByLabel('Key to check').fill(mistype(fixture.key, 3));
    await panel.getByRole('button', { name: 'Check the key' }).click();
    await expect(panel.getByRole('alert')).toContainText(/group 3/i);
    await expect(panel.getByLabel('Key to check')).toHaveAttribute('aria-invalid', 'true');
    await visit(page, 'devices-check-mistyped');

    await panel.getByLabel('Key to check').fill(randomBitLockerKey());
    await panel.getByRole('button', { name: 'Check the key' }).click();
    await expect(panel.getByText('No escrowed key matches')).toBeVisible({ timeout: 30_000 });
  });

  await test.step('export as BitLocker .txt: byte for byte the file Windows wrote', async () => {
    const table = await findDevice(page, prefix);
    await dataRows(table).first().getByRole('button', { name: /^Export/ }).click();
    const panel = page.getByRole('region', { name: /^Export the key: FIN-LAPTOP-07/ });
    await expect(panel.getByLabel('Format')).toHaveValue('bitlocker-txt');
    await panel.getByLabel('Reason (for the audit log)').fill('ticket 4711: key on a USB stick');
    await visit(page, 'devices-export');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`BitLocker Recovery Key ${fixture.keyId}.TXT`);
    const bytes = await downloaded(download);
    expect(Buffer.compare(bytes, fixture.bytes)).toBe(0);
    await expect(panel.getByText('Exported; this counts as a reveal in the audit log')).toBeVisible();
    await visit(page, 'devices-exported');
  });

  await test.step('the CLI, on a new device, finds the key imported in the browser and audits the reveal', async () => {
    const login = await cli.ok(['login', '--server', server.url, '--email', email], { password: PASSWORD });
    expect(login).toContain(`Signed in as ${email}`);
    await cli.ok(['workspace', 'trust', workspaceId]);
    const found = await cli.ok(['device', 'find', prefix, '--workspace', WORKSPACE]);
    expect(found).toContain(DEVICE);
    expect(found).toContain(fixture.keyId);
    expect(found).toContain('rotate after use');
    const audit = await cli.ok(['audit', 'list', '--workspace', WORKSPACE]);
    const reveal = audit.split('\n').find((line) => line.includes('device-key-revealed'));
    expect(reveal, audit).toBeDefined();
    expect(reveal).toContain('ticket 4711');
    expect(audit).toContain('device-key-exported');
    expect(audit).toContain('ticket 4711: key on a USB stick');
    expect(audit).toContain(`key ${fixture.keyId} of ${DEVICE}`);
  });

  await test.step('all devices: filters and pages of 50', async () => {
    const keys = Array.from({ length: CSV_KEYS }, (_, i) => ({
      device: `PC-${String(i + 1).padStart(4, '0')}`,
      keyId: randomKeyId(),
      key: randomBitLockerKey(),
    }));
    const csv = ['Device name,Volume,Key ID,Recovery key', ...keys.map((k) => `${k.device},C:,${k.keyId},${k.key}`)].join('\r\n');
    const sheet = path.join(temp, 'entra-export.csv');
    await writeFile(sheet, `${csv}\r\n`);
    await openDevices(page, WORKSPACE, 'Import');
    await page.getByLabel('Device name').fill('');
    await page.getByLabel('Choose files').setInputFiles(sheet);
    expect(await runImport(page)).toContain(`Imported ${CSV_KEYS} key(s); 0 replacing older keys; 0 already present; 0 invalid.`);

    await openDevices(page, WORKSPACE, 'All devices');
    const total = CSV_KEYS + 1;
    const pages = Math.ceil(total / 50);
    // Pages come from the server one at a time (no total is known before the last page).
    await expect(page.locator('.count')).toHaveText('Keys 1 to 50, 50 per page, in the order they were stored.', {
      timeout: 60_000,
    });
    const table = page.getByRole('table', { name: /^Device keys/ });
    const pager = page.getByRole('navigation', { name: 'Pages of device keys' });
    const pageLabel = pager.locator('.page-of');
    await expect(pageLabel).toHaveText('Page 1');
    await expect(dataRows(table)).toHaveCount(50);
    await expect(pager.getByRole('button', { name: 'Previous' })).toHaveAttribute('aria-disabled', 'true');
    await visit(page, 'devices-list');
    for (let n = 2; n <= pages; n++) {
      await pager.getByRole('button', { name: 'Next' }).click();
      await expect(pageLabel).toHaveText(n === pages ? `Page ${n} (the last)` : `Page ${n}`);
    }
    await expect(dataRows(table)).toHaveCount(total - 50 * (pages - 1));
    await expect(page.locator('.count')).toHaveText(
      `Keys ${50 * (pages - 1) + 1} to ${total}, 50 per page, in the order they were stored.`,
    );
    // On the last page "Next" stays focusable (aria-disabled) and does nothing; by keyboard.
    const next = pager.getByRole('button', { name: 'Next' });
    await expect(next).toHaveAttribute('aria-disabled', 'true');
    await next.focus();
    await page.keyboard.press('Enter');
    await expect(pageLabel).toHaveText(`Page ${pages} (the last)`);
    await expect(next).toBeFocused();
    await pager.getByRole('button', { name: 'Previous' }).click();
    await expect(pageLabel).toHaveText(`Page ${pages - 1}`);

    await page.getByLabel('Needs rotation (revealed or exported since stored)').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page.locator('.count')).toHaveText('1 key.', { timeout: 60_000 });
    await expect(dataRows(table)).toHaveCount(1);
    await expect(dataRows(table).first()).toContainText(DEVICE);
    await expect(dataRows(table).first()).toContainText('rotate after use');
    await page.getByLabel('Needs rotation (revealed or exported since stored)').uncheck();

    await page.getByLabel('Device name').fill(keys[6]!.device.toLowerCase());
    await page.getByLabel('Show replaced keys (history)').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page.locator('.count')).toHaveText('1 key.', { timeout: 60_000 });
    await expect(dataRows(table).first()).toContainText(keys[6]!.keyId);
    await visit(page, 'devices-list-filtered');

    // The fixture's key typed against another device's record names the device it belongs to.
    await dataRows(table).first().getByRole('button', { name: /^Check/ }).click();
    const panel = page.getByRole('region', { name: /^Is this the right key for this device\?/ });
    await panel.getByLabel('Key to check').fill(fixture.key);
    await panel.getByRole('button', { name: 'Check the key' }).click();
    await expect(panel.getByText(`This key belongs to another device: ${DEVICE} (key ID ${fixture.keyId})`)).toBeVisible({
      timeout: 30_000,
    });
  });
});
