import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import type { AuditLog as Log, Workspace } from '../api';
import '../admin.css';
import { AuditBanner } from '../components/AuditBanner';
import { type AuditNames, AuditTable, NO_NAMES, showEvent } from '../components/AuditTable';
import { CallStatus } from '../components/CallStatus';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { useCall } from '../useCall';
import { vault } from '../vault';

/** Events per page: a long log renders one page at a time. */
const PAGE_EVENTS = 100;

/**
 * The workspace's audit log, checked in the vault against the head this browser pinned (an
 * edited, truncated or forked chain is said so, loudly, and its events marked unverified).
 * Accounts and tokens are named by the verified roster and the token list, on this device.
 */
export function AuditLog({ workspace }: { workspace: Workspace }) {
  const call = useCall();
  const [log, setLog] = useState<Log | null>(null);
  const [names, setNames] = useState<AuditNames>(NO_NAMES);
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(0);
  const table = useRef<HTMLDivElement>(null);
  const headingId = useId();

  const load = async () => {
    const result = await call.run(async () => {
      // The names are a courtesy: without them the log still shows, with the recorded ids.
      const [audit, members, tokens, secrets] = await Promise.all([
        vault.auditLog(workspace.id),
        vault.members(workspace.id).catch(() => null),
        vault.enrollmentTokens(workspace.id).catch(() => null),
        vault.secrets(workspace.id).catch(() => null),
      ]);
      const named: AuditNames = {
        accounts: new Map((members?.members ?? []).map((m): [string, string] => [m.accountId, m.email])),
        tokens: new Map((tokens ?? []).flatMap((t) => (t.name ? [[t.id, t.name] as [string, string]] : []))),
        items: new Map((secrets?.items ?? []).map((i): [string, string] => [i.id, i.name])),
      };
      return { audit, named };
    });
    if (result.ok) {
      setLog(result.value.audit);
      setNames(result.value.named);
    }
  };

  useEffect(() => {
    setLog(null);
    setPage(0);
    void load();
  }, [workspace.id]);

  const shown = useMemo(
    () => [...(log?.events ?? [])].sort((a, b) => b.seq - a.seq).map((e) => showEvent(e, names)),
    [log, names],
  );
  const q = query.trim().toLowerCase();
  const matching = useMemo(() => (q === '' ? shown : shown.filter((e) => e.searchable.includes(q))), [shown, q]);

  const pages = Math.max(1, Math.ceil(matching.length / PAGE_EVENTS));
  const current = Math.min(page, pages - 1);
  const rows = matching.slice(current * PAGE_EVENTS, (current + 1) * PAGE_EVENTS);
  const hasPrevious = current > 0;
  const hasNext = current < pages - 1;
  const go = (to: number) => {
    if (to < 0 || to >= pages) return;
    setPage(to);
    table.current?.querySelector('caption')?.scrollIntoView({ block: 'nearest' });
  };

  const total = shown.length;
  const first = current * PAGE_EVENTS + 1;
  let said: string;
  if (total === 0) said = 'No events yet.';
  else if (matching.length === 0) said = `No event matches “${query.trim()}”.`;
  else {
    const range = pages > 1 ? `Events ${first.toLocaleString('en-US')} to ${(first + rows.length - 1).toLocaleString('en-US')} of ` : '';
    const count = `${matching.length.toLocaleString('en-US')} ${matching.length === 1 ? 'event' : 'events'}`;
    said = q === '' ? `${range}${count}.` : `${range}${count} matching “${query.trim()}”, of ${total.toLocaleString('en-US')}.`;
  }

  return (
    <>
      <PageHeading title={`${workspace.name}: audit log`}>Audit log of “{workspace.name}”</PageHeading>
      <p>
        The server records every change to the workspace and every reveal or export of a device key
        in a hash chain. This browser verifies the chain itself and remembers its last event, so the
        server cannot quietly edit, drop or reorder events it showed here before. Times are in UTC.
      </p>
      <CallStatus call={call} />
      {log && (
        <>
          <AuditBanner log={log} />
          <section aria-labelledby={headingId}>
            <h2 id={headingId}>Events</h2>
            <div class="search" role="search">
              <Field
                label="Filter events"
                type="search"
                hint="By who, what, device key or details"
                value={query}
                onInput={(value) => {
                  setQuery(value);
                  setPage(0);
                }}
                autoComplete="off"
              />
            </div>
            <p class="count" aria-live="polite">
              {said}
            </p>
            {rows.length > 0 && (
              <div ref={table}>
                <AuditTable events={rows} verified={log.verified} />
                {pages > 1 && (
                  <nav class="pager" aria-label="Pages of events">
                    <button type="button" aria-disabled={hasPrevious ? undefined : 'true'} onClick={() => go(current - 1)}>
                      Previous
                    </button>
                    <span class="page-of" aria-live="polite">
                      Page {current + 1} of {pages}
                    </span>
                    <button type="button" aria-disabled={hasNext ? undefined : 'true'} onClick={() => go(current + 1)}>
                      Next
                    </button>
                  </nav>
                )}
              </div>
            )}
            <div class="buttons">
              <button type="button" disabled={call.busy} onClick={() => void load()}>
                Check the log again
              </button>
            </div>
          </section>
        </>
      )}
    </>
  );
}
