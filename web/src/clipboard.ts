// Copying a secret: the clipboard is overwritten 30 s later, and when the vault locks. A
// browser refuses to write the clipboard while the page is not focused (the usual case after
// pasting elsewhere); then it is overwritten as soon as the page has the focus again.

let clearTimer: number | undefined;
/** Whether a copied secret may still be on the clipboard. */
let pending = false;

export const CLEAR_AFTER_SECONDS = 30;

export async function copyForAWhile(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
  pending = true;
  window.clearTimeout(clearTimer);
  clearTimer = window.setTimeout(() => void clearClipboard(), CLEAR_AFTER_SECONDS * 1000);
}

/** Overwrites the clipboard if a copied secret may be on it; retried on focus if refused. */
export async function clearClipboard(): Promise<void> {
  if (!pending) return;
  window.clearTimeout(clearTimer);
  try {
    await navigator.clipboard.writeText('');
    pending = false;
  } catch {
    // Not focused: try again when the user comes back to the page.
  }
}

window.addEventListener('focus', () => void clearClipboard());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void clearClipboard();
});
