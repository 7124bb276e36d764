//! Escrowed device recovery keys: records sealed to the workspace escrow key, and the
//! enrollment-token grants that let a device agent add records it can never read back.
//!
//! A record is two ciphertexts under its own record key: the metadata (device, serial, OS,
//! volume, kind, identifier, source, date) and the secret (the recovery key itself). Record
//! keys are derived (HKDF, salt = record id) from a batch key, which is sealed (HPKE) once per
//! batch of records to the escrow public key of one escrow version: only owners, admins and
//! helpdesk members can open either ciphertext, and an import of 100,000 keys costs 250 HPKE
//! operations instead of 100,000. Every record carries its batch's sealed key, so it opens on
//! its own. The server lists the header (wrapped key, metadata)
//! freely but serves the secret ciphertext only through the audited reveal call.
//!
//! Every header is signed: by its author's account key (checked against the roster) or, for a
//! submission through an enrollment token, by the token's key, which an owner or admin
//! vouched for in a signed [`TokenGrant`]. The signature covers the SHA-256 of the secret
//! ciphertext, so the server can neither forge a record nor swap the secrets of two records.
//! Format: `docs/protocol.md` §18.

use keyhaven_crypto::envelope;
use keyhaven_crypto::hpke::{self, RecipientPublicKey, RecipientSecretKey};
use keyhaven_crypto::kdf::{self, Label};
use keyhaven_crypto::sign::{Signature, SigningKey, VerifyingKey};
use keyhaven_crypto::{Context, SymmetricKey, ct_eq, sha256};
use zeroize::Zeroizing;

use crate::codec::{DecodeError, Reader, Writer};
use crate::device::{
    BitLockerRecoveryPassword, FileVaultRecoveryKey, LuksRecoveryKey, MicrosoftRecoveryCode,
};
use crate::ids::{AccountId, WorkspaceId};
use crate::roster::RosterState;

/// Record, metadata and grant format version.
pub const VERSION_1: u8 = 1;

/// Longest device name, serial, OS, volume or source accepted.
pub const MAX_FIELD_CHARS: usize = 256;

/// The kinds of device key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKind {
    /// BitLocker 48-digit recovery password.
    BitLocker,
    /// FileVault personal recovery key.
    FileVault,
    /// LUKS / systemd-cryptenroll recovery key.
    Luks,
    /// Any other text.
    Generic,
    /// The Microsoft account's 25-character recovery code: an account's key, not a device's
    /// (the record's device name is the account).
    MicrosoftAccount,
}

impl DeviceKind {
    /// Every kind.
    pub const ALL: [DeviceKind; 5] = [
        DeviceKind::BitLocker,
        DeviceKind::FileVault,
        DeviceKind::Luks,
        DeviceKind::Generic,
        DeviceKind::MicrosoftAccount,
    ];

    /// The command-line and context name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::BitLocker => "bitlocker",
            DeviceKind::FileVault => "filevault",
            DeviceKind::Luks => "luks",
            DeviceKind::Generic => "generic",
            DeviceKind::MicrosoftAccount => "microsoft-account",
        }
    }

    /// The kind named `name` (any case).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name.trim()))
    }

    fn tag(self) -> u8 {
        match self {
            DeviceKind::BitLocker => 1,
            DeviceKind::FileVault => 2,
            DeviceKind::Luks => 3,
            DeviceKind::Generic => 4,
            DeviceKind::MicrosoftAccount => 5,
        }
    }

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Self::ALL
            .into_iter()
            .find(|k| k.tag() == tag)
            .ok_or(DecodeError::UnknownTag {
                what: "device kind",
                tag,
            })
    }

    /// Checks and normalizes a typed key of this kind; the error names the group and what
    /// is wrong with it.
    pub fn normalize_secret(self, text: &str) -> Result<Zeroizing<String>, String> {
        match self {
            DeviceKind::BitLocker => BitLockerRecoveryPassword::parse(text)
                .map(|k| k.expose_normalized())
                .map_err(|e| e.to_string()),
            DeviceKind::FileVault => FileVaultRecoveryKey::parse(text)
                .map(|k| k.expose_normalized())
                .map_err(|e| e.to_string()),
            DeviceKind::Luks => LuksRecoveryKey::parse(text)
                .map(|k| k.expose_passphrase())
                .map_err(|e| e.to_string()),
            DeviceKind::MicrosoftAccount => MicrosoftRecoveryCode::parse(text)
                .map(|k| k.expose_normalized())
                .map_err(|e| e.to_string()),
            DeviceKind::Generic => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    Err("the key is empty".into())
                } else if trimmed.chars().count() > 4096 {
                    Err("the key is longer than 4096 characters".into())
                } else {
                    Ok(Zeroizing::new(trimmed.to_owned()))
                }
            }
        }
    }
}

/// What kind of volume a key unlocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolumeType {
    /// The operating-system volume.
    Os,
    /// A fixed data volume.
    Fixed,
    /// A removable data volume (BitLocker To Go).
    Removable,
}

impl VolumeType {
    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeType::Os => "os",
            VolumeType::Fixed => "fixed",
            VolumeType::Removable => "removable",
        }
    }

    /// The type named `name` (any case; `operating-system` and `data` are accepted too).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "os" | "operating-system" | "operating system" | "operatingsystem" => {
                Some(VolumeType::Os)
            }
            "fixed" | "data" | "fixed data" | "fixeddata" => Some(VolumeType::Fixed),
            "removable" | "removable data" | "removabledata" => Some(VolumeType::Removable),
            _ => None,
        }
    }

    fn tag(self) -> u8 {
        match self {
            VolumeType::Os => 1,
            VolumeType::Fixed => 2,
            VolumeType::Removable => 3,
        }
    }
}

/// A normalized key identifier: a UUID as upper-case hyphenated text (braces and case
/// ignored on input), or any other short text for keys that have no GUID.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

/// Why a key identifier was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyIdError {
    /// Nothing was given.
    #[error("the key identifier is empty")]
    Empty,
    /// Too long, or control characters.
    #[error("the key identifier must be at most 256 printable characters")]
    Invalid,
    /// A BitLocker key needs the protector's GUID.
    #[error("a BitLocker key identifier is a GUID like {{AC9D5655-F7CA-4D1D-902F-1B6087118138}}")]
    NotGuid,
}

impl KeyId {
    /// Normalizes `text` for a key of `kind`.
    pub fn parse(text: &str, kind: DeviceKind) -> Result<Self, KeyIdError> {
        // Braces around the identifier are dropped, as often as they appear, so that the
        // normal form parses to itself (found by fuzzing: `{ {x} }` once gave `{x}`).
        let mut inner = text.trim();
        while let Some(unbraced) = inner.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            inner = unbraced.trim();
        }
        if inner.is_empty() {
            return Err(KeyIdError::Empty);
        }
        if inner.len() == 36
            && let Ok(uuid) = inner.parse::<uuid::Uuid>()
        {
            return Ok(Self(uuid.hyphenated().to_string().to_uppercase()));
        }
        if kind == DeviceKind::BitLocker {
            return Err(KeyIdError::NotGuid);
        }
        if inner.chars().count() > MAX_FIELD_CHARS || inner.chars().any(char::is_control) {
            return Err(KeyIdError::Invalid);
        }
        Ok(Self(inner.to_owned()))
    }

    /// The normalized text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier's hex digits with hyphens removed, upper-case, if it starts with at
    /// least 8 of them (UUIDs always do).
    fn compact_hex(&self) -> Option<String> {
        let compact: String = self.0.chars().filter(|c| *c != '-').collect();
        let hex_len = compact.chars().take_while(char::is_ascii_hexdigit).count();
        (hex_len >= 8).then(|| compact[..hex_len].to_ascii_uppercase())
    }

    /// The first 8 hex digits (upper-case), which the prefix index covers.
    pub fn hex_prefix(&self) -> Option<String> {
        self.compact_hex().map(|h| h[..8].to_owned())
    }

    /// Whether the identifier starts with the hex digits of `query`.
    pub fn matches(&self, query: &PrefixQuery) -> bool {
        self.compact_hex().is_some_and(|h| h.starts_with(&query.0))
    }

    /// The short form shown in lists: the first 8 hex digits, or the whole text.
    pub fn short(&self) -> &str {
        if self.hex_prefix().is_some() && self.0.len() >= 8 {
            &self.0[..8]
        } else {
            &self.0
        }
    }
}

/// What a user typed to find a key: 8 or more hex digits, any case, hyphens and braces
/// allowed. Kept as upper-case hex without separators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixQuery(String);

impl PrefixQuery {
    /// Parses a typed identifier or prefix.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let inner = trimmed.trim_start_matches('{').trim_end_matches('}');
        let compact: String = inner.chars().filter(|c| *c != '-').collect();
        if let Some(bad) = compact.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!(
                "{bad:?} is not a hex digit: type the first 8 or more characters of the key \
                 identifier the locked machine shows, e.g. AC9D5655"
            ));
        }
        if compact.len() < 8 {
            return Err(format!(
                "give at least 8 hex digits of the key identifier (got {})",
                compact.len()
            ));
        }
        if compact.len() > 32 {
            return Err("a key identifier has at most 32 hex digits".into());
        }
        Ok(Self(compact.to_ascii_uppercase()))
    }

    /// The first 8 digits, which the server can look up by blind index.
    pub fn index_prefix(&self) -> &str {
        &self.0[..8]
    }

    /// The digits, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The readable part of a record, sealed separately from the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceMeta {
    /// Device (computer) name.
    pub device: String,
    /// Serial number, or empty.
    pub serial: String,
    /// Operating system, or empty.
    pub os: String,
    /// Volume, e.g. `C:`, or empty.
    pub volume: String,
    /// Volume type, if known.
    pub volume_type: Option<VolumeType>,
    /// Key kind.
    pub kind: DeviceKind,
    /// Key identifier.
    pub key_id: KeyId,
    /// Where the key came from (`typed`, `bitlocker-txt`, `manage-bde`, `csv`, `json`,
    /// `enrollment`).
    pub source: String,
    /// When it was escrowed (Unix seconds, the author's clock).
    pub added_at: u64,
}

impl DeviceMeta {
    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(VERSION_1)
            .str(&self.device)
            .str(&self.serial)
            .str(&self.os)
            .str(&self.volume)
            .u8(self.volume_type.map_or(0, VolumeType::tag))
            .u8(self.kind.tag())
            .str(self.key_id.as_str())
            .str(&self.source)
            .u64(self.added_at);
        w.finish()
    }

    /// Decodes [`Self::to_bytes`] strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version(VERSION_1)?;
        let device = r.str()?.to_owned();
        let serial = r.str()?.to_owned();
        let os = r.str()?.to_owned();
        let volume = r.str()?.to_owned();
        let volume_type = match r.u8()? {
            0 => None,
            1 => Some(VolumeType::Os),
            2 => Some(VolumeType::Fixed),
            3 => Some(VolumeType::Removable),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "volume type",
                    tag,
                });
            }
        };
        let kind = DeviceKind::from_tag(r.u8()?)?;
        let key_id = KeyId::parse(r.str()?, kind).map_err(|_| DecodeError::Invalid("key id"))?;
        let source = r.str()?.to_owned();
        let added_at = r.u64()?;
        r.finish()?;
        let meta = Self {
            device,
            serial,
            os,
            volume,
            volume_type,
            kind,
            key_id,
            source,
            added_at,
        };
        // The identifier must already be in normal form: one encoding per record.
        if meta.to_bytes() != bytes {
            return Err(DecodeError::Invalid("key id"));
        }
        Ok(meta)
    }
}

/// Who wrote a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Author {
    /// A workspace member (owner or admin), with their account key.
    Member(AccountId),
    /// A device agent, with an enrollment token's key.
    Token(uuid::Uuid),
}

impl Author {
    /// `account:<uuid>` or `token:<uuid>`, as the server records it.
    pub fn label(&self) -> String {
        match self {
            Author::Member(id) => format!("account:{id}"),
            Author::Token(id) => format!("token:{id}"),
        }
    }
}

/// Why a record or grant was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EscrowError {
    /// Bytes do not decode.
    #[error("malformed device record: {0}")]
    Decode(#[from] DecodeError),
    /// The record names another workspace.
    #[error("device record belongs to another workspace")]
    WrongWorkspace,
    /// The record names an escrow version the roster has not reached.
    #[error("device record uses an unknown escrow key version")]
    UnknownEscrowVersion,
    /// The signature does not verify against any key the roster or a grant allows.
    #[error("device record is not signed by an owner, an admin or a vouched-for token")]
    BadSignature,
    /// A ciphertext does not open (wrong key, or moved from another record).
    #[error("device record could not be decrypted")]
    Decryption,
    /// The secret ciphertext is not the one the header signs.
    #[error("the server served another record's key")]
    SecretMismatch,
    /// The escrow public key is not usable.
    #[error("the escrow public key is invalid")]
    InvalidEscrowKey,
}

/// A sealed record's listable part: everything but the secret ciphertext, whose hash it
/// signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedDeviceKey {
    /// Workspace.
    pub workspace: WorkspaceId,
    /// Record id.
    pub id: uuid::Uuid,
    /// Escrow key version the batch key is sealed to.
    pub escrow_version: u32,
    /// The batch the record was sealed in.
    pub batch: uuid::Uuid,
    /// Who wrote it.
    pub author: Author,
    /// The batch key, sealed to the escrow public key.
    pub wrapped_key: Vec<u8>,
    /// The metadata envelope.
    pub meta: Vec<u8>,
    /// SHA-256 of the secret envelope.
    pub secret_hash: [u8; 32],
    /// Ed25519 over `Context("device-key")` and the encoding without this field.
    pub signature: Signature,
}

/// What a record holds, in the clear. `Debug` shows the metadata only.
pub struct DeviceKeyPlain {
    /// Metadata.
    pub meta: DeviceMeta,
    /// The normalized key ([`DeviceKind::normalize_secret`]).
    pub secret: Zeroizing<String>,
}

impl core::fmt::Debug for DeviceKeyPlain {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceKeyPlain")
            .field("meta", &self.meta)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The signer of a record.
#[derive(Debug)]
pub struct RecordSigner<'a> {
    /// Who.
    pub author: Author,
    /// Their key: the account signing key, or the token's.
    pub key: &'a SigningKey,
}

fn wrap_context(ws: WorkspaceId, batch: &uuid::Uuid, escrow_version: u32) -> Context {
    Context::new("device-batch-key")
        .field([VERSION_1])
        .field(ws.as_bytes())
        .field(batch.as_bytes())
        .field_u64(u64::from(escrow_version))
}

/// A batch key: sealed once to the escrow public key, it keys every record sealed with it.
pub struct RecordBatch {
    workspace: WorkspaceId,
    id: uuid::Uuid,
    escrow_version: u32,
    wrapped: Vec<u8>,
    key: SymmetricKey,
}

impl core::fmt::Debug for RecordBatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordBatch")
            .field("id", &self.id)
            .field("escrow_version", &self.escrow_version)
            .finish_non_exhaustive()
    }
}

impl RecordBatch {
    /// A fresh batch key sealed to escrow key `version`.
    pub fn new(
        workspace: WorkspaceId,
        escrow: (u32, &RecipientPublicKey),
    ) -> Result<Self, EscrowError> {
        let (escrow_version, public) = escrow;
        let id = uuid::Builder::from_random_bytes(keyhaven_crypto::random_array()).into_uuid();
        let key = SymmetricKey::generate();
        let wrapped = hpke::seal(
            public,
            &wrap_context(workspace, &id, escrow_version),
            key.expose(),
        )
        .map_err(|_| EscrowError::InvalidEscrowKey)?;
        Ok(Self {
            workspace,
            id,
            escrow_version,
            wrapped,
            key,
        })
    }

    /// Seals `plain` as record `id`, signed by `signer`. Returns the header and the secret
    /// envelope.
    pub fn seal(
        &self,
        id: uuid::Uuid,
        plain: &DeviceKeyPlain,
        signer: &RecordSigner<'_>,
    ) -> (SealedDeviceKey, Vec<u8>) {
        let record_key = record_key(&self.key, &id);
        let meta = envelope::seal(
            &record_key,
            &part_context("device-meta", self.workspace, &id),
            &plain.meta.to_bytes(),
        );
        let secret = envelope::seal(
            &record_key,
            &part_context("device-secret", self.workspace, &id),
            plain.secret.as_bytes(),
        );
        let mut header = SealedDeviceKey {
            workspace: self.workspace,
            id,
            escrow_version: self.escrow_version,
            batch: self.id,
            author: signer.author,
            wrapped_key: self.wrapped.clone(),
            meta,
            secret_hash: sha256(&secret),
            signature: Signature([0; 64]),
        };
        header.signature = signer.key.sign(&header.signed_message());
        (header, secret)
    }
}

fn record_key(batch_key: &SymmetricKey, id: &uuid::Uuid) -> SymmetricKey {
    kdf::derive_key(batch_key.expose(), id.as_bytes(), Label::DeviceRecordKey)
}

fn part_context(label: &str, ws: WorkspaceId, id: &uuid::Uuid) -> Context {
    Context::new(label)
        .field([VERSION_1])
        .field(ws.as_bytes())
        .field(id.as_bytes())
}

impl SealedDeviceKey {
    /// Seals one record in a batch of its own (see [`RecordBatch`] for many).
    pub fn seal(
        workspace: WorkspaceId,
        id: uuid::Uuid,
        escrow: (u32, &RecipientPublicKey),
        plain: &DeviceKeyPlain,
        signer: &RecordSigner<'_>,
    ) -> Result<(Self, Vec<u8>), EscrowError> {
        Ok(RecordBatch::new(workspace, escrow)?.seal(id, plain, signer))
    }

    fn unsigned_bytes(&self) -> Writer {
        let mut w = Writer::new();
        w.u8(VERSION_1)
            .array(self.workspace.as_bytes())
            .array(self.id.as_bytes())
            .u32(self.escrow_version)
            .array(self.batch.as_bytes());
        match self.author {
            Author::Member(a) => w.u8(1).array(a.as_bytes()),
            Author::Token(t) => w.u8(2).array(t.as_bytes()),
        };
        w.bytes(&self.wrapped_key)
            .bytes(&self.meta)
            .array(&self.secret_hash);
        w
    }

    fn signed_message(&self) -> Vec<u8> {
        signed_message("device-key", self.unsigned_bytes())
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        with_signature(self.unsigned_bytes(), &self.signature)
    }

    /// Decodes [`Self::to_bytes`] strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version(VERSION_1)?;
        let workspace = WorkspaceId(r.uuid()?);
        let id = r.uuid()?;
        let escrow_version = r.u32()?;
        let batch = r.uuid()?;
        let author = match r.u8()? {
            1 => Author::Member(AccountId(r.uuid()?)),
            2 => Author::Token(r.uuid()?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "author",
                    tag,
                });
            }
        };
        let wrapped_key = r.bytes()?.to_vec();
        let meta = r.bytes()?.to_vec();
        let secret_hash = r.array()?;
        let signature = Signature(r.array()?);
        r.finish()?;
        Ok(Self {
            workspace,
            id,
            escrow_version,
            batch,
            author,
            wrapped_key,
            meta,
            secret_hash,
            signature,
        })
    }

    /// Checks the workspace, the escrow version and the signature: a member author must be
    /// an owner or admin whose key the roster knows (now, or as a past writer); a token author
    /// must have a verified grant in `grants`.
    pub fn verify(&self, roster: &RosterState, grants: &[TokenGrant]) -> Result<(), EscrowError> {
        if self.workspace != roster.workspace {
            return Err(EscrowError::WrongWorkspace);
        }
        if self.escrow_version == 0 || self.escrow_version as usize > roster.escrow_keys.len() {
            return Err(EscrowError::UnknownEscrowVersion);
        }
        let message = self.signed_message();
        let ok = match self.author {
            Author::Member(account) => manager_keys(roster, account)
                .iter()
                .any(|k| k.verify(&message, &self.signature).is_ok()),
            Author::Token(token) => grants
                .iter()
                .filter(|g| g.token == token && g.verify(roster).is_ok())
                .any(|g| g.verifying_key.verify(&message, &self.signature).is_ok()),
        };
        if ok {
            Ok(())
        } else {
            Err(EscrowError::BadSignature)
        }
    }

    /// Opens the batch key with the private key of escrow version `self.escrow_version`.
    /// Records of one batch share it: callers opening many records may keep it (keyed by
    /// [`Self::batch_cache_key`]) instead of opening it again for each.
    pub fn batch_key(&self, escrow: &RecipientSecretKey) -> Result<SymmetricKey, EscrowError> {
        let opened = hpke::open(
            escrow,
            &wrap_context(self.workspace, &self.batch, self.escrow_version),
            &self.wrapped_key,
        )
        .map_err(|_| EscrowError::Decryption)?;
        let bytes: [u8; 32] = opened
            .expose()
            .try_into()
            .map_err(|_| EscrowError::Decryption)?;
        Ok(SymmetricKey::from_bytes(bytes))
    }

    /// What identifies this record's batch key: two headers with the same value open with the
    /// same batch key (the HPKE context binds workspace, batch and escrow version).
    pub fn batch_cache_key(&self) -> (WorkspaceId, uuid::Uuid, u32, [u8; 32]) {
        (
            self.workspace,
            self.batch,
            self.escrow_version,
            sha256(&self.wrapped_key),
        )
    }

    /// Opens the metadata (call [`Self::verify`] first).
    pub fn open_meta(&self, escrow: &RecipientSecretKey) -> Result<DeviceMeta, EscrowError> {
        self.open_meta_with(&self.batch_key(escrow)?)
    }

    /// Opens the metadata with an already opened batch key.
    pub fn open_meta_with(&self, batch_key: &SymmetricKey) -> Result<DeviceMeta, EscrowError> {
        let bytes = envelope::open(
            &record_key(batch_key, &self.id),
            &part_context("device-meta", self.workspace, &self.id),
            &self.meta,
        )
        .map_err(|_| EscrowError::Decryption)?;
        Ok(DeviceMeta::from_bytes(bytes.expose())?)
    }

    /// Opens the secret envelope the reveal call served, after checking it is the one this
    /// header signs.
    pub fn open_secret(
        &self,
        escrow: &RecipientSecretKey,
        secret: &[u8],
    ) -> Result<Zeroizing<String>, EscrowError> {
        if !ct_eq(&sha256(secret), &self.secret_hash) {
            return Err(EscrowError::SecretMismatch);
        }
        let bytes = envelope::open(
            &record_key(&self.batch_key(escrow)?, &self.id),
            &part_context("device-secret", self.workspace, &self.id),
            secret,
        )
        .map_err(|_| EscrowError::Decryption)?;
        let text = core::str::from_utf8(bytes.expose()).map_err(|_| EscrowError::Decryption)?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

/// What a record or grant signs: its unsigned encoding under a context label.
fn signed_message(label: &str, unsigned: Writer) -> Vec<u8> {
    Context::new(label)
        .field(unsigned.finish())
        .as_bytes()
        .to_vec()
}

/// The unsigned encoding followed by the signature.
fn with_signature(mut unsigned: Writer, signature: &Signature) -> Vec<u8> {
    unsigned.array(&signature.0);
    unsigned.finish()
}

/// Every signing key `account` had as an owner or admin (see
/// [`RosterState::manager_keys`]).
fn manager_keys(roster: &RosterState, account: AccountId) -> Vec<VerifyingKey> {
    roster
        .manager_keys
        .iter()
        .filter(|(a, _)| *a == account)
        .map(|(_, k)| *k)
        .collect()
}

/// An owner's or admin's statement that an enrollment token's key may add device records
/// until `expires_at`. Revocation and expiry are enforced by the server; the grant is what
/// lets readers check a token-written record was written by a token someone vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// Workspace.
    pub workspace: WorkspaceId,
    /// Token id.
    pub token: uuid::Uuid,
    /// The token's signing key (derived from its secret).
    pub verifying_key: VerifyingKey,
    /// Unix seconds.
    pub expires_at: u64,
    /// Who vouched.
    pub created_by: AccountId,
    /// Ed25519 by `created_by` over `Context("escrow-token-grant")` and the encoding without it.
    pub signature: Signature,
}

impl TokenGrant {
    /// Signs a grant.
    pub fn sign(
        workspace: WorkspaceId,
        token: &TokenSecret,
        expires_at: u64,
        created_by: AccountId,
        key: &SigningKey,
    ) -> Self {
        let mut grant = Self {
            workspace,
            token: token.id,
            verifying_key: token.signing_key().verifying_key(),
            expires_at,
            created_by,
            signature: Signature([0; 64]),
        };
        grant.signature = key.sign(&grant.signed_message());
        grant
    }

    fn unsigned_bytes(&self) -> Writer {
        let mut w = Writer::new();
        w.u8(VERSION_1)
            .array(self.workspace.as_bytes())
            .array(self.token.as_bytes())
            .array(&self.verifying_key.to_bytes())
            .u64(self.expires_at)
            .array(self.created_by.as_bytes());
        w
    }

    fn signed_message(&self) -> Vec<u8> {
        signed_message("escrow-token-grant", self.unsigned_bytes())
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        with_signature(self.unsigned_bytes(), &self.signature)
    }

    /// Decodes [`Self::to_bytes`] strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version(VERSION_1)?;
        let workspace = WorkspaceId(r.uuid()?);
        let token = r.uuid()?;
        let verifying_key =
            VerifyingKey::from_bytes(&r.array()?).map_err(|_| DecodeError::Invalid("token key"))?;
        let expires_at = r.u64()?;
        let created_by = AccountId(r.uuid()?);
        let signature = Signature(r.array()?);
        r.finish()?;
        Ok(Self {
            workspace,
            token,
            verifying_key,
            expires_at,
            created_by,
            signature,
        })
    }

    /// Checks the workspace and that an owner or admin signed it.
    pub fn verify(&self, roster: &RosterState) -> Result<(), EscrowError> {
        if self.workspace != roster.workspace {
            return Err(EscrowError::WrongWorkspace);
        }
        let message = self.signed_message();
        if manager_keys(roster, self.created_by)
            .iter()
            .any(|k| k.verify(&message, &self.signature).is_ok())
        {
            Ok(())
        } else {
            Err(EscrowError::BadSignature)
        }
    }
}

/// An enrollment token as handed to device agents: the workspace, the token id, its secret,
/// and the escrow public key (with its version) current when the token was made. The agent seals
/// to that key and reads nothing from the server: no roster (so no member's address), and a
/// server that withholds a later rotation cannot move the agent onto a retired key it did not
/// already hold. A rotation of the escrow key makes the server refuse older tokens
/// (`docs/protocol.md` §18.5).
///
/// Text form: `KHT2-` and the base64url (no padding) of
/// `workspace (16) ‖ token id (16) ‖ secret (32) ‖ escrow version (u32 BE) ‖ escrow public key
/// (32)`. Version 1 (`KHT1-`, which carried the genesis hash and read the roster) is refused
/// with a message that says to make a new token.
pub struct TokenSecret {
    /// Workspace.
    pub workspace: WorkspaceId,
    /// Token id (public: shown in lists and audit events).
    pub id: uuid::Uuid,
    secret: Zeroizing<[u8; 32]>,
    /// The escrow-key version and public key submissions are sealed to.
    pub escrow: (u32, RecipientPublicKey),
}

impl core::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenSecret")
            .field("workspace", &self.workspace)
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("escrow_version", &self.escrow.0)
            .finish()
    }
}

/// The text prefix of an enrollment token.
pub const TOKEN_PREFIX: &str = "KHT2-";

/// The prefix of the retired first token format.
const TOKEN_V1_PREFIX: &str = "KHT1-";

/// Bytes of the decoded token text.
const TOKEN_LEN: usize = 16 + 16 + 32 + 4 + 32;

impl TokenSecret {
    /// A fresh token for `workspace`, sealing to `escrow`.
    pub fn generate(workspace: WorkspaceId, escrow: (u32, RecipientPublicKey)) -> Self {
        Self {
            workspace,
            id: uuid::Builder::from_random_bytes(keyhaven_crypto::random_array()).into_uuid(),
            secret: Zeroizing::new(keyhaven_crypto::random_array()),
            escrow,
        }
    }

    /// The text handed to device agents.
    pub fn expose_text(&self) -> Zeroizing<String> {
        use base64::Engine as _;
        let mut raw = Zeroizing::new(Vec::with_capacity(TOKEN_LEN));
        raw.extend_from_slice(self.workspace.as_bytes());
        raw.extend_from_slice(self.id.as_bytes());
        raw.extend_from_slice(self.secret.as_ref());
        raw.extend_from_slice(&self.escrow.0.to_be_bytes());
        raw.extend_from_slice(&self.escrow.1.to_bytes());
        Zeroizing::new(format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw)
        ))
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        use base64::Engine as _;
        let text = text.trim();
        if text.starts_with(TOKEN_V1_PREFIX) {
            return Err(
                "this enrollment token (KHT1-) has a retired format that read the \
                        workspace roster; ask an owner or admin for a new one (`keyhaven escrow \
                        token create`)",
            );
        }
        let body = text
            .strip_prefix(TOKEN_PREFIX)
            .ok_or("an enrollment token starts with KHT2-")?;
        let raw = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .map_err(|_| "the enrollment token is damaged (not base64url)")?,
        );
        if raw.len() != TOKEN_LEN {
            return Err("the enrollment token is damaged (wrong length)");
        }
        let uuid_at = |i: usize| uuid::Uuid::from_slice(&raw[i..i + 16]).expect("16 bytes");
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&raw[32..64]);
        let version = u32::from_be_bytes(raw[64..68].try_into().expect("4 bytes"));
        if version == 0 {
            return Err("the enrollment token is damaged (escrow version 0)");
        }
        let mut public = [0u8; 32];
        public.copy_from_slice(&raw[68..100]);
        Ok(Self {
            workspace: WorkspaceId(uuid_at(0)),
            id: uuid_at(16),
            secret,
            escrow: (version, RecipientPublicKey::from_bytes(public)),
        })
    }

    /// What the server checks (it stores only its SHA-256). It cannot derive the signing or
    /// resubmission keys from it.
    pub fn auth(&self) -> Zeroizing<[u8; 32]> {
        kdf::derive_array(
            self.secret.as_ref(),
            self.id.as_bytes(),
            Label::EscrowTokenAuth,
        )
    }

    /// The key that signs this token's submissions.
    pub fn signing_key(&self) -> SigningKey {
        let seed = kdf::derive_array::<32>(
            self.secret.as_ref(),
            self.id.as_bytes(),
            Label::EscrowTokenSign,
        );
        SigningKey::from_seed(&seed)
    }

    /// A tag that is the same each time this token submits the same key for the same
    /// identifier, so the server can refuse duplicates without learning either.
    pub fn resubmission_tag(&self, meta: &DeviceMeta, secret: &str) -> [u8; 32] {
        let key = kdf::derive_key(
            self.secret.as_ref(),
            self.id.as_bytes(),
            Label::EscrowTokenDedup,
        );
        let input = Context::new("escrow-resubmission")
            .field(meta.kind.as_str())
            .field(meta.key_id.as_str())
            .field(secret);
        kdf::hmac_sha256(&key, input.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> DeviceMeta {
        DeviceMeta {
            device: "FIN-LAPTOP-07".into(),
            serial: "5CG1234XYZ".into(),
            os: "Windows 11".into(),
            volume: "C:".into(),
            volume_type: Some(VolumeType::Os),
            kind: DeviceKind::BitLocker,
            key_id: KeyId::parse(
                "{ac9d5655-f7ca-4d1d-902f-1b6087118138}",
                DeviceKind::BitLocker,
            )
            .unwrap(),
            source: "typed".into(),
            added_at: 1_700_000_000,
        }
    }

    #[test]
    fn debug_never_shows_a_key() {
        let plain = DeviceKeyPlain {
            meta: meta(),
            secret: Zeroizing::new(
                "236808-089419-192665-495704-618299-073414-538373-542366".into(),
            ),
        };
        let shown = format!("{plain:?}");
        assert!(
            shown.contains("FIN-LAPTOP-07") && !shown.contains("236808"),
            "{shown}"
        );
    }

    #[test]
    fn key_ids_normalize() {
        let a = KeyId::parse(
            "{ac9d5655-f7ca-4d1d-902f-1b6087118138}",
            DeviceKind::BitLocker,
        )
        .unwrap();
        let b = KeyId::parse(" AC9D5655-F7CA-4D1D-902F-1B6087118138 ", DeviceKind::Luks).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "AC9D5655-F7CA-4D1D-902F-1B6087118138");
        assert_eq!(a.hex_prefix().as_deref(), Some("AC9D5655"));
        assert_eq!(
            KeyId::parse("laptop-7", DeviceKind::BitLocker),
            Err(KeyIdError::NotGuid)
        );
        let text = KeyId::parse("mac serial C02X", DeviceKind::FileVault).unwrap();
        assert_eq!(text.hex_prefix(), None);
        assert_eq!(
            KeyId::parse(" {} ", DeviceKind::Generic),
            Err(KeyIdError::Empty)
        );
    }

    #[test]
    fn prefix_queries() {
        let id = meta().key_id;
        for typed in [
            "ac9d5655",
            "{AC9D5655-F7",
            "AC9D5655F7CA4D1D",
            "ac9d5655-f7ca-4d1d-902f-1b6087118138",
        ] {
            let q = PrefixQuery::parse(typed).unwrap();
            assert_eq!(q.index_prefix(), "AC9D5655");
            assert!(id.matches(&q), "{typed}");
        }
        assert!(!id.matches(&PrefixQuery::parse("AC9D5656").unwrap()));
        assert!(
            PrefixQuery::parse("AC9D565")
                .unwrap_err()
                .contains("at least 8")
        );
        assert!(PrefixQuery::parse("AC9D565G").unwrap_err().contains("'G'"));
    }

    #[test]
    fn meta_round_trip_and_one_encoding() {
        let m = meta();
        let bytes = m.to_bytes();
        assert_eq!(DeviceMeta::from_bytes(&bytes).unwrap(), m);
        let mut lower = m.clone();
        lower.key_id = KeyId("ac9d5655-f7ca-4d1d-902f-1b6087118138".into());
        assert!(DeviceMeta::from_bytes(&lower.to_bytes()).is_err());
        let mut unknown = bytes.clone();
        unknown[0] = 2;
        assert_eq!(
            DeviceMeta::from_bytes(&unknown),
            Err(DecodeError::UnknownVersion(2))
        );
    }

    #[test]
    fn tokens_are_parsed_strictly() {
        assert!(TokenSecret::parse("KHT2-abc").is_err());
        assert!(TokenSecret::parse("KHT1-abc").is_err());
        assert!(TokenSecret::parse("KHT1-!!!").is_err());
    }
}
