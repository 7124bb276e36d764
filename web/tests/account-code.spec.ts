// A Microsoft account's recovery code, typed by hand on the Import page: the 25-character
// alphanumeric code (5 groups of 5) that the Microsoft document calls the recovery key. It is
// filed under the account (an email address), not a device. A mistyped group is named and
// nothing is stored; the right code is escrowed, found by the account and revealed in its 5
// groups.

import { createWorkspace, dataRows, findDevice, openDevices, shownGroups, signIn, signUp } from './flows';
import { KeyhavenServer, MailSink, expect, test, uniqueEmail, visit } from './harness';

test.describe.configure({ mode: 'serial' });

const WORKSPACE = 'Home accounts';
const ACCOUNT = 'alice@outlook.com';
/** Microsoft does not document the code's alphabet and it has no checksum: the vault takes
 * any letter A-Z or digit (crates/core/src/device/microsoft.rs). */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

let sink: MailSink;
let server: KeyhavenServer;

test.beforeAll(async () => {
  sink = await MailSink.start();
  server = await KeyhavenServer.start(sink);
});

test.afterAll(async () => {
  await server?.dispose();
  await sink?.close();
});

/** A valid recovery code: 5 groups of 5 characters from A-Z0-9. */
function randomAccountCode(): string[] {
  const groups: string[] = [];
  for (let g = 0; g < 5; g++) {
    let group = '';
    for (let c = 0; c < 5; c++) group += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
    groups.push(group);
  }
  return groups;
}

test('a Microsoft account recovery code is typed, a mistyped group named, then found and revealed', async ({ page }) => {
  test.setTimeout(4 * 60_000);
  const owner = uniqueEmail('owner');
  const groups = randomAccountCode();
  const typedKey = () => page.getByLabel('The recovery code', { exact: true });

  await test.step('an owner signs up, creates a workspace and opens Devices → Import', async () => {
    await signUp(page, server, sink, owner);
    await signIn(page, server, owner);
    await createWorkspace(page, WORKSPACE);
    await openDevices(page, WORKSPACE, 'Import');
    await expect(page.getByRole('heading', { level: 2, name: 'Type a key' })).toBeVisible();
  });

  await test.step('a code with group 3 one character short: the group is named, nothing is stored', async () => {
    await page.getByLabel('Kind of key', { exact: true }).selectOption('microsoft-account');
    // Filed under the account: no key ID or volume is asked for.
    await expect(page.getByLabel('Key ID of the key', { exact: true })).toHaveCount(0);
    await expect(page.getByLabel('Volume of the key', { exact: true })).toHaveCount(0);
    await page.getByLabel('Microsoft account (email address)', { exact: true }).fill(ACCOUNT);
    const short = groups.map((g, i) => (i === 2 ? g.slice(0, 4) : g));
    await typedKey().fill(short.join('-'));
    await page.getByRole('button', { name: 'Add the key', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: /group 3/i })).toBeVisible({ timeout: 30_000 });
    await expect(typedKey()).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('.typed-key .notice')).toHaveCount(0);
  });

  await test.step('the right code is added; the code leaves the page, the account stays', async () => {
    await typedKey().fill(groups.join('-').toLowerCase());
    await visit(page, 'account-code');
    await page.getByRole('button', { name: 'Add the key', exact: true }).click();
    await expect(page.getByText(`Added the key of ${ACCOUNT}.`)).toBeVisible({ timeout: 30_000 });
    await expect(typedKey()).toHaveValue('');
    await expect(page.getByLabel('Microsoft account (email address)', { exact: true })).toHaveValue(ACCOUNT);
  });

  await test.step('Find a device key by the account: one key, revealed in the 5 groups typed', async () => {
    await openDevices(page, WORKSPACE, 'Find a device key');
    const table = await findDevice(page, ACCOUNT);
    const rows = dataRows(table);
    await expect(rows).toHaveCount(1, { timeout: 30_000 });
    const row = rows.first();
    await expect(row).toContainText(ACCOUNT);
    await expect(row).toContainText('Microsoft account code');
    await row.getByRole('button', { name: /^Reveal/ }).click();
    const panel = page.getByRole('region', { name: /^Reveal the key: alice@outlook\.com/ });
    await panel.getByLabel('Reason (for the audit log)').fill('locked out of Outlook');
    await panel.getByRole('button', { name: 'Reveal the key', exact: true }).click();
    await expect(page.getByTestId('key-groups').getByRole('listitem')).toHaveCount(5, { timeout: 30_000 });
    expect(await shownGroups(page)).toEqual(groups);
  });
});
