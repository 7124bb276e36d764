// The Devolutions story, in the browser: a temporary key by email, a forgotten password, the
// emergency reset code, then the 30-day and six-month prompts with both clocks moved.

import {
  addSecret,
  createWorkspace,
  downloaded,
  forgotPassword,
  mistype,
  moveClocks,
  openWorkspace,
  revealField,
  signIn,
  signOut,
  signUp,
} from './flows';
import { KeyhavenServer, MailSink, expect, screenshot, test, uniqueEmail, welcomeMail } from './harness';

test.describe.configure({ mode: 'serial' });

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

test('the recovery-key story of a workspace owner', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  await page.clock.install();
  const email = uniqueEmail('alice');
  const newPassword = 'a brand new passphrase, 2nd';
  const banner = (text: RegExp) => page.getByRole('region', { name: 'Things to do' }).getByRole('listitem').filter({ hasText: text });
  let temporaryKey = '';
  let temporaryKeyId = '';
  let permanentKey = '';

  await test.step('sign up with the emailed code, then sign in', async () => {
    const fingerprint = await signUp(page, server, sink, email);
    expect(fingerprint).toMatch(/^([0-9A-F]{4} ){15}[0-9A-F]{4}$/);
    await signIn(page, server, email);
  });

  await test.step('create a workspace: its temporary recovery key comes in the welcome email', async () => {
    const since = sink.count();
    await createWorkspace(page, 'Acme');
    const [, id, key] = await sink.waitForMail(email, welcomeMail('Acme'), since);
    temporaryKeyId = id!;
    temporaryKey = key!;
    await expect(banner(/temporary recovery key of “Acme” expires in 30 days/)).toBeVisible();
  });

  await test.step('add a login, a note and an API key', async () => {
    await openWorkspace(page, 'Acme');
    await expect(page.getByRole('heading', { level: 1, name: 'Secrets of “Acme”' })).toBeVisible();
    await addSecret(page, { kind: 'login', name: 'payroll', username: 'ops', password: 'hunter2-payroll', url: 'https://payroll.example.com' });
    await addSecret(page, { kind: 'note', name: 'wifi', text: 'SSID acme\npassphrase: correct-staple' });
    await addSecret(page, { kind: 'api-key', name: 'stripe', key: 'sk_test_51abcdef', notes: 'test mode' });
    await expect(page.getByText('3 secrets')).toBeVisible();
    await screenshot(page, 'story-secrets');
  });

  await test.step('sign out; forgot password: access code, both acknowledgements, new key', async () => {
    await signOut(page);
    await forgotPassword(page, server, sink, email, newPassword);
    await screenshot(page, 'story-password-updated');
  });

  await test.step('sign in with the new password: the emergency reset code page', async () => {
    await signIn(page, server, email, newPassword);
    await expect(banner(/enter the emergency reset code of “Acme”/)).toBeVisible();
    await openWorkspace(page, 'Acme');
    await expect(page.getByRole('heading', { level: 1, name: 'Emergency reset code' })).toBeVisible();
    const input = page.getByLabel(/Enter the recovery key whose ID starts with/);
    const label = (await page.locator('label', { hasText: 'whose ID starts with' }).textContent()) ?? '';
    const short = /starts with (\S{8})/.exec(label)?.[1] ?? '';
    expect(short).toHaveLength(8);
    const plain = (s: string) => s.replace(/[^0-9a-z]/gi, '').toUpperCase();
    expect(plain(temporaryKeyId).startsWith(plain(short))).toBe(true);

    await input.fill(mistype(temporaryKey, 3));
    await expect(page.getByRole('alert')).toContainText(/group 3/i);
    await screenshot(page, 'story-emergency-reset-mistyped');

    await input.fill(temporaryKey.replace(/-/g, ' '));
    await expect(page.getByText('The key is well formed.')).toBeVisible();
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByText(/The recovery key restored the link between your account and “Acme”/)).toBeVisible({
      timeout: 30_000,
    });
  });

  await test.step('the secrets are back, values unchanged', async () => {
    await expect(page.getByRole('heading', { level: 1, name: 'Secrets of “Acme”' })).toBeVisible();
    await expect(page.getByText('3 secrets')).toBeVisible();
    expect(await revealField(page, 'payroll', 'password', 'Password')).toBe('hunter2-payroll');
    expect(await revealField(page, 'stripe', 'key', 'API key')).toBe('sk_test_51abcdef');
    await expect(banner(/emergency reset code of “Acme”/)).toHaveCount(0);
  });

  await test.step('a second workspace, whose temporary key will never be replaced', async () => {
    await createWorkspace(page, 'Branch');
  });

  await test.step('25 days later: the temporary key expires in 5 days', async () => {
    await signOut(page);
    await moveClocks(page, server, 25);
    await signIn(page, server, email, newPassword);
    await expect(banner(/temporary recovery key of “Acme” expires in 5 days/)).toBeVisible();
    await screenshot(page, 'story-temporary-key-banner');
  });

  await test.step('generate a permanent key: the current key first, the kits, the confirmation', async () => {
    await banner(/“Acme” expires in/).getByRole('link', { name: 'Generate a permanent recovery key' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Generate recovery key' })).toBeVisible();
    await expect(page.getByText('Temporary (sent in the welcome email)')).toBeVisible();
    await page.getByRole('button', { name: 'Generate a new recovery key' }).click();

    await expect(page.getByRole('heading', { name: 'Your current recovery key' })).toBeVisible();
    await page.getByLabel(/Current recovery key/).fill(temporaryKey);
    await page.getByRole('button', { name: 'Next', exact: true }).click();

    await expect(page.getByRole('heading', { name: 'Your new recovery key' })).toBeVisible();
    const groups = await page.getByTestId('key-groups').locator('.group-digits').allTextContents();
    expect(groups).toHaveLength(8);
    groups.forEach((g) => expect(g).toMatch(/^\d{6}$/));
    const key = groups.join('-');
    await screenshot(page, 'story-new-recovery-key');

    const kit = async (label: string) => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: `Download the recovery kit (${label})` }).click(),
      ]);
      return { name: download.suggestedFilename(), bytes: await downloaded(download) };
    };
    const txt = await kit('text');
    expect(txt.name).toMatch(/\.txt$/);
    expect(txt.bytes.toString('utf8')).toContain(key);
    const html = await kit('printable HTML');
    expect(html.name).toMatch(/\.html$/);
    for (const g of groups) expect(html.bytes.toString('utf8')).toContain(g);
    const pdf = await kit('PDF');
    expect(pdf.name).toMatch(/\.pdf$/);
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    await page.getByRole('button', { name: 'Next: confirm the key' }).click();
    const ask = (await page.getByText(/Re-type group \d and group \d/).textContent()) ?? '';
    const [, a, b] = /group (\d) and group (\d)/.exec(ask)!;
    await page.getByLabel(`Group ${a}`, { exact: true }).fill(groups[Number(a) - 1]!);
    await page.getByLabel(`Group ${b}`, { exact: true }).fill(groups[Number(b) - 1]!);
    await page.getByRole('button', { name: 'Save this recovery key' }).click();
    await expect(page.getByRole('heading', { name: 'The new recovery key was saved' })).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText('Permanent', { exact: true })).toBeVisible();
    await expect(banner(/“Acme” expires in/)).toHaveCount(0);
    permanentKey = key;
  });

  await test.step('31 days after creation: the second workspace has no valid recovery key', async () => {
    await signOut(page);
    await moveClocks(page, server, 31);
    await signIn(page, server, email, newPassword);
    await expect(banner(/“Branch” has no valid recovery key/)).toBeVisible();
    await expect(banner(/“Acme”/)).toHaveCount(0);
    await screenshot(page, 'story-no-valid-key-banner');
  });

  await test.step('six months after the permanent key: validation is due; validate it', async () => {
    await signOut(page);
    await moveClocks(page, server, 25 + 184);
    await signIn(page, server, email, newPassword);
    await expect(banner(/validation of “Acme” is due/)).toBeVisible();
    await screenshot(page, 'story-validation-due-banner');
    await banner(/validation of “Acme” is due/).getByRole('link', { name: 'Validate the recovery key' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Validate recovery key' })).toBeVisible();
    await page.getByLabel(/Recovery key \(ID starts with/).fill(permanentKey);
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await expect(page.getByText(/The recovery key was validated\./)).toBeVisible({ timeout: 30_000 });
    await expect(banner(/validation of “Acme” is due/)).toHaveCount(0);
    await expect(banner(/“Branch” has no valid recovery key/)).toBeVisible();
  });
});
