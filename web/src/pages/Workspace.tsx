import { useContext, useEffect, useState } from 'preact/hooks';
import type { Owner, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { PageHeading } from '../components/PageHeading';
import { WorkspaceNav } from '../components/WorkspaceNav';
import { type Ability, can, whoMay } from '../roles';
import { type WorkspaceView, paths } from '../router';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { Administration } from './Administration';
import { AuditLog } from './AuditLog';
import { DeviceFind } from './DeviceFind';
import { DeviceImport } from './DeviceImport';
import { DeviceList } from './DeviceList';
import { DeviceTokens } from './DeviceTokens';
import { EmergencyReset, RelinkNeeded } from './EmergencyReset';
import { FirstContact } from './FirstContact';
import { Generate } from './Generate';
import { Members } from './Members';
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

  return (
    <>
      <WorkspaceNav workspace={workspace} view={view} />
      <View workspace={workspace} view={view} notice={notice} onChanged={changed} />
    </>
  );
}

/** What each view needs the member's role to allow, and its title when it does not. */
const NEEDS: Partial<Record<WorkspaceView, { ability: Ability; title: string; what: string }>> = {
  admin: { ability: 'recovery-key', title: 'Administration', what: 'manage its recovery key' },
  generate: { ability: 'recovery-key', title: 'Administration', what: 'manage its recovery key' },
  validate: { ability: 'recovery-key', title: 'Administration', what: 'manage its recovery key' },
  devices: { ability: 'read-devices', title: 'Device recovery keys', what: 'open its device recovery keys' },
  'devices-list': { ability: 'read-devices', title: 'Device recovery keys', what: 'open its device recovery keys' },
  'devices-import': { ability: 'manage-devices', title: 'Import device keys', what: 'import device keys' },
  'devices-tokens': { ability: 'manage-devices', title: 'Enrollment tokens', what: 'manage its enrollment tokens' },
  audit: { ability: 'read-audit', title: 'Audit log', what: 'read its audit log' },
};

function View({
  workspace,
  view,
  notice,
  onChanged,
}: {
  workspace: Workspace;
  view: WorkspaceView;
  notice: string | null;
  onChanged: (ws: Workspace) => void;
}) {
  // A helpdesk member's workspace opens on the device search: they see no secrets.
  if (view === 'secrets' && !can(workspace.role, 'read-secrets') && can(workspace.role, 'read-devices')) {
    return <DeviceFind workspace={workspace} />;
  }
  const needs = view === 'secrets' ? { ability: 'read-secrets' as const, title: 'Secrets', what: 'read its secrets' } : NEEDS[view];
  if (needs && !can(workspace.role, needs.ability)) {
    return (
      <>
        <PageHeading title={needs.title}>{needs.title}</PageHeading>
        <p class="warning">
          Only {whoMay(needs.ability)} of “{workspace.name}” {needs.what}; your role is {workspace.role}.
        </p>
      </>
    );
  }
  switch (view) {
    case 'devices':
      return <DeviceFind workspace={workspace} />;
    case 'devices-list':
      return <DeviceList workspace={workspace} />;
    case 'devices-import':
      return <DeviceImport workspace={workspace} />;
    case 'devices-tokens':
      return <DeviceTokens workspace={workspace} />;
    case 'members':
      return <Members workspace={workspace} />;
    case 'audit':
      return <AuditLog workspace={workspace} />;
    case 'admin':
      return <Administration workspace={workspace} />;
    case 'generate':
      return <Generate workspace={workspace} onChanged={onChanged} />;
    case 'validate':
      return <Validate workspace={workspace} onChanged={onChanged} />;
    default:
      return (
        <Secrets
          workspace={workspace}
          notice={view === 'reset' ? 'This account is linked: no emergency reset is needed.' : notice}
        />
      );
  }
}
