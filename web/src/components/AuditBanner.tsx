import type { AuditLog } from '../api';

function events(n: number): string {
  return n === 1 ? '1 event' : `${n.toLocaleString('en-US')} events`;
}

/** What the vault found checking the chain against this browser's pinned head. */
export function AuditBanner({ log }: { log: AuditLog }) {
  const n = log.events.length;
  if (log.verified && log.firstCheck) {
    return (
      <p class="notice" role="status">
        The chain of {events(n)} checks out. This is the first time this browser checked it: its head
        is pinned from now on, so a later edit, truncation or fork is caught.
      </p>
    );
  }
  if (log.verified) {
    return (
      <p class="notice" role="status">
        Verified on this device: the chain of {events(n)} checks out and still holds the head this
        browser saw before.
      </p>
    );
  }
  const problem = (log.problem ?? 'the chain is broken').trim().replace(/\.+$/, '');
  return (
    <div class="warning audit-broken" role="alert">
      <p>
        <strong>This audit log does not verify:</strong> <span class="problem">{problem}</span>.
      </p>
      <p>
        The server (or someone with its database) changed, removed or forked events. Do not rely on
        the events below; keep this page's evidence (a screenshot) and tell your security contact.
      </p>
    </div>
  );
}
