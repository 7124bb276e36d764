import type { Workspace } from '../api';
import { type WorkspaceView, paths } from '../router';

/** The workspace's own navigation: its secrets and (owners) its administration. */
export function WorkspaceNav({ workspace, view }: { workspace: Workspace; view: WorkspaceView }) {
  const link = (target: WorkspaceView, label: string, current: boolean) => (
    <li>
      <a href={paths.workspace(workspace.id, target)} aria-current={current ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav class="ws-nav" aria-label={`Workspace ${workspace.name}`}>
      <ul>
        {link('secrets', 'Secrets', view === 'secrets')}
        {workspace.role === 'owner' &&
          link('admin', 'Administration', view === 'admin' || view === 'generate' || view === 'validate')}
      </ul>
    </nav>
  );
}
