// Device recovery keys (escrow): what the device pages share — the words for a key's state,
// how a typed query is told apart, and reading dropped or chosen files as bytes.

import type { DeviceKey, DeviceKind, ExportFormat, ImportFile } from './api';
import { can } from './roles';

/** Who holds the escrow key of a workspace, and so sees its device pages. */
export function canOpenDevices(role: string): boolean {
  return can(role, 'read-devices');
}

export const DEVICE_KIND_LABELS: Record<DeviceKind, string> = {
  bitlocker: 'BitLocker',
  filevault: 'FileVault',
  luks: 'LUKS',
  generic: 'Other',
  'microsoft-account': 'Microsoft account code',
};

export type DeviceState = 'current' | 'rotate after use' | 'replaced' | 'conflict';

/** A key's state as the tables show it (the CLI's STATE column, "ok" said "current"). */
export function stateOf(key: DeviceKey): DeviceState {
  if (key.conflict) return 'conflict';
  if (key.replaced) return 'replaced';
  if (key.rotateAfterUse) return 'rotate after use';
  return 'current';
}

/** "FIN-LAPTOP-07 (C:, key ID AC9D5655-…)": a key named as the helpdesk reads it out. */
export function describeKey(key: Pick<DeviceKey, 'device' | 'volume' | 'keyId'>): string {
  const parts = [key.volume, `key ID ${key.keyId}`].filter((p) => p !== '');
  return `${key.device} (${parts.join(', ')})`;
}

/** The least of a key ID the vault looks up by (its blind index covers the first 8 digits). */
export const MIN_KEY_ID_DIGITS = 8;

/**
 * What a typed query looks like: the start of a key ID (hex digits, dashes, braces), with how
 * many hex digits it has, or a device name.
 */
export function queryShape(query: string): { kind: 'empty' } | { kind: 'key-id'; digits: number } | { kind: 'name' } {
  const trimmed = query.trim();
  if (trimmed === '') return { kind: 'empty' };
  const compact = trimmed.replace(/^\{+/, '').replace(/\}+$/, '').replace(/-/g, '');
  if (compact !== '' && /^[0-9a-f]+$/i.test(compact)) return { kind: 'key-id', digits: compact.length };
  return { kind: 'name' };
}

export const EXPORT_FORMATS: { format: ExportFormat; label: string; kinds?: DeviceKind[] }[] = [
  { format: 'bitlocker-txt', label: 'BitLocker .txt, exactly as Windows writes it', kinds: ['bitlocker'] },
  { format: 'html', label: 'Printable HTML (large digits and a QR code)' },
  { format: 'pdf', label: 'PDF (large digits and a QR code)' },
  { format: 'json', label: 'JSON (keyhaven device import reads it back)' },
];

/** Paging of long lists: 10,000 devices render one page at a time. */
export const PAGE_SIZE = 50;

// --- Files to import -----------------------------------------------------------------------

/** As `keyhaven device import`: a larger file is not a key file, and is not read. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Found beside exported keys in folders and skipped there, as the CLI skips them. */
const MEDIA = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp', 'tif', 'tiff', 'ico', 'heic', 'heif', 'svg',
  'mp4', 'mov', 'avi', 'mkv', 'mp3', 'wav', 'm4a',
]);

/** A file to read, by the name it is imported under (its path in a dropped or chosen folder). */
export interface PickedFile {
  name: string;
  file: File;
}

/** Files a folder walk skips without a word: hidden entries, images, Windows folder files. */
export function skippedInFolder(path: string): boolean {
  const parts = path.split('/');
  if (parts.some((p) => p.startsWith('.'))) return true;
  const base = (parts[parts.length - 1] ?? '').toLowerCase();
  if (base === 'desktop.ini' || base === 'thumbs.db') return true;
  const dot = base.lastIndexOf('.');
  return dot > 0 && MEDIA.has(base.slice(dot + 1));
}

/** Chosen with <input type="file"> (a folder's files carry their relative path). */
export function pickedFromInput(files: FileList | null): PickedFile[] {
  const picked: PickedFile[] = [];
  for (const file of Array.from(files ?? [])) {
    const inFolder = file.webkitRelativePath !== '';
    const name = inFolder ? file.webkitRelativePath : file.name;
    if (inFolder && skippedInFolder(name)) continue;
    picked.push({ name, file });
  }
  return picked;
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** A dropped entry's files: a folder is walked (sorted by name, as the CLI walks folders). */
async function walk(entry: FileSystemEntry, out: PickedFile[], inFolder: boolean): Promise<void> {
  const name = entry.fullPath.replace(/^\/+/, '') || entry.name;
  if (inFolder && skippedInFolder(name)) return;
  if (entry.isFile) {
    out.push({ name, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    const children: FileSystemEntry[] = [];
    // readEntries answers in batches (100 in Chromium) until it answers none.
    for (;;) {
      const batch = await readEntries(reader);
      if (batch.length === 0) break;
      children.push(...batch);
    }
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) await walk(child, out, true);
  }
}

/**
 * The files of a drop, folders walked. The items must be taken while the drop event is being
 * handled (the browser empties them after), so this is called from the handler itself.
 */
export function pickedFromDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue;
    // Null for files that do not come from the file system (a page-made DataTransfer).
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...Array.from(transfer.files));
  return (async () => {
    const out: PickedFile[] = loose.map((file) => ({ name: file.name, file }));
    for (const entry of entries) await walk(entry, out, false);
    return out;
  })();
}

/** Reads each file as bytes (never as text: Windows writes UTF-16LE, and the vault decodes).
 * Files too large to be key files are not read; they are reported like the CLI reports them. */
export async function readPicked(picked: PickedFile[]): Promise<{ files: ImportFile[]; tooLarge: string[] }> {
  const files: ImportFile[] = [];
  const tooLarge: string[] = [];
  for (const { name, file } of picked) {
    if (file.size > MAX_FILE_BYTES) {
      tooLarge.push(name);
      continue;
    }
    files.push({ name, bytes: new Uint8Array(await file.arrayBuffer()) });
  }
  return { files, tooLarge };
}

export const TOO_LARGE_REASON = `larger than ${MAX_FILE_BYTES >> 20} MiB, so not a key file`;

/** "1 file" / "3 files". */
export function files(n: number): string {
  return n === 1 ? '1 file' : `${n.toLocaleString('en-US')} files`;
}

/** "1 key" / "10,000 keys". */
export function keys(n: number): string {
  return n === 1 ? '1 key' : `${n.toLocaleString('en-US')} keys`;
}
