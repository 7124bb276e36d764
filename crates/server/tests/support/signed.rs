//! Real signed rosters for the server's tests: the server verifies every entry it appends, so
//! the tests build entries as a client does (`keyhaven-roster`, Ed25519 keys of each person).

use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::sign::SigningKey;
use keyhaven_roster::account::AccountPublicKeys;
use keyhaven_roster::ids::{AccountId, RecoveryKeyId, WorkspaceId};
use keyhaven_roster::roster::{
    EntryBody, RecoveryKeyRecord, RecoveryKind, Role, RosterState, Signer,
};
use uuid::Uuid;

/// Signed entries are dated at this time (any time after the previous entry will do).
pub const T: u64 = 1_800_000_000;

/// Someone with an account: a fixed id and fresh keys.
pub struct Person {
    pub id: [u8; 16],
    pub email: String,
    signing: SigningKey,
    encryption: RecipientSecretKey,
}

impl Person {
    pub fn new(id: [u8; 16], email: &str) -> Self {
        Self {
            id,
            email: email.into(),
            signing: SigningKey::generate(),
            encryption: RecipientSecretKey::generate(),
        }
    }

    pub fn account(&self) -> AccountId {
        AccountId(Uuid::from_bytes(self.id))
    }

    pub fn public(&self) -> AccountPublicKeys {
        AccountPublicKeys {
            encryption: self.encryption.public_key(),
            signing: self.signing.verifying_key(),
        }
    }

    /// The 64-byte encoding an account row stores.
    pub fn public_keys(&self) -> Vec<u8> {
        let p = self.public();
        [p.encryption.to_bytes(), p.signing.to_bytes()].concat()
    }
}

/// A roster under construction, with the state its entries lead to.
#[derive(Clone)]
pub struct Chain {
    pub state: RosterState,
    pub entries: Vec<Vec<u8>>,
}

impl Chain {
    /// Genesis by `owner`, then a permanent recovery key with id `recovery` and escrow key 1.
    pub fn new(ws: [u8; 16], name: &str, owner: &Person, recovery: RecoveryKeyId) -> Self {
        let workspace = WorkspaceId(Uuid::from_bytes(ws));
        let genesis = keyhaven_roster::roster::UnsignedEntry {
            workspace,
            seq: 0,
            prev: [0; 32],
            timestamp: T,
            signer: Signer::Member(owner.account()),
            body: EntryBody::Genesis {
                name: name.into(),
                owner: owner.account(),
                email: owner.email.clone(),
                keys: owner.public(),
            },
        }
        .sign(&owner.signing);
        let mut chain = Self {
            state: RosterState::from_genesis(workspace, &genesis).unwrap(),
            entries: vec![genesis.to_bytes()],
        };
        chain.push(owner, recovery_key(recovery, RecoveryKind::Permanent));
        chain.push(
            owner,
            EntryBody::SetEscrowKey {
                version: 1,
                public: RecipientSecretKey::generate().public_key(),
            },
        );
        chain
    }

    /// The next entry, signed by `signer` (as a member), without applying it.
    pub fn next(&self, signer: &Person, body: EntryBody) -> Vec<u8> {
        self.next_by(signer.account(), &signer.signing, body)
    }

    /// The next entry with any signer id and key (for forgeries).
    pub fn next_by(&self, signer: AccountId, key: &SigningKey, body: EntryBody) -> Vec<u8> {
        self.state
            .next_entry(T, Signer::Member(signer), body)
            .sign(key)
            .to_bytes()
    }

    /// Signs, applies and keeps the next entry; returns its bytes.
    pub fn push(&mut self, signer: &Person, body: EntryBody) -> Vec<u8> {
        let bytes = self.next(signer, body);
        self.accept(&bytes);
        bytes
    }

    /// Applies an entry made with [`Chain::next`] that the server accepted.
    pub fn accept(&mut self, bytes: &[u8]) {
        let entry = keyhaven_roster::roster::SignedEntry::from_bytes(bytes).unwrap();
        self.state.apply(&entry).unwrap();
        self.entries.push(bytes.to_vec());
    }
}

/// A "set recovery key" body with fresh derived keys.
pub fn recovery_key(id: RecoveryKeyId, kind: RecoveryKind) -> EntryBody {
    EntryBody::SetRecoveryKey(RecoveryKeyRecord {
        id,
        kind,
        recipient: RecipientSecretKey::generate().public_key(),
        authority: SigningKey::generate().verifying_key(),
    })
}

pub fn add(person: &Person, role: Role) -> EntryBody {
    EntryBody::AddMember {
        account: person.account(),
        email: person.email.clone(),
        keys: person.public(),
        role,
    }
}
