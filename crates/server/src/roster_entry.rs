//! What the server checks before it appends to a roster: the real verification.
//!
//! Roster data is public (signed, not encrypted), so the server runs the clients' own roster
//! verification from `keyhaven-roster`, which holds no code that decrypts anything: the stored
//! chain must verify from genesis, and every new entry must continue it at the expected
//! position, be signed by a signer the roster authorizes and pass the roster rules
//! (`docs/protocol.md` §10.6–§10.7). A server that appends whatever it is sent lets anyone with a
//! session write an entry no client can read ("roster entry 3 is malformed") and so take the
//! workspace's recovery away from its owners. Clients verify everything again regardless.
//!
//! The member endpoints then read what they need from the verified entries ([`EntryFacts`]).

use keyhaven_roster::ids::WorkspaceId;
use keyhaven_roster::roster::{self, EntryBody, RosterState, SignedEntry, Signer};

use crate::access::Role;
use crate::error::ApiError;

/// What one verified entry does, as far as the server's bookkeeping cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFacts {
    /// Position in the roster.
    pub seq: u64,
    /// The signing member's account id (lower-case UUID), or `None` for the recovery authority.
    pub signer: Option<String>,
    /// What the entry does.
    pub body: Body,
}

/// The entry bodies, with ids as the server stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Body tag 1.
    Genesis,
    /// Body tag 2.
    AddMember {
        /// Account id.
        account: String,
        /// Role.
        role: Role,
    },
    /// Body tag 3.
    ChangeRole {
        /// Account id.
        account: String,
        /// Role.
        role: Role,
    },
    /// Body tag 4.
    RemoveMember {
        /// Account id.
        account: String,
    },
    /// Body tag 5.
    RelinkMember {
        /// Account id.
        account: String,
    },
    /// Body tag 6.
    SetRecoveryKey {
        /// The key's id, upper-case as the server stores it.
        key_id: String,
        /// Temporary keys carry their expiry (Unix seconds); permanent keys none.
        expires_at: Option<u64>,
    },
    /// Body tag 7.
    RotateWorkspaceKey {
        /// The new version.
        version: u32,
    },
    /// Body tag 8.
    SetEscrowKey {
        /// The new version.
        version: u32,
    },
}

/// A verified append: the roster state after it and what each new entry does.
#[derive(Debug)]
pub struct Verified {
    /// The state after the new entries.
    pub after: RosterState,
    /// One per new entry, in order.
    pub facts: Vec<EntryFacts>,
}

/// Verifies a whole new roster (workspace creation).
pub fn verify_new(workspace_id: &str, entries: &[Vec<u8>]) -> Result<Verified, ApiError> {
    let ws = workspace(workspace_id)?;
    let decoded = decode(entries)?;
    let after = roster::verify(ws, &decoded, None).map_err(refused)?;
    Ok(Verified {
        after,
        facts: decoded.iter().map(facts).collect(),
    })
}

/// Verifies `new` entries as the continuation of the `stored` roster at position `seq`.
pub fn verify_append(
    workspace_id: &str,
    stored: &[Vec<u8>],
    seq: u64,
    new: &[Vec<u8>],
) -> Result<Verified, ApiError> {
    let ws = workspace(workspace_id)?;
    let mut after = roster::verify_encoded(ws, stored, None).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "the stored roster of {workspace_id} does not verify: {e}"
        ))
    })?;
    if seq != after.head.seq + 1 {
        return Err(ApiError::Conflict(
            "the roster changed meanwhile; try again",
        ));
    }
    let decoded = decode(new)?;
    for entry in &decoded {
        after.apply(entry).map_err(refused)?;
    }
    Ok(Verified {
        after,
        facts: decoded.iter().map(facts).collect(),
    })
}

/// The current escrow-key version of the `stored` roster (0 if it has none).
pub fn escrow_version(workspace_id: &str, stored: &[Vec<u8>]) -> Result<u32, ApiError> {
    let ws = workspace(workspace_id)?;
    let state = roster::verify_encoded(ws, stored, None).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "the stored roster of {workspace_id} does not verify: {e}"
        ))
    })?;
    Ok(state.escrow().map_or(0, |(version, _)| version))
}

fn workspace(id: &str) -> Result<WorkspaceId, ApiError> {
    id.parse()
        .map(WorkspaceId)
        .map_err(|_| ApiError::BadRequest("workspace id must be a UUID".into()))
}

fn decode(entries: &[Vec<u8>]) -> Result<Vec<SignedEntry>, ApiError> {
    entries
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            SignedEntry::from_bytes(bytes).map_err(|e| {
                ApiError::BadRequest(format!("roster entry {i} of the request is malformed: {e}"))
            })
        })
        .collect()
}

/// A roster rule refused an entry: a rule the signer breaks is theirs to respect (403, with
/// the rule's words); anything else is a malformed request.
fn refused(e: roster::RosterError) -> ApiError {
    match e {
        roster::RosterError::Unauthorized { reason, .. } => ApiError::Forbidden(reason),
        e => ApiError::BadRequest(format!("the roster refuses this change: {e}")),
    }
}

fn role(role: roster::Role) -> Role {
    match role {
        roster::Role::Owner => Role::Owner,
        roster::Role::Admin => Role::Admin,
        roster::Role::Member => Role::Member,
        roster::Role::ReadOnly => Role::ReadOnly,
        roster::Role::Helpdesk => Role::Helpdesk,
    }
}

fn facts(signed: &SignedEntry) -> EntryFacts {
    let e = &signed.entry;
    let id = |a: &keyhaven_roster::ids::AccountId| a.0.hyphenated().to_string();
    let body = match &e.body {
        EntryBody::Genesis { .. } => Body::Genesis,
        EntryBody::AddMember {
            account, role: r, ..
        } => Body::AddMember {
            account: id(account),
            role: role(*r),
        },
        EntryBody::ChangeRole { account, role: r } => Body::ChangeRole {
            account: id(account),
            role: role(*r),
        },
        EntryBody::RemoveMember { account } => Body::RemoveMember {
            account: id(account),
        },
        EntryBody::RelinkMember { account, .. } => Body::RelinkMember {
            account: id(account),
        },
        EntryBody::SetRecoveryKey(record) => Body::SetRecoveryKey {
            key_id: record.id.to_upper(),
            expires_at: match record.kind {
                roster::RecoveryKind::Temporary { expires_at } => Some(expires_at),
                roster::RecoveryKind::Permanent => None,
            },
        },
        EntryBody::RotateWorkspaceKey { version } => Body::RotateWorkspaceKey { version: *version },
        EntryBody::SetEscrowKey { version, .. } => Body::SetEscrowKey { version: *version },
    };
    EntryFacts {
        seq: e.seq,
        signer: match e.signer {
            Signer::Member(a) => Some(id(&a)),
            Signer::RecoveryAuthority(_) => None,
        },
        body,
    }
}
