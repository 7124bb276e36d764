// The helpdesk story of the Microsoft seed, end to end in two browsers: an owner imports the
// file Windows wrote by drag and drop, invites a helpdesk member and adds them only after the
// fingerprint comparison; the helpdesk member finds the key by what the blue recovery screen
// shows (8 characters, lower case), reveals it with a reason, and sees "rotate after use"; the
// owner reads the event in the verified audit log; once removed, the helpdesk member finds
// nothing. Then enrollment tokens: created in the page, used by a device agent (the CLI), a
// conflicting submission reviewed and accepted, the token revoked and refused.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import {
  type BitLockerFile,
  addSecret,
  createWorkspace,
  dataRows,
  dropFiles,
  findDevice,
  openDevices,
  openWorkspace,
  randomBitLockerKey,
  readBitLockerFile,
  revealField,
  runImport,
  shownGroups,
  signIn,
  signUp,
  withKey,
} from './flows';
import { Cli, KeyhavenServer, MailSink, REPO, expect, guardPage, test, uniqueEmail, visit } from './harness';

test.describe.configure({ mode: 'serial' });

const FIXTURE = path.join(REPO, 'crates/core/tests/data/bitlocker-txt/windows-utf16le-bom-crlf.TXT');
const FIXTURE_NAME = path.basename(FIXTURE);
const DEVICE = 'FIN-LAPTOP-07';
const WORKSPACE = 'Contoso IT';

let sink: MailSink;
let server: KeyhavenServer;
let cli: Cli;
let temp: string;
let fixture: BitLockerFile;

test.beforeAll(async () => {
  sink = await MailSink.start();
  server = await KeyhavenServer.start(sink);
  cli = await Cli.create();
  temp = await mkdtemp(path.join(tmpdir(), 'keyhaven-helpdesk-'));
  fixture = await readBitLockerFile(FIXTURE);
});

test.afterAll(async () => {
  await cli?.dispose();
  await server?.dispose();
  await sink?.close();
  if (temp) await rm(temp, { recursive: true, force: true });
});

/** A second person, in a browser of their own (own IndexedDB: a device of its own). */
async function otherPerson(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const guard = await guardPage(page);
  return { page, close: async () => (await guard.assertClean(), await context.close()) };
}

async function openMembers(page: Page) {
  await page.getByRole('navigation', { name: `Workspace ${WORKSPACE}` }).getByRole('link', { name: 'Members' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Members of “${WORKSPACE}”` })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Members' })).toBeVisible({ timeout: 30_000 });
}

/** A fingerprint with one group changed (the 1-based `group` of 16). */
function wrongGroup(fingerprint: string, group: number): string {
  const groups = fingerprint.split(/\s+/);
  const g = groups[group - 1]!;
  groups[group - 1] = g.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  return groups.join(' ');
}

test('helpdesk: invited, compared, finds and reveals a key, audited, removed', async ({ page, browser }) => {
  test.setTimeout(4 * 60_000);
  const owner = uniqueEmail('owner');
  const agent = uniqueEmail('helpdesk');
  const prefix = fixture.keyId.slice(0, 8).toLowerCase();
  let workspaceId = '';

  await test.step('the owner creates a workspace and drops the .txt file Windows wrote', async () => {
    await signUp(page, server, sink, owner);
    await signIn(page, server, owner);
    workspaceId = await createWorkspace(page, WORKSPACE);
    await openDevices(page, WORKSPACE, 'Import');
    await page.getByLabel('Device name').fill(DEVICE);
    await dropFiles(page, [{ name: FIXTURE_NAME, bytes: fixture.bytes }]);
    await expect(page.locator('.file-list')).toContainText(FIXTURE_NAME);
    expect(await runImport(page)).toContain('Imported 1 key(s); 0 replacing older keys; 0 already present; 0 invalid.');
  });

  await test.step('the owner invites a helpdesk member', async () => {
    await openMembers(page);
    await visit(page, 'members');
    await page.getByLabel('Email', { exact: true }).fill(agent);
    await page.getByLabel('Role', { exact: true }).selectOption('helpdesk');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const invitations = page.getByRole('table', { name: /^Open invitations/ });
    await expect(invitations.getByRole('row').filter({ hasText: agent })).toContainText('helpdesk', { timeout: 30_000 });
  });

  const helpdesk = await otherPerson(browser);
  let agentFingerprint = '';
  await test.step('the helpdesk member signs up and accepts; the page shows the fingerprint to read out', async () => {
    agentFingerprint = await signUp(helpdesk.page, server, sink, agent);
    await signIn(helpdesk.page, server, agent);
    const invitations = helpdesk.page.getByRole('region', { name: 'Invitations to you' });
    await expect(invitations).toContainText(WORKSPACE, { timeout: 30_000 });
    await invitations.getByRole('button', { name: /^Accept/ }).click();
    await expect(invitations.locator('.fingerprint')).toHaveText(agentFingerprint, { timeout: 30_000 });
    await visit(helpdesk.page, 'invitation-accepted');
  });

  await test.step('the owner compares the fingerprint read out: a wrong group is named, the right one adds', async () => {
    await openMembers(page);
    await page.getByRole('button', { name: 'Check the invitations again' }).click();
    await page.getByRole('button', { name: new RegExp(`^Add ${agent.replace(/[.+]/g, '\\$&')}`) }).click();
    const typed = page.getByLabel(`The fingerprint ${agent} reads to you`);
    await expect(page.getByText('Compare this with the person, out of band')).toBeVisible();
    await typed.fill(wrongGroup(agentFingerprint, 5));
    await expect(page.getByText(/group 5 differs/i)).toBeVisible();
    const add = page.getByRole('button', { name: `Add ${agent} as helpdesk` });
    await expect(add).toBeDisabled();
    await visit(page, 'members-compare');
    await typed.fill(agentFingerprint.toLowerCase());
    await expect(add).toBeEnabled();
    await add.click();
    const members = page.getByRole('table', { name: 'Members' });
    await expect(members.getByRole('row').filter({ hasText: agent })).toContainText('helpdesk', { timeout: 30_000 });
    await expect(members.getByRole('row').filter({ hasText: agent })).toContainText(agentFingerprint);
  });

  await test.step('the helpdesk member sees device keys and no secrets', async () => {
    // Still on the workspaces page, where they accepted: they ask whether they were added.
    await helpdesk.page.getByRole('button', { name: 'Check whether you were added' }).click();
    await expect(helpdesk.page.getByRole('region', { name: 'Invitations to you' })).toHaveCount(0, { timeout: 30_000 });
    await helpdesk.page.getByRole('table').getByRole('link', { name: WORKSPACE, exact: true }).click();
    const nav = helpdesk.page.getByRole('navigation', { name: `Workspace ${WORKSPACE}` });
    await expect(nav.getByRole('link', { name: 'Devices' })).toBeVisible({ timeout: 30_000 });
    await expect(nav.getByRole('link', { name: 'Secrets' })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Audit log' })).toHaveCount(0);
    await expect(helpdesk.page.getByRole('heading', { level: 1, name: 'Find a device key' })).toBeVisible();
    const devices = helpdesk.page.getByRole('navigation', { name: 'Device recovery keys' });
    await expect(devices.getByRole('link', { name: 'Import' })).toHaveCount(0);
    // Typed to the address bar all the same: a clear refusal, not a broken page.
    await helpdesk.page.goto(`${server.url}/#/w/${workspaceId}/devices/import`);
    await expect(helpdesk.page.getByText('Only owners and admins of “Contoso IT” import device keys; your role is helpdesk.')).toBeVisible({
      timeout: 30_000,
    });
  });

  await test.step('the owner requires a reason for every reveal', async () => {
    await openDevices(page, WORKSPACE, 'All devices');
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByLabel('Require a reason for every reveal and export (it goes into the audit log)').check();
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expect(settings.getByText('Saved: every reveal and export now needs a reason.')).toBeVisible({ timeout: 30_000 });
  });

  await test.step('the helpdesk member finds the key by 8 lower-case characters and reveals it with a reason', async () => {
    await openDevices(helpdesk.page, WORKSPACE, 'Find a device key');
    const table = await findDevice(helpdesk.page, prefix);
    const row = dataRows(table).first();
    await expect(row).toContainText(DEVICE, { timeout: 30_000 });
    await expect(row).toContainText(fixture.keyId);
    await expect(row).toContainText('current');
    await row.getByRole('button', { name: /^Reveal/ }).click();
    const panel = helpdesk.page.getByRole('region', { name: /^Reveal the key: FIN-LAPTOP-07/ });
    // Without a reason: refused, nothing shown.
    await panel.getByRole('button', { name: 'Reveal the key', exact: true }).click();
    await expect(panel.getByRole('alert')).toContainText('requires a reason', { timeout: 30_000 });
    await expect(helpdesk.page.getByTestId('key-groups')).toHaveCount(0);
    await panel.getByLabel('Reason (for the audit log)').fill('ticket 5150: user locked out at the front desk');
    await panel.getByRole('button', { name: 'Reveal the key', exact: true }).click();
    await expect(helpdesk.page.getByTestId('key-groups').getByRole('listitem')).toHaveCount(8, { timeout: 30_000 });
    expect(await shownGroups(helpdesk.page)).toEqual(fixture.key.split('-'));
    await expect(panel.getByText('the device should get a new recovery key (rotate after use)')).toBeVisible();
    await expect(row).toContainText('rotate after use');
    await visit(helpdesk.page, 'helpdesk-revealed');
  });

  await test.step('the owner sees the reveal in the audit log, verified, with the key named', async () => {
    await page.getByRole('navigation', { name: `Workspace ${WORKSPACE}` }).getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Audit log of “${WORKSPACE}”` })).toBeVisible();
    await expect(page.getByText(/checks out/)).toBeVisible({ timeout: 30_000 });
    const events = page.getByRole('table', { name: 'Events, newest first' });
    const reveal = events.getByRole('row').filter({ hasText: 'ticket 5150' });
    await expect(reveal).toHaveCount(1);
    await expect(reveal).toContainText(agent);
    await expect(reveal).toContainText(fixture.keyId);
    await expect(reveal).toContainText(DEVICE);
    await visit(page, 'audit-log');
  });

  await test.step('the owner removes the helpdesk member, with progress; they find nothing after', async () => {
    await openMembers(page);
    await page.getByRole('button', { name: new RegExp(`^Remove ${agent.replace(/[.+]/g, '\\$&')}`) }).click();
    await visit(page, 'members-remove');
    await page.getByRole('button', { name: `Remove ${agent}`, exact: true }).click();
    await expect(page.getByText(new RegExp(`^Removed ${agent.replace(/[.+]/g, '\\$&')}`))).toBeVisible({ timeout: 60_000 });
    const members = page.getByRole('table', { name: 'Members' });
    await expect(members.getByRole('row').filter({ hasText: agent })).toHaveCount(0);

    await helpdesk.page.getByLabel('Key ID or device name').fill('');
    const table = await findDevice(helpdesk.page, prefix);
    await expect(helpdesk.page.getByRole('alert')).toContainText('no such workspace (or you are no longer a member of it)', { timeout: 30_000 });
    await expect(table).toHaveCount(0);
    await expect(helpdesk.page.locator('main')).not.toContainText(fixture.keyId);
  });
  await helpdesk.close();
});

test('enrollment tokens: created in the page, used by a device agent, a conflict reviewed, revoked', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const owner = uniqueEmail('tokens');
  const file = path.join(temp, FIXTURE_NAME);
  await writeFile(file, fixture.bytes);

  await test.step('an owner with a key already escrowed creates a token', async () => {
    await signUp(page, server, sink, owner);
    await signIn(page, server, owner);
    await createWorkspace(page, WORKSPACE);
    await openDevices(page, WORKSPACE, 'Import');
    await page.getByLabel('Device name').fill(DEVICE);
    await page.getByLabel('Choose files').setInputFiles(file);
    expect(await runImport(page)).toContain('Imported 1 key(s)');
    await page.getByRole('navigation', { name: 'Device recovery keys' }).getByRole('link', { name: 'Enrollment tokens' }).click();
    await expect(page.getByRole('heading', { level: 1, name: `Enrollment tokens of “${WORKSPACE}”` })).toBeVisible();
    await page.getByLabel('Label').fill('Intune rollout');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(page.locator('.token')).toContainText('KHT', { timeout: 30_000 });
    await visit(page, 'token-created');
  });
  const token = ((await page.locator('.token').first().textContent()) ?? '').trim();
  expect(token).toMatch(/^KHT\S+$/);

  await test.step('a device agent submits with it: a new key for a known key ID is a conflict to review', async () => {
    const otherKey = randomBitLockerKey();
    const changed = path.join(temp, 'changed.TXT');
    await writeFile(changed, withKey(fixture, otherKey));
    await cli.ok(['escrow', 'submit', '--server', server.url, '--token', token, '--file', changed, '--device', DEVICE]);
    await page.getByRole('button', { name: 'Done, hide the token' }).click();
    await expect(page.locator('.token')).toHaveCount(0);
    await expect(page.getByRole('table', { name: 'Enrollment tokens' }).getByRole('row').filter({ hasText: 'Intune rollout' })).toContainText(
      'active',
    );
    await openDevices(page, WORKSPACE, 'Find a device key');
    const table = await findDevice(page, fixture.keyId.slice(0, 8));
    const conflict = dataRows(table).filter({ hasText: 'conflict' });
    await expect(conflict).toHaveCount(1, { timeout: 30_000 });
    await conflict.getByRole('button', { name: /^Review/ }).click();
    await visit(page, 'conflict-review');
    await page.getByRole('button', { name: 'Accept the submitted key' }).click();
    // A confirm step, then the list again: the submitted key is now the current one.
    const confirm = page.getByRole('button', { name: /^(Accept|Yes|Confirm)/ }).last();
    await confirm.click();
    await expect(dataRows(table).filter({ hasText: 'conflict' })).toHaveCount(0, { timeout: 30_000 });
    const row = dataRows(table).filter({ hasText: 'current' }).first();
    await row.getByRole('button', { name: /^Reveal/ }).click();
    await page.getByRole('button', { name: 'Reveal the key', exact: true }).click();
    await expect(page.getByTestId('key-groups').getByRole('listitem')).toHaveCount(8, { timeout: 30_000 });
    expect(await shownGroups(page)).toEqual(otherKey.split('-'));
  });

  await test.step('revoked, the token is refused', async () => {
    await openDevices(page, WORKSPACE, 'Find a device key');
    await page.getByRole('navigation', { name: 'Device recovery keys' }).getByRole('link', { name: 'Enrollment tokens' }).click();
    const row = page.getByRole('table', { name: 'Enrollment tokens' }).getByRole('row').filter({ hasText: 'Intune rollout' });
    await row.getByRole('button', { name: /^Revoke/ }).click();
    await page.getByRole('button', { name: /^Revoke/ }).last().click();
    await expect(row).toContainText('revoked', { timeout: 30_000 });
    const refused = await cli.run(['escrow', 'submit', '--server', server.url, '--token', token, '--file', file, '--device', DEVICE]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/revoked|refused|not valid/i);
  });
});

test('a read-only member reads secrets and changes nothing; a role changed in the page', async ({ page, browser }) => {
  test.setTimeout(4 * 60_000);
  const owner = uniqueEmail('owner-ro');
  const reader = uniqueEmail('reader');
  const escaped = reader.replace(/[.+]/g, '\\$&');

  await test.step('the owner invites a member and adds them after the fingerprint comparison', async () => {
    await signUp(page, server, sink, owner);
    await signIn(page, server, owner);
    await createWorkspace(page, WORKSPACE);
    await openWorkspace(page, WORKSPACE);
    await addSecret(page, { kind: 'login', name: 'Payroll', username: 'hr', password: 'not for readers to change' });
    await openMembers(page);
    await page.getByLabel('Email', { exact: true }).fill(reader);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await expect(page.getByRole('table', { name: /^Open invitations/ })).toContainText(reader, { timeout: 30_000 });
  });

  const person = await otherPerson(browser);
  const fingerprint = await signUp(person.page, server, sink, reader);
  await signIn(person.page, server, reader);
  const invitations = person.page.getByRole('region', { name: 'Invitations to you' });
  await invitations.getByRole('button', { name: /^Accept/ }).click();
  await expect(invitations.locator('.fingerprint')).toHaveText(fingerprint, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Check the invitations again' }).click();
  await page.getByRole('button', { name: new RegExp(`^Add ${escaped}`) }).click();
  await page.getByLabel(`The fingerprint ${reader} reads to you`).fill(fingerprint);
  await page.getByRole('button', { name: `Add ${reader} as member` }).click();
  const members = page.getByRole('table', { name: 'Members' });
  await expect(members.getByRole('row').filter({ hasText: reader })).toContainText('member', { timeout: 30_000 });

  await test.step('the owner makes them read-only', async () => {
    const row = members.getByRole('row').filter({ hasText: reader });
    await row.getByLabel(`Change ${reader} to`).selectOption('read-only');
    await row.getByRole('button', { name: /^Change role/ }).click();
    await expect(members.getByRole('row').filter({ hasText: reader })).toContainText('read-only', { timeout: 30_000 });
  });

  await test.step('the read-only member reads the secret, and has no way to change it', async () => {
    await person.page.getByRole('button', { name: 'Check whether you were added' }).click();
    await person.page.getByRole('table').getByRole('link', { name: WORKSPACE, exact: true }).click();
    await expect(person.page.getByRole('heading', { level: 1, name: `Secrets of “${WORKSPACE}”` })).toBeVisible({ timeout: 30_000 });
    const nav = person.page.getByRole('navigation', { name: `Workspace ${WORKSPACE}` });
    await expect(nav.getByRole('link', { name: 'Devices' })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Audit log' })).toHaveCount(0);
    await expect(person.page.getByRole('button', { name: 'Add a secret' })).toHaveCount(0);
    await expect(person.page.getByText('Your role is read-only')).toBeVisible();
    expect(await revealField(person.page, 'Payroll', 'password', 'Password')).toBe('not for readers to change');
    const details = person.page.getByRole('region', { name: 'Secret Payroll' });
    await expect(details.getByRole('button', { name: 'Edit' })).toHaveCount(0);
    await expect(details.getByRole('button', { name: 'Delete' })).toHaveCount(0);
    await visit(person.page, 'read-only-secret');
    // Members: the roster, no management.
    await nav.getByRole('link', { name: 'Members' }).click();
    await expect(person.page.getByText('Only owners and admins manage members; your role is read-only.')).toBeVisible({
      timeout: 30_000,
    });
    await expect(person.page.getByRole('button', { name: 'Invite', exact: true })).toHaveCount(0);
  });
  await person.close();
});
