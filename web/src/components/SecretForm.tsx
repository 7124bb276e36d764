import { useId, useState } from 'preact/hooks';
import type { Fields, SecretKind } from '../api';
import { fieldsOf, KIND_LABELS } from '../secretKinds';
import { useCall } from '../useCall';
import { CallStatus } from './CallStatus';
import { Field, TextArea } from './Field';
import { StepHeading } from './PageHeading';

/** Adds a secret (any kind) or edits one (its kind is kept). */
export function SecretForm({
  heading,
  submitLabel,
  initial,
  onSave,
  onSaved,
  onCancel,
}: {
  heading: string;
  submitLabel: string;
  /** Editing: the secret's kind, name and revealed fields. */
  initial?: { kind: SecretKind; name: string; fields: Fields };
  onSave: (kind: SecretKind, name: string, fields: Fields) => Promise<unknown>;
  onSaved: (name: string) => void;
  onCancel: () => void;
}) {
  const call = useCall();
  const kindId = useId();
  const [kind, setKind] = useState<SecretKind>(initial?.kind ?? 'login');
  const [name, setName] = useState(initial?.name ?? '');
  const [values, setValues] = useState<Fields>(initial?.fields ?? {});
  const specs = fieldsOf(kind);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (name.trim() === '') return call.fail('Enter a name for the secret.');
    const missing = specs.find((s) => s.required && !(values[s.name] ?? '').trim());
    if (missing) return call.fail(`Enter the ${missing.label.toLowerCase()}.`);
    // Only this kind's fields; when editing, only those that changed.
    const fields: Fields = {};
    for (const spec of specs) {
      const value = values[spec.name] ?? '';
      const before = initial?.fields[spec.name] ?? '';
      if (initial ? value !== before : value !== '') fields[spec.name] = value;
    }
    const result = await call.run(() => onSave(kind, name.trim(), fields));
    if (result.ok) onSaved(name.trim());
  };

  return (
    <form class="panel" onSubmit={submit} noValidate>
      <StepHeading>{heading}</StepHeading>
      {!initial && (
        <div class="field">
          <label for={kindId}>Kind</label>
          <select id={kindId} value={kind} onChange={(e) => setKind(e.currentTarget.value as SecretKind)}>
            {(Object.keys(KIND_LABELS) as SecretKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
      )}
      <Field label="Name" value={name} onInput={setName} autoComplete="off" />
      {specs.map((spec) => {
        const set = (value: string) => setValues({ ...values, [spec.name]: value });
        const value = values[spec.name] ?? '';
        return spec.multiline ? (
          <TextArea key={spec.name} label={spec.label} value={value} onInput={set} />
        ) : (
          <Field
            key={spec.name}
            label={spec.label}
            type={spec.secret ? 'password' : 'text'}
            autoComplete={spec.secret ? 'new-password' : 'off'}
            value={value}
            onInput={set}
          />
        );
      })}
      <div class="buttons">
        <button type="submit" class="primary" disabled={call.busy}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <CallStatus call={call} />
    </form>
  );
}
