// The fields each kind of secret has, as the command line stores them.

import type { SecretKind } from './api';

export interface FieldSpec {
  name: string;
  label: string;
  /** The secret part: masked until "Show". */
  secret?: boolean;
  multiline?: boolean;
  /** Must be filled in. */
  required?: boolean;
}

export const KIND_LABELS: Record<SecretKind, string> = {
  login: 'Login',
  note: 'Note',
  'api-key': 'API key',
};

export const KIND_FIELDS: Record<SecretKind, FieldSpec[]> = {
  login: [
    { name: 'username', label: 'User name' },
    { name: 'password', label: 'Password', secret: true, required: true },
    { name: 'url', label: 'URL' },
  ],
  note: [{ name: 'text', label: 'Text', secret: true, multiline: true, required: true }],
  'api-key': [{ name: 'key', label: 'API key', secret: true, required: true }],
};

/** Any kind may have notes. */
export const NOTES: FieldSpec = { name: 'notes', label: 'Notes (optional)', multiline: true };

export function fieldsOf(kind: SecretKind): FieldSpec[] {
  return [...KIND_FIELDS[kind], NOTES];
}
