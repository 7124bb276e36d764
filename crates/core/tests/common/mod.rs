//! A realistic, deterministic workspace for property tests: a verified roster chain that uses
//! every kind of entry and signer, key shares of every kind, and sealed items by several
//! authors. Built the way `examples/gen_vectors.rs` builds its fixture (keys and ids from fixed
//! byte patterns); only HPKE ephemeral keys and envelope nonces are random.
//!
//! Everything is built once per test binary (see [`FIXTURE`]), so a property that runs 10,000
//! cases pays for the signatures here only once.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use keyhaven_core::account::{AccountKeys, AccountPublicKeys};
use keyhaven_core::ids::{AccountId, ItemId, RecoveryKeyId, WorkspaceId};
use keyhaven_core::item::{ItemKind, ItemPlace, ItemPlain, SealedItem};
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::{
    self, EntryBody, RecoveryKeyRecord, RecoveryKind, Role, RosterState, SignedEntry, Signer,
    UnsignedEntry,
};
use keyhaven_core::share::{KeyShare, ShareHeader, ShareRecipient, SharedKey};
use keyhaven_crypto::SymmetricKey;
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_crypto::sign::SigningKey;

/// 2026-11-22T00:00:00Z.
pub const T0: u64 = 1_795_305_600;
/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// 16 deterministic bytes for `n`.
pub fn bytes16(n: u8) -> [u8; 16] {
    core::array::from_fn(|i| n.wrapping_mul(17).wrapping_add(i as u8))
}

/// 32 deterministic bytes for `n`.
pub fn bytes32(n: u8) -> [u8; 32] {
    core::array::from_fn(|i| n.wrapping_mul(31).wrapping_add(i as u8))
}

/// A deterministic (v4-shaped) UUID for `n`.
pub fn uuid(n: u8) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(bytes16(n)).into_uuid()
}

/// A workspace member with deterministic keys.
#[derive(Debug)]
pub struct Person {
    /// Account id.
    pub id: AccountId,
    /// Email recorded in the roster.
    pub email: String,
    /// Private keys.
    pub keys: AccountKeys,
}

impl Person {
    fn new(n: u8, name: &str) -> Self {
        Self {
            id: AccountId(uuid(100 + n)),
            email: format!("{name}@example.com"),
            keys: keys(n),
        }
    }

    /// Public keys.
    pub fn public(&self) -> AccountPublicKeys {
        self.keys.public()
    }
}

fn keys(n: u8) -> AccountKeys {
    AccountKeys {
        encryption: RecipientSecretKey::from_bytes(bytes32(100 + n)),
        signing: SigningKey::from_seed(&bytes32(200 + n)),
    }
}

/// A key share together with what opens it and what it must yield.
#[derive(Debug)]
pub struct ShareCase {
    /// The share.
    pub share: KeyShare,
    /// Its encoding.
    pub encoded: Vec<u8>,
    /// The recipient secret that opens it.
    pub recipient: RecipientSecretKey,
    /// The key it carries.
    pub secret: [u8; 32],
}

/// A sealed item together with the workspace key that opens it and its plaintext.
#[derive(Debug)]
pub struct ItemCase {
    /// The item.
    pub item: SealedItem,
    /// Its encoding.
    pub encoded: Vec<u8>,
    /// The workspace key of `item.place.key_version`.
    pub workspace_key: SymmetricKey,
    /// What it decrypts to.
    pub plain: ItemPlain,
}

/// The shared workspace.
#[derive(Debug)]
pub struct Fixture {
    /// The workspace id.
    pub workspace: WorkspaceId,
    /// The first owner (relinked to `owner_new` by entry 8, signed by the recovery key).
    pub owner: Person,
    /// The owner's keys after the relink.
    pub owner_new: AccountKeys,
    /// An admin added by the owner.
    pub admin: Person,
    /// A member added by the admin.
    pub member: Person,
    /// A helpdesk member, removed by the last entry.
    pub helpdesk: Person,
    /// The temporary recovery key's id.
    pub recovery_id: RecoveryKeyId,
    /// The temporary recovery key.
    pub recovery: RecoveryKey,
    /// The escrow key pair (version 1).
    pub escrow: RecipientSecretKey,
    /// Workspace keys, version 1 and 2.
    pub workspace_keys: [SymmetricKey; 2],
    /// The valid chain.
    pub chain: Vec<SignedEntry>,
    /// `encoded[i] = chain[i].to_bytes()`.
    pub encoded: Vec<Vec<u8>>,
    /// `states[i]` is the verified state after `chain[..=i]`.
    pub states: Vec<RosterState>,
    /// Shares checked against the final state.
    pub shares: Vec<ShareCase>,
    /// Items checked against the final state.
    pub items: Vec<ItemCase>,
}

/// Built on first use, once per test binary.
pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

impl Fixture {
    fn new() -> Self {
        let workspace = WorkspaceId(uuid(50));
        let owner = Person::new(1, "owner");
        let owner_new = keys(11);
        let admin = Person::new(2, "admin");
        let member = Person::new(3, "member");
        let helpdesk = Person::new(4, "helpdesk");
        let recovery_id = RecoveryKeyId(uuid(60));
        let recovery = RecoveryKey::from_bytes(bytes16(60));
        let escrow = RecipientSecretKey::from_bytes(bytes32(70));
        let workspace_keys = [
            SymmetricKey::from_bytes(bytes32(81)),
            SymmetricKey::from_bytes(bytes32(80)),
        ];
        let authority = recovery.derive(workspace).authority;
        let (recipient, authority_public) = recovery.derive(workspace).public();

        let genesis = UnsignedEntry {
            workspace,
            seq: 0,
            prev: [0; 32],
            timestamp: T0,
            signer: Signer::Member(owner.id),
            body: EntryBody::Genesis {
                name: "Acme".into(),
                owner: owner.id,
                email: owner.email.clone(),
                keys: owner.public(),
            },
        }
        .sign(&owner.keys.signing);
        let mut state = RosterState::from_genesis(workspace, &genesis).expect("genesis");
        let mut chain = vec![genesis];
        let mut states = vec![state.clone()];

        // Every body kind and every kind of signer (owner, admin, recovery authority, and the
        // owner again with relinked keys).
        let steps: Vec<(u64, Signer, &SigningKey, EntryBody)> = vec![
            (
                T0,
                Signer::Member(owner.id),
                &owner.keys.signing,
                EntryBody::SetRecoveryKey(RecoveryKeyRecord {
                    id: recovery_id,
                    kind: RecoveryKind::Temporary {
                        expires_at: T0 + 30 * DAY,
                    },
                    recipient,
                    authority: authority_public,
                }),
            ),
            (
                T0,
                Signer::Member(owner.id),
                &owner.keys.signing,
                EntryBody::SetEscrowKey {
                    version: 1,
                    public: escrow.public_key(),
                },
            ),
            (
                T0 + 60,
                Signer::Member(owner.id),
                &owner.keys.signing,
                EntryBody::AddMember {
                    account: admin.id,
                    email: admin.email.clone(),
                    keys: admin.public(),
                    role: Role::Admin,
                },
            ),
            (
                T0 + 120,
                Signer::Member(admin.id),
                &admin.keys.signing,
                EntryBody::AddMember {
                    account: member.id,
                    email: member.email.clone(),
                    keys: member.public(),
                    role: Role::Member,
                },
            ),
            (
                T0 + 180,
                Signer::Member(owner.id),
                &owner.keys.signing,
                EntryBody::AddMember {
                    account: helpdesk.id,
                    email: helpdesk.email.clone(),
                    keys: helpdesk.public(),
                    role: Role::Helpdesk,
                },
            ),
            (
                T0 + 240,
                Signer::Member(admin.id),
                &admin.keys.signing,
                EntryBody::ChangeRole {
                    account: member.id,
                    role: Role::ReadOnly,
                },
            ),
            (
                T0 + 300,
                Signer::Member(admin.id),
                &admin.keys.signing,
                EntryBody::RotateWorkspaceKey { version: 2 },
            ),
            (
                T0 + DAY,
                Signer::RecoveryAuthority(recovery_id),
                &authority,
                EntryBody::RelinkMember {
                    account: owner.id,
                    keys: owner_new.public(),
                },
            ),
            (
                T0 + 2 * DAY,
                Signer::Member(owner.id),
                &owner_new.signing,
                EntryBody::RemoveMember {
                    account: helpdesk.id,
                },
            ),
        ];
        for (timestamp, signer, key, body) in steps {
            let entry = state.next_entry(timestamp, signer, body).sign(key);
            state.apply(&entry).expect("the fixture chain is valid");
            chain.push(entry);
            states.push(state.clone());
        }
        assert_eq!(
            roster::verify(workspace, &chain, None).as_ref(),
            Ok(&state),
            "the chain verifies as a whole"
        );
        let encoded = chain.iter().map(SignedEntry::to_bytes).collect();

        let mut fixture = Self {
            workspace,
            owner,
            owner_new,
            admin,
            member,
            helpdesk,
            recovery_id,
            recovery,
            escrow,
            workspace_keys,
            chain,
            encoded,
            states,
            shares: Vec::new(),
            items: Vec::new(),
        };
        fixture.shares = fixture.make_shares();
        fixture.items = fixture.make_items();
        fixture
    }

    /// The verified state after the whole chain.
    pub fn final_state(&self) -> &RosterState {
        self.states.last().expect("the chain is not empty")
    }

    fn make_shares(&self) -> Vec<ShareCase> {
        let wk2 = *self.workspace_keys[1].expose();
        let timestamp = T0 + 3 * DAY;
        let recovery_recipient = self.recovery.derive(self.workspace).recipient;
        let admin = (Signer::Member(self.admin.id), &self.admin.keys.signing);
        let owner = (Signer::Member(self.owner.id), &self.owner_new.signing);
        let cases = vec![
            // The workspace key to a (read-only) member, from an admin.
            (
                ShareRecipient::Member(self.member.id),
                SharedKey::Workspace(2),
                admin,
                self.member.keys.encryption.clone(),
                wk2,
            ),
            // The escrow key to an admin, from the (relinked) owner.
            (
                ShareRecipient::Member(self.admin.id),
                SharedKey::Escrow(1),
                owner,
                self.admin.keys.encryption.clone(),
                *self.escrow.expose(),
            ),
            // The workspace key to the recovery key.
            (
                ShareRecipient::Recovery(self.recovery_id),
                SharedKey::Workspace(2),
                admin,
                recovery_recipient,
                wk2,
            ),
            // After the relink, the owner re-shares the workspace key to their own new key.
            (
                ShareRecipient::Member(self.owner.id),
                SharedKey::Workspace(2),
                owner,
                self.owner_new.encryption.clone(),
                wk2,
            ),
        ];
        cases
            .into_iter()
            .map(
                |(recipient, key, (signer, signing_key), secret_key, secret)| {
                    let header = ShareHeader {
                        workspace: self.workspace,
                        recipient,
                        key,
                        signer,
                        timestamp,
                    };
                    let share =
                        KeyShare::seal(header, &secret_key.public_key(), &secret, signing_key)
                            .expect("seal");
                    ShareCase {
                        encoded: share.to_bytes(),
                        share,
                        recipient: secret_key,
                        secret,
                    }
                },
            )
            .collect()
    }

    fn make_items(&self) -> Vec<ItemCase> {
        let fields = |pairs: &[(&str, &[u8])]| -> BTreeMap<String, SecretBytes> {
            pairs
                .iter()
                .map(|(name, value)| (name.to_string(), SecretBytes::new(value.to_vec())))
                .collect()
        };
        let place = |id: u8, key_version: u32, revision: u64| ItemPlace {
            workspace: self.workspace,
            id: ItemId(uuid(id)),
            key_version,
            revision,
        };
        // Each author has exactly one writer key for the item's key version, so a tampered item
        // costs one signature verification.
        let cases: Vec<(ItemPlace, ItemPlain, AccountId, &SigningKey)> = vec![
            (
                place(90, 2, 3),
                ItemPlain {
                    kind: ItemKind::Login,
                    fields: fields(&[
                        ("password", b"correct horse battery staple"),
                        ("title", b"Payroll admin"),
                        ("username", b"ops@acme.test"),
                    ]),
                },
                self.admin.id,
                &self.admin.keys.signing,
            ),
            // Written while the member could still write (key version 1).
            (
                place(91, 1, 1),
                ItemPlain {
                    kind: ItemKind::Note,
                    fields: fields(&[("text", b"door code 4711")]),
                },
                self.member.id,
                &self.member.keys.signing,
            ),
            // Written with the owner's keys from before the relink.
            (
                place(92, 1, 7),
                ItemPlain {
                    kind: ItemKind::ApiKey,
                    fields: fields(&[("key", b"sk_live_0123456789"), ("note", b"")]),
                },
                self.owner.id,
                &self.owner.keys.signing,
            ),
            // No fields at all: only the signature protects it.
            (
                place(93, 2, 1),
                ItemPlain {
                    kind: ItemKind::Note,
                    fields: BTreeMap::new(),
                },
                self.admin.id,
                &self.admin.keys.signing,
            ),
        ];
        cases
            .into_iter()
            .map(|(place, plain, author, signing_key)| {
                let workspace_key = self.workspace_keys[place.key_version as usize - 1].clone();
                let item = SealedItem::seal(&workspace_key, place, &plain, author, signing_key);
                assert_eq!(
                    self.final_state()
                        .item_author_keys(author, place.key_version)
                        .count(),
                    1
                );
                ItemCase {
                    encoded: item.to_bytes(),
                    item,
                    workspace_key,
                    plain,
                }
            })
            .collect()
    }
}
