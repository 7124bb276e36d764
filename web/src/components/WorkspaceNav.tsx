import type { Workspace } from '../api';
import { can } from '../roles';
import { type WorkspaceView, paths } from '../router';

const DEVICE_VIEWS: readonly WorkspaceView[] = ['devices', 'devices-list', 'devices-import', 'devices-tokens'];
const ADMIN_VIEWS: readonly WorkspaceView[] = ['admin', 'generate', 'validate'];

/** The workspace's own navigation, by what the member's role may do: its secrets, device
 * recovery keys, members, audit log and (owners) administration. */
export function WorkspaceNav({ workspace, view }: { workspace: Workspace; view: WorkspaceView }) {
  const link = (target: WorkspaceView, label: string, current: boolean) => (
    <li>
      <a href={paths.workspace(workspace.id, target)} aria-current={current ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  const role = workspace.role;
  return (
    <nav class="ws-nav" aria-label={`Workspace ${workspace.name}`}>
      <ul>
        {can(role, 'read-secrets') && link('secrets', 'Secrets', view === 'secrets' || view === 'reset')}
        {can(role, 'read-devices') &&
          link('devices', 'Devices', DEVICE_VIEWS.includes(view) || (view === 'secrets' && !can(role, 'read-secrets')))}
        {link('members', 'Members', view === 'members')}
        {can(role, 'read-audit') && link('audit', 'Audit log', view === 'audit')}
        {can(role, 'recovery-key') && link('admin', 'Administration', ADMIN_VIEWS.includes(view))}
      </ul>
    </nav>
  );
}
