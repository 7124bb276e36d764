//! Device-key escrow flows: seal and store, list, find, reveal, check, delete, and
//! enrollment tokens (`docs/protocol.md` §18).
//!
//! Everything that protects the user happens here: records are sealed to the escrow public key
//! of the verified roster, every header's signature is checked against the roster (or a grant
//! an owner or admin signed), a found record must really carry the identifier that was asked
//! for, and a served secret must be the one the header signs.

use std::collections::{BTreeMap, HashMap};

use keyhaven_core::blind_index::BlindIndexKey;
use keyhaven_core::escrow::{
    Author, DeviceKeyPlain, DeviceKind, DeviceMeta, PrefixQuery, RecordBatch, RecordSigner,
    SealedDeviceKey, TokenGrant, TokenSecret,
};
use keyhaven_core::ids::WorkspaceId;
use keyhaven_core::roster::RosterState;
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_crypto::{ct_eq, sha256};
use keyhaven_proto::{
    AddDeviceKeys, AddedDeviceKeys, Bytes, CreateEscrowToken, DeviceKeyView, DeviceKeysView,
    DeviceSettings, DeviceTags, EscrowTokenView, IndexDeviceKeys, IndexEntry, NewDeviceKey,
    ResolveConflict, RevealDeviceKey, RevealedDeviceKey, TokenAuth, TokenKey, TokenSubmit,
};
use zeroize::Zeroizing;

use crate::Client;
use crate::clock::now_unix;
use crate::flows::FlowError;
use crate::workspaces::{Me, Opened, integrity};

/// Keys per add call (the server takes up to 5,000 in one transaction, about 4 MB of JSON).
pub const ADD_BATCH: usize = 4000;
/// Tags per lookup call.
const LOOKUP_BATCH: usize = 200;

/// The escrow private keys this account holds, with their blind-index keys.
pub struct Escrow {
    /// The verified roster.
    pub roster: RosterState,
    keys: BTreeMap<u32, (RecipientSecretKey, BlindIndexKey)>,
}

impl core::fmt::Debug for Escrow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Escrow")
            .field("workspace", &self.roster.workspace)
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Escrow {
    /// The escrow keys this account holds (opened with the workspace by
    /// [`crate::workspaces::open`]), with their blind-index keys.
    pub fn open(opened: &Opened) -> Result<Self, FlowError> {
        let ws = opened.roster.workspace;
        let keys: BTreeMap<u32, (RecipientSecretKey, BlindIndexKey)> = opened
            .escrow_keys
            .iter()
            .map(|(v, key)| {
                let secret = RecipientSecretKey::from_bytes(*key.expose());
                let index = BlindIndexKey::derive(&secret, ws);
                (*v, (secret, index))
            })
            .collect();
        if keys.is_empty() {
            return Err(FlowError::Refused(no_escrow_key(opened)));
        }
        Ok(Self {
            roster: opened.roster.clone(),
            keys,
        })
    }

    /// The escrow-key versions this account holds.
    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// The workspace these keys are of.
    pub fn workspace(&self) -> WorkspaceId {
        self.roster.workspace
    }

    /// The current escrow version, its public key and blind-index key.
    fn current(&self) -> Result<(u32, &BlindIndexKey), FlowError> {
        let (version, _) = self
            .roster
            .escrow()
            .ok_or_else(|| integrity("the workspace has no escrow key"))?;
        let (_, index) = self.keys.get(&version).ok_or_else(|| {
            FlowError::Refused(format!(
                "this account has no share of the current escrow key of {}: an owner or admin \
                 who holds it can give it to you with `keyhaven member reshare YOUR-EMAIL`",
                self.roster.name
            ))
        })?;
        Ok((version, index))
    }

    /// The request path [`find`] sends for `query` (its blind-index lookup), for benchmarks
    /// that replay it.
    pub fn find_path(&self, query: &PrefixQuery) -> String {
        let tags = self.tags_under_every_version(|i| i.key_id_prefix(query.index_prefix()));
        let list: Vec<String> = tags.iter().map(|t| b64(t)).collect();
        format!(
            "/v1/workspaces/{}/devices?by=prefix&tags={}",
            self.workspace(),
            list.join(",")
        )
    }

    fn tags_under_every_version(&self, f: impl Fn(&BlindIndexKey) -> [u8; 32]) -> Vec<[u8; 32]> {
        self.keys.values().map(|(_, index)| f(index)).collect()
    }
}

/// The blind indexes of a record, under one escrow version's index key.
pub fn tags(index: &BlindIndexKey, meta: &DeviceMeta, secret: &str) -> DeviceTags {
    DeviceTags {
        id: Bytes(index.key_id(&meta.key_id).to_vec()),
        prefix: meta
            .key_id
            .hex_prefix()
            .map(|p| Bytes(index.key_id_prefix(&p).to_vec())),
        device: Bytes(index.device_name(&meta.device).to_vec()),
        secret: Bytes(index.secret(meta.kind.as_str(), secret).to_vec()),
    }
}

/// A verified, opened record (metadata only).
#[derive(Debug, Clone)]
pub struct DeviceKey {
    /// The signed header.
    pub header: SealedDeviceKey,
    /// Its metadata.
    pub meta: DeviceMeta,
    /// The server's state of it (dates, rotate-after-use, history).
    pub view: DeviceKeyView,
}

fn verify_all(escrow: &Escrow, answer: DeviceKeysView) -> Result<Vec<DeviceKey>, FlowError> {
    let grants: Vec<TokenGrant> = answer
        .grants
        .iter()
        .filter_map(|g| TokenGrant::from_bytes(&g.0).ok())
        .collect();
    let mut out = Vec::with_capacity(answer.keys.len());
    // Records sealed together share one batch key: open it once.
    let mut batch_keys = HashMap::new();
    for view in answer.keys {
        let header =
            SealedDeviceKey::from_bytes(&view.header.0).map_err(|e| integrity(e.to_string()))?;
        if header.id.hyphenated().to_string() != view.id {
            return Err(integrity("the server mislabelled a device key"));
        }
        header
            .verify(&escrow.roster, &grants)
            .map_err(|e| integrity(format!("device key {}: {e}", view.id)))?;
        let (secret, _) = escrow.keys.get(&header.escrow_version).ok_or_else(|| {
            FlowError::Refused(format!(
                "device key {} is sealed to escrow key version {}, which this account was not \
                 given",
                view.id, header.escrow_version
            ))
        })?;
        let batch_key = match batch_keys.entry(header.batch_cache_key()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                header
                    .batch_key(secret)
                    .map_err(|err| integrity(format!("device key {}: {err}", view.id)))?,
            ),
        };
        let meta = header
            .open_meta_with(batch_key)
            .map_err(|e| integrity(format!("device key {}: {e}", view.id)))?;
        out.push(DeviceKey { header, meta, view });
    }
    Ok(out)
}

async fn fetch(client: &Client, escrow: &Escrow, query: &str) -> Result<Vec<DeviceKey>, FlowError> {
    let ws = escrow.workspace();
    let answer: DeviceKeysView = client
        .get_all(&format!("/v1/workspaces/{ws}/devices{query}"))
        .await?;
    verify_all(escrow, answer)
}

fn b64(tag: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
}

/// Records whose `by` index is any of `tags`, in calls of [`LOOKUP_BATCH`].
async fn lookup(
    client: &Client,
    escrow: &Escrow,
    by: &str,
    tags: &[[u8; 32]],
) -> Result<Vec<DeviceKey>, FlowError> {
    let mut out = Vec::new();
    for chunk in tags.chunks(LOOKUP_BATCH) {
        let list: Vec<String> = chunk.iter().map(|t| b64(t)).collect();
        out.extend(fetch(client, escrow, &format!("?by={by}&tags={}", list.join(","))).await?);
    }
    Ok(out)
}

/// Which records `list` returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this device (by name, any case and spacing).
    pub device: Option<String>,
    /// Only keys revealed since stored.
    pub needs_rotation: bool,
    /// Include replaced keys.
    pub history: bool,
}

/// Lists device keys (metadata only). Call [`index_pending`] first so token submissions show.
pub async fn list(
    client: &Client,
    escrow: &Escrow,
    filter: &ListFilter,
) -> Result<Vec<DeviceKey>, FlowError> {
    let mut keys = match &filter.device {
        Some(name) => {
            let tags = escrow.tags_under_every_version(|i| i.device_name(name));
            lookup(client, escrow, "device", &tags).await?
        }
        None => {
            fetch(
                client,
                escrow,
                &format!(
                    "?history={}&needs_rotation={}",
                    filter.history, filter.needs_rotation
                ),
            )
            .await?
        }
    };
    keys.retain(|k| {
        (filter.history || k.view.replaced_by.is_none() || k.view.conflict)
            && (!filter.needs_rotation || k.view.rotate_after_use)
    });
    keys.sort_by(|a, b| {
        (a.meta.device.to_lowercase(), a.view.created_at, &a.view.id).cmp(&(
            b.meta.device.to_lowercase(),
            b.view.created_at,
            &b.view.id,
        ))
    });
    Ok(keys)
}

/// One page of the workspace's device keys, in the order the server stores them (oldest
/// first), for fleets too large to list at once: `after` is the cursor the previous page
/// answered (`None` for the first page); the answer's cursor is `None` after the last page.
/// `filter.device` is not paged (a device's keys are few): use [`list`] for it.
pub async fn page(
    client: &Client,
    escrow: &Escrow,
    filter: &ListFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<DeviceKey>, Option<String>), FlowError> {
    let ws = escrow.workspace();
    let mut path = format!(
        "/v1/workspaces/{ws}/devices?history={}&needs_rotation={}&limit={limit}",
        filter.history, filter.needs_rotation
    );
    if let Some(after) = after {
        path.push_str("&after=");
        path.push_str(&crate::percent_encode(after));
    }
    let (answer, next): (DeviceKeysView, _) = client.get_page(&path).await?;
    if answer.keys.is_empty() && next.is_some() {
        return Err(integrity(
            "the server sent an empty page that claims more follow",
        ));
    }
    let mut keys = verify_all(escrow, answer)?;
    keys.retain(|k| {
        (filter.history || k.view.replaced_by.is_none() || k.view.conflict)
            && (!filter.needs_rotation || k.view.rotate_after_use)
    });
    Ok((keys, next))
}

/// Keys whose identifier starts with `query` (history included, current first).
pub async fn find(
    client: &Client,
    escrow: &Escrow,
    query: &PrefixQuery,
) -> Result<Vec<DeviceKey>, FlowError> {
    let prefix = query.index_prefix();
    let tags = escrow.tags_under_every_version(|i| i.key_id_prefix(prefix));
    let mut keys = lookup(client, escrow, "prefix", &tags).await?;
    // The server could return anything under a tag; only what really matches counts.
    keys.retain(|k| k.meta.key_id.matches(query));
    keys.sort_by_key(|k| (k.view.replaced_by.is_some(), k.view.created_at));
    Ok(keys)
}

/// Fetches a key's secret for `purpose` (`reveal`, `export` or `check`); the server stores the
/// audit event first. Checks the secret is the one the header signs.
pub async fn reveal(
    client: &Client,
    escrow: &Escrow,
    key: &DeviceKey,
    purpose: &str,
    reason: Option<&str>,
) -> Result<Zeroizing<String>, FlowError> {
    let ws = escrow.workspace();
    let answer: RevealedDeviceKey = client
        .post(
            &format!("/v1/workspaces/{ws}/devices/{}/reveal", key.view.id),
            &RevealDeviceKey {
                reason: reason.map(str::to_owned),
                purpose: purpose.into(),
            },
        )
        .await?;
    let (secret_key, _) = escrow
        .keys
        .get(&key.header.escrow_version)
        .ok_or_else(|| integrity("escrow key version missing"))?;
    key.header
        .open_secret(secret_key, &answer.secret.0)
        .map_err(|e| integrity(e.to_string()))
}

/// What [`check`] found.
#[derive(Debug)]
pub enum CheckOutcome {
    /// The typed key is this device's key.
    Matches,
    /// It is not; it belongs to these other records.
    OtherDevice(Vec<DeviceKey>),
    /// It is not, and no escrowed key is equal to it.
    NoMatch,
}

/// Is `typed` (already normalized for `key.meta.kind`) the escrowed key of `key`? Compared on
/// this device, in constant time, through the record's blind index of its key: the escrowed
/// key is never read, so a check needs no reveal and marks nothing. When it is not, the same
/// index finds which device it belongs to, if any.
pub async fn check(
    client: &Client,
    escrow: &Escrow,
    key: &DeviceKey,
    typed: &str,
) -> Result<CheckOutcome, FlowError> {
    let Some(escrowed_tag) = key.view.secret_tag.as_ref() else {
        return Err(FlowError::Refused(
            "this record has no blind index yet (an enrollment submission waiting to be \
             indexed): list the devices after a fresh sign-in (`keyhaven login`), then check again"
                .into(),
        ));
    };
    let (_, index) = &escrow.keys[&key.header.escrow_version];
    let typed_tag = index.secret(key.meta.kind.as_str(), typed);
    if ct_eq(&escrowed_tag.0, &typed_tag) {
        return Ok(CheckOutcome::Matches);
    }
    let kind = key.meta.kind;
    let tags = escrow.tags_under_every_version(|i| i.secret(kind.as_str(), typed));
    let mut others = lookup(client, escrow, "secret", &tags).await?;
    others.retain(|o| o.meta.kind == kind && o.view.id != key.view.id);
    if others.is_empty() {
        Ok(CheckOutcome::NoMatch)
    } else {
        Ok(CheckOutcome::OtherDevice(others))
    }
}

/// Deletes a record (and the history it replaced).
pub async fn remove(client: &Client, escrow: &Escrow, key: &DeviceKey) -> Result<(), FlowError> {
    let ws = escrow.workspace();
    client
        .send_delete(&format!("/v1/workspaces/{ws}/devices/{}", key.view.id))
        .await?;
    Ok(())
}

/// The outcome of [`add`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Added {
    /// Newly stored.
    pub added: usize,
    /// Already escrowed with the same key (nothing stored).
    pub already_present: usize,
    /// Stored, replacing an older key (kept as history).
    pub replaced: usize,
    /// Not stored: an earlier input of the same call has the same identifier with another
    /// key (the earlier one was kept). Indexes into the inputs.
    pub conflicting: Vec<usize>,
}

fn new_record(
    batch: &RecordBatch,
    me: &Me,
    index: &BlindIndexKey,
    plain: &DeviceKeyPlain,
    replaces: Option<String>,
) -> NewDeviceKey {
    let id = uuid::Builder::from_random_bytes(keyhaven_crypto::random_array()).into_uuid();
    let signer = RecordSigner {
        author: Author::Member(me.id),
        key: &me.keys.signing,
    };
    let (header, secret) = batch.seal(id, plain, &signer);
    NewDeviceKey {
        id: id.hyphenated().to_string(),
        header: Bytes(header.to_bytes()),
        secret: Bytes(secret),
        tags: Some(tags(index, &plain.meta, &plain.secret)),
        replaces,
    }
}

/// What happens to one input of [`add`].
enum Plan {
    Skip,
    Conflict,
    Store(Option<String>),
}

/// The outcome of [`import`]: what was stored, and every input that was not (unreadable,
/// invalid, or conflicting with an earlier input of the same import), named by its origin.
#[derive(Debug, Default)]
pub struct Imported {
    /// What [`add`] stored.
    pub added: Added,
    /// What was not imported, in input order.
    pub invalid: Vec<crate::device_files::Invalid>,
}

/// Seals and stores the keys `read` found (`keyhaven device import` and the web vault's
/// import): each dated `now`, `volume_type` filled in where the input does not say.
pub async fn import(
    client: &Client,
    me: &Me,
    escrow: &Escrow,
    read: crate::device_files::Read,
    now: u64,
    volume_type: Option<keyhaven_core::escrow::VolumeType>,
    progress: impl FnMut(usize),
) -> Result<Imported, FlowError> {
    let mut invalid = read.invalid;
    let origins: Vec<String> = read.candidates.iter().map(|c| c.origin.clone()).collect();
    let plains: Vec<DeviceKeyPlain> = read
        .candidates
        .into_iter()
        .map(|c| {
            let mut meta = c.meta;
            meta.added_at = now;
            if meta.volume_type.is_none() {
                meta.volume_type = volume_type;
            }
            DeviceKeyPlain {
                meta,
                secret: c.secret,
            }
        })
        .collect();
    let added = if plains.is_empty() {
        Added::default()
    } else {
        add(client, me, escrow, &plains, progress).await?
    };
    invalid.extend(added.conflicting.iter().map(|&i| {
        crate::device_files::Invalid {
            origin: origins[i].clone(),
            reason: "an earlier input of this import has the same identifier with a \
                         different key (the earlier one was kept)"
                .into(),
        }
    }));
    Ok(Imported { added, invalid })
}

/// Seals and stores keys (owners and admins). Idempotent: a key already escrowed under the
/// same identifier is skipped; a new key for a known identifier, or for the same device,
/// volume and kind, replaces the old record, which is kept as history. `progress` is called
/// with the number of inputs handled so far.
pub async fn add(
    client: &Client,
    me: &Me,
    escrow: &Escrow,
    inputs: &[DeviceKeyPlain],
    mut progress: impl FnMut(usize),
) -> Result<Added, FlowError> {
    let ws = escrow.workspace();
    let (version, index) = escrow.current()?;
    let mut outcome = Added::default();
    let mut done = 0;
    for chunk in inputs.chunks(ADD_BATCH) {
        let plans = plan(client, escrow, chunk).await?;
        let records = seal_all(escrow, me, version, index, chunk, &plans)?;
        outcome.already_present += plans.iter().filter(|p| matches!(p, Plan::Skip)).count();
        outcome.conflicting.extend(
            plans
                .iter()
                .enumerate()
                .filter(|(_, p)| matches!(p, Plan::Conflict))
                .map(|(i, _)| done + i),
        );
        outcome.replaced += plans
            .iter()
            .filter(|p| matches!(p, Plan::Store(Some(_))))
            .count();
        if !records.is_empty() {
            let added: AddedDeviceKeys = client
                .post(
                    &format!("/v1/workspaces/{ws}/devices"),
                    &AddDeviceKeys { keys: records },
                )
                .await?;
            outcome.added += added.added as usize;
        }
        done += chunk.len();
        progress(done);
    }
    Ok(outcome)
}

/// Seals the records to store, on every core (sealing is HPKE plus a signature per record).
fn seal_all(
    escrow: &Escrow,
    me: &Me,
    version: u32,
    index: &BlindIndexKey,
    chunk: &[DeviceKeyPlain],
    plans: &[Plan],
) -> Result<Vec<NewDeviceKey>, FlowError> {
    let work: Vec<(&DeviceKeyPlain, Option<String>)> = chunk
        .iter()
        .zip(plans)
        .filter_map(|(plain, plan)| match plan {
            Plan::Skip | Plan::Conflict => None,
            Plan::Store(replaces) => Some((plain, replaces.clone())),
        })
        .collect();
    if work.is_empty() {
        return Ok(Vec::new());
    }
    let public = escrow
        .roster
        .escrow_keys
        .get(version as usize - 1)
        .ok_or_else(|| integrity("escrow key version missing"))?;
    let batch = RecordBatch::new(escrow.workspace(), (version, public))
        .map_err(|e| integrity(e.to_string()))?;
    let batch = &batch;
    // Spread over the cores natively; in order in the browser, which gives WebAssembly one
    // thread (a scoped thread there panics: "operation not supported on this platform").
    Ok(keyhaven_crypto::par::map(&work, |(plain, replaces)| {
        new_record(batch, me, index, plain, replaces.clone())
    }))
}

/// Decides, for each input of a batch, whether it is already escrowed or replaces a record.
async fn plan(
    client: &Client,
    escrow: &Escrow,
    chunk: &[DeviceKeyPlain],
) -> Result<Vec<Plan>, FlowError> {
    let id_tags: Vec<[u8; 32]> = chunk
        .iter()
        .flat_map(|p| escrow.tags_under_every_version(|i| i.key_id(&p.meta.key_id)))
        .collect();
    let device_tags: Vec<[u8; 32]> = chunk
        .iter()
        .filter(|p| !p.meta.volume.is_empty())
        .flat_map(|p| escrow.tags_under_every_version(|i| i.device_name(&p.meta.device)))
        .collect();
    let mut existing = lookup(client, escrow, "id", &id_tags).await?;
    existing.extend(lookup(client, escrow, "device", &dedup(device_tags)).await?);
    existing.retain(|k| k.view.replaced_by.is_none());
    let mut by_id: HashMap<&str, Vec<&DeviceKey>> = HashMap::new();
    let mut by_volume: HashMap<(String, String, DeviceKind), Vec<&DeviceKey>> = HashMap::new();
    for k in &existing {
        by_id.entry(k.meta.key_id.as_str()).or_default().push(k);
        if !k.meta.volume.is_empty() {
            by_volume.entry(volume_key(&k.meta)).or_default().push(k);
        }
    }
    let mut seen_in_batch: HashMap<&str, [u8; 32]> = HashMap::new();
    let mut plans = Vec::with_capacity(chunk.len());
    for plain in chunk {
        let secret_hash = sha256(plain.secret.as_bytes());
        if let Some(first) = seen_in_batch.get(plain.meta.key_id.as_str()) {
            // The same identifier twice in one import: the first one wins; a different key
            // under it is reported, not silently dropped.
            plans.push(if ct_eq(first, &secret_hash) {
                Plan::Skip
            } else {
                Plan::Conflict
            });
            continue;
        }
        seen_in_batch.insert(plain.meta.key_id.as_str(), secret_hash);
        let same_id = by_id.get(plain.meta.key_id.as_str());
        let same_secret = same_id.and_then(|list| {
            list.iter().find(|k| {
                let (_, index) = &escrow.keys[&k.header.escrow_version];
                let tag = index.secret(plain.meta.kind.as_str(), &plain.secret);
                k.view
                    .secret_tag
                    .as_ref()
                    .is_some_and(|t| ct_eq(&t.0, &tag))
            })
        });
        if same_secret.is_some() {
            plans.push(Plan::Skip);
            continue;
        }
        let replaces = same_id
            .and_then(|list| list.first())
            .or_else(|| {
                // Only an unambiguous predecessor: one current key for that volume.
                (!plain.meta.volume.is_empty())
                    .then(|| by_volume.get(&volume_key(&plain.meta)))
                    .flatten()
                    .filter(|list| list.len() == 1)
                    .and_then(|list| list.first())
            })
            .map(|k| k.view.id.clone());
        plans.push(Plan::Store(replaces));
    }
    Ok(plans)
}

fn volume_key(meta: &DeviceMeta) -> (String, String, DeviceKind) {
    let device = meta
        .device
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (device, meta.volume.trim().to_uppercase(), meta.kind)
}

fn dedup(mut tags: Vec<[u8; 32]>) -> Vec<[u8; 32]> {
    tags.sort_unstable();
    tags.dedup();
    tags
}

/// Sets the blind indexes of token submissions that have none yet (any holder of the escrow
/// key does this as part of listing or finding). A submission for an identifier already
/// escrowed with the same key becomes history of the existing record; with another key, it is
/// kept as a conflict (history of the escrowed record, flagged) until someone resolves it with
/// [`resolve_conflict`]: a token never replaces an escrowed key.
pub async fn index_pending(client: &Client, escrow: &Escrow) -> Result<Indexed, FlowError> {
    let pending = fetch(client, escrow, "?unindexed=true").await?;
    if pending.is_empty() {
        return Ok(Indexed::default());
    }
    let ws = escrow.workspace();
    let mut entries = Vec::with_capacity(pending.len());
    let mut claimed: HashMap<String, (String, Option<Vec<u8>>, u32)> = HashMap::new();
    let mut conflicts = 0;
    for key in &pending {
        let (_, index) = &escrow.keys[&key.header.escrow_version];
        // The key's own index needs the key: fetched through the audited reveal call with
        // purpose `index`, which the server serves unmarked only while the record has no
        // index. That call needs a fresh sign-in; without one the submissions wait for the
        // next listing.
        let secret = match reveal(
            client,
            escrow,
            key,
            "index",
            Some("indexing an enrollment submission"),
        )
        .await
        {
            Ok(secret) => secret,
            Err(FlowError::Client(e)) if e.code() == Some("fresh_sign_in_required") => {
                return Ok(Indexed {
                    waiting: pending.len(),
                    ..Indexed::default()
                });
            }
            Err(e) => return Err(e),
        };
        let tags = tags(index, &key.meta, &secret);
        let id_tags = escrow.tags_under_every_version(|i| i.key_id(&key.meta.key_id));
        let mut existing: Vec<(String, Option<Vec<u8>>, u32)> =
            lookup(client, escrow, "id", &id_tags)
                .await?
                .into_iter()
                .filter(|k| k.view.replaced_by.is_none() && k.view.id != key.view.id)
                .map(|k| {
                    let tag = k.view.secret_tag.map(|t| t.0);
                    (k.view.id, tag, k.header.escrow_version)
                })
                .collect();
        // Two submissions of this batch for one identifier: the first is escrowed, the later
        // ones are compared with it like with any escrowed key.
        if let Some(first) = claimed.get(key.meta.key_id.as_str()) {
            existing.insert(0, first.clone());
        }
        let duplicate = existing.iter().find(|(_, tag, version)| {
            let (_, index) = &escrow.keys[version];
            let mine = index.secret(key.meta.kind.as_str(), &secret);
            tag.as_ref().is_some_and(|t| ct_eq(t, &mine))
        });
        let conflicts_with = match (duplicate, existing.first()) {
            (None, Some((escrowed, _, _))) => Some(escrowed.clone()),
            _ => None,
        };
        if existing.is_empty() {
            claimed.insert(
                key.meta.key_id.as_str().to_owned(),
                (
                    key.view.id.clone(),
                    Some(tags.secret.0.clone()),
                    key.header.escrow_version,
                ),
            );
        }
        conflicts += usize::from(conflicts_with.is_some());
        entries.push(IndexEntry {
            id: key.view.id.clone(),
            tags,
            conflicts_with,
            duplicate_of: duplicate.map(|(id, _, _)| id.clone()),
        });
    }
    let count = entries.len();
    client
        .post_empty(
            &format!("/v1/workspaces/{ws}/devices/index"),
            &IndexDeviceKeys { entries },
        )
        .await?;
    Ok(Indexed {
        indexed: count,
        waiting: 0,
        conflicts,
    })
}

/// Accepts a conflicting token submission (it becomes the current key of its identifier and
/// the escrowed key its history) or rejects it (the submission is deleted). Owners, admins
/// and helpdesk members; audited; needs a recent sign-in.
pub async fn resolve_conflict(
    client: &Client,
    escrow: &Escrow,
    key: &DeviceKey,
    accept: bool,
) -> Result<(), FlowError> {
    let ws = escrow.workspace();
    client
        .post_empty(
            &format!("/v1/workspaces/{ws}/devices/{}/resolve", key.view.id),
            &ResolveConflict { accept },
        )
        .await?;
    Ok(())
}

/// What [`index_pending`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Indexed {
    /// Token submissions indexed now.
    pub indexed: usize,
    /// Submissions still waiting (indexing needs a fresh sign-in).
    pub waiting: usize,
    /// Submissions indexed now that contradict the escrowed key of their identifier: kept
    /// as conflicts for review, see [`resolve_conflict`].
    pub conflicts: usize,
}

/// A token just created: its text is shown once.
#[derive(Debug)]
pub struct CreatedToken {
    /// The token (secret).
    pub token: TokenSecret,
    /// The server's record of it.
    pub view: EscrowTokenView,
}

/// Creates an enrollment token valid until `expires_at` (owners and admins).
pub async fn create_token(
    client: &Client,
    me: &Me,
    opened: &Opened,
    expires_at: u64,
    name: Option<&str>,
) -> Result<CreatedToken, FlowError> {
    let ws = opened.roster.workspace;
    // The escrow key of the verified roster: the agent seals to it and reads nothing back.
    let escrow = opened
        .roster
        .escrow()
        .ok_or_else(|| integrity("the workspace has no escrow key"))?;
    let token = TokenSecret::generate(ws, escrow);
    let grant = TokenGrant::sign(ws, &token, expires_at, me.id, &me.keys.signing);
    let view: EscrowTokenView = client
        .post(
            &format!("/v1/workspaces/{ws}/escrow-tokens"),
            &CreateEscrowToken {
                id: token.id.hyphenated().to_string(),
                auth_hash: Bytes(sha256(token.auth().as_ref()).to_vec()),
                grant: Bytes(grant.to_bytes()),
                expires_at: i64::try_from(expires_at).unwrap_or(i64::MAX),
                name: name.map(str::to_owned),
                escrow_version: escrow.0,
            },
        )
        .await?;
    Ok(CreatedToken { token, view })
}

/// A workspace's enrollment tokens.
pub async fn tokens(client: &Client, ws: WorkspaceId) -> Result<Vec<EscrowTokenView>, FlowError> {
    Ok(client
        .get(&format!("/v1/workspaces/{ws}/escrow-tokens"))
        .await?)
}

/// Revokes a token.
pub async fn revoke_token(client: &Client, ws: WorkspaceId, token: &str) -> Result<(), FlowError> {
    client
        .post_empty(
            &format!("/v1/workspaces/{ws}/escrow-tokens/{token}/revoke"),
            &serde_json::json!({}),
        )
        .await?;
    Ok(())
}

/// The workspace's device-key settings (owners, admins, helpdesk).
pub async fn settings(client: &Client, ws: WorkspaceId) -> Result<DeviceSettings, FlowError> {
    Ok(client
        .get(&format!("/v1/workspaces/{ws}/device-settings"))
        .await?)
}

/// Changes them (owners and admins; audited): e.g. a reason required for every reveal.
pub async fn set_settings(
    client: &Client,
    ws: WorkspaceId,
    settings: DeviceSettings,
) -> Result<DeviceSettings, FlowError> {
    Ok(client
        .put(&format!("/v1/workspaces/{ws}/device-settings"), &settings)
        .await?)
}

/// Submits keys with an enrollment token: each key is sealed on this machine to the escrow
/// public key the token carries and signed with the token's key. The token reads nothing from
/// the server, not even the roster.
pub async fn submit(
    client: &Client,
    token: &TokenSecret,
    inputs: &[DeviceKeyPlain],
) -> Result<AddedDeviceKeys, FlowError> {
    let auth = TokenAuth {
        token_id: token.id.hyphenated().to_string(),
        auth: Bytes(token.auth().to_vec()),
    };
    let (version, public) = token.escrow;
    let signing = token.signing_key();
    let signer = RecordSigner {
        author: Author::Token(token.id),
        key: &signing,
    };
    let mut total = AddedDeviceKeys {
        added: 0,
        already_present: 0,
    };
    for chunk in inputs.chunks(100) {
        let batch = RecordBatch::new(token.workspace, (version, &public))
            .map_err(|e| integrity(e.to_string()))?;
        let keys = chunk
            .iter()
            .map(|plain| {
                let id =
                    uuid::Builder::from_random_bytes(keyhaven_crypto::random_array()).into_uuid();
                let (header, secret) = batch.seal(id, plain, &signer);
                Ok(TokenKey {
                    id: id.hyphenated().to_string(),
                    header: Bytes(header.to_bytes()),
                    secret: Bytes(secret),
                    resubmission: Bytes(
                        token.resubmission_tag(&plain.meta, &plain.secret).to_vec(),
                    ),
                })
            })
            .collect::<Result<Vec<_>, FlowError>>()?;
        let added: AddedDeviceKeys = client
            .post(
                "/v1/escrow/submit",
                &TokenSubmit {
                    auth: auth.clone(),
                    keys,
                },
            )
            .await?;
        total.added += added.added;
        total.already_present += added.already_present;
    }
    Ok(total)
}

/// Why an account that opened `opened` holds no escrow key, and what to do about it.
fn no_escrow_key(opened: &Opened) -> String {
    format!(
        "this account holds no escrow key of {}: device keys are for owners, admins and \
         helpdesk members; if you are one, an owner or admin who holds them can give them to \
         you with `keyhaven member reshare YOUR-EMAIL` (after a password reset, relink first)",
        opened.roster.name
    )
}

/// Now, for `DeviceMeta::added_at`.
pub fn now() -> u64 {
    now_unix()
}
