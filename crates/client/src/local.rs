//! What this device remembers between sessions, so that a server cannot roll back or swap what
//! the user has seen: the pinned roster head of each workspace, the verified name of each, the
//! workspaces the user consented to before opening them, and the highest revision seen of each
//! item. The bytes live behind [`Store`]: files under `KEYHAVEN_HOME` for the CLI, IndexedDB
//! for the web vault (`crates/web`), memory in tests.
//!
//! The rules here are the client's, for every front end: a roster is verified against its pin
//! ([`crate::workspaces::open`]), a workspace never opened on this device is refused unless the
//! user consented ([`Local::admit`]), and an item served at a lower revision than seen is a
//! rollback ([`Local::check_revisions`]).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use keyhaven_core::ids::{ItemId, WorkspaceId};
use keyhaven_core::roster::{Role, RosterHead, RosterState};

use crate::flows::FlowError;

/// Why the device's memory could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("this device's saved state: {0}")]
pub struct StoreError(pub String);

/// Named byte strings that survive the session (a folder, an IndexedDB object store).
pub trait Store {
    /// The bytes saved under `name`, if any.
    fn load(&self, name: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>>;
    /// Replaces the bytes under `name` (atomically: a reader sees the old or the new bytes).
    fn save(&self, name: &str, bytes: &[u8]) -> impl Future<Output = Result<(), StoreError>>;
}

/// A [`Store`] in memory (tests; a device that must remember nothing).
#[derive(Debug, Default)]
pub struct MemoryStore(std::sync::Mutex<BTreeMap<String, Vec<u8>>>);

impl Store for MemoryStore {
    async fn load(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.lock().map_err(poisoned)?.get(name).cloned())
    }

    async fn save(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.0
            .lock()
            .map_err(poisoned)?
            .insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError("a thread panicked while saving".into())
}

/// The names the state is saved under (the same files the CLI keeps in `KEYHAVEN_HOME`).
pub mod names {
    /// Pinned roster heads: `{"<workspace>": [seq, "<hex hash>"]}`.
    pub const PINS: &str = "pins.json";
    /// Verified workspace names: `{"<workspace>": "Acme"}`.
    pub const NAMES: &str = "workspace-names.json";
    /// Workspaces consented to before their first opening: `["<workspace>"]`.
    pub const CONSENTS: &str = "consented-workspaces.json";
    /// Highest revision seen per item: `{"<workspace>": {"<item>": 3}}`.
    pub const ITEM_PINS: &str = "item-pins.json";
    /// Pinned audit heads per chain: `{"<chain>": [seq, "<hex hash>"]}`.
    pub const AUDIT_PINS: &str = "audit-pins.json";
}

/// A workspace this device has never opened, refused until the user consents.
#[derive(Debug, Clone)]
pub struct FirstContact {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Its name, as its verified roster states it.
    pub name: String,
    /// Its owners: e-mail, account id and key fingerprint, to compare out of band.
    pub owners: Vec<(String, String, String)>,
    /// Another workspace this device knows under the same name (a server redirecting the user
    /// to a workspace it controls looks like this).
    pub namesake: Option<String>,
}

/// Why a workspace was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// Never opened here and not consented to: nothing was shown or written.
    #[error("this device has never opened workspace {:?} ({}), and you did not accept an invitation to it here", .0.name, .0.workspace)]
    FirstContact(FirstContact),
    /// The memory failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an audit chain was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuditCheckError {
    /// The chain does not check out (against itself or the pinned head).
    #[error(transparent)]
    Chain(#[from] crate::audit::AuditError),
    /// The memory failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The device's memory over a [`Store`].
#[derive(Debug)]
pub struct Local<S> {
    store: S,
}

impl<S: Store> Local<S> {
    /// The memory kept in `store`.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    async fn read<T: serde::de::DeserializeOwned + Default>(
        &self,
        name: &str,
    ) -> Result<T, StoreError> {
        match self.store.load(name).await? {
            None => Ok(T::default()),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError(format!("{name} is damaged ({e})"))),
        }
    }

    async fn write<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError(e.to_string()))?;
        self.store.save(name, &bytes).await
    }

    /// The roster head this device pinned for `ws`.
    pub async fn pinned(&self, ws: WorkspaceId) -> Result<Option<RosterHead>, StoreError> {
        let pins: BTreeMap<String, (u64, String)> = self.read(names::PINS).await?;
        let Some((seq, hash)) = pins.get(&ws.to_string()) else {
            return Ok(None);
        };
        let hash: [u8; 32] = hex::decode(hash)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| StoreError(format!("{} is damaged", names::PINS)))?;
        Ok(Some(RosterHead { seq: *seq, hash }))
    }

    /// Pins `head` for `ws` and remembers the verified `name`.
    pub async fn pin(
        &self,
        ws: WorkspaceId,
        head: &RosterHead,
        name: &str,
    ) -> Result<(), StoreError> {
        let mut pins: BTreeMap<String, (u64, String)> = self.read(names::PINS).await?;
        pins.insert(ws.to_string(), (head.seq, hex::encode(head.hash)));
        self.write(names::PINS, &pins).await?;
        let mut known: BTreeMap<String, String> = self.read(names::NAMES).await?;
        if known.get(&ws.to_string()).map(String::as_str) != Some(name) {
            known.insert(ws.to_string(), name.to_owned());
            self.write(names::NAMES, &known).await?;
        }
        Ok(())
    }

    /// The verified name of every workspace this device opened, by workspace id.
    pub async fn names(&self) -> Result<BTreeMap<String, String>, StoreError> {
        self.read(names::NAMES).await
    }

    /// Records the user's consent to `ws` (an accepted invitation, or fingerprints compared).
    pub async fn consent(&self, ws: WorkspaceId) -> Result<(), StoreError> {
        let mut consents: BTreeSet<String> = self.read(names::CONSENTS).await?;
        if consents.insert(ws.to_string()) {
            self.write(names::CONSENTS, &consents).await?;
        }
        Ok(())
    }

    /// Whether a roster that verified (against `pinned`) may be used on this device: yes when
    /// the device pinned it before; on first contact only if the user consented and no other
    /// known workspace has its name (unless `by_id`: the user named it by its id). Pins the
    /// head when admitted.
    pub async fn admit(
        &self,
        roster: &RosterState,
        pinned: Option<&RosterHead>,
        by_id: bool,
    ) -> Result<(), AdmitError> {
        let ws = roster.workspace;
        if pinned.is_none() {
            let known: BTreeMap<String, String> = self.read(names::NAMES).await?;
            let namesake = known
                .iter()
                .find(|(id, name)| {
                    **id != ws.to_string() && name.eq_ignore_ascii_case(&roster.name)
                })
                .map(|(id, _)| id.clone());
            let consents: BTreeSet<String> = self.read(names::CONSENTS).await?;
            if !consents.contains(&ws.to_string()) || (namesake.is_some() && !by_id) {
                return Err(AdmitError::FirstContact(FirstContact {
                    workspace: ws,
                    name: roster.name.clone(),
                    owners: roster
                        .members
                        .iter()
                        .filter(|(_, m)| m.role == Role::Owner)
                        .map(|(id, m)| {
                            (
                                m.email.clone(),
                                id.to_string(),
                                m.keys.fingerprint().to_string(),
                            )
                        })
                        .collect(),
                    namesake,
                }));
            }
        }
        self.pin(ws, &roster.head, &roster.name).await?;
        Ok(())
    }

    /// Verifies an audit chain against the head this device pinned for it, then moves the pin.
    /// Returns whether this was the chain's first check on this device.
    pub async fn check_audit(
        &self,
        chain: &str,
        events: &[keyhaven_proto::AuditEvent],
    ) -> Result<bool, AuditCheckError> {
        let mut pins: BTreeMap<String, (u64, String)> = self.read(names::AUDIT_PINS).await?;
        let pinned = match pins.get(chain) {
            Some((seq, hash)) => Some(crate::audit::AuditHead {
                seq: *seq,
                hash: hex::decode(hash)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| StoreError(format!("{} is damaged", names::AUDIT_PINS)))?,
            }),
            None => None,
        };
        let head = crate::audit::verify(chain, events, pinned.as_ref())?;
        if let Some(head) = &head {
            pins.insert(chain.to_owned(), (head.seq, hex::encode(head.hash)));
            self.write(names::AUDIT_PINS, &pins).await?;
        }
        Ok(pinned.is_none() && head.is_some())
    }

    /// Refuses items served at a lower revision than this device saw (a rollback: each revision
    /// is signed, so only an older one can be served), then moves the revisions seen forward.
    /// `items` are (id, revision, name).
    pub async fn check_revisions<'a>(
        &self,
        ws: WorkspaceId,
        workspace_name: &str,
        items: impl IntoIterator<Item = (ItemId, u64, &'a str)>,
    ) -> Result<(), FlowError> {
        let store = |e: StoreError| FlowError::Refused(e.to_string());
        let mut pins: BTreeMap<String, BTreeMap<String, u64>> =
            self.read(names::ITEM_PINS).await.map_err(store)?;
        let seen = pins.entry(ws.to_string()).or_default();
        let mut changed = false;
        for (id, revision, name) in items {
            let entry = seen.entry(id.to_string()).or_insert(0);
            if revision < *entry {
                return Err(FlowError::Integrity(format!(
                    "the server rolled back the secret {name:?} of {workspace_name} to revision \
                     {revision} (this device has seen revision {entry}); refusing it. This is \
                     the server's doing: tell its operator"
                )));
            }
            if revision > *entry {
                *entry = revision;
                changed = true;
            }
        }
        if changed {
            self.write(names::ITEM_PINS, &pins).await.map_err(store)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhaven_core::account::AccountKeys;
    use keyhaven_core::ids::AccountId;
    use keyhaven_core::roster::{EntryBody, Signer, UnsignedEntry};

    fn roster(name: &str) -> RosterState {
        let ws = WorkspaceId::generate();
        let owner = AccountId::generate();
        let keys = AccountKeys::generate();
        let genesis = UnsignedEntry {
            workspace: ws,
            seq: 0,
            prev: [0; 32],
            timestamp: 1_700_000_000,
            signer: Signer::Member(owner),
            body: EntryBody::Genesis {
                name: name.to_owned(),
                owner,
                email: "owner@example.com".into(),
                keys: keys.public(),
            },
        }
        .sign(&keys.signing);
        RosterState::from_genesis(ws, &genesis).expect("a valid genesis")
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn first_contact_is_refused_until_consent_then_pinned() {
        run(async {
            let local = Local::new(MemoryStore::default());
            let acme = roster("Acme");
            let Err(AdmitError::FirstContact(contact)) = local.admit(&acme, None, false).await
            else {
                panic!("a workspace never opened nor consented to must be refused");
            };
            assert_eq!(contact.owners.len(), 1);
            assert_eq!(contact.owners[0].0, "owner@example.com");
            assert!(
                local.pinned(acme.workspace).await.unwrap().is_none(),
                "nothing written"
            );

            local.consent(acme.workspace).await.unwrap();
            local.admit(&acme, None, false).await.unwrap();
            assert_eq!(local.pinned(acme.workspace).await.unwrap(), Some(acme.head));
        });
    }

    #[test]
    fn a_namesake_of_a_known_workspace_is_refused_even_with_consent() {
        run(async {
            let local = Local::new(MemoryStore::default());
            let real = roster("Acme");
            local.pin(real.workspace, &real.head, "Acme").await.unwrap();
            let fake = roster("ACME");
            local.consent(fake.workspace).await.unwrap();
            let Err(AdmitError::FirstContact(contact)) = local.admit(&fake, None, false).await
            else {
                panic!("a second workspace under a known name must be refused");
            };
            assert_eq!(contact.namesake, Some(real.workspace.to_string()));
            // Named by its id, it is the user's explicit choice.
            local.admit(&fake, None, true).await.unwrap();
        });
    }

    #[test]
    fn a_lower_revision_than_seen_is_a_rollback() {
        run(async {
            let local = Local::new(MemoryStore::default());
            let ws = WorkspaceId::generate();
            let (a, b) = (ItemId::generate(), ItemId::generate());
            local
                .check_revisions(ws, "Acme", [(a, 3, "payroll"), (b, 1, "wifi")])
                .await
                .unwrap();
            local
                .check_revisions(ws, "Acme", [(a, 4, "payroll")])
                .await
                .unwrap();
            let error = local
                .check_revisions(ws, "Acme", [(b, 2, "wifi"), (a, 3, "payroll")])
                .await
                .unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("rolled back the secret \"payroll\""),
                "{error}"
            );
            // The refused answer moved nothing: b's revision 2 was not recorded.
            local
                .check_revisions(ws, "Acme", [(b, 1, "wifi")])
                .await
                .unwrap();
        });
    }

    #[test]
    fn a_damaged_store_is_an_error_not_an_empty_memory() {
        run(async {
            let store = MemoryStore::default();
            store.save(names::PINS, b"{not json").await.unwrap();
            let local = Local::new(store);
            let error = local.pinned(WorkspaceId::generate()).await.unwrap_err();
            assert!(
                error.to_string().contains("pins.json is damaged"),
                "{error}"
            );
        });
    }
}
