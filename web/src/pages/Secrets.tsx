import { useEffect, useMemo, useState } from 'preact/hooks';
import type { SecretList, Workspace } from '../api';
import { CallStatus } from '../components/CallStatus';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { SecretDetails } from '../components/SecretDetails';
import { SecretForm } from '../components/SecretForm';
import { KIND_LABELS } from '../secretKinds';
import { useCall } from '../useCall';
import { can } from '../roles';
import { vault } from '../vault';

/** The workspace's secrets: listed without their secret fields, filtered as you type. */
export function Secrets({ workspace, notice }: { workspace: Workspace; notice: string | null }) {
  const call = useCall();
  const canWrite = can(workspace.role, 'write-secrets');
  const [list, setList] = useState<SecretList | null>(null);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [message, setMessage] = useState<string | null>(notice);

  const load = async () => {
    const result = await call.run(() => vault.secrets(workspace.id));
    if (result.ok) {
      const items = [...result.value.items].sort((a, b) => a.name.localeCompare(b.name));
      setList({ items, bad: result.value.bad });
    }
  };

  useEffect(() => {
    void load();
  }, [workspace.id]);

  useEffect(() => setMessage(notice), [notice]);

  const shown = useMemo(() => {
    const items = list?.items ?? [];
    const q = query.trim().toLowerCase();
    if (q === '') return items;
    return items.filter(
      (s) =>
        s.name.toLowerCase().includes(q) ||
        (s.username ?? '').toLowerCase().includes(q) ||
        (s.url ?? '').toLowerCase().includes(q),
    );
  }, [list, query]);

  const changed = (text: string) => {
    setMessage(text);
    setSelected(null);
    setAdding(false);
    void load();
  };

  const current = list?.items.find((s) => s.id === selected) ?? null;
  const total = list?.items.length ?? 0;
  return (
    <>
      <PageHeading title={`${workspace.name}: secrets`}>Secrets of “{workspace.name}”</PageHeading>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      <CallStatus call={call} />
      {list && list.bad.length > 0 && (
        <section class="warning" aria-labelledby="bad-items">
          <h2 id="bad-items">Stored items that do not check out (the server's doing)</h2>
          <p>
            These items failed their signature or decryption check, so they are not shown. Nothing
            else is hidden by them; tell the server's operator.
          </p>
          <ul>
            {list.bad.map((b) => (
              <li key={b.id}>
                <span class="mono">{b.id}</span>: {b.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      {adding ? (
        <SecretForm
          heading="Add a secret"
          submitLabel="Add the secret"
          onSave={(kind, name, fields) => vault.addSecret(workspace.id, kind, name, fields)}
          onSaved={(name) => changed(`“${name}” was added.`)}
          onCancel={() => setAdding(false)}
        />
      ) : canWrite ? (
        <p>
          <button
            type="button"
            class="primary"
            onClick={() => {
              setSelected(null);
              setAdding(true);
            }}
          >
            Add a secret
          </button>
        </p>
      ) : (
        <p class="hint">Your role is {workspace.role}: you read the secrets of “{workspace.name}” but do not change them.</p>
      )}
      {current && (
        <SecretDetails
          key={current.id}
          workspaceId={workspace.id}
          secret={current}
          onChanged={changed}
          onClose={() => setSelected(null)}
          canWrite={canWrite}
        />
      )}
      {list && (
        <section aria-labelledby="secret-list">
          <h2 id="secret-list">All secrets</h2>
          <div class="search" role="search">
            <Field label="Search secrets" type="search" value={query} onInput={setQuery} hint="By name, user name or URL" />
          </div>
          <p aria-live="polite" class="count">
            {query.trim() === '' ? `${total} ${total === 1 ? 'secret' : 'secrets'}` : `${shown.length} of ${total} shown`}
          </p>
          {shown.length > 0 && (
            <table class="list secrets">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">User name</th>
                  <th scope="col">URL</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((s) => (
                  <tr key={s.id} class={s.id === selected ? 'selected' : undefined}>
                    <td>
                      <button
                        type="button"
                        class="link"
                        aria-current={s.id === selected ? 'true' : undefined}
                        onClick={() => {
                          setAdding(false);
                          setSelected(s.id);
                        }}
                      >
                        {s.name}
                      </button>
                    </td>
                    <td>{KIND_LABELS[s.kind] ?? s.kind}</td>
                    <td>{s.username}</td>
                    <td class="url">{s.url}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
