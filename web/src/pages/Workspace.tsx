import { useContext, useEffect, useState } from 'preact/hooks';
import type { Owner, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { PageHeading } from '../components/PageHeading';
import { WorkspaceNav } from '../components/WorkspaceNav';
import { canOpenDevices } from '../devices';
import { type WorkspaceView, paths } from '../router';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { Administration } from './Administration';
import { DeviceFind } from './DeviceFind';
import { DeviceImport } from './DeviceImport';
import { DeviceList } from './DeviceList';
import { EmergencyReset, RelinkNeeded } from './EmergencyReset';
import { FirstContact } from './FirstContact';
import { Generate } from './Generate';
import { Secrets } from './Secrets';
import { Validate } from './Validate';

/** Opens a workspace (roster verified in the worker) and shows the page its state calls for:
 * first contact, the emergency reset code, or the view asked for. */
export function WorkspacePage({ id, view }: { id: string; view: WorkspaceView }) {
  const session = useContext(SessionContext);
  const call = useCall();
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [firstContact, setFirstContact] = useState<{ message: string; owners: Owner[] } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const changed = (ws: Workspace) => {
    setWorkspace(ws);
    session.updateWorkspace(ws);
  };

  const open = async () => {
    setFirstContact(null);
    const result = await call.run(() => vault.openWorkspace(id));
    if (result.ok) {
      changed(result.value);
    } else if (result.error.kind === 'first_contact') {
      call.clearError();
      setFirstContact({ message: result.error.message, owners: result.error.owners ?? [] });
    }
  };

  useEffect(() => {
    void open();
    // Opened once per workspace: the views of one workspace share what was opened.
  }, [id]);

  if (firstContact) {
    return <FirstContact workspaceId={id} {...firstContact} onTrusted={open} />;
  }
  if (!workspace) {
    return (
      <>
        <PageHeading title="Workspace">Workspace</PageHeading>
        <CallStatus call={call} />
        {call.error && (
          <p>
            <a href={paths.workspaces}>Back to your workspaces</a>
          </p>
        )}
      </>
    );
  }
  if (!workspace.linked) {
    if (workspace.role !== 'owner') return <RelinkNeeded workspace={workspace} />;
    return (
      <EmergencyReset
        workspace={workspace}
        onRestored={(message) => {
          setNotice(message);
          void open();
        }}
      />
    );
  }

  const ownersOnly = view === 'admin' || view === 'generate' || view === 'validate';
  const devicesView = view === 'devices' || view === 'devices-list' || view === 'devices-import';
  return (
    <>
      <WorkspaceNav workspace={workspace} view={view} />
      {ownersOnly && workspace.role !== 'owner' ? (
        <>
          <PageHeading title="Administration">Administration</PageHeading>
          <p>Only owners of “{workspace.name}” manage its recovery key.</p>
        </>
      ) : devicesView && !canOpenDevices(workspace.role) ? (
        <>
          <PageHeading title="Devices">Device recovery keys</PageHeading>
          <p>
            Only owners, admins and helpdesk members of “{workspace.name}” open its device recovery
            keys; your role is {workspace.role}.
          </p>
        </>
      ) : view === 'devices' ? (
        <DeviceFind workspace={workspace} />
      ) : view === 'devices-list' ? (
        <DeviceList workspace={workspace} />
      ) : view === 'devices-import' ? (
        <DeviceImport workspace={workspace} />
      ) : view === 'admin' ? (
        <Administration workspace={workspace} />
      ) : view === 'generate' ? (
        <Generate workspace={workspace} onChanged={changed} />
      ) : view === 'validate' ? (
        <Validate workspace={workspace} onChanged={changed} />
      ) : (
        <Secrets workspace={workspace} notice={view === 'reset' ? 'This account is linked: no emergency reset is needed.' : notice} />
      )}
    </>
  );
}
