import type { Workspace } from '../api';
import { PageHeading } from '../components/PageHeading';

/** Placeholder until the page is written. */
export function AuditLog({ workspace }: { workspace: Workspace }) {
  return <PageHeading title={`${workspace.name}: AuditLog`}>AuditLog</PageHeading>;
}
