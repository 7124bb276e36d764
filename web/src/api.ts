// The contract between the page and the vault worker. The worker runs Keyhaven's Rust client
// (crates/web, compiled to WebAssembly): every key is made and used there and never leaves it.
// The page sees only what it must show; it holds no key and no session token.

/** The signed-in account. */
export interface Account {
  id: string;
  email: string;
  /** The account key fingerprint: 16 groups of 4 hex digits, space separated. */
  fingerprint: string;
}

/** Something an owner (or member) should do, shown on every page until it is done. */
export type Banner =
  | { kind: 'temporary_key'; expiresAt: number; daysLeft: number }
  | { kind: 'validation_due'; dueAt: number }
  | { kind: 'no_valid_key' }
  | { kind: 'emergency_reset'; shortKeyId: string }
  | { kind: 'relink_by_owner' }
  /** The workspace's roster does not verify (or its pin): nothing of it can be trusted. */
  | { kind: 'broken'; message: string };

export interface WorkspaceSummary {
  id: string;
  name: string;
  role: 'owner' | 'admin' | 'member' | 'read-only' | 'helpdesk' | string;
  banners: Banner[];
}

export interface RecoveryInfo {
  /** The full key ID, upper case. */
  keyId: string;
  /** Its first 8 characters, as the emergency reset page shows them. */
  shortKeyId: string;
  kind: 'temporary' | 'permanent';
  /** Unix seconds; temporary keys only. */
  expiresAt: number | null;
  /** Unix seconds: the key's setting or its last validation, whichever is later. */
  lastValidatedAt: number;
  /** Unix seconds. */
  validationDueAt: number;
}

export interface Workspace {
  id: string;
  name: string;
  role: string;
  /** False after a password reset, until the emergency reset code relinks the account. */
  linked: boolean;
  /** Null when the workspace has no valid recovery key (its temporary key expired). */
  recovery: RecoveryInfo | null;
  /** The first 8 characters of the ID of the roster's recovery key, valid or not (''). */
  shortKeyId: string;
  banners: Banner[];
}

export type SecretKind = 'login' | 'note' | 'api-key';

/** A secret as listed: never its secret field (password, text or key). */
export interface SecretSummary {
  id: string;
  name: string;
  kind: SecretKind;
  /** Login secrets: the user name, if any. */
  username: string | null;
  /** Login secrets: the URL, if any. */
  url: string | null;
  revision: number;
}

export interface BadItem {
  id: string;
  reason: string;
}

export interface SecretList {
  items: SecretSummary[];
  /** Stored items that do not check out (named; one bad item hides nothing else). */
  bad: BadItem[];
}

/**
 * The fields of a secret. Login: `username`, `password`, `url`; note: `text`; API key: `key`;
 * any kind may have `notes`.
 */
export type Fields = Record<string, string>;

export interface Created {
  id: string;
  name: string;
  recoveryKeyId: string;
  /** Temporary key (emailed): its expiry, Unix seconds. Null for a permanent key. */
  expiresAt: number | null;
  /** Permanent key made at creation: the 8 groups of 6 digits, shown once. */
  recoveryKeyGroups: string[] | null;
}

export interface Prepared {
  keyId: string;
  /** The new key: 8 groups of 6 digits. */
  groups: string[];
  /** Whether the current (still valid) key must be entered to replace it. */
  needsCurrent: boolean;
  /** The two groups (1-based) the user must re-type to confirm. */
  confirm: [number, number];
  /** Escrow-key versions the new key cannot open (have them reshared, then generate again). */
  escrowMissing: number[];
}

export type KitFormat = 'txt' | 'html' | 'pdf';

export interface Kit {
  filename: string;
  mime: string;
  bytes: Uint8Array;
}

export interface Owner {
  email: string;
  id: string;
  fingerprint: string;
}

// --- Device recovery keys (escrow) ----------------------------------------------------------

export type DeviceKind = 'bitlocker' | 'filevault' | 'luks' | 'generic' | 'microsoft-account';

/** An escrowed device key as listed: metadata only, from the verified, opened record. */
export interface DeviceKey {
  /** The record's id (for reveal, check, export). */
  id: string;
  device: string;
  serial: string;
  os: string;
  /** e.g. "C:" ('' when unknown). */
  volume: string;
  /** 'os' | 'fixed' | 'removable' | null */
  volumeType: string | null;
  kind: DeviceKind;
  /** The key identifier as the locked machine shows it (BitLocker: the GUID, upper case). */
  keyId: string;
  /** Unix seconds: when the key was added (as signed in the record). */
  addedAt: number;
  /** Unix seconds: when the server stored it. */
  storedAt: number;
  /** Unix seconds, or null: the last reveal or export. */
  revealedAt: number | null;
  /** Revealed since stored: the device should get a new key. */
  rotateAfterUse: boolean;
  /** Replaced by a newer key of the same device and volume (history). */
  replaced: boolean;
  /** A token submission that conflicts with a key already escrowed (to accept or reject). */
  conflict: boolean;
  /** Where it came from: bitlocker-txt, manage-bde, csv, json, typed, token. */
  source: string;
}

export interface DeviceFilter {
  /** Only this device (exact name, any case). */
  device?: string;
  needsRotation?: boolean;
  /** Include replaced keys. */
  history?: boolean;
}

/** A revealed key: shown in groups, readable over the phone. */
export interface RevealedKey {
  kind: DeviceKind;
  /** BitLocker: 8 groups of 6 digits; FileVault: 6 groups of 4; a Microsoft account code: 5 of 5; LUKS: whole. */
  groups: string[];
  /** The key as one string, for the copy button. */
  secret: string;
}

export type CheckResult =
  | { outcome: 'matches' }
  /** The typed key is another device's key: which one(s). */
  | { outcome: 'other_device'; others: DeviceKey[] }
  | { outcome: 'no_match' };

export interface ImportFile {
  /** The file's name (or its path in a dropped folder), e.g. "usb/BitLocker Recovery Key AC9D….TXT". */
  name: string;
  bytes: Uint8Array;
}

/** What a file or row does not say itself (a row's own value wins). */
export interface ImportDefaults {
  device?: string;
  serial?: string;
  os?: string;
  volume?: string;
  kind?: DeviceKind;
}

export interface ImportSummary {
  imported: number;
  /** Stored, replacing an older key of the same device and volume (kept as history). */
  replacing: number;
  alreadyPresent: number;
  /** Files, rows or protectors not imported, with where (file, line) and why (never the key). */
  invalid: { origin: string; reason: string }[];
}

export type ExportFormat = 'bitlocker-txt' | 'html' | 'pdf' | 'json';

export interface DeviceSettings {
  /** Every reveal and export must give a reason (the server refuses one without). */
  revealReasonRequired: boolean;
}

/** One key typed in (as `keyhaven device add`). */
export interface TypedDeviceKey {
  kind: DeviceKind;
  /** The device's name; for a Microsoft account code, the account (its email address). */
  device: string;
  /** The key ID; not needed for a Microsoft account code, which is filed under its account. */
  keyId?: string;
  serial?: string;
  os?: string;
  volume?: string;
}

/** A page of the devices list. */
export interface DevicePage {
  keys: DeviceKey[];
  /** The cursor of the next page (pass it as `after`), null after the last page. */
  next: string | null;
}

// --- Enrollment tokens ---------------------------------------------------------------------

/** An enrollment token as listed: never its secret. */
export interface EnrollmentToken {
  id: string;
  name: string | null;
  /** The creator's email (by the verified roster), or their account id if no longer a member. */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** Keys stored with it. */
  submissions: number;
  state: 'active' | 'expired' | 'revoked';
}

export interface CreatedToken {
  /** The token (KHT2-…): shown once, Keyhaven keeps only a hash. */
  token: string;
  listing: EnrollmentToken;
}

// --- Members -------------------------------------------------------------------------------

export type Role = 'owner' | 'admin' | 'member' | 'read-only' | 'helpdesk';

/** A member as the verified roster lists them. */
export interface Member {
  accountId: string;
  email: string;
  role: Role;
  /** 16 groups of 4 hex digits: what is compared with the person, out of band. */
  fingerprint: string;
  /** Their password was reset: an owner or admin relinks them after comparing the new fingerprint. */
  needsRelink: boolean;
  /** After a reset: the fingerprint of the new keys the server reports (to compare with them). */
  newFingerprint: string | null;
}

/** An open invitation: the server's word until the invitee is added to the roster. */
export interface Invitation {
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: number;
  acceptedAt: number | null;
  /** The fingerprint of the keys the invitee accepted with (compare before adding). */
  fingerprint: string | null;
}

export interface MyInvitation {
  workspaceId: string;
  workspaceName: string;
  role: Role;
  invitedBy: string;
  acceptedAt: number | null;
}

// --- Audit log -----------------------------------------------------------------------------

export interface AuditEvent {
  seq: number;
  /** Unix seconds. */
  at: number;
  /** Who, as the chain records it: `account:<uuid>`, `token:<uuid>` or `server` (the page names
   * accounts by the verified roster and tokens by their label). */
  actor: string;
  /** e.g. "device-key-revealed", "member-added". */
  kind: string;
  /** JSON text as the server recorded it. */
  details: string;
  /** The device keys the event names, as "key <ID> of <device>" (named here, not by the server). */
  deviceKeys: string[];
}

export interface AuditLog {
  events: AuditEvent[];
  /** The chain checks out, and still holds the head this browser saw before. */
  verified: boolean;
  /** Checked for the first time in this browser: its head is pinned from now on. */
  firstCheck: boolean;
  /** When not verified: how it breaks (an edited event, a truncation, a fork), for a banner. */
  problem: string | null;
}

/** Every failure the worker reports. `message` is written for the user. */
export interface VaultError {
  kind:
    | 'invalid_credentials'
    | 'api'
    | 'integrity'
    | 'recovery'
    | 'refused'
    | 'unreachable'
    | 'ksf'
    | 'first_contact'
    | 'locked'
    | 'input';
  message: string;
  /** The server's error code (kind 'api'). */
  code?: string;
  status?: number;
  /** The 1-based group of a mistyped recovery key (kind 'input' or 'recovery'). */
  group?: number;
  /** kind 'first_contact': the workspace's owners, to compare fingerprints with. */
  owners?: Owner[];
}

/** Progress of a long step (password stretching), sent by the worker while it works. */
export interface Progress {
  step: 'stretching' | 'unwrapping' | 'fetching' | 'opening' | 'importing' | 'reencrypting';
  message: string;
}

export interface Vault {
  signupStart(email: string): Promise<void>;
  signupFinish(email: string, code: string, password: string): Promise<Account>;
  login(email: string, password: string): Promise<Account>;
  logout(): Promise<void>;
  /** Wipes every key and the session token held by the worker (no server call). */
  lock(): Promise<void>;
  whoami(): Promise<Account | null>;

  forgotStart(email: string): Promise<void>;
  /**
   * Access code → new password → new encryption key. Cuts the account off from its workspaces
   * until the emergency reset code relinks them. Returns the new fingerprint; sign in after.
   */
  forgotFinish(email: string, code: string, newPassword: string): Promise<{ fingerprint: string }>;

  workspaces(): Promise<WorkspaceSummary[]>;
  createWorkspace(name: string, temporaryByEmail: boolean): Promise<Created>;
  /** Throws kind 'first_contact' (with owners) for a workspace this browser never opened. */
  openWorkspace(id: string): Promise<Workspace>;
  /** Consents to a workspace after its owners' fingerprints were compared. */
  trustWorkspace(id: string): Promise<void>;

  secrets(workspaceId: string): Promise<SecretList>;
  reveal(workspaceId: string, itemId: string): Promise<Fields>;
  addSecret(workspaceId: string, kind: SecretKind, name: string, fields: Fields): Promise<string>;
  /** Replaces the given fields (others kept); `name` renames. */
  editSecret(workspaceId: string, itemId: string, name: string, fields: Fields): Promise<void>;
  deleteSecret(workspaceId: string, itemId: string): Promise<void>;

  /** Checks a typed recovery key's format (names a mistyped group); no server call. */
  checkRecoveryKey(typed: string): Promise<void>;
  /** The emergency reset code: relinks this account with the recovery key. */
  useRecoveryKey(workspaceId: string, typed: string): Promise<{ escrowMissing: number[] }>;
  generatePrepare(workspaceId: string): Promise<Prepared>;
  /** The prepared (or, right after creation, the permanent) key's kit. */
  kit(workspaceId: string, format: KitFormat): Promise<Kit>;
  generateCommit(
    workspaceId: string,
    confirm: [string, string],
    current: string | null,
  ): Promise<Workspace>;
  generateCancel(workspaceId: string): Promise<void>;
  validateRecoveryKey(workspaceId: string, typed: string): Promise<Workspace>;

  // Device recovery keys (owners, admins and helpdesk members hold the escrow key).
  /**
   * What the locked machine shows (8 or more characters of the key ID, any case, braces or
   * not) or a device name: matching keys, current first. Never the key itself.
   */
  findDevices(workspaceId: string, query: string): Promise<DeviceKey[]>;
  /**
   * One page of the workspace's keys, oldest stored first (`limit` default 50, at most 1,000):
   * `after` is the previous page's `next`. With `filter.device`, that device's keys in one page.
   */
  devices(workspaceId: string, filter: DeviceFilter, after: string | null, limit?: number): Promise<DevicePage>;
  /** Writes the audit event first (the server does), then returns the key; marks it "rotate after use". */
  revealDevice(workspaceId: string, id: string, reason: string | null): Promise<RevealedKey>;
  /** Is `typed` this device's key? Names a mistyped group (kind 'input', `group`). No reveal. */
  checkDeviceKey(workspaceId: string, id: string, typed: string): Promise<CheckResult>;
  /** Reads the files here (same readers as `keyhaven device import`), seals and stores the keys. */
  importDevices(workspaceId: string, files: ImportFile[], defaults: ImportDefaults): Promise<ImportSummary>;
  /** The workspace's device-key settings (the server enforces them). */
  deviceSettings(workspaceId: string): Promise<DeviceSettings>;
  /** Owners and admins: a reason for every reveal and export, or optional again (audited). */
  setRevealReasonRequired(workspaceId: string, required: boolean): Promise<DeviceSettings>;
  /** Escrows one typed key; a mistyped BitLocker or Microsoft-code group is named (kind 'input', `group`). */
  addDeviceKey(workspaceId: string, details: TypedDeviceKey, typed: string): Promise<ImportSummary>;
  /** The key as a file (audited like a reveal). BitLocker .txt is byte for byte what Windows writes. */
  exportDevice(workspaceId: string, id: string, format: ExportFormat, reason: string | null): Promise<Kit>;

  // Enrollment tokens (owners and admins): write-only credentials for device agents.
  enrollmentTokens(workspaceId: string): Promise<EnrollmentToken[]>;
  /** Lives `hours` (1 to 366 × 24). The token's text is in the answer, once. */
  createEnrollmentToken(workspaceId: string, name: string | null, hours: number): Promise<CreatedToken>;
  revokeEnrollmentToken(workspaceId: string, tokenId: string): Promise<void>;
  /**
   * A token submission whose key differs from the one escrowed for its identifier (listed with
   * `conflict: true`): accept it (it becomes current, the escrowed key its history) or reject
   * it (deleted). Owners, admins and helpdesk; audited.
   */
  resolveConflict(workspaceId: string, recordId: string, accept: boolean): Promise<void>;

  // Members (owners and admins manage; everyone sees the verified roster).
  members(workspaceId: string): Promise<{ members: Member[]; invitations: Invitation[] }>;
  invite(workspaceId: string, email: string, role: Role): Promise<Invitation>;
  myInvitations(): Promise<MyInvitation[]>;
  /** Accepts; this browser consents to the workspace. Answers the own fingerprint to read out. */
  acceptInvitation(workspaceId: string): Promise<{ fingerprint: string }>;
  /** Adds the invitee; refused unless `comparedFingerprint` is the one of the keys they accepted with. */
  addMember(workspaceId: string, email: string, comparedFingerprint: string): Promise<void>;
  changeRole(workspaceId: string, email: string, role: Role): Promise<void>;
  /** Removes, rotates the keys, re-encrypts the secrets (progress 'reencrypting' N of M). Run
   * again for someone no longer a member, it finishes an interrupted re-encryption. */
  removeMember(
    workspaceId: string,
    email: string,
  ): Promise<{
    rewritten: number;
    changedMeanwhile: number;
    unreadable: number;
    tokensRevoked: number;
    /** They were no longer a member (an interrupted removal run again): only re-encrypted. */
    alreadyRemoved: boolean;
  }>;
  relinkMember(workspaceId: string, email: string, comparedFingerprint: string): Promise<void>;

  /** The workspace's audit log, verified here against this browser's pinned head. */
  auditLog(workspaceId: string): Promise<AuditLog>;
}
