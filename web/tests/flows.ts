// What a person does in the web vault, step by step, for the specs to share.

import type { Download, Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { DAY_MS, expect, type KeyhavenServer, type MailSink, PASSWORD, RESET_CODE, SIGNUP_CODE } from './harness';

export async function goTo(page: Page, server: KeyhavenServer, hash: string): Promise<void> {
  await page.goto(`${server.url}/${hash}`);
}

/** Sign up through the page (the code from the sink); returns the fingerprint shown. */
export async function signUp(page: Page, server: KeyhavenServer, sink: MailSink, email: string, password = PASSWORD) {
  await goTo(page, server, '#/signup');
  await expect(page.getByRole('heading', { level: 1, name: 'Create an account' })).toBeVisible();
  const since = sink.count();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the verification code' }).click();
  await expect(page.getByText(`A verification code was sent to ${email}`)).toBeVisible();
  const [, code] = await sink.waitForMail(email, SIGNUP_CODE, since);
  await page.getByLabel('Verification code').fill(code!);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create the account' }).click();
  await expect(page.getByRole('heading', { name: 'Account created' })).toBeVisible({ timeout: 30_000 });
  return (await page.locator('.fingerprint').textContent())!.trim();
}

/** Sign in from wherever the page is; ends on the workspaces list. */
export async function signIn(page: Page, server: KeyhavenServer, email: string, password = PASSWORD) {
  if (!(await page.getByRole('heading', { level: 1, name: 'Sign in' }).isVisible())) {
    await goTo(page, server, '#/signin');
  }
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Workspaces' })).toBeVisible({ timeout: 30_000 });
}

export async function signOut(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('You are signed out.')).toBeVisible();
}

/** Creates a workspace from the workspaces list; returns its id. */
export async function createWorkspace(page: Page, name: string, temporaryByEmail = true): Promise<string> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click();
  await page.getByLabel('Workspace name').fill(name);
  await page
    .getByLabel(temporaryByEmail ? 'Email me a temporary recovery key (expires in 30 days)' : 'Generate a permanent recovery key now')
    .check();
  await page.getByRole('button', { name: 'Create the workspace' }).click();
  if (temporaryByEmail) {
    await expect(page.getByText(`Workspace “${name}” created.`)).toBeVisible({ timeout: 30_000 });
  } else {
    await expect(page.getByRole('heading', { name: `The recovery key of “${name}”` })).toBeVisible({ timeout: 30_000 });
  }
  const link = page.getByRole('table').getByRole('link', { name, exact: true });
  await expect(link).toBeVisible();
  const href = (await link.getAttribute('href'))!;
  return decodeURIComponent(href.replace('#/w/', ''));
}

export async function openWorkspace(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click();
  await page.getByRole('table').getByRole('link', { name, exact: true }).click();
}

export type SecretInput =
  | { kind: 'login'; name: string; username?: string; password: string; url?: string; notes?: string }
  | { kind: 'note'; name: string; text: string; notes?: string }
  | { kind: 'api-key'; name: string; key: string; notes?: string };

/** Adds a secret on the workspace's secrets page. */
export async function addSecret(page: Page, secret: SecretInput) {
  await page.getByRole('button', { name: 'Add a secret' }).click();
  await page.getByLabel('Kind').selectOption(secret.kind);
  await page.getByLabel('Name', { exact: true }).fill(secret.name);
  const fill = async (label: string, value: string | undefined) => {
    if (value !== undefined) await page.getByLabel(label, { exact: true }).fill(value);
  };
  if (secret.kind === 'login') {
    await fill('User name', secret.username);
    await fill('Password', secret.password);
    await fill('URL', secret.url);
  } else if (secret.kind === 'note') {
    await fill('Text', secret.text);
  } else {
    await fill('API key', secret.key);
  }
  await fill('Notes (optional)', secret.notes);
  await page.getByRole('button', { name: 'Add the secret' }).click();
  await expect(page.getByText(`“${secret.name}” was added.`)).toBeVisible({ timeout: 30_000 });
}

/** Opens a secret from the list, reveals it and shows `field`; returns its value. */
export async function revealField(page: Page, name: string, field: string, label: string): Promise<string> {
  await page.getByRole('table').getByRole('button', { name, exact: true }).click();
  const details = page.getByRole('region', { name: `Secret ${name}` });
  await details.getByRole('button', { name: 'Reveal' }).click();
  // The Reveal button goes once the fields are decrypted; only then is there a Show button.
  await expect(details.getByRole('button', { name: 'Reveal', exact: true })).toHaveCount(0, { timeout: 30_000 });
  const show = details.getByRole('button', { name: `Show ${label}` });
  if (await show.count()) await show.click();
  const value = details.locator(`[data-field="${field}"]`);
  await expect(value).toBeVisible();
  return (await value.textContent()) ?? '';
}

/** Forgot password through to the new password, with both acknowledgements. */
export async function forgotPassword(page: Page, server: KeyhavenServer, sink: MailSink, email: string, newPassword: string) {
  await goTo(page, server, '#/forgot');
  const since = sink.count();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the access code' }).click();
  const [, code] = await sink.waitForMail(email, RESET_CODE, since);
  await page.getByLabel('Access code').fill(code!);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Retrieve recovery key' })).toBeVisible();
  const generate = page.getByRole('button', { name: 'Generate a new encryption key' });
  await expect(generate).toBeDisabled();
  await page
    .getByLabel('I understand that without my recovery key, I will no longer be able to access the workspace')
    .check();
  await generate.click();
  await page.getByLabel('I understand and accept the risks').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Repeat the new password').fill(newPassword);
  await page.getByRole('button', { name: 'Update my password' }).click();
  await expect(page.getByRole('heading', { name: 'Your password was updated' })).toBeVisible({ timeout: 30_000 });
}

/** Moves the server's clock (a restart on the same port) and the page's to `days` ahead of
 * now. The page must be signed out: the sign-in that follows runs at the new time. */
export async function moveClocks(page: Page, server: KeyhavenServer, days: number) {
  await server.restart(days);
  await page.clock.setSystemTime(new Date(Date.now() + days * DAY_MS));
}

/** The text of a download. */
export async function downloaded(download: Download): Promise<Buffer> {
  return readFile((await download.path())!);
}

/** Another recovery key with group `group` (1-based) off by one: no longer a multiple of 11. */
export function mistype(key: string, group: number): string {
  const groups = key.split('-');
  const value = Number(groups[group - 1]);
  groups[group - 1] = String(value >= 720_885 ? value - 1 : value + 1).padStart(6, '0');
  return groups.join('-');
}

// ---------------------------------------------------------------------------------------
// Device recovery keys (escrow)

/** A BitLocker recovery key file as Windows writes it: UTF-16LE with a BOM, CRLF. */
export interface BitLockerFile {
  bytes: Buffer;
  /** The identifier (upper case, no braces). */
  keyId: string;
  /** The 48 digits, 8 dash-separated groups. */
  key: string;
}

/** Reads a Windows BitLocker .txt (decoded here in node, as the test's own check). */
export async function readBitLockerFile(file: string): Promise<BitLockerFile> {
  const bytes = await readFile(file);
  const text = bytes.toString('utf16le').replace(/^\uFEFF/, '');
  const keyId = text.match(/[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/i)?.[0];
  const key = text.match(/\b\d{6}(?:-\d{6}){7}\b/)?.[0];
  if (!keyId || !key) throw new Error(`${file}: no identifier or key found`);
  return { bytes, keyId: keyId.toUpperCase(), key };
}

/** The same file with its key replaced (e.g. mistyped), still UTF-16LE with a BOM. */
export function withKey(file: BitLockerFile, key: string): Buffer {
  const text = file.bytes.toString('utf16le').replace(/^\uFEFF/, '').replace(file.key, key);
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** A valid BitLocker recovery password (every group a multiple of 11 below 720,896). */
export function randomBitLockerKey(): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(String(11 * Math.floor(Math.random() * 65_536)).padStart(6, '0'));
  return groups.join('-');
}

/** A random GUID, upper case, as BitLocker shows protector identifiers. */
export function randomKeyId(): string {
  return crypto.randomUUID().toUpperCase();
}

/** From anywhere in a workspace (or the workspaces list): its Devices tab, then a sub-page. */
export async function openDevices(page: Page, workspace: string, sub: 'Find a device key' | 'All devices' | 'Import') {
  const tab = page.getByRole('navigation', { name: `Workspace ${workspace}` }).getByRole('link', { name: 'Devices' });
  if (!(await tab.isVisible())) await openWorkspace(page, workspace);
  await tab.click();
  await page.getByRole('navigation', { name: 'Device recovery keys' }).getByRole('link', { name: sub }).click();
  const headings = { 'Find a device key': 'Find a device key', 'All devices': /^Device keys of/, Import: 'Import device keys' };
  await expect(page.getByRole('heading', { level: 1, name: headings[sub] })).toBeVisible();
}

/** The import page's drop zone. */
export function dropZone(page: Page) {
  return page.getByRole('region', { name: 'Drop key files or folders here' });
}

/** Drops files on the drop zone as a browser would (a DataTransfer made in the page from the
 * files' bytes, in a real `drop` event). */
export async function dropFiles(page: Page, files: { name: string; bytes: Buffer }[]) {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'text/plain' }));
    return dt;
  }, files.map((f) => ({ name: f.name, bytes: [...f.bytes] })));
  await dropZone(page).dispatchEvent('dragenter', { dataTransfer: transfer });
  await dropZone(page).dispatchEvent('dragover', { dataTransfer: transfer });
  await dropZone(page).dispatchEvent('drop', { dataTransfer: transfer });
  await transfer.dispose();
}

/** Runs the import of what was chosen or dropped; returns the summary's text. */
export async function runImport(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const summary = page.locator('.summary');
  await expect(summary).toBeVisible({ timeout: 120_000 });
  return (await summary.innerText()).replace(/\s+/g, ' ').trim();
}

/** Types `query` in the Find page's search box; returns the results table (shown or not). */
export async function findDevice(page: Page, query: string) {
  await page.getByLabel('Key ID or device name').fill(query);
  return page.getByRole('table', { name: `Keys matching “${query.trim()}”` });
}

/** The data rows of a device table (its header row left out). */
export function dataRows(table: ReturnType<Page['getByRole']>) {
  return table.locator('tbody').getByRole('row');
}

/** The groups of the key shown in the reveal panel. */
export async function shownGroups(page: Page): Promise<string[]> {
  return page.getByTestId('key-groups').locator('.group-digits').allTextContents();
}
