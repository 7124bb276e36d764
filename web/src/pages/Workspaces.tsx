import { useContext, useEffect, useId, useState } from 'preact/hooks';
import type { Created } from '../api';
import { CallStatus } from '../components/CallStatus';
import { Field } from '../components/Field';
import { KeyGroups } from '../components/KeyGroups';
import { KitDownloads } from '../components/KitDownloads';
import { MemberInvitationsToYou } from '../components/MemberInvitationsToYou';
import { PageHeading, StepHeading } from '../components/PageHeading';
import { isoDate } from '../format';
import { navigate, paths } from '../router';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';

export function Workspaces() {
  const session = useContext(SessionContext);
  const list = useCall();

  useEffect(() => {
    void list.run(() => vault.workspaces()).then((r) => r.ok && session.setWorkspaces(r.value));
    // Listed once per visit; the session refreshes the banners on every navigation.
  }, []);

  const workspaces = session.workspaces;
  return (
    <>
      <PageHeading title="Workspaces">Workspaces</PageHeading>
      <CallStatus call={list} />
      {workspaces && workspaces.length === 0 && <p>You have no workspace yet: create one below.</p>}
      {workspaces && workspaces.length > 0 && (
        <table class="list">
          <caption>Your workspaces</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Your role</th>
            </tr>
          </thead>
          <tbody>
            {workspaces.map((w) => (
              <tr key={w.id}>
                <td>
                  <a href={paths.workspace(w.id)}>{w.name}</a>
                </td>
                <td>{w.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MemberInvitationsToYou />
      <CreateWorkspace />
    </>
  );
}

function CreateWorkspace() {
  const session = useContext(SessionContext);
  const call = useCall();
  const radio = useId();
  const [name, setName] = useState('');
  const [byEmail, setByEmail] = useState(true);
  const [created, setCreated] = useState<Created | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    if (name.trim() === '') return call.fail('Enter a name for the workspace.');
    const result = await call.run(() => vault.createWorkspace(name.trim(), byEmail));
    if (!result.ok) return;
    setCreated(result.value);
    setName('');
    const listed = await vault.workspaces().catch(() => null);
    if (listed) session.setWorkspaces(listed);
  };

  // The worker keeps the new key for its kit until the user has saved it, or leaves the page.
  const shownKey = created?.recoveryKeyGroups ? created.id : null;
  useEffect(() => {
    if (!shownKey) return;
    return () => void vault.generateCancel(shownKey).catch(() => undefined);
  }, [shownKey]);

  const saved = async (id: string) => {
    await vault.generateCancel(id).catch(() => undefined);
    navigate(paths.workspace(id));
  };

  if (created?.recoveryKeyGroups) {
    return (
      <section class="panel">
        <StepHeading>The recovery key of “{created.name}”</StepHeading>
        <p class="warning">
          This permanent recovery key is shown once. Write it down or download the recovery kit, and
          keep it offline: if the password is forgotten, it is the only means to recover access.
        </p>
        <p>
          Key ID <span class="mono">{created.recoveryKeyId}</span>
        </p>
        <KeyGroups groups={created.recoveryKeyGroups} label="The new recovery key" />
        <KitDownloads workspaceId={created.id} />
        <button type="button" class="primary" onClick={() => void saved(created.id)}>
          I have saved it
        </button>
      </section>
    );
  }

  return (
    <section class="panel">
      <h2>Create a workspace</h2>
      {created && (
        <p class="notice" role="status">
          Workspace “{created.name}” created. Its temporary recovery key (ID{' '}
          <span class="mono">{created.recoveryKeyId}</span>) was emailed to you
          {created.expiresAt !== null && <> and expires on {isoDate(created.expiresAt)}</>}: generate a
          permanent one before then. <a href={paths.workspace(created.id)}>Open “{created.name}”</a>
        </p>
      )}
      <form onSubmit={create} noValidate>
        <Field label="Workspace name" value={name} onInput={setName} autoComplete="off" />
        <fieldset>
          <legend>Recovery key</legend>
          <div class="check">
            <input id={`${radio}-email`} type="radio" name={radio} checked={byEmail} onChange={() => setByEmail(true)} />
            <label for={`${radio}-email`}>Email me a temporary recovery key (expires in 30 days)</label>
          </div>
          <div class="check">
            <input id={`${radio}-now`} type="radio" name={radio} checked={!byEmail} onChange={() => setByEmail(false)} />
            <label for={`${radio}-now`}>Generate a permanent recovery key now</label>
          </div>
        </fieldset>
        <button type="submit" class="primary" disabled={call.busy}>
          Create the workspace
        </button>
        <CallStatus call={call} />
      </form>
    </section>
  );
}
