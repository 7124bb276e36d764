import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceKey, VaultError, Workspace } from '../api';
import { ErrorMessage } from '../components/CallStatus';
import { DeviceNav, RefusedHint } from '../components/DeviceNav';
import { DevicePanel, useDeviceActions } from '../components/DevicePanel';
import { DeviceTable } from '../components/DeviceTable';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { MIN_KEY_ID_DIGITS, keys, queryShape } from '../devices';
import { SessionContext } from '../session';
import { vault } from '../vault';

/** How long typing pauses before the vault is asked about a device name. The start of a key
 * ID is looked up at once: it is only asked from 8 characters on, which is what the user reads
 * off the recovery screen, and a later keystroke drops the answer anyway. */
const DEBOUNCE_MS = 150;

type Answer = { query: string; keys: DeviceKey[] };

/**
 * Find a device key by what the locked machine shows (the start of its key ID) or by the
 * device's name, answered as you type; only the latest query's answer is ever shown.
 */
export function DeviceFind({ workspace }: { workspace: Workspace }) {
  const session = useContext(SessionContext);
  const [query, setQuery] = useState('');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<VaultError | null>(null);
  const [searching, setSearching] = useState(false);
  const latest = useRef(0);
  // Asks the same query again (after a conflict was resolved: its keys changed).
  const [reloads, setReloads] = useState(0);
  const actions = useDeviceActions();

  const shape = queryShape(query);
  const tooShort = shape.kind === 'key-id' && shape.digits < MIN_KEY_ID_DIGITS;

  useEffect(() => {
    // Every change makes the answers to earlier queries stale, even those still on their way.
    const seq = ++latest.current;
    if (shape.kind === 'empty' || tooShort) {
      setAnswer(null);
      setError(null);
      setSearching(false);
      return;
    }
    setSearching(true);
    const asked = query.trim();
    const timer = window.setTimeout(() => {
      vault.findDevices(workspace.id, asked).then(
        (found) => {
          if (seq !== latest.current) return;
          setAnswer({ query: asked, keys: found });
          setError(null);
          setSearching(false);
        },
        (e: VaultError) => {
          if (e.kind === 'locked') session.expired(e.message);
          if (seq !== latest.current) return;
          setAnswer(null);
          setError(e);
          // Refused (removed from the workspace, say): nothing of it stays on screen.
          if (e.kind === 'api' || e.kind === 'refused') actions.setOpen(null);
          setSearching(false);
        },
      );
    }, shape.kind === 'key-id' ? 0 : DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [query, workspace.id, reloads]);

  let said = '';
  if (tooShort) said = `Type at least ${MIN_KEY_ID_DIGITS} characters of the key ID.`;
  else if (answer && !searching) {
    said =
      answer.keys.length === 0
        ? `No escrowed key matches “${answer.query}”.`
        : `${keys(answer.keys.length)} found for “${answer.query}”.`;
  }

  const open = actions.open;
  return (
    <>
      <PageHeading title={`${workspace.name}: find a device key`}>Find a device key</PageHeading>
      <DeviceNav workspace={workspace} view="devices" />
      <p>
        A locked machine shows its recovery key ID on the blue BitLocker recovery screen: type the
        first characters the user reads out. Results come as you type; keys are never listed, only
        revealed one at a time, and each reveal is audited.
      </p>
      <div class="search" role="search">
        <Field
          label="Key ID or device name"
          hint="The first 8 or more characters of the key ID the locked machine shows, any case, with or without braces, or the device's name"
          type="search"
          value={query}
          onInput={setQuery}
          autoComplete="off"
        />
      </div>
      <p class="count" aria-live="polite">
        {said}
      </p>
      {searching && (
        <p class="searching" aria-hidden="true">
          Searching…
        </p>
      )}
      {error && <ErrorMessage message={error.message} group={error.group} />}
      {error?.kind === 'refused' && <RefusedHint />}
      {answer && answer.keys.length > 0 && (
        <DeviceTable
          keys={answer.keys.map(actions.shown)}
          caption={`Keys matching “${answer.query}”`}
          selected={open && { id: open.key.id, action: open.action }}
          onAction={(key, action) => actions.setOpen({ key, action })}
          busy={searching}
        />
      )}
      {open && (
        <DevicePanel
          key={`${open.key.id}:${open.action}`}
          workspaceId={workspace.id}
          deviceKey={actions.shown(open.key)}
          action={open.action}
          onUsed={actions.markUsed}
          onClose={() => actions.setOpen(null)}
          onResolved={() => setReloads((n) => n + 1)}
        />
      )}
    </>
  );
}
