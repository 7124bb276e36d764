// The audit log page against a server whose database was tampered with: an edited event, then a
// log cut short, each named in an alert (the chain is checked in the browser, against the head
// this browser pinned), while an untouched log checks out.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { addSecret, createWorkspace, openWorkspace, signIn, signUp } from './flows';
import { KeyhavenServer, MailSink, expect, test, uniqueEmail, visit } from './harness';

test.describe.configure({ mode: 'serial' });

const WORKSPACE = 'Audited';

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

/** Runs SQL on the stopped server's SQLite database (what someone with the database can do). */
async function tamper(sql: string): Promise<void> {
  await server.stop();
  const script = 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()';
  execFileSync('python3', ['-c', script, path.join(server.dataDir, 'keyhaven.db'), sql]);
  await server.restart(server.offsetDays);
}

async function checkAgain(page: Page) {
  await page.getByRole('button', { name: 'Check the log again' }).click();
}

test('the audit log checks out, then names an edited event and a log cut short', async ({ page }) => {
  test.setTimeout(3 * 60_000);
  const owner = uniqueEmail('auditor');
  await signUp(page, server, sink, owner);
  await signIn(page, server, owner);
  const ws = await createWorkspace(page, WORKSPACE);
  await openWorkspace(page, WORKSPACE);
  await addSecret(page, { kind: 'note', name: 'Door code', text: '4711' });
  await addSecret(page, { kind: 'note', name: 'Alarm code', text: '0815' });
  const chain = `workspace:${ws}`;

  await page.getByRole('navigation', { name: `Workspace ${WORKSPACE}` }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByText(/This is the first time this browser checked it/)).toBeVisible({ timeout: 30_000 });
  await checkAgain(page);
  await expect(page.getByText(/still holds the head this browser saw before/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  // Secrets are named by this browser (the server records their ids only).
  const events = page.getByRole('table', { name: 'Events, newest first' });
  await expect(events.getByRole('row').filter({ hasText: 'added a secret' }).filter({ hasText: '“Door code”' })).toHaveCount(1);

  // An event's time moved by one second: its hash no longer matches.
  await tamper(`UPDATE audit_events SET at = at + 1 WHERE chain = '${chain}' AND seq = 1`);
  await checkAgain(page);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('This audit log does not verify', { timeout: 30_000 });
  await expect(alert).toContainText('event 1');
  await expect(alert).toContainText('changed after it was recorded');
  await expect(page.getByRole('table', { name: 'Events, newest first' })).toContainText('unverified');
  await visit(page, 'audit-log-broken');

  // Put back, it checks out again; then the newest event removed: shorter than this browser saw.
  await tamper(`UPDATE audit_events SET at = at - 1 WHERE chain = '${chain}' AND seq = 1`);
  await checkAgain(page);
  await expect(page.getByText(/still holds the head this browser saw before/)).toBeVisible({ timeout: 30_000 });
  await tamper(`DELETE FROM audit_events WHERE chain = '${chain}' AND seq = (SELECT MAX(seq) FROM audit_events WHERE chain = '${chain}')`);
  await checkAgain(page);
  await expect(page.getByRole('alert')).toContainText('rolled back or forked this audit log', { timeout: 30_000 });
});
