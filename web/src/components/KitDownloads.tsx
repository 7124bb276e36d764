import type { KitFormat } from '../api';
import { useCall } from '../useCall';
import { vault } from '../vault';
import { CallStatus } from './CallStatus';

const FORMATS: { format: KitFormat; label: string }[] = [
  { format: 'txt', label: 'Download the recovery kit (text)' },
  { format: 'html', label: 'Download the recovery kit (printable HTML)' },
  { format: 'pdf', label: 'Download the recovery kit (PDF)' },
];

/** Saves a Blob under `filename` through a temporary object URL. */
export function save(bytes: Uint8Array, mime: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([bytes.slice()], { type: mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; a delay keeps slow browsers safe.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The recovery kit of the key being shown, in the three formats. */
export function KitDownloads({ workspaceId }: { workspaceId: string }) {
  const call = useCall();
  const download = async (format: KitFormat) => {
    const result = await call.run(() => vault.kit(workspaceId, format));
    if (result.ok) save(result.value.bytes, result.value.mime, result.value.filename);
  };
  return (
    <div class="kit">
      <div class="buttons">
        {FORMATS.map(({ format, label }) => (
          <button type="button" key={format} disabled={call.busy} onClick={() => void download(format)}>
            {label}
          </button>
        ))}
      </div>
      <CallStatus call={call} />
    </div>
  );
}
