//! Member flows: invitations, adding an accepted invitee once their fingerprint is confirmed,
//! role changes, removal with key rotation, relinking a member after a password reset, and
//! re-encrypting secrets under the newest workspace key.
//!
//! Every change is built on this device against the verified roster: its entries are applied to
//! a copy of the roster state first, so the roster rules refuse here whatever they would refuse
//! on every other member's device, and every share is verified against the state after the
//! change before anything is sent. What the server says about invitations and accounts (emails,
//! public keys) is unverified: a member's keys enter the roster only after the owner or admin
//! compared their fingerprint out of band.

use std::collections::BTreeMap;

use keyhaven_core::account::AccountPublicKeys;
use keyhaven_core::ids::{AccountId, WorkspaceId};
use keyhaven_core::item::{ItemPlace, SealedItem};
use keyhaven_core::roster::{
    EntryBody, Role, RosterError, RosterHead, RosterState, SignedEntry, Signer,
};
use keyhaven_core::share::{KeyShare, ShareHeader, ShareRecipient, SharedKey};
use keyhaven_crypto::SymmetricKey;
use keyhaven_crypto::hpke::RecipientSecretKey;
use keyhaven_proto::{
    Bytes, InvitationView, InviteMember, ItemView, MemberChanged, MembersView, PutItem, Reshare,
    RosterChange, ShareUpload,
};

use crate::Client;
use crate::clock::now_unix;
use crate::flows::{FlowError, decode_public};
use crate::workspaces::{Me, Opened, integrity, share_upload};

/// The name of a role on the command line and on the wire.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::Member => "member",
        Role::ReadOnly => "read-only",
        Role::Helpdesk => "helpdesk",
    }
}

/// The role called `name` ([`role_name`]).
pub fn parse_role(name: &str) -> Option<Role> {
    [
        Role::Owner,
        Role::Admin,
        Role::Member,
        Role::ReadOnly,
        Role::Helpdesk,
    ]
    .into_iter()
    .find(|r| role_name(*r) == name)
}

/// The invitations addressed to the signed-in account.
pub async fn my_invitations(client: &Client) -> Result<Vec<InvitationView>, FlowError> {
    Ok(client.get("/v1/invitations").await?)
}

/// Accepts the invitation to `workspace_id`: owners and admins can now see this account's
/// public keys and add it.
pub async fn accept(client: &Client, workspace_id: &str) -> Result<InvitationView, FlowError> {
    Ok(client
        .post(
            &format!("/v1/invitations/{workspace_id}/accept"),
            &serde_json::json!({}),
        )
        .await?)
}

/// The server's member mirror and (for owners and admins) the open invitations: unverified.
pub async fn server_view(client: &Client, ws: WorkspaceId) -> Result<MembersView, FlowError> {
    Ok(client
        .get_all(&format!("/v1/workspaces/{ws}/members"))
        .await?)
}

/// Invites `email` with `role` (or renews the invitation). Nothing enters the roster yet.
pub async fn invite(
    client: &Client,
    opened: &Opened,
    me: &Me,
    email: &str,
    role: Role,
) -> Result<InvitationView, FlowError> {
    manages(opened, me)?;
    if role == Role::Owner && my_role(opened, me) != Some(Role::Owner) {
        return Err(FlowError::Refused("only owners may add owners".into()));
    }
    Ok(client
        .post(
            &format!("/v1/workspaces/{}/invitations", opened.roster.workspace),
            &InviteMember {
                email: email.into(),
                role: role_name(role).into(),
            },
        )
        .await?)
}

/// An accepted invitation: who the server says accepted it, with the keys it says they have.
/// The owner or admin compares `keys.fingerprint()` with the invitee before [`add`].
#[derive(Debug, Clone)]
pub struct Invitee {
    /// The invited address.
    pub email: String,
    /// The accepting account.
    pub account: AccountId,
    /// Its public keys, as the server reports them (unverified until the fingerprint check).
    pub keys: AccountPublicKeys,
    /// The role the invitation offered.
    pub role: Role,
}

impl Invitee {
    /// The invitee of an accepted invitation; `None` while it waits for acceptance.
    pub fn of(invitation: &InvitationView) -> Result<Option<Self>, FlowError> {
        let (Some(_), Some(account), Some(keys)) = (
            invitation.accepted_at,
            invitation.account_id.as_deref(),
            invitation.public_keys.as_ref(),
        ) else {
            return Ok(None);
        };
        let account = AccountId(
            account
                .parse()
                .map_err(|_| integrity("the server sent a malformed account id"))?,
        );
        let keys = decode_public(&keys.0)
            .ok_or_else(|| integrity("the server sent malformed public keys"))?;
        let role = parse_role(&invitation.role)
            .ok_or_else(|| integrity("the server sent an unknown role"))?;
        Ok(Some(Self {
            email: invitation.email.clone(),
            account,
            keys,
            role,
        }))
    }
}

/// Adds an accepted invitee with `role`: appends "add member" with the keys the caller
/// confirmed, and shares every workspace-key version (all roles but helpdesk) and every
/// escrow-key version (owners, admins, helpdesk) to them. Returns the new head.
pub async fn add(
    client: &Client,
    me: &Me,
    opened: &Opened,
    invitee: &Invitee,
    role: Role,
) -> Result<RosterHead, FlowError> {
    manages(opened, me)?;
    let ring = KeyRing::of(opened);
    let mut change = Change::new(me, opened);
    change.push(EntryBody::AddMember {
        account: invitee.account,
        email: invitee.email.clone(),
        keys: invitee.keys,
        role,
    })?;
    change.share_every_version(invitee.account, &ring)?;
    let path = format!("/v1/workspaces/{}/members", opened.roster.workspace);
    Ok(change.send(client, &path).await?.head)
}

/// A committed role change or removal.
#[derive(Debug)]
pub struct Changed {
    /// The new roster head (to pin).
    pub head: RosterHead,
    /// The new workspace-key version, if the change rotated it.
    pub workspace_key_version: Option<u32>,
    /// The new escrow-key version, if the change rotated it.
    pub escrow_version: Option<u32>,
    /// How many members (and the recovery key) received the rotated workspace key.
    pub workspace_key_recipients: usize,
    /// Enrollment tokens of the member that the change revoked.
    pub tokens_revoked: u64,
}

/// Changes the role of the member with `email`. A member who gains a key kind receives every
/// version of it; a member who loses one has seen its current version, so that key is rotated
/// (a new version shared to everyone entitled, and to the recovery key) and their shares of it
/// are withdrawn.
pub async fn change_role(
    client: &Client,
    me: &Me,
    opened: &Opened,
    email: &str,
    role: Role,
) -> Result<Changed, FlowError> {
    manages(opened, me)?;
    let (account, from) = member_by_email(opened, email)?;
    if from == role {
        return Err(FlowError::Refused(format!(
            "{email} is already {}",
            role_name(role)
        )));
    }
    if account == me.id && !matches!(role, Role::Owner | Role::Admin) {
        return Err(FlowError::Refused(
            "you cannot stop managing this workspace yourself: ask another owner or admin".into(),
        ));
    }
    let mut ring = KeyRing::of(opened);
    let mut change = Change::new(me, opened);
    change.push(EntryBody::ChangeRole { account, role })?;
    let lose_workspace = from.receives_workspace_key() && !role.receives_workspace_key();
    let lose_escrow = from.receives_escrow_key() && !role.receives_escrow_key();
    let rotated = change.rotate(&mut ring, lose_workspace, lose_escrow)?;
    if !from.receives_workspace_key() && role.receives_workspace_key()
        || !from.receives_escrow_key() && role.receives_escrow_key()
    {
        change.share_every_version(account, &ring)?;
    }
    let path = format!(
        "/v1/workspaces/{}/members/{account}/role",
        opened.roster.workspace
    );
    let (state, answer) = change.send_for::<MemberChanged>(client, &path).await?;
    Ok(Changed {
        head: state.head,
        tokens_revoked: answer.tokens_revoked,
        ..rotated
    })
}

/// Removes the member with `email` and rotates every key they could open: a new workspace key
/// (if their role received it) shared to every remaining entitled member and to the recovery
/// key, and a new escrow key pair (if their role received it) shared to owners, admins and
/// helpdesk. One atomic call; existing secrets stay under their key version until
/// [`reencrypt`].
pub async fn remove(
    client: &Client,
    me: &Me,
    opened: &Opened,
    email: &str,
) -> Result<Changed, FlowError> {
    manages(opened, me)?;
    let (account, role) = member_by_email(opened, email)?;
    if account == me.id {
        return Err(FlowError::Refused(
            "you cannot remove yourself: ask another owner or admin".into(),
        ));
    }
    let mut ring = KeyRing::of(opened);
    let mut change = Change::new(me, opened);
    change.push(EntryBody::RemoveMember { account })?;
    let rotated = change.rotate(
        &mut ring,
        role.receives_workspace_key(),
        role.receives_escrow_key(),
    )?;
    let path = format!(
        "/v1/workspaces/{}/members/{account}/remove",
        opened.roster.workspace
    );
    let (state, answer) = change.send_for::<MemberChanged>(client, &path).await?;
    Ok(Changed {
        head: state.head,
        tokens_revoked: answer.tokens_revoked,
        ..rotated
    })
}

/// A member's keys as the server has them now, for a relink: unverified until the caller
/// compared the fingerprint with the member.
#[derive(Debug, Clone)]
pub struct Relinkable {
    /// The member.
    pub account: AccountId,
    /// The keys the roster records (from before the password reset).
    pub roster_keys: AccountPublicKeys,
    /// The keys the server reports now.
    pub new_keys: AccountPublicKeys,
    /// Whether the server marked the member as waiting for a relink.
    pub needs_relink: bool,
}

/// Looks up the member with `email` in the roster and their current keys on the server.
pub async fn relinkable(
    client: &Client,
    opened: &Opened,
    email: &str,
) -> Result<Relinkable, FlowError> {
    let (account, _) = member_by_email(opened, email)?;
    let view = server_view(client, opened.roster.workspace).await?;
    let mirrored = view
        .members
        .iter()
        .find(|m| m.account_id == account.to_string())
        .ok_or_else(|| integrity("the server does not list this member"))?;
    let keys = mirrored
        .public_keys
        .as_ref()
        .ok_or_else(|| FlowError::Refused("only owners and admins relink members".into()))?;
    let new_keys =
        decode_public(&keys.0).ok_or_else(|| integrity("the server sent malformed public keys"))?;
    Ok(Relinkable {
        account,
        roster_keys: opened.roster.members[&account].keys,
        new_keys,
        needs_relink: mirrored.needs_relink,
    })
}

/// Relinks a member after their password reset: appends "relink member" with the new keys the
/// caller confirmed and shares every key version the member's role receives to them.
pub async fn relink(
    client: &Client,
    me: &Me,
    opened: &Opened,
    member: &Relinkable,
) -> Result<RosterHead, FlowError> {
    manages(opened, me)?;
    if member.new_keys == member.roster_keys {
        return Err(FlowError::Refused(
            "the member's keys have not changed: there is nothing to relink (if they cannot \
             open a key they are entitled to, `member reshare` gives it to them again)"
                .into(),
        ));
    }
    let ring = KeyRing::of(opened);
    let mut change = Change::new(me, opened);
    change.push(EntryBody::RelinkMember {
        account: member.account,
        keys: member.new_keys,
    })?;
    change.share_every_version(member.account, &ring)?;
    let path = format!(
        "/v1/workspaces/{}/members/{}/relink",
        opened.roster.workspace, member.account
    );
    Ok(change.send(client, &path).await?.head)
}

/// What [`reshare`] handed out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reshared {
    /// Workspace-key versions given to the member.
    pub workspace: Vec<u32>,
    /// Escrow-key versions given to the member.
    pub escrow: Vec<u32>,
    /// Key versions (of both kinds) given to the recovery key.
    pub recovery: usize,
    /// Versions the member's role receives that the caller cannot open, so could not give.
    pub missing: Vec<SharedKey>,
}

/// Repairs access without a roster change: shares every key version the caller holds that the
/// member with `email` is entitled to (by their role and their keys in the verified roster),
/// and every version the caller holds to the current recovery key. For a member or recovery key
/// left without a version, e.g. device keys after an owner's emergency reset with a recovery
/// key made before it received escrow keys (decision 0005). Shares the member already had are
/// replaced by equivalent ones.
pub async fn reshare(
    client: &Client,
    me: &Me,
    opened: &Opened,
    email: &str,
) -> Result<Reshared, FlowError> {
    manages(opened, me)?;
    let (account, role) = member_by_email(opened, email)?;
    let ring = KeyRing::of(opened);
    let mut change = Change::new(me, opened);
    let mut out = Reshared::default();
    let wanted = role
        .receives_workspace_key()
        .then(|| (1..=change.state.workspace_key_version).map(SharedKey::Workspace))
        .into_iter()
        .flatten()
        .chain(
            role.receives_escrow_key()
                .then(|| (1..=change.state.escrow_keys.len() as u32).map(SharedKey::Escrow))
                .into_iter()
                .flatten(),
        );
    for key in wanted {
        if !ring.holds(key) {
            out.missing.push(key);
            continue;
        }
        change.share(ShareRecipient::Member(account), key, &ring)?;
        match key {
            SharedKey::Workspace(v) => out.workspace.push(v),
            SharedKey::Escrow(v) => out.escrow.push(v),
        }
    }
    if let Some(recovery) = change.state.recovery.filter(|r| r.is_valid_at(change.now)) {
        for key in ring.every() {
            change.share(ShareRecipient::Recovery(recovery.id), key, &ring)?;
            out.recovery += 1;
        }
    }
    if change.shares.is_empty() {
        return Err(FlowError::Refused(format!(
            "you hold no key that {} is entitled to, so there is nothing to reshare",
            email.trim()
        )));
    }
    let path = format!("/v1/workspaces/{}/shares", opened.roster.workspace);
    change.send_shares(client, &path).await?;
    Ok(out)
}

/// The outcome of [`reencrypt`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reencrypted {
    /// Secrets rewritten under the current key version.
    pub rewritten: usize,
    /// Secrets that changed on the server meanwhile (a re-run picks them up).
    pub changed_meanwhile: usize,
    /// Secrets already under the current version.
    pub current: usize,
    /// Stored items that do not check out (left as they are; `secret list` names them).
    pub unreadable: usize,
}

/// Re-encrypts every secret that is under an older workspace-key version: each is opened,
/// sealed under the current version and stored as the next revision, one at a time. The
/// server's revision check refuses a write over a revision someone else stored first, and a
/// re-run skips what is already current, so an interrupted run is finished by running it again.
/// `progress(done, total)` is called before the first and after each secret.
pub async fn reencrypt(
    client: &Client,
    me: &Me,
    opened: &Opened,
    mut progress: impl FnMut(usize, usize),
) -> Result<Reencrypted, FlowError> {
    let ws = opened.roster.workspace;
    let (version, key) = opened.current_key()?;
    let views: Vec<ItemView> = client
        .get_all(&format!("/v1/workspaces/{ws}/items"))
        .await?;
    let mut outcome = Reencrypted::default();
    let mut stale = Vec::new();
    for view in views {
        // One bad item does not stop the others from moving to the new key.
        let Ok(item) = SealedItem::from_bytes(&view.sealed.0) else {
            outcome.unreadable += 1;
            continue;
        };
        if item.place.id.to_string() != view.id
            || item.place.revision != view.revision
            || item.verify(&opened.roster).is_err()
        {
            outcome.unreadable += 1;
            continue;
        }
        if item.place.key_version < version {
            stale.push(item);
        } else {
            outcome.current += 1;
        }
    }
    let total = stale.len();
    progress(0, total);
    for (done, item) in stale.into_iter().enumerate() {
        let old = opened.keys.get(&item.place.key_version).ok_or_else(|| {
            integrity(format!(
                "this account cannot open workspace key version {}",
                item.place.key_version
            ))
        })?;
        let plain = item
            .open(old, &opened.roster)
            .map_err(|e| integrity(format!("secret {}: {e}", item.place.id)))?;
        let place = ItemPlace {
            key_version: version,
            revision: item.place.revision + 1,
            ..item.place
        };
        let sealed = SealedItem::seal(key, place, &plain, me.id, &me.keys.signing);
        let put = PutItem {
            revision: place.revision,
            sealed: Bytes(sealed.to_bytes()),
        };
        match client
            .send_put(&format!("/v1/workspaces/{ws}/items/{}", place.id), &put)
            .await
        {
            Ok(()) => outcome.rewritten += 1,
            // Edited or re-encrypted by someone else since we read it.
            Err(e) if matches!(e.code(), Some("conflict" | "not_found")) => {
                outcome.changed_meanwhile += 1;
            }
            Err(e) => return Err(e.into()),
        }
        progress(done + 1, total);
    }
    Ok(outcome)
}

/// The caller's role in the verified roster.
fn my_role(opened: &Opened, me: &Me) -> Option<Role> {
    opened.roster.members.get(&me.id).map(|m| m.role)
}

/// Only owners and admins sign roster changes and hand out keys (§10.7).
fn manages(opened: &Opened, me: &Me) -> Result<(), FlowError> {
    match my_role(opened, me) {
        Some(Role::Owner | Role::Admin) => Ok(()),
        _ => Err(FlowError::Refused(
            "only owners and admins manage members".into(),
        )),
    }
}

/// The roster member with `email` (case-insensitive).
fn member_by_email(opened: &Opened, email: &str) -> Result<(AccountId, Role), FlowError> {
    let wanted = email.trim().to_lowercase();
    opened
        .roster
        .members
        .iter()
        .find(|(_, m)| m.email.to_lowercase() == wanted)
        .map(|(id, m)| (*id, m.role))
        .ok_or_else(|| {
            FlowError::Refused(format!(
                "{} is not a member of {}",
                email.trim(),
                opened.roster.name
            ))
        })
}

/// The key versions the caller can hand out.
struct KeyRing {
    workspace: BTreeMap<u32, SymmetricKey>,
    escrow: BTreeMap<u32, SymmetricKey>,
}

impl KeyRing {
    /// The workspace and escrow keys [`crate::workspaces::open`] opened.
    fn of(opened: &Opened) -> Self {
        Self {
            workspace: opened.keys.clone(),
            escrow: opened.escrow_keys.clone(),
        }
    }

    fn holds(&self, key: SharedKey) -> bool {
        match key {
            SharedKey::Workspace(v) => self.workspace.contains_key(&v),
            SharedKey::Escrow(v) => self.escrow.contains_key(&v),
        }
    }

    /// Every key version held, workspace keys first.
    fn every(&self) -> impl Iterator<Item = SharedKey> + '_ {
        let workspace = self.workspace.keys().map(|v| SharedKey::Workspace(*v));
        workspace.chain(self.escrow.keys().map(|v| SharedKey::Escrow(*v)))
    }
}

/// A roster change under construction: entries applied to a copy of the verified state, and
/// the shares that go with them.
struct Change<'a> {
    me: &'a Me,
    state: RosterState,
    seq: u64,
    now: u64,
    entries: Vec<SignedEntry>,
    shares: Vec<KeyShare>,
}

impl<'a> Change<'a> {
    fn new(me: &'a Me, opened: &Opened) -> Self {
        Self {
            me,
            state: opened.roster.clone(),
            seq: opened.roster.head.seq + 1,
            // Never dated before the roster's last entry, whatever this device's clock says.
            now: now_unix().max(opened.roster.last_timestamp),
            entries: Vec::new(),
            shares: Vec::new(),
        }
    }

    /// Signs the next entry and applies it; the roster rules refuse here what they would
    /// refuse on every member's device.
    fn push(&mut self, body: EntryBody) -> Result<(), FlowError> {
        let entry = self
            .state
            .next_entry(self.now, Signer::Member(self.me.id), body)
            .sign(&self.me.keys.signing);
        self.state.apply(&entry).map_err(|e| match e {
            RosterError::Unauthorized { reason, .. } => FlowError::Refused(reason.into()),
            other => integrity(other.to_string()),
        })?;
        self.entries.push(entry);
        Ok(())
    }

    /// Appends the rotations asked for and shares each new key to everyone entitled to it in
    /// the state after the change (and a new workspace key to the recovery key).
    fn rotate(
        &mut self,
        ring: &mut KeyRing,
        workspace: bool,
        escrow: bool,
    ) -> Result<Changed, FlowError> {
        let mut out = Changed {
            head: self.state.head,
            workspace_key_version: None,
            escrow_version: None,
            workspace_key_recipients: 0,
            tokens_revoked: 0,
        };
        if workspace {
            let version = self.state.workspace_key_version + 1;
            self.push(EntryBody::RotateWorkspaceKey { version })?;
            ring.workspace.insert(version, SymmetricKey::generate());
            out.workspace_key_version = Some(version);
        }
        if escrow {
            let version = self.state.escrow_keys.len() as u32 + 1;
            let secret = RecipientSecretKey::generate();
            self.push(EntryBody::SetEscrowKey {
                version,
                public: secret.public_key(),
            })?;
            ring.escrow
                .insert(version, SymmetricKey::from_bytes(*secret.expose()));
            out.escrow_version = Some(version);
        }
        let members: Vec<(AccountId, Role)> = self
            .state
            .members
            .iter()
            .map(|(id, m)| (*id, m.role))
            .collect();
        if let Some(v) = out.workspace_key_version {
            for (id, role) in &members {
                if role.receives_workspace_key() {
                    self.share(ShareRecipient::Member(*id), SharedKey::Workspace(v), ring)?;
                    out.workspace_key_recipients += 1;
                }
            }
            // DESIGN.md: every workspace-key and escrow-key version is shared to the recovery
            // recipient.
            if let Some(recovery) = self.state.recovery.filter(|r| r.is_valid_at(self.now)) {
                self.share(
                    ShareRecipient::Recovery(recovery.id),
                    SharedKey::Workspace(v),
                    ring,
                )?;
                out.workspace_key_recipients += 1;
            }
        }
        if let Some(v) = out.escrow_version {
            for (id, role) in &members {
                if role.receives_escrow_key() {
                    self.share(ShareRecipient::Member(*id), SharedKey::Escrow(v), ring)?;
                }
            }
            // Decision 0005: the recovery key restores device keys too.
            if let Some(recovery) = self.state.recovery.filter(|r| r.is_valid_at(self.now)) {
                self.share(
                    ShareRecipient::Recovery(recovery.id),
                    SharedKey::Escrow(v),
                    ring,
                )?;
            }
        }
        Ok(out)
    }

    /// Shares every version of each key kind the member's role (after the change) receives.
    fn share_every_version(&mut self, account: AccountId, ring: &KeyRing) -> Result<(), FlowError> {
        let role = self.state.members[&account].role;
        if role.receives_workspace_key() {
            for v in 1..=self.state.workspace_key_version {
                self.share(
                    ShareRecipient::Member(account),
                    SharedKey::Workspace(v),
                    ring,
                )?;
            }
        }
        if role.receives_escrow_key() {
            for v in 1..=self.state.escrow_keys.len() as u32 {
                self.share(ShareRecipient::Member(account), SharedKey::Escrow(v), ring)?;
            }
        }
        Ok(())
    }

    /// Seals one key version to its recipient's key in the state after the change.
    fn share(
        &mut self,
        recipient: ShareRecipient,
        key: SharedKey,
        ring: &KeyRing,
    ) -> Result<(), FlowError> {
        let (secret, what, version) = match key {
            SharedKey::Workspace(v) => (ring.workspace.get(&v), "workspace", v),
            SharedKey::Escrow(v) => (ring.escrow.get(&v), "escrow", v),
        };
        let secret = secret.ok_or_else(|| {
            integrity(format!(
                "this account cannot open {what} key version {version}, which the change must \
                 hand out"
            ))
        })?;
        let public = match recipient {
            ShareRecipient::Member(id) => self.state.members[&id].keys.encryption,
            ShareRecipient::Recovery(_) => {
                self.state
                    .recovery
                    .ok_or_else(|| integrity("no recovery key"))?
                    .recipient
            }
        };
        let header = ShareHeader {
            workspace: self.state.workspace,
            recipient,
            key,
            signer: Signer::Member(self.me.id),
            timestamp: self.now,
        };
        let share = KeyShare::seal(header, &public, secret.expose(), &self.me.keys.signing)
            .map_err(|e| integrity(e.to_string()))?;
        self.shares.push(share);
        Ok(())
    }

    /// The request body: the entries and every share, each verified against the state after
    /// the change.
    fn request(&self) -> Result<RosterChange, FlowError> {
        Ok(RosterChange {
            seq: self.seq,
            entries: self.entries.iter().map(|e| Bytes(e.to_bytes())).collect(),
            shares: self.verified_uploads()?,
        })
    }

    /// Commits the change in one call. Returns the state after it.
    async fn send(self, client: &Client, path: &str) -> Result<RosterState, FlowError> {
        client.post_empty(path, &self.request()?).await?;
        Ok(self.state)
    }

    /// [`Change::send`] for an endpoint that answers with a body.
    async fn send_for<R: serde::de::DeserializeOwned>(
        self,
        client: &Client,
        path: &str,
    ) -> Result<(RosterState, R), FlowError> {
        let answer = client.post(path, &self.request()?).await?;
        Ok((self.state, answer))
    }

    /// Sends the shares alone (a change with no entries): [`reshare`].
    async fn send_shares(self, client: &Client, path: &str) -> Result<(), FlowError> {
        debug_assert!(self.entries.is_empty());
        let shares = self.verified_uploads()?;
        client.post_empty(path, &Reshare { shares }).await?;
        Ok(())
    }

    /// Every share, verified against the state after the change, as uploads.
    fn verified_uploads(&self) -> Result<Vec<ShareUpload>, FlowError> {
        let mut uploads = Vec::with_capacity(self.shares.len());
        for share in &self.shares {
            share
                .verify(&self.state)
                .map_err(|e| integrity(e.to_string()))?;
            let recipient = match share.recipient {
                ShareRecipient::Member(id) => format!("account:{id}"),
                ShareRecipient::Recovery(id) => format!("recovery:{}", id.to_upper()),
            };
            uploads.push(share_upload(share, recipient));
        }
        Ok(uploads)
    }
}
