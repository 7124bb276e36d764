//! Secret items: each field encrypted on its own, bound to its place, and the revision signed.
//!
//! A field's associated data binds format version, workspace, item, item kind, workspace-key
//! version and field name, so the server cannot move a ciphertext to another field, item,
//! workspace or key version, nor relabel a note as a login. The author signs the whole revision
//! (kind, revision number, field names and ciphertexts), so fields cannot be dropped, added,
//! or mixed across revisions either. Format: `docs/protocol.md` §Item.

use std::collections::BTreeMap;

use keyhaven_crypto::envelope::{self, EnvelopeError};
use keyhaven_crypto::kdf::{self, Label};
use keyhaven_crypto::par;
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_crypto::sign::{self, Signature, SignedMessage, SigningKey};
use keyhaven_crypto::{Context, SymmetricKey};

use crate::codec::{DecodeError, Reader, Writer};
use crate::ids::{AccountId, ItemId, WorkspaceId};
use crate::roster::RosterState;

/// Item format version.
pub const VERSION_1: u8 = 1;

/// What an item holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// Username, password, URL.
    Login,
    /// Free text.
    Note,
    /// An API key or token.
    ApiKey,
}

impl ItemKind {
    /// The name used on the command line and in contexts.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Login => "login",
            ItemKind::Note => "note",
            ItemKind::ApiKey => "api-key",
        }
    }

    fn tag(self) -> u8 {
        match self {
            ItemKind::Login => 1,
            ItemKind::Note => 2,
            ItemKind::ApiKey => 3,
        }
    }

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Ok(match tag {
            1 => ItemKind::Login,
            2 => ItemKind::Note,
            3 => ItemKind::ApiKey,
            _ => {
                return Err(DecodeError::UnknownTag {
                    what: "item kind",
                    tag,
                });
            }
        })
    }
}

/// A decrypted item: its kind and named fields (field names are part of the signed metadata).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemPlain {
    /// Kind.
    pub kind: ItemKind,
    /// Field name → value.
    pub fields: BTreeMap<String, SecretBytes>,
}

/// Where an item lives and which revision it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemPlace {
    /// Workspace.
    pub workspace: WorkspaceId,
    /// Item.
    pub id: ItemId,
    /// Workspace-key version the fields are encrypted under.
    pub key_version: u32,
    /// Revision number, from 1; each edit increases it.
    pub revision: u64,
}

/// An encrypted, signed item revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedItem {
    /// Where it lives.
    pub place: ItemPlace,
    /// Kind.
    pub kind: ItemKind,
    /// Who wrote this revision.
    pub author: AccountId,
    /// Field name → envelope, in name order.
    pub fields: Vec<(String, Vec<u8>)>,
    /// Ed25519 by the author over `Context("item-revision")` and the encoding.
    pub signature: Signature,
}

/// Why an item could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ItemError {
    /// The item names another workspace than the roster's.
    #[error("item belongs to another workspace")]
    WrongWorkspace,
    /// The author could not write items under this key version, or the signature is wrong.
    #[error(
        "the item's signature does not verify under any key the roster allows its author \
         (changed after signing, or written by someone who may not)"
    )]
    BadSignature,
    /// The item names a workspace-key version the roster has not reached.
    #[error("item is encrypted under an unknown workspace-key version")]
    UnknownKeyVersion,
    /// A field does not decrypt (wrong key, or moved from elsewhere).
    #[error("item could not be decrypted")]
    Decryption,
    /// The item is encrypted under a workspace-key version the reader does not hold.
    #[error("the item uses workspace key version {0}, which this account cannot open")]
    KeyNotHeld(u32),
}

/// The item key for one workspace-key version.
pub fn derive_item_key(workspace_key: &SymmetricKey, workspace: WorkspaceId) -> SymmetricKey {
    kdf::derive_key(workspace_key.expose(), workspace.as_bytes(), Label::Item)
}

impl SealedItem {
    /// Encrypts and signs a revision.
    pub fn seal(
        workspace_key: &SymmetricKey,
        place: ItemPlace,
        plain: &ItemPlain,
        author: AccountId,
        author_key: &SigningKey,
    ) -> Self {
        let item_key = derive_item_key(workspace_key, place.workspace);
        let fields = plain
            .fields
            .iter()
            .map(|(name, value)| {
                let ctx = field_context(&place, plain.kind, name);
                (
                    name.clone(),
                    envelope::seal(&item_key, &ctx, value.expose()),
                )
            })
            .collect();
        let mut item = Self {
            place,
            kind: plain.kind,
            author,
            fields,
            signature: Signature([0; 64]),
        };
        item.sign(author_key);
        item
    }

    /// Signs the revision as it stands (after [`SealedItem::seal`], or after re-encryption).
    pub fn sign(&mut self, author_key: &SigningKey) {
        self.signature = author_key.sign(&self.signed_message());
    }

    /// Checks the author's signature against the roster, then decrypts every field with the
    /// workspace key of `place.key_version`.
    pub fn open(
        &self,
        workspace_key: &SymmetricKey,
        roster: &RosterState,
    ) -> Result<ItemPlain, ItemError> {
        self.verify(roster)?;
        self.decrypt(&derive_item_key(workspace_key, self.place.workspace))
    }

    /// Decrypts every field with the item key (after the signature was checked).
    fn decrypt(&self, item_key: &SymmetricKey) -> Result<ItemPlain, ItemError> {
        let mut fields = BTreeMap::new();
        for (name, sealed) in &self.fields {
            let ctx = field_context(&self.place, self.kind, name);
            let value = envelope::open(item_key, &ctx, sealed)
                .map_err(|_: EnvelopeError| ItemError::Decryption)?;
            fields.insert(name.clone(), value);
        }
        Ok(ItemPlain {
            kind: self.kind,
            fields,
        })
    }

    /// Checks the workspace and the author's signature.
    pub fn verify(&self, roster: &RosterState) -> Result<(), ItemError> {
        self.check_place(roster)?;
        let message = self.signed_message();
        let signed_by_writer = roster
            .item_author_keys(self.author, self.place.key_version)
            .any(|key| key.verify(&message, &self.signature).is_ok());
        if signed_by_writer {
            Ok(())
        } else {
            Err(ItemError::BadSignature)
        }
    }

    fn check_place(&self, roster: &RosterState) -> Result<(), ItemError> {
        if self.place.workspace != roster.workspace {
            return Err(ItemError::WrongWorkspace);
        }
        if self.place.key_version == 0 || self.place.key_version > roster.workspace_key_version {
            return Err(ItemError::UnknownKeyVersion);
        }
        Ok(())
    }

    /// What the author signs: the revision's metadata and, per field, its name and the SHA-256
    /// of its envelope. Hashing once with SHA-256 (hardware-accelerated on current CPUs) instead
    /// of handing every ciphertext byte to Ed25519 (two SHA-512 passes) keeps large items fast;
    /// SHA-256 is collision resistant, so a member who knows the item key still cannot swap
    /// in another ciphertext under the author's signature (Poly1305 alone would let them).
    fn signed_message(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode_header(&mut w);
        for (name, sealed) in &self.fields {
            w.str(name).array(&keyhaven_crypto::sha256(sealed));
        }
        Context::new("item-revision")
            .field(w.finish())
            .as_bytes()
            .to_vec()
    }

    fn encode_header(&self, w: &mut Writer) {
        w.u8(VERSION_1)
            .array(self.place.workspace.as_bytes())
            .array(self.place.id.as_bytes())
            .u32(self.place.key_version)
            .u64(self.place.revision)
            .u8(self.kind.tag())
            .array(self.author.as_bytes())
            .u32(u32::try_from(self.fields.len()).expect("fewer than 4 billion fields"));
    }

    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.encode_header(&mut w);
        for (name, sealed) in &self.fields {
            w.str(name).bytes(sealed);
        }
        w.array(&self.signature.0);
        w.finish()
    }

    /// Decodes [`SealedItem::to_bytes`] strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        r.version(VERSION_1)?;
        let place = ItemPlace {
            workspace: WorkspaceId(r.uuid()?),
            id: ItemId(r.uuid()?),
            key_version: r.u32()?,
            revision: r.u64()?,
        };
        let kind = ItemKind::from_tag(r.u8()?)?;
        let author = AccountId(r.uuid()?);
        let count = r.u32()?;
        let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
        for _ in 0..count {
            let name = r.str()?.to_owned();
            if fields.last().is_some_and(|(prev, _)| *prev >= name) {
                return Err(DecodeError::Invalid("field order"));
            }
            fields.push((name, r.bytes()?.to_vec()));
        }
        let signature = Signature(r.array()?);
        r.finish()?;
        Ok(Self {
            place,
            kind,
            author,
            fields,
            signature,
        })
    }
}

/// Checks many items at once: verdict `i` is exactly what `items[i].verify(roster)` says.
///
/// The signatures go to [`sign::verify_batch`] (batched, over every core on native targets)
/// under each author's first key the roster allows; an item that fails there and whose author
/// has other allowed keys (one per relink) is tried under those one by one.
pub fn verify_many(items: &[SealedItem], roster: &RosterState) -> Vec<Result<(), ItemError>> {
    let messages: Vec<Vec<u8>> = par::map(items, SealedItem::signed_message);
    let mut verdicts: Vec<Result<(), ItemError>> =
        items.iter().map(|i| i.check_place(roster)).collect();
    let mut batched: Vec<usize> = Vec::new();
    let mut checks: Vec<SignedMessage<'_>> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if verdicts[i].is_err() {
            continue;
        }
        match roster
            .item_author_keys(item.author, item.place.key_version)
            .next()
        {
            Some(key) => {
                batched.push(i);
                checks.push(SignedMessage {
                    key,
                    message: &messages[i],
                    signature: &item.signature,
                });
            }
            None => verdicts[i] = Err(ItemError::BadSignature),
        }
    }
    for (&i, verdict) in batched.iter().zip(sign::verify_batch(&checks)) {
        if verdict.is_ok() {
            continue;
        }
        let item = &items[i];
        let other_key_signed = roster
            .item_author_keys(item.author, item.place.key_version)
            .skip(1)
            .any(|key| key.verify(&messages[i], &item.signature).is_ok());
        if !other_key_signed {
            verdicts[i] = Err(ItemError::BadSignature);
        }
    }
    verdicts
}

/// Verifies and decrypts many items, with the workspace key of each item's version from
/// `keys`: result `i` is what `items[i].open(keys[version], roster)` says (or
/// [`ItemError::KeyNotHeld`]). Checks run batched and, like decryption, on every core on
/// native targets.
pub fn open_many(
    items: &[SealedItem],
    keys: &BTreeMap<u32, SymmetricKey>,
    roster: &RosterState,
) -> Vec<Result<ItemPlain, ItemError>> {
    let item_keys: BTreeMap<u32, SymmetricKey> = keys
        .iter()
        .map(|(&v, k)| (v, derive_item_key(k, roster.workspace)))
        .collect();
    let verdicts = verify_many(items, roster);
    let work: Vec<(&SealedItem, Result<(), ItemError>)> = items.iter().zip(verdicts).collect();
    par::map(&work, |(item, verdict)| {
        verdict.clone()?;
        let key = item_keys
            .get(&item.place.key_version)
            .ok_or(ItemError::KeyNotHeld(item.place.key_version))?;
        item.decrypt(key)
    })
}

fn field_context(place: &ItemPlace, kind: ItemKind, field: &str) -> Context {
    Context::new("item-field")
        .field(place.workspace.as_bytes())
        .field(place.id.as_bytes())
        .field(kind.as_str())
        .field_u64(u64::from(place.key_version))
        .field(field)
}
