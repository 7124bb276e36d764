import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Fields, SecretSummary } from '../api';
import { CLEAR_AFTER_SECONDS, copyForAWhile } from '../clipboard';
import { fieldsOf, KIND_LABELS } from '../secretKinds';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';
import { StepHeading } from './PageHeading';
import { SecretForm } from './SecretForm';

/** One secret: reveal (decrypted in the worker), show, copy, edit, delete. */
export function SecretDetails({
  workspaceId,
  secret,
  onChanged,
  onClose,
  canWrite,
}: {
  workspaceId: string;
  secret: SecretSummary;
  onChanged: (message: string) => void;
  onClose: () => void;
  /** The role may change secrets (read-only members may not: no Edit or Delete). */
  canWrite: boolean;
}) {
  const call = useCall();
  const [fields, setFields] = useState<Fields | null>(null);
  const [shown, setShown] = useState<Set<string>>(new Set());
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view');
  const [copied, setCopied] = useState<string | null>(null);
  // Reveal, Delete and Keep it replace the button that had the focus: the focus goes to the
  // panel (announced by its name) rather than to the end of the page.
  const panel = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (mode !== 'edit') panel.current?.focus();
  }, [mode, fields]);

  const reveal = async (): Promise<Fields | null> => {
    if (fields) return fields;
    const result = await call.run(() => vault.reveal(workspaceId, secret.id));
    if (!result.ok) return null;
    setFields(result.value);
    return result.value;
  };

  const copy = async (label: string, value: string) => {
    try {
      await copyForAWhile(value);
      setCopied(`${label} copied; the clipboard is cleared in ${CLEAR_AFTER_SECONDS} s.`);
    } catch (e) {
      call.fail(`Could not copy to the clipboard: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const toggle = (name: string) => {
    const next = new Set(shown);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setShown(next);
  };

  const remove = async () => {
    const result = await call.run(() => vault.deleteSecret(workspaceId, secret.id));
    if (result.ok) onChanged(`“${secret.name}” was deleted.`);
  };

  if (mode === 'edit' && fields) {
    return (
      <SecretForm
        heading={`Edit “${secret.name}”`}
        submitLabel="Save changes"
        initial={{ kind: secret.kind, name: secret.name, fields }}
        onSave={(_kind, name, changed) => vault.editSecret(workspaceId, secret.id, name, changed)}
        onSaved={(name) => onChanged(`“${name}” was saved.`)}
        onCancel={() => setMode('view')}
      />
    );
  }

  const specs = fieldsOf(secret.kind).filter((spec) => fields?.[spec.name]);
  return (
    <section class="panel" aria-label={`Secret ${secret.name}`} tabIndex={-1} ref={panel}>
      <StepHeading>{secret.name}</StepHeading>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{KIND_LABELS[secret.kind]}</dd>
        {!fields && secret.username && (
          <>
            <dt>User name</dt>
            <dd>{secret.username}</dd>
          </>
        )}
        {!fields && secret.url && (
          <>
            <dt>URL</dt>
            <dd>{secret.url}</dd>
          </>
        )}
        {specs.map((spec) => {
          const value = fields?.[spec.name] ?? '';
          const hidden = spec.secret && !shown.has(spec.name);
          return (
            <Fragment key={spec.name}>
              <dt>{spec.label.replace(' (optional)', '')}</dt>
              <dd class="field-value">
                {hidden ? (
                  <span class="masked">
                    <span aria-hidden="true">••••••••</span>
                    <span class="visually-hidden">hidden</span>
                  </span>
                ) : (
                  <span class={spec.multiline ? 'value multiline' : 'value mono'} data-field={spec.name}>
                    {value}
                  </span>
                )}
                {spec.secret && (
                  <button type="button" class="small" aria-pressed={!hidden} onClick={() => toggle(spec.name)}>
                    {hidden ? 'Show' : 'Hide'} <span class="visually-hidden">{spec.label}</span>
                  </button>
                )}
                <button type="button" class="small" onClick={() => void copy(spec.label, value)}>
                  Copy <span class="visually-hidden">{spec.label}</span>
                </button>
              </dd>
            </Fragment>
          );
        })}
      </dl>
      {mode === 'delete' ? (
        <div class="confirm" role="group" aria-label="Confirm deletion">
          <p>Delete “{secret.name}”? It is removed for every member of the workspace.</p>
          <div class="buttons">
            <button type="button" class="danger" disabled={call.busy} onClick={() => void remove()}>
              Delete “{secret.name}”
            </button>
            <button type="button" onClick={() => setMode('view')}>
              Keep it
            </button>
          </div>
        </div>
      ) : (
        <div class="buttons">
          {!fields && (
            <button type="button" class="primary" disabled={call.busy} onClick={() => void reveal()}>
              Reveal
            </button>
          )}
          {canWrite && (
            <>
              <button
                type="button"
                disabled={call.busy}
                onClick={() => void reveal().then((f) => f && setMode('edit'))}
              >
                Edit
              </button>
              <button type="button" disabled={call.busy} onClick={() => setMode('delete')}>
                Delete
              </button>
            </>
          )}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      )}
      <CallStatus call={call} done={copied && <p>{copied}</p>} />
    </section>
  );
}
