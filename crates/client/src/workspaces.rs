//! Workspace flows: create (genesis, recovery key, escrow key, shares), open (verify the roster
//! against the pinned head, open the workspace-key shares), secrets, and the emergency reset
//! with the recovery key.

use std::collections::BTreeMap;

use keyhaven_core::account::AccountKeys;
use keyhaven_core::ids::{AccountId, ItemId, RecoveryKeyId, WorkspaceId};
use keyhaven_core::item::{self, ItemKind, ItemPlace, ItemPlain, SealedItem};
use keyhaven_core::kit::{self, KitDetails};
use keyhaven_core::recovery_key::{NewRecoveryKey, RecoveryKey, ValidationStatement};
use keyhaven_core::roster::{
    self, EntryBody, RecoveryKeyRecord, RecoveryKind, RosterHead, RosterState, Signer,
    UnsignedEntry,
};
use keyhaven_core::share::{KeyShare, ShareHeader, ShareRecipient, SharedKey};
use keyhaven_crypto::SymmetricKey;
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_proto::{
    Bytes, CreateWorkspace, ItemView, PutItem, RecoveryProof, RecoveryRelink, RecoveryUpload,
    ServerInfo, ShareUpload, Welcome, WorkspaceSummary, WorkspaceView,
};
use zeroize::Zeroizing;

use crate::Client;
use crate::clock::now_unix;
use crate::flows::FlowError;

/// The signed-in account with its private keys.
#[derive(Debug)]
pub struct Me {
    /// Account id.
    pub id: AccountId,
    /// Email.
    pub email: String,
    /// Private keys.
    pub keys: AccountKeys,
}

/// A workspace just created.
#[derive(Debug)]
pub struct Created {
    /// Its id.
    pub id: WorkspaceId,
    /// The recovery key's id.
    pub recovery_id: RecoveryKeyId,
    /// The recovery key (temporary and emailed, or permanent and only here).
    pub recovery_key: RecoveryKey,
    /// Temporary: expiry (Unix seconds).
    pub expires_at: Option<u64>,
    /// The text kit.
    pub kit: Zeroizing<String>,
    /// The roster head to pin.
    pub head: RosterHead,
}

/// A workspace whose roster verified and whose keys opened.
#[derive(Debug)]
pub struct Opened {
    /// The server's summary (role mirror, relink flag).
    pub summary: WorkspaceSummary,
    /// The verified roster.
    pub roster: RosterState,
    /// Workspace keys by version (the ones this account could open).
    pub keys: BTreeMap<u32, SymmetricKey>,
    /// Escrow private keys by version (the ones this account could open: owners, admins and
    /// helpdesk members hold them).
    pub escrow_keys: BTreeMap<u32, SymmetricKey>,
    /// The server's view of the recovery key.
    pub recovery: Option<keyhaven_proto::RecoveryStatus>,
    /// Whether the roster lists this account with its current keys (false after a password
    /// reset, until the relink).
    pub linked: bool,
    /// Why each share the server sent for this account was refused (a share that does not
    /// verify, or does not open: the server's doing, never the user's).
    pub refused_shares: Vec<String>,
}

/// A decrypted secret.
#[derive(Debug)]
pub struct Secret {
    /// Item id.
    pub id: ItemId,
    /// Revision.
    pub revision: u64,
    /// Contents (field `title` is the name).
    pub plain: ItemPlain,
}

impl Secret {
    /// The secret's name (its `title` field) as stored, or `""` when it is not UTF-8.
    pub fn name_str(&self) -> &str {
        self.plain
            .fields
            .get("title")
            .and_then(|t| std::str::from_utf8(t.expose()).ok())
            .unwrap_or("")
    }

    /// The secret's name (its `title` field).
    pub fn name(&self) -> String {
        self.plain
            .fields
            .get("title")
            .map(|t| String::from_utf8_lossy(t.expose()).into_owned())
            .unwrap_or_default()
    }
}

pub(crate) fn share_upload(share: &KeyShare, recipient: String) -> ShareUpload {
    let (key_kind, key_version) = match share.key {
        SharedKey::Workspace(v) => ("workspace", v),
        SharedKey::Escrow(v) => ("escrow", v),
    };
    ShareUpload {
        recipient,
        key_kind: key_kind.into(),
        key_version,
        share: Bytes(share.to_bytes()),
    }
}

pub(crate) fn integrity(what: impl Into<String>) -> FlowError {
    FlowError::Integrity(what.into())
}

/// Creates a workspace: genesis signed by `me`, a recovery key (temporary and emailed, or
/// permanent when `email` is false), an escrow key pair, workspace key 1, and the shares.
pub async fn create(
    client: &Client,
    me: &Me,
    name: &str,
    email: bool,
) -> Result<Created, FlowError> {
    let name = roster::check_workspace_name(name).map_err(|r| FlowError::Refused(r.into()))?;
    let info: ServerInfo = client.get("/v1/server-info").await?;
    let now = now_unix();
    let ws = WorkspaceId::generate();
    let me_signer = Signer::Member(me.id);
    let genesis = UnsignedEntry {
        workspace: ws,
        seq: 0,
        prev: [0; 32],
        timestamp: now,
        signer: me_signer,
        body: EntryBody::Genesis {
            name: name.to_owned(),
            owner: me.id,
            email: me.email.clone(),
            keys: me.keys.public(),
        },
    }
    .sign(&me.keys.signing);
    let mut state =
        RosterState::from_genesis(ws, &genesis).map_err(|e| integrity(e.to_string()))?;
    let mut roster = vec![genesis];

    let new_key = NewRecoveryKey::generate();
    let derived = new_key.key.derive(ws);
    let (recipient, authority) = derived.public();
    let expires_at = email.then(|| now + u64::from(info.temporary_key_days) * 86_400);
    let kind = expires_at.map_or(RecoveryKind::Permanent, |expires_at| {
        RecoveryKind::Temporary { expires_at }
    });
    let record = RecoveryKeyRecord {
        id: new_key.id,
        kind,
        recipient,
        authority,
    };
    let escrow = RecipientSecretKey::generate();
    for body in [
        EntryBody::SetRecoveryKey(record),
        EntryBody::SetEscrowKey {
            version: 1,
            public: escrow.public_key(),
        },
    ] {
        let entry = state
            .next_entry(now, me_signer, body)
            .sign(&me.keys.signing);
        state.apply(&entry).map_err(|e| integrity(e.to_string()))?;
        roster.push(entry);
    }

    let wk = SymmetricKey::generate();
    let header = |recipient, key| ShareHeader {
        workspace: ws,
        recipient,
        key,
        signer: me_signer,
        timestamp: now,
    };
    let mine = format!("account:{}", me.id);
    let seal =
        |recipient, key, to: &keyhaven_crypto::hpke::RecipientPublicKey, secret: &[u8; 32]| {
            KeyShare::seal(header(recipient, key), to, secret, &me.keys.signing)
                .map_err(|e| integrity(e.to_string()))
        };
    let shares = vec![
        share_upload(
            &seal(
                ShareRecipient::Member(me.id),
                SharedKey::Workspace(1),
                &me.keys.public().encryption,
                wk.expose(),
            )?,
            mine.clone(),
        ),
        share_upload(
            &seal(
                ShareRecipient::Member(me.id),
                SharedKey::Escrow(1),
                &me.keys.public().encryption,
                escrow.expose(),
            )?,
            mine,
        ),
        share_upload(
            &seal(
                ShareRecipient::Recovery(new_key.id),
                SharedKey::Workspace(1),
                &recipient,
                wk.expose(),
            )?,
            format!("recovery:{}", new_key.id.to_upper()),
        ),
        // The recovery key restores device keys too (decision 0005).
        share_upload(
            &seal(
                ShareRecipient::Recovery(new_key.id),
                SharedKey::Escrow(1),
                &recipient,
                escrow.expose(),
            )?,
            format!("recovery:{}", new_key.id.to_upper()),
        ),
    ];
    let kit = kit::render_text(
        &KitDetails {
            workspace: name,
            server_url: client.base(),
            key_id: new_key.id,
            kind,
            created_at: now,
        },
        &new_key.key,
    );
    let request = CreateWorkspace {
        id: ws.to_string(),
        name: name.to_owned(),
        roster: roster.iter().map(|e| Bytes(e.to_bytes())).collect(),
        shares,
        recovery: RecoveryUpload {
            key_id: new_key.id.to_upper(),
            kind: if email { "temporary" } else { "permanent" }.into(),
            expires_at: expires_at.map(|e| e as i64),
            proof_hash: Bytes(derived.proof_verifier().to_vec()),
        },
        welcome: email.then(|| Welcome {
            recovery_key: new_key.key.encode().to_string(),
            kit: kit.to_string(),
        }),
    };
    let _: WorkspaceSummary = client.post("/v1/workspaces", &request).await?;
    Ok(Created {
        id: ws,
        recovery_id: new_key.id,
        recovery_key: new_key.key,
        expires_at,
        kit,
        head: state.head,
    })
}

/// The caller's workspaces.
pub async fn list(client: &Client) -> Result<Vec<WorkspaceSummary>, FlowError> {
    Ok(client.get("/v1/workspaces").await?)
}

/// Fetches a workspace and verifies its roster (against `pinned`, when this device saw it
/// before), without opening any key.
pub async fn verified_roster(
    client: &Client,
    ws: WorkspaceId,
    pinned: Option<&RosterHead>,
) -> Result<(WorkspaceView, RosterState), FlowError> {
    let view: WorkspaceView = client.get(&format!("/v1/workspaces/{ws}")).await?;
    let entries: Vec<&[u8]> = view.roster.iter().map(|b| b.0.as_slice()).collect();
    let state =
        roster::verify_encoded(ws, &entries, pinned).map_err(|e| integrity(e.to_string()))?;
    Ok((view, state))
}

/// Fetches and verifies a workspace's roster (against `pinned`, when this device saw it
/// before), then opens every workspace-key and escrow-key share addressed to `me` that the
/// roster allows.
pub async fn open(
    client: &Client,
    me: &Me,
    ws: WorkspaceId,
    pinned: Option<&RosterHead>,
) -> Result<Opened, FlowError> {
    let (view, state) = verified_roster(client, ws, pinned).await?;
    let linked = state
        .members
        .get(&me.id)
        .is_some_and(|m| m.keys == me.keys.public());
    let opened = if linked {
        let shares: Vec<ShareUpload> = client.get(&format!("/v1/workspaces/{ws}/shares")).await?;
        open_shares(&shares, &state, &me.keys.encryption)?
    } else {
        OpenedKeys::default()
    };
    Ok(Opened {
        summary: view.summary,
        roster: state,
        keys: opened.workspace,
        escrow_keys: opened.escrow,
        recovery: view.recovery,
        linked,
        refused_shares: opened.refused,
    })
}

/// Opens every share in `uploads` that `recipient` can open and the roster backs, by key kind
/// and version. A share the roster does not back is skipped, never trusted.
pub(crate) fn open_shares(
    uploads: &[ShareUpload],
    roster: &RosterState,
    recipient: &RecipientSecretKey,
) -> Result<OpenedKeys, FlowError> {
    let mut out = OpenedKeys::default();
    for upload in uploads {
        let share = KeyShare::from_bytes(&upload.share.0).map_err(|e| integrity(e.to_string()))?;
        match share.open(roster, recipient) {
            Ok(key) => {
                match share.key {
                    SharedKey::Workspace(v) => out.workspace.insert(v, key),
                    SharedKey::Escrow(v) => out.escrow.insert(v, key),
                };
            }
            Err(e) => out.refused.push(e.to_string()),
        }
    }
    Ok(out)
}

/// The keys a set of shares opened, by kind and version.
#[derive(Debug, Default)]
pub(crate) struct OpenedKeys {
    pub(crate) workspace: BTreeMap<u32, SymmetricKey>,
    pub(crate) escrow: BTreeMap<u32, SymmetricKey>,
    /// Why each share that did not open was refused.
    pub(crate) refused: Vec<String>,
}

impl Opened {
    /// The current workspace key, or why this account has none.
    pub fn current_key(&self) -> Result<(u32, &SymmetricKey), FlowError> {
        let version = self.roster.workspace_key_version;
        self.keys
            .get(&version)
            .map(|k| (version, k))
            .ok_or_else(|| match self.refused_shares.first() {
                // The account is linked and the server sent shares that do not check out: a
                // server fault, not something the user did.
                Some(reason) if self.linked => FlowError::Integrity(format!(
                    "the server served a key share for this account that was refused ({reason}); \
                     nothing was decrypted with it. This is the server's doing: tell its operator"
                )),
                _ if self.linked => FlowError::Integrity(
                    "the server sent no key share of the current workspace key for this account \
                     although the roster lists it; ask an owner or admin to run \
                     `keyhaven member reshare YOUR-EMAIL`, and tell the server's operator"
                        .into(),
                ),
                _ => FlowError::Integrity(
                    "this account cannot open the workspace key: after a password reset an owner \
                     must enter the emergency reset code (`keyhaven recovery-key use`), and a \
                     member must ask an owner to relink them"
                        .into(),
                ),
            })
    }
}

/// Decrypts every secret of the workspace.
pub async fn secrets(client: &Client, opened: &Opened) -> Result<Secrets, FlowError> {
    let ws = opened.roster.workspace;
    let views: Vec<ItemView> = client
        .get_all(&format!("/v1/workspaces/{ws}/items"))
        .await?;
    // Without the current workspace key nothing opens: that is the account's state (or the
    // server withholding shares), said once rather than once per item.
    if !views.is_empty() {
        opened.current_key()?;
    }
    // Parse and check the labels first; then every signature of the list is checked in
    // batches and every item decrypted, spread over the cores (`item::open_many`).
    let parsed: Vec<Result<SealedItem, String>> = keyhaven_crypto::par::map(&views, parse_item);
    let (mut well_formed, mut positions) = (Vec::new(), Vec::new());
    let mut verdicts: Vec<Option<Result<Secret, String>>> = Vec::with_capacity(views.len());
    for (i, p) in parsed.into_iter().enumerate() {
        match p {
            Ok(item) => {
                positions.push(i);
                well_formed.push(item);
                verdicts.push(None);
            }
            Err(reason) => verdicts.push(Some(Err(reason))),
        }
    }
    let opened_items = item::open_many(&well_formed, &opened.keys, &opened.roster);
    for ((i, item), result) in positions.into_iter().zip(well_formed).zip(opened_items) {
        verdicts[i] = Some(
            result
                .map(|plain| Secret {
                    id: item.place.id,
                    revision: item.place.revision,
                    plain,
                })
                .map_err(|e| e.to_string()),
        );
    }
    let mut out = Secrets::default();
    for (view, verdict) in views.into_iter().zip(verdicts) {
        match verdict.expect("every item has a verdict") {
            Ok(secret) => out.good.push(secret),
            Err(reason) => out.bad.push(BadItem {
                id: view.id,
                reason,
            }),
        }
    }
    Ok(out)
}

/// Decodes one listed item and checks the server labelled it as what it is.
fn parse_item(view: &ItemView) -> Result<SealedItem, String> {
    let item = SealedItem::from_bytes(&view.sealed.0).map_err(|e| e.to_string())?;
    if item.place.id.to_string() != view.id || item.place.revision != view.revision {
        return Err("the server mislabelled a secret (its id or revision differs)".into());
    }
    Ok(item)
}

/// A stored item that does not check out, by id, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadItem {
    /// The item id the server listed.
    pub id: String,
    /// Why it was refused.
    pub reason: String,
}

/// The secrets of a workspace that opened, and the items that did not: one bad item does not
/// hide the others.
#[derive(Debug, Default)]
pub struct Secrets {
    /// Opened and verified.
    pub good: Vec<Secret>,
    /// Refused, each named.
    pub bad: Vec<BadItem>,
}

/// Encrypts, signs and stores a new secret.
pub async fn add_secret(
    client: &Client,
    me: &Me,
    opened: &Opened,
    name: &str,
    kind: ItemKind,
    mut fields: BTreeMap<String, SecretBytes>,
) -> Result<ItemId, FlowError> {
    let (version, key) = opened.current_key()?;
    fields.insert("title".into(), SecretBytes::new(name.as_bytes().to_vec()));
    let id = ItemId::generate();
    let place = ItemPlace {
        workspace: opened.roster.workspace,
        id,
        key_version: version,
        revision: 1,
    };
    let sealed = SealedItem::seal(
        key,
        place,
        &ItemPlain { kind, fields },
        me.id,
        &me.keys.signing,
    );
    client
        .send_put(
            &format!("/v1/workspaces/{}/items/{id}", opened.roster.workspace),
            &PutItem {
                revision: 1,
                sealed: Bytes(sealed.to_bytes()),
            },
        )
        .await?;
    Ok(id)
}

/// Deletes a secret.
pub async fn remove_secret(client: &Client, opened: &Opened, id: ItemId) -> Result<(), FlowError> {
    client
        .send_delete(&format!(
            "/v1/workspaces/{}/items/{id}",
            opened.roster.workspace
        ))
        .await?;
    Ok(())
}

/// The emergency reset: after a password reset, an owner enters the recovery key; the client
/// checks it against the roster (before sending anything), proves it, opens the workspace keys
/// and escrow keys shared to it, appends "relink member" signed by the recovery authority, and
/// re-shares every key to the account's new key.
pub async fn recovery_use(
    client: &Client,
    me: &Me,
    opened: &Opened,
    key: &RecoveryKey,
) -> Result<Recovered, FlowError> {
    let ws = opened.roster.workspace;
    let now = now_unix().max(opened.roster.last_timestamp);
    let record = opened
        .roster
        .recovery
        .ok_or_else(|| integrity("this workspace has no recovery key"))?;
    let derived = key.derive(ws);
    derived
        .check_against(&record, now)
        .map_err(|e| FlowError::Recovery(e.to_string()))?;
    let proof = Bytes(derived.proof.to_vec());
    let uploads: Vec<ShareUpload> = client
        .post(
            &format!("/v1/workspaces/{ws}/recovery/use"),
            &RecoveryProof {
                proof: proof.clone(),
                statement: None,
            },
        )
        .await?;
    let keys = open_shares(&uploads, &opened.roster, &derived.recipient)?;
    if !keys
        .workspace
        .contains_key(&opened.roster.workspace_key_version)
    {
        return Err(integrity(
            "the server did not return the recovery key's share of the current workspace key",
        ));
    }
    let mut state = opened.roster.clone();
    let entry = state
        .next_entry(
            now,
            Signer::RecoveryAuthority(record.id),
            EntryBody::RelinkMember {
                account: me.id,
                keys: me.keys.public(),
            },
        )
        .sign(&derived.authority);
    state.apply(&entry).map_err(|e| integrity(e.to_string()))?;
    // Now a current owner again, this account re-shares the keys to its own new key.
    let mine = format!("account:{}", me.id);
    let mut shares = Vec::new();
    let every = keys
        .workspace
        .iter()
        .map(|(v, k)| (SharedKey::Workspace(*v), k))
        .chain(keys.escrow.iter().map(|(v, k)| (SharedKey::Escrow(*v), k)));
    for (shared, k) in every {
        let header = ShareHeader {
            workspace: ws,
            recipient: ShareRecipient::Member(me.id),
            key: shared,
            signer: Signer::Member(me.id),
            timestamp: now,
        };
        let share = KeyShare::seal(
            header,
            &me.keys.public().encryption,
            k.expose(),
            &me.keys.signing,
        )
        .map_err(|e| integrity(e.to_string()))?;
        share.verify(&state).map_err(|e| integrity(e.to_string()))?;
        shares.push(share_upload(&share, mine.clone()));
    }
    client
        .post_empty(
            &format!("/v1/workspaces/{ws}/recovery/relink"),
            &RecoveryRelink {
                proof,
                seq: entry.entry.seq,
                entry: Bytes(entry.to_bytes()),
                shares,
            },
        )
        .await?;
    let escrow_versions = state.escrow_keys.len() as u32;
    Ok(Recovered {
        head: state.head,
        escrow_missing: (1..=escrow_versions)
            .filter(|v| !keys.escrow.contains_key(v))
            .collect(),
    })
}

/// The outcome of [`recovery_use`].
#[derive(Debug)]
pub struct Recovered {
    /// The new roster head (to pin).
    pub head: RosterHead,
    /// Escrow-key versions the recovery key held no share of (a workspace made before the
    /// recovery key received escrow keys): device keys sealed to them stay closed to this
    /// account until an owner or admin who holds them runs `member reshare`.
    pub escrow_missing: Vec<u32>,
}

/// A permanent recovery key made on this device and not yet committed: the user sees it, saves
/// the kit and confirms it before [`generate_commit`] makes it the workspace's key.
#[derive(Debug)]
pub struct Prepared {
    /// The new key's id.
    pub id: RecoveryKeyId,
    /// The new key.
    pub key: RecoveryKey,
    /// Its text kit.
    pub kit: Zeroizing<String>,
    /// Its printable HTML kit (large digits, QR code).
    pub kit_html: Zeroizing<String>,
    /// Escrow-key versions this account does not hold, which the new key therefore cannot
    /// open (see [`Recovered::escrow_missing`]).
    pub escrow_missing: Vec<u32>,
    request: keyhaven_proto::RecoveryGenerate,
    head: RosterHead,
}

/// Makes a permanent recovery key: the owner-signed roster entry and a share of every
/// workspace-key and escrow-key version for it. Nothing is sent yet.
pub fn generate_prepare(client: &Client, me: &Me, opened: &Opened) -> Result<Prepared, FlowError> {
    let ws = opened.roster.workspace;
    let now = now_unix().max(opened.roster.last_timestamp);
    let versions = 1..=opened.roster.workspace_key_version;
    if let Some(missing) = versions.clone().find(|v| !opened.keys.contains_key(v)) {
        return Err(integrity(format!(
            "this account cannot open workspace key version {missing}, which the new recovery key must receive"
        )));
    }
    // Every escrow-key version this account holds goes to the new key as well (decision 0005);
    // one it lacks is reported, so that the owner can have it reshared and generate again.
    let escrow_missing: Vec<u32> = (1..=opened.roster.escrow_keys.len() as u32)
        .filter(|v| !opened.escrow_keys.contains_key(v))
        .collect();
    let new_key = NewRecoveryKey::generate();
    let derived = new_key.key.derive(ws);
    let (recipient, authority) = derived.public();
    let record = RecoveryKeyRecord {
        id: new_key.id,
        kind: RecoveryKind::Permanent,
        recipient,
        authority,
    };
    let mut state = opened.roster.clone();
    let entry = state
        .next_entry(
            now,
            Signer::Member(me.id),
            EntryBody::SetRecoveryKey(record),
        )
        .sign(&me.keys.signing);
    state.apply(&entry).map_err(|e| integrity(e.to_string()))?;
    let target = format!("recovery:{}", new_key.id.to_upper());
    let mut shares = Vec::new();
    let every = versions
        .map(|v| (SharedKey::Workspace(v), &opened.keys[&v]))
        .chain(
            opened
                .escrow_keys
                .iter()
                .map(|(v, k)| (SharedKey::Escrow(*v), k)),
        );
    for (shared, secret) in every {
        let header = ShareHeader {
            workspace: ws,
            recipient: ShareRecipient::Recovery(new_key.id),
            key: shared,
            signer: Signer::Member(me.id),
            timestamp: now,
        };
        let share = KeyShare::seal(header, &recipient, secret.expose(), &me.keys.signing)
            .map_err(|e| integrity(e.to_string()))?;
        share.verify(&state).map_err(|e| integrity(e.to_string()))?;
        shares.push(share_upload(&share, target.clone()));
    }
    let details = KitDetails {
        workspace: &opened.roster.name,
        server_url: client.base(),
        key_id: new_key.id,
        kind: RecoveryKind::Permanent,
        created_at: now,
    };
    let kit = kit::render_text(&details, &new_key.key);
    let kit_html = kit::render_html(&details, &new_key.key);
    let request = keyhaven_proto::RecoveryGenerate {
        seq: entry.entry.seq,
        entry: Bytes(entry.to_bytes()),
        recovery: RecoveryUpload {
            key_id: new_key.id.to_upper(),
            kind: "permanent".into(),
            expires_at: None,
            proof_hash: Bytes(derived.proof_verifier().to_vec()),
        },
        shares,
        current_proof: None,
    };
    Ok(Prepared {
        id: new_key.id,
        key: new_key.key,
        kit,
        kit_html,
        escrow_missing,
        request,
        head: state.head,
    })
}

/// Whether replacing the recovery key needs the current one: while the workspace has a valid
/// recovery key, the server takes a new one only with proof of it.
pub fn generate_needs_current(opened: &Opened) -> bool {
    opened
        .roster
        .recovery
        .is_some_and(|r| r.is_valid_at(now_unix()))
}

/// Commits a prepared key: from now on it is the workspace's recovery key and the previous one
/// opens nothing. `current` is the key it replaces ([`generate_needs_current`]), checked here
/// against the roster before its proof is sent. Returns the new roster head.
pub async fn generate_commit(
    client: &Client,
    opened: &Opened,
    prepared: &Prepared,
    current: Option<&RecoveryKey>,
) -> Result<RosterHead, FlowError> {
    let mut request = prepared.request.clone();
    if let Some(key) = current {
        let record = opened
            .roster
            .recovery
            .ok_or_else(|| integrity("this workspace has no recovery key"))?;
        let derived = key.derive(opened.roster.workspace);
        derived
            .check_against(&record, now_unix())
            .map_err(|e| FlowError::Recovery(e.to_string()))?;
        request.current_proof = Some(Bytes(derived.proof.to_vec()));
    }
    client
        .post_empty(
            &format!(
                "/v1/workspaces/{}/recovery/generate",
                opened.roster.workspace
            ),
            &request,
        )
        .await?;
    Ok(prepared.head)
}

/// Validates a recovery key: first locally against the roster (a check the server cannot
/// fake), then by proof to the server, which records the validation.
pub async fn validate(
    client: &Client,
    opened: &Opened,
    key: &RecoveryKey,
) -> Result<(), FlowError> {
    let record = opened
        .roster
        .recovery
        .ok_or_else(|| integrity("this workspace has no recovery key"))?;
    let ws = opened.roster.workspace;
    let derived = key.derive(ws);
    let now = now_unix();
    derived
        .check_against(&record, now)
        .map_err(|e| FlowError::Recovery(e.to_string()))?;
    // The record of this validation that the server keeps and cannot forge: the status every
    // owner's client shows comes from it, not from the server's word.
    let statement = ValidationStatement::sign(ws, record.id, now, &derived);
    client
        .post_empty(
            &format!("/v1/workspaces/{ws}/recovery/validate"),
            &RecoveryProof {
                proof: Bytes(derived.proof.to_vec()),
                statement: Some(Bytes(statement.to_bytes())),
            },
        )
        .await?;
    Ok(())
}

/// The current recovery key as the signed roster states it, with its last validation as a
/// signed statement proves it ([`ValidationStatement`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryFacts {
    /// The key's identifier.
    pub key_id: RecoveryKeyId,
    /// `Some` for the emailed temporary key: when it stops working.
    pub expires_at: Option<u64>,
    /// The later of the key's setting (its roster entry) and the last validation statement
    /// that verifies under it. Whatever else the server reports is ignored.
    pub last_validated_at: u64,
}

impl RecoveryFacts {
    /// `temporary` or `permanent`.
    pub fn kind(&self) -> &'static str {
        if self.expires_at.is_some() {
            "temporary"
        } else {
            "permanent"
        }
    }
}

/// What the roster of `ws` says about its recovery key at `now` (`None`: none is valid), with
/// the validation time from `served`'s statement only when it verifies. A statement dated more
/// than a day ahead of `now` is ignored.
pub fn recovery_facts(
    roster: &RosterState,
    served: Option<&keyhaven_proto::RecoveryStatus>,
    now: u64,
) -> Option<RecoveryFacts> {
    let record = roster.recovery.filter(|r| r.is_valid_at(now))?;
    let expires_at = match record.kind {
        RecoveryKind::Temporary { expires_at } => Some(expires_at),
        RecoveryKind::Permanent => None,
    };
    let validated = served
        .and_then(|s| s.validation.as_ref())
        .and_then(|bytes| ValidationStatement::from_bytes(&bytes.0))
        .filter(|statement| statement.verify(roster.workspace, &record))
        .map(|statement| statement.at)
        .filter(|at| *at <= now + 86_400);
    Some(RecoveryFacts {
        key_id: record.id,
        expires_at,
        last_validated_at: validated.unwrap_or(0).max(roster.recovery_set_at),
    })
}

impl Opened {
    /// [`recovery_facts`] of this workspace now.
    pub fn recovery_facts(&self) -> Option<RecoveryFacts> {
        recovery_facts(&self.roster, self.recovery.as_ref(), now_unix())
    }
}

/// Something an owner should do, shown after sign-in and before every command's output until
/// it is dealt with (DESIGN.md: temporary key, validation due, emergency reset needed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Prompt {
    /// The workspace's name.
    pub workspace: String,
    /// What to do, with the command that does it.
    pub message: String,
}

/// A recovery-key chore of a workspace (DESIGN.md: temporary key, validation due, emergency
/// reset needed), decided from the signed roster and the signed validation statement: a server
/// cannot switch these prompts off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chore {
    /// The account's password was reset and it is an owner: the emergency reset code (the
    /// recovery key) relinks it.
    EmergencyReset,
    /// The account's password was reset: an owner must relink it.
    AskOwnerToRelink,
    /// No valid recovery key (the temporary key expired unreplaced): generate one now.
    NoValidKey,
    /// The recovery key is the emailed temporary one, which stops working at `expires_at`.
    TemporaryKey {
        /// Unix seconds.
        expires_at: u64,
    },
    /// The last validation is older than the server's interval.
    ValidationDue {
        /// Unix seconds.
        due_at: u64,
    },
}

/// The chore of a workspace for `account`, whose current public keys are `keys`, from the
/// verified `roster` alone (the role and the link are the roster's, not the server's summary,
/// so a server cannot hide a prompt by calling an owner something else): a roster that lists
/// the account with other keys means its password was reset and it awaits a relink; an owner
/// also has the recovery-key chores of [`recovery_chore`].
pub fn chore(
    roster: &RosterState,
    account: AccountId,
    keys: &keyhaven_core::account::AccountPublicKeys,
    served: Option<&keyhaven_proto::RecoveryStatus>,
    validation_interval_days: u32,
    now: u64,
) -> Option<Chore> {
    let member = roster.members.get(&account)?;
    let owner = member.role == roster::Role::Owner;
    if member.keys != *keys {
        return Some(if owner {
            Chore::EmergencyReset
        } else {
            Chore::AskOwnerToRelink
        });
    }
    if !owner {
        return None;
    }
    recovery_chore(roster, served, validation_interval_days, now)
}

/// The recovery-key chore of a workspace an owner sees, from its verified `roster`;
/// `validation_interval_days` is the server's (`/v1/server-info`).
pub fn recovery_chore(
    roster: &RosterState,
    served: Option<&keyhaven_proto::RecoveryStatus>,
    validation_interval_days: u32,
    now: u64,
) -> Option<Chore> {
    match recovery_facts(roster, served, now) {
        None => Some(Chore::NoValidKey),
        Some(RecoveryFacts {
            expires_at: Some(expires_at),
            ..
        }) => Some(Chore::TemporaryKey { expires_at }),
        Some(facts) => {
            let due_at = facts.last_validated_at + u64::from(validation_interval_days) * 86_400;
            (now >= due_at).then_some(Chore::ValidationDue { due_at })
        }
    }
}

/// The pending prompts of the signed-in account (`account`, with its current public `keys`),
/// each decided by [`chore`] from the workspace's verified roster.
pub async fn pending_prompts(
    client: &Client,
    account: AccountId,
    keys: &keyhaven_core::account::AccountPublicKeys,
) -> Result<Vec<Prompt>, FlowError> {
    let info: ServerInfo = client.get("/v1/server-info").await?;
    let now = now_unix();
    let mut prompts = Vec::new();
    for w in list(client).await? {
        let name = w.name.clone();
        let mut say = |message: String| {
            prompts.push(Prompt {
                workspace: name.clone(),
                message,
            })
        };
        let Ok(ws) = w.id.parse().map(WorkspaceId) else {
            say("the server listed a workspace with a malformed id".into());
            continue;
        };
        let chore = match verified_roster(client, ws, None).await {
            Ok((view, roster)) => chore(
                &roster,
                account,
                keys,
                view.recovery.as_ref(),
                info.validation_interval_days,
                now,
            ),
            Err(FlowError::Integrity(e)) => {
                say(format!(
                    "the server's roster of this workspace does not verify: {e}"
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        let quoted = &w.name;
        match chore {
            None => {}
            Some(Chore::EmergencyReset) => say(format!(
                "your password was reset: enter the emergency reset code (the recovery key) with \
                 `keyhaven recovery-key use --workspace \"{quoted}\"`"
            )),
            Some(Chore::AskOwnerToRelink) => {
                say("your password was reset: ask an owner to relink you".into())
            }
            Some(Chore::NoValidKey) => say(format!(
                "there is no valid recovery key (the temporary key expired): generate one now with \
                 `keyhaven recovery-key generate --workspace \"{quoted}\"`"
            )),
            Some(Chore::TemporaryKey { expires_at }) => say(format!(
                "the recovery key is temporary and expires on {}: generate a permanent one with \
                 `keyhaven recovery-key generate --workspace \"{quoted}\"`",
                kit::format_date(expires_at),
            )),
            Some(Chore::ValidationDue { .. }) => say(format!(
                "recovery key validation is due: `keyhaven recovery-key validate --workspace \"{quoted}\"`"
            )),
        }
    }
    Ok(prompts)
}

/// Stores a new revision of a secret with `fields` replaced (others kept), under the current
/// workspace key, signed by `me`.
pub async fn edit_secret(
    client: &Client,
    me: &Me,
    opened: &Opened,
    secret: &Secret,
    changes: BTreeMap<String, SecretBytes>,
) -> Result<(), FlowError> {
    let (version, key) = opened.current_key()?;
    let mut fields = secret.plain.fields.clone();
    fields.extend(changes);
    let revision = secret.revision + 1;
    let place = ItemPlace {
        workspace: opened.roster.workspace,
        id: secret.id,
        key_version: version,
        revision,
    };
    let sealed = SealedItem::seal(
        key,
        place,
        &ItemPlain {
            kind: secret.plain.kind,
            fields,
        },
        me.id,
        &me.keys.signing,
    );
    client
        .send_put(
            &format!(
                "/v1/workspaces/{}/items/{}",
                opened.roster.workspace, secret.id
            ),
            &PutItem {
                revision,
                sealed: Bytes(sealed.to_bytes()),
            },
        )
        .await?;
    Ok(())
}
