// Every page of the web vault visited once: a screenshot, an accessibility check, and the
// mistakes a person makes (wrong password, mistyped recovery key, mismatched new password).

import { addSecret, createWorkspace, goTo, mistype, openWorkspace, signIn, signOut } from './flows';
import {
  KeyhavenServer,
  MailSink,
  PASSWORD,
  RESET_CODE,
  SIGNUP_CODE,
  expect,
  guardPage,
  screenshot,
  test,
  uniqueEmail,
  visit,
} from './harness';

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

test('every page, with the mistakes people make', async ({ page, browser }) => {
  test.setTimeout(10 * 60_000);
  await page.clock.install();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const email = uniqueEmail('pages');
  const newPassword = 'another good passphrase';
  let fingerprint = '';
  let recoveryKey = '';

  await test.step('signed out: sign in, create an account, forgot password', async () => {
    await goTo(page, server, '#/signin');
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    await visit(page, 'signin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Create an account' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Create an account' })).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
    await visit(page, 'signup');
    await goTo(page, server, '#/forgot');
    await expect(page.getByRole('heading', { level: 1, name: 'Forgot password' })).toBeVisible();
    await visit(page, 'forgot');
  });

  await test.step('sign up: the code step refuses a mismatched password', async () => {
    await goTo(page, server, '#/signup');
    const since = sink.count();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the verification code' }).click();
    const [, code] = await sink.waitForMail(email, SIGNUP_CODE, since);
    await page.getByLabel('Verification code').fill(code!);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(`${PASSWORD}!`);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await expect(page.getByRole('alert')).toContainText('The two passwords do not match');
    await visit(page, 'signup-code');
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await expect(page.getByRole('heading', { name: 'Account created' })).toBeVisible({ timeout: 30_000 });
    fingerprint = (await page.locator('.fingerprint').textContent())!.trim();
    await visit(page, 'signup-done');
  });

  await test.step('a wrong password is refused with the vault’s words', async () => {
    await goTo(page, server, '#/signin');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('not my password');
    // The server's answer held back, to see the form while the call runs: the button waits and
    // the worker's progress (Argon2id) shows.
    await page.route('**/v1/login/**', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('status').filter({ has: page.locator('progress') })).toContainText(
      /Stretching your password with Argon2id|Fetching from the server/,
    );
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeDisabled();
    await screenshot(page, 'signin-progress');
    await page.unrouteAll({ behavior: 'wait' });
    await expect(page.getByRole('alert')).toContainText('incorrect email or password', { timeout: 30_000 });
    await visit(page, 'signin-wrong-password');
    await signIn(page, server, email);
    await visit(page, 'workspaces-empty');
  });

  await test.step('a workspace with a permanent key made at once', async () => {
    await createWorkspace(page, 'Pages', false);
    const groups = await page.getByTestId('key-groups').locator('.group-digits').allTextContents();
    expect(groups).toHaveLength(8);
    recoveryKey = groups.join('-');
    await visit(page, 'workspace-created-permanent-key');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the recovery kit (text)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.txt$/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Secrets of “Pages”' })).toBeVisible();
    await expect(page.getByText('0 secrets')).toBeVisible();
    await visit(page, 'secrets-empty');
  });

  await test.step('secrets: add, search, reveal, copy, edit, delete', async () => {
    await page.getByRole('button', { name: 'Add a secret' }).click();
    await page.getByLabel('Kind').selectOption('api-key');
    await visit(page, 'secret-add');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await addSecret(page, { kind: 'login', name: 'mail', username: 'postmaster', password: 'p0stm@ster', url: 'https://mail.example.com' });
    await addSecret(page, { kind: 'note', name: 'alarm code', text: '4711' });
    await page.getByLabel('Search secrets').fill('postm');
    await expect(page.getByText('1 of 2 shown')).toBeVisible();
    await expect(page.getByRole('table').getByRole('button', { name: 'alarm code' })).toHaveCount(0);
    await page.getByLabel('Search secrets').fill('');
    await visit(page, 'secrets-list');

    await page.getByRole('table').getByRole('button', { name: 'mail', exact: true }).click();
    const details = page.getByRole('region', { name: 'Secret mail' });
    await details.getByRole('button', { name: 'Reveal' }).click();
    await expect(details.getByText('hidden')).toBeVisible();
    await details.getByRole('button', { name: 'Show Password' }).click();
    await expect(details.locator('[data-field="password"]')).toHaveText('p0stm@ster');
    await visit(page, 'secret-revealed');
    await details.getByRole('button', { name: 'Copy Password' }).click();
    await expect(details.getByText('Password copied; the clipboard is cleared in 30 s.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('p0stm@ster');
    await page.clock.fastForward(31_000);
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('');

    await details.getByRole('button', { name: 'Edit' }).click();
    await expect(page.getByRole('heading', { name: 'Edit “mail”' })).toBeVisible();
    await visit(page, 'secret-edit');
    await page.getByLabel('User name').fill('hostmaster');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('“mail” was saved.')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('table').getByRole('cell', { name: 'hostmaster' })).toBeVisible();

    await page.getByRole('table').getByRole('button', { name: 'alarm code' }).click();
    await page.getByRole('region', { name: 'Secret alarm code' }).getByRole('button', { name: 'Delete', exact: true }).click();
    await visit(page, 'secret-delete-confirm');
    await page.getByRole('button', { name: 'Delete “alarm code”' }).click();
    await expect(page.getByText('“alarm code” was deleted.')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText('1 secret', { exact: true })).toBeVisible();
  });

  await test.step('administration, validate (a malformed key names its group), generate', async () => {
    await page.getByRole('navigation', { name: 'Workspace Pages' }).getByRole('link', { name: 'Administration' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Administration of “Pages”' })).toBeVisible();
    await expect(page.getByText('Permanent', { exact: true })).toBeVisible();
    await visit(page, 'administration');

    await page.getByRole('link', { name: 'Validate recovery key' }).click();
    const input = page.getByLabel(/Recovery key \(ID starts with/);
    await input.fill(mistype(recoveryKey, 5));
    await expect(page.getByRole('alert')).toContainText(/group 5/i);
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    await visit(page, 'validate-mistyped');
    await input.fill(recoveryKey);
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await expect(page.getByText(/The recovery key was validated\./)).toBeVisible({ timeout: 30_000 });

    await page.getByRole('navigation', { name: 'Workspace Pages' }).getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('link', { name: 'Generate recovery key' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Generate recovery key' })).toBeVisible();
    await visit(page, 'generate');
    await page.getByRole('button', { name: 'Generate a new recovery key' }).click();
    await expect(page.getByRole('heading', { name: 'Your current recovery key' })).toBeVisible();
    await visit(page, 'generate-current-key');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('button', { name: 'Generate a new recovery key' })).toBeVisible();
  });

  await test.step('account', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
    await expect(page.getByText(fingerprint)).toBeVisible();
    await visit(page, 'account');
  });

  await test.step('first contact in another browser: compare the owner’s fingerprint, then trust', async () => {
    const other = await browser.newContext();
    const second = await other.newPage();
    const guard = await guardPage(second);
    await signIn(second, server, email);
    await openWorkspace(second, 'Pages');
    await expect(second.getByRole('heading', { level: 1, name: 'Trust this workspace?' })).toBeVisible();
    await expect(second.getByText(fingerprint)).toBeVisible();
    await expect(second.getByText('Compare this fingerprint with the owner, out of band')).toBeVisible();
    await visit(second, 'first-contact');
    await second.getByRole('button', { name: 'Trust this workspace' }).click();
    await expect(second.getByRole('heading', { level: 1, name: 'Secrets of “Pages”' })).toBeVisible({ timeout: 30_000 });
    await guard.assertClean();
    await other.close();
  });

  await test.step('forgot password: both acknowledgements; an empty or mismatched password is refused', async () => {
    await signOut(page);
    await goTo(page, server, '#/forgot');
    const since = sink.count();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the access code' }).click();
    await expect(page.getByRole('heading', { name: 'Access code' })).toBeVisible();
    await visit(page, 'forgot-access-code');
    const [, code] = await sink.waitForMail(email, RESET_CODE, since);
    await page.getByLabel('Access code').fill(code!);
    await page.getByRole('button', { name: 'Next' }).click();
    await visit(page, 'forgot-retrieve-recovery-key');
    await page.getByLabel(/I understand that without my recovery key/).check();
    await page.getByRole('button', { name: 'Generate a new encryption key' }).click();
    await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
    await visit(page, 'forgot-accept-risks');
    await page.getByLabel('I understand and accept the risks').check();
    await page.getByRole('button', { name: 'Next' }).click();

    const update = page.getByRole('button', { name: 'Update my password' });
    await update.click();
    await expect(page.getByRole('alert')).toContainText('Enter a new password.');
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Repeat the new password').fill('something else');
    await update.click();
    await expect(page.getByRole('alert')).toContainText('The two passwords do not match');
    await visit(page, 'forgot-new-password-mismatch');
    await page.getByLabel('Repeat the new password').fill(newPassword);
    await update.click();
    await expect(page.getByRole('heading', { name: 'Your password was updated' })).toBeVisible({ timeout: 30_000 });
    await visit(page, 'forgot-done');
  });

  await test.step('the emergency reset code page', async () => {
    await signIn(page, server, email, newPassword);
    await visit(page, 'workspaces-emergency-banner');
    await openWorkspace(page, 'Pages');
    await expect(page.getByRole('heading', { level: 1, name: 'Emergency reset code' })).toBeVisible();
    const input = page.getByLabel(/Enter the recovery key whose ID starts with/);
    await input.fill(mistype(recoveryKey, 7));
    await expect(page.getByRole('alert')).toContainText(/group 7/i);
    await visit(page, 'emergency-reset');
    await input.fill(recoveryKey);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByText(/restored the link between your account and “Pages”/)).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText('1 secret', { exact: true })).toBeVisible();
  });

  await test.step('idle for 10 minutes: locked, back to signing in', async () => {
    await page.clock.fastForward('10:01');
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    await expect(page.getByText('Locked after 10 minutes idle; sign in again.')).toBeVisible();
    await visit(page, 'locked');
  });
});

test('a vault whose WebAssembly cannot load says so', async ({ page }) => {
  await page.route('**/*.wasm', (route) => route.abort());
  await page.goto(`${server.url}/#/signin`);
  await expect(page.getByRole('alert')).toContainText('the vault could not start', { timeout: 30_000 });
  await expect(page.getByRole('alert')).toContainText('Reload the page to try again.');
  await visit(page, 'vault-failed');
});
