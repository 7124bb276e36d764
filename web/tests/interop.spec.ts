// The web vault and the command line are two clients of one account: what one writes, the
// other reads.

import { addSecret, createWorkspace, openWorkspace, revealField, signIn, signUp } from './flows';
import { Cli, KeyhavenServer, MailSink, PASSWORD, expect, test, uniqueEmail } from './harness';

test.describe.configure({ mode: 'serial' });

let sink: MailSink;
let server: KeyhavenServer;
let cli: Cli;

test.beforeAll(async () => {
  sink = await MailSink.start();
  server = await KeyhavenServer.start(sink);
  cli = await Cli.create();
});

test.afterAll(async () => {
  await cli?.dispose();
  await server?.dispose();
  await sink?.close();
});

test('a secret added in the browser is read by the CLI, and the other way round', async ({ page }) => {
  test.setTimeout(5 * 60_000);
  const email = uniqueEmail('interop');
  let workspaceId = '';

  await test.step('web: sign up, create a workspace and a login', async () => {
    await signUp(page, server, sink, email);
    await signIn(page, server, email);
    workspaceId = await createWorkspace(page, 'Interop');
    await openWorkspace(page, 'Interop');
    await addSecret(page, { kind: 'login', name: 'db-password', username: 'ops', password: 'from the web: s3cret!', url: 'https://db.example.com' });
  });

  await test.step('CLI: sign in as the same account, trust the workspace, read the login', async () => {
    const login = await cli.ok(['login', '--server', server.url, '--email', email], { password: PASSWORD });
    expect(login).toContain(`Signed in as ${email}`);
    await cli.ok(['workspace', 'trust', workspaceId]);
    const got = JSON.parse(await cli.ok(['secret', 'get', 'db-password', '--workspace', 'Interop', '--json'])) as {
      kind: string;
      fields: Record<string, string>;
    };
    expect(got.kind).toBe('login');
    expect(got.fields.password).toBe('from the web: s3cret!');
    expect(got.fields.username).toBe('ops');
    expect(got.fields.url).toBe('https://db.example.com');
  });

  await test.step('CLI: add an API key', async () => {
    const added = await cli.ok(['secret', 'add', 'deploy-token', '--kind', 'api-key', '--workspace', 'Interop'], {
      input: 'tok_from_the_cli_42\n',
    });
    expect(added).toContain('Added "deploy-token"');
  });

  await test.step('web: the CLI’s secret is listed and reveals the same value', async () => {
    await openWorkspace(page, 'Interop');
    await expect(page.getByText('2 secrets')).toBeVisible();
    expect(await revealField(page, 'deploy-token', 'key', 'API key')).toBe('tok_from_the_cli_42');
  });
});
