//! Applying verified entries: the authorization rules and the state they build.

use std::collections::BTreeMap;

use keyhaven_crypto::hpke::RecipientPublicKey;
use keyhaven_crypto::sign::VerifyingKey;

use super::{
    EntryBody, Member, RecoveryKind, Role, RosterError, RosterHead, RosterState, SignedEntry,
    Signer, UnsignedEntry, WriterKey,
};
use crate::ids::{AccountId, WorkspaceId};

impl RosterState {
    /// Verifies a genesis entry and returns the state it creates.
    pub fn from_genesis(
        workspace: WorkspaceId,
        genesis: &SignedEntry,
    ) -> Result<Self, RosterError> {
        let e = &genesis.entry;
        let seq = e.seq;
        if e.workspace != workspace {
            return Err(RosterError::WrongWorkspace { seq });
        }
        if seq != 0 {
            return Err(RosterError::BadSequence { seq });
        }
        if e.prev != [0; 32] {
            return Err(RosterError::BrokenChain { seq });
        }
        let EntryBody::Genesis {
            name,
            owner,
            email,
            keys,
        } = &e.body
        else {
            return Err(RosterError::Unauthorized {
                seq,
                reason: "the first entry must be genesis",
            });
        };
        if e.signer != Signer::Member(*owner) {
            return Err(RosterError::Unauthorized {
                seq,
                reason: "genesis must be signed by its owner",
            });
        }
        keys.signing
            .verify(&e.signed_message(), &genesis.signature)
            .map_err(|_| RosterError::BadSignature { seq })?;
        let mut members = BTreeMap::new();
        members.insert(
            *owner,
            Member {
                email: email.clone(),
                role: Role::Owner,
                keys: *keys,
            },
        );
        Ok(Self {
            workspace,
            name: name.clone(),
            members,
            recovery: None,
            recovery_set_at: 0,
            workspace_key_version: 1,
            escrow_keys: Vec::new(),
            head: RosterHead {
                seq: 0,
                hash: genesis.hash(),
            },
            last_timestamp: e.timestamp,
            writer_keys: vec![WriterKey {
                account: *owner,
                key: keys.signing,
                first_version: 1,
                last_version: None,
            }],
            manager_keys: vec![(*owner, keys.signing)],
        })
    }

    /// Starts the next entry after the current head.
    pub fn next_entry(&self, timestamp: u64, signer: Signer, body: EntryBody) -> UnsignedEntry {
        UnsignedEntry {
            workspace: self.workspace,
            seq: self.head.seq + 1,
            prev: self.head.hash,
            timestamp,
            signer,
            body,
        }
    }

    /// The current escrow key version and public key, if one was set.
    pub fn escrow(&self) -> Option<(u32, RecipientPublicKey)> {
        let version = u32::try_from(self.escrow_keys.len()).expect("fewer than 2^32 escrow keys");
        self.escrow_keys.last().map(|public| (version, *public))
    }

    /// The key that verifies `signer`'s signatures at time `at`, if `signer` may sign now.
    pub fn signer_key(&self, signer: Signer, at: u64) -> Result<SignerAuthority, SignerError> {
        match signer {
            Signer::Member(id) => {
                let member = self.members.get(&id).ok_or(SignerError::Unknown)?;
                Ok(SignerAuthority::Member(member.role, member.keys.signing))
            }
            Signer::RecoveryAuthority(id) => {
                let recovery = self
                    .recovery
                    .filter(|r| r.id == id)
                    .ok_or(SignerError::Unknown)?;
                if !recovery.is_valid_at(at) {
                    return Err(SignerError::Expired);
                }
                Ok(SignerAuthority::Recovery(recovery.authority))
            }
        }
    }

    /// Verifies one more entry against this state and applies it.
    pub fn apply(&mut self, signed: &SignedEntry) -> Result<(), RosterError> {
        let e = &signed.entry;
        let seq = e.seq;
        if e.workspace != self.workspace {
            return Err(RosterError::WrongWorkspace { seq });
        }
        if seq != self.head.seq + 1 {
            return Err(RosterError::BadSequence { seq });
        }
        if e.prev != self.head.hash {
            return Err(RosterError::BrokenChain { seq });
        }
        if e.timestamp < self.last_timestamp {
            return Err(RosterError::TimeWentBackwards { seq });
        }
        let authority = self
            .signer_key(e.signer, e.timestamp)
            .map_err(|err| match err {
                SignerError::Unknown => RosterError::UnknownSigner { seq },
                SignerError::Expired => RosterError::RecoveryKeyExpired { seq },
            })?;
        authority
            .key()
            .verify(&e.signed_message(), &signed.signature)
            .map_err(|_| RosterError::BadSignature { seq })?;
        self.authorize(authority, e)
            .map_err(|reason| RosterError::Unauthorized { seq, reason })?;
        self.last_timestamp = e.timestamp;
        self.head = RosterHead {
            seq,
            hash: signed.hash(),
        };
        self.apply_body(&e.body);
        Ok(())
    }

    fn owners(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.role == Role::Owner)
            .count()
    }

    fn role_of(&self, account: &AccountId) -> Result<Role, &'static str> {
        self.members
            .get(account)
            .map(|m| m.role)
            .ok_or("the member is not in the workspace")
    }

    /// Checks the authorization table of the module docs.
    fn authorize(&self, authority: SignerAuthority, e: &UnsignedEntry) -> Result<(), &'static str> {
        let signer_role = match authority {
            SignerAuthority::Recovery(_) => {
                return match &e.body {
                    EntryBody::RelinkMember { account, .. } => match self.role_of(account)? {
                        Role::Owner => Ok(()),
                        _ => Err("the recovery key may only relink owners"),
                    },
                    _ => Err("the recovery key may only relink owners"),
                };
            }
            SignerAuthority::Member(role, _) => role,
        };
        let is_owner = signer_role == Role::Owner;
        if !matches!(signer_role, Role::Owner | Role::Admin) {
            return Err("only owners and admins sign roster changes");
        }
        match &e.body {
            EntryBody::Genesis { .. } => Err("genesis may only be the first entry"),
            EntryBody::AddMember { account, role, .. } => {
                if self.members.contains_key(account) {
                    return Err("the member is already in the workspace");
                }
                if *role == Role::Owner && !is_owner {
                    return Err("only owners may add owners");
                }
                Ok(())
            }
            EntryBody::ChangeRole { account, role } => {
                let current = self.role_of(account)?;
                if !is_owner && (current == Role::Owner || *role == Role::Owner) {
                    return Err("only owners may change an owner's role or make owners");
                }
                if current == Role::Owner && *role != Role::Owner && self.owners() == 1 {
                    return Err("the last owner cannot be demoted");
                }
                Ok(())
            }
            EntryBody::RemoveMember { account } => {
                let current = self.role_of(account)?;
                if current == Role::Owner && !is_owner {
                    return Err("only owners may remove owners");
                }
                if current == Role::Owner && self.owners() == 1 {
                    return Err("the last owner cannot be removed");
                }
                Ok(())
            }
            EntryBody::RelinkMember { account, .. } => {
                if self.role_of(account)? == Role::Owner && !is_owner {
                    return Err("only owners or the recovery key may relink owners");
                }
                Ok(())
            }
            EntryBody::SetRecoveryKey(record) => {
                if !is_owner {
                    return Err("only owners may set the recovery key");
                }
                if let RecoveryKind::Temporary { expires_at } = record.kind
                    && expires_at <= e.timestamp
                {
                    return Err("a temporary recovery key must expire after it is set");
                }
                Ok(())
            }
            EntryBody::RotateWorkspaceKey { version } => {
                if *version != self.workspace_key_version + 1 {
                    return Err("workspace key versions must increase by one");
                }
                Ok(())
            }
            EntryBody::SetEscrowKey { version, .. } => {
                if *version as usize != self.escrow_keys.len() + 1 {
                    return Err("escrow key versions must increase by one");
                }
                Ok(())
            }
        }
    }

    /// The key that verifies an item revision by `author` under workspace-key `version`.
    pub fn item_author_keys(
        &self,
        author: AccountId,
        version: u32,
    ) -> impl Iterator<Item = &VerifyingKey> {
        self.writer_keys
            .iter()
            .filter(move |w| {
                w.account == author
                    && w.first_version <= version
                    && w.last_version.is_none_or(|last| version <= last)
            })
            .map(|w| &w.key)
    }

    fn close_writer(&mut self, account: AccountId) {
        let version = self.workspace_key_version;
        for w in &mut self.writer_keys {
            if w.account == account && w.last_version.is_none() {
                w.last_version = Some(version);
            }
        }
    }

    fn open_writer(&mut self, account: AccountId, key: VerifyingKey) {
        let first_version = self.workspace_key_version;
        self.writer_keys.push(WriterKey {
            account,
            key,
            first_version,
            last_version: None,
        });
    }

    fn apply_body(&mut self, body: &EntryBody) {
        self.update_writers(body);
        self.update_managers(body);
        match body {
            EntryBody::Genesis { .. } => unreachable!("authorize refuses genesis after seq 0"),
            EntryBody::AddMember {
                account,
                email,
                keys,
                role,
            } => {
                self.members.insert(
                    *account,
                    Member {
                        email: email.clone(),
                        role: *role,
                        keys: *keys,
                    },
                );
            }
            EntryBody::ChangeRole { account, role } => {
                if let Some(m) = self.members.get_mut(account) {
                    m.role = *role;
                }
            }
            EntryBody::RemoveMember { account } => {
                self.members.remove(account);
            }
            EntryBody::RelinkMember { account, keys } => {
                if let Some(m) = self.members.get_mut(account) {
                    m.keys = *keys;
                }
            }
            EntryBody::SetRecoveryKey(record) => {
                self.recovery = Some(*record);
                self.recovery_set_at = self.last_timestamp;
            }
            EntryBody::RotateWorkspaceKey { version } => self.workspace_key_version = *version,
            EntryBody::SetEscrowKey { public, .. } => self.escrow_keys.push(*public),
        }
    }
}

impl RosterState {
    fn update_managers(&mut self, body: &EntryBody) {
        let mut note = |account: AccountId, key: VerifyingKey| {
            if !self.manager_keys.contains(&(account, key)) {
                self.manager_keys.push((account, key));
            }
        };
        let manages = |role: &Role| matches!(role, Role::Owner | Role::Admin);
        match body {
            EntryBody::AddMember {
                account,
                keys,
                role,
                ..
            } if manages(role) => note(*account, keys.signing),
            EntryBody::ChangeRole { account, role } if manages(role) => {
                if let Some(m) = self.members.get(account) {
                    note(*account, m.keys.signing);
                }
            }
            EntryBody::RelinkMember { account, keys }
                if self.members.get(account).is_some_and(|m| manages(&m.role)) =>
            {
                note(*account, keys.signing);
            }
            _ => {}
        }
    }

    fn update_writers(&mut self, body: &EntryBody) {
        match body {
            EntryBody::AddMember {
                account,
                keys,
                role,
                ..
            } if role.writes_items() => {
                self.open_writer(*account, keys.signing);
            }
            EntryBody::ChangeRole { account, role } => {
                let Some(member) = self.members.get(account) else {
                    return;
                };
                let (was, key) = (member.role.writes_items(), member.keys.signing);
                match (was, role.writes_items()) {
                    (true, false) => self.close_writer(*account),
                    (false, true) => self.open_writer(*account, key),
                    _ => {}
                }
            }
            EntryBody::RemoveMember { account } => self.close_writer(*account),
            EntryBody::RelinkMember { account, keys } => {
                let writes = self
                    .members
                    .get(account)
                    .is_some_and(|m| m.role.writes_items());
                if writes {
                    self.close_writer(*account);
                    self.open_writer(*account, keys.signing);
                }
            }
            _ => {}
        }
    }
}

/// Why a signer may not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerError {
    /// Not a current member, or not the current recovery key.
    Unknown,
    /// The temporary recovery key has expired.
    Expired,
}

/// A signer the roster recognizes, with its verifying key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerAuthority {
    /// A member and their role.
    Member(Role, VerifyingKey),
    /// The current recovery key.
    Recovery(VerifyingKey),
}

impl SignerAuthority {
    /// The verifying key.
    pub fn key(&self) -> &VerifyingKey {
        match self {
            SignerAuthority::Member(_, key) | SignerAuthority::Recovery(key) => key,
        }
    }
}
