//! Who may do what in a workspace: the caller's membership, parsed once into typed values, and
//! the rules in one table that reads like `docs/protocol.md` §19 ("Access rules").
//!
//! Every workspace endpoint starts with [`require`], naming its [`Action`]. A membership that
//! waits for a relink after a password reset has no authority: the account's new keys open
//! nothing yet, and whoever reset the password with only the account's mailbox must not be able
//! to delete, rewrite or re-key anything. It may do only what the emergency reset needs: read
//! the roster and its own shares, prove the recovery key (owners) and be relinked.

use crate::app::{AppState, Session};
use crate::error::ApiError;
use crate::store::MembershipRow;
use crate::workspaces::parse_uuid;

/// A member's role (`docs/protocol.md` §10.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Full control, including recovery keys.
    Owner,
    /// Manages members (not owners), keys and device keys.
    Admin,
    /// Reads and writes secrets.
    Member,
    /// Reads secrets.
    ReadOnly,
    /// Sees device keys only.
    Helpdesk,
}

impl Role {
    /// Every role, in the order of their tags.
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Member,
        Role::ReadOnly,
        Role::Helpdesk,
    ];

    /// The role called `name` on the wire.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Its name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::ReadOnly => "read-only",
            Role::Helpdesk => "helpdesk",
        }
    }

    /// Owners and admins sign roster changes and hand out keys.
    pub fn manages(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// §10.3: every role but helpdesk receives the workspace key.
    pub fn receives_workspace_key(self) -> bool {
        !matches!(self, Role::Helpdesk)
    }

    /// §10.3: owners, admins and helpdesk receive the escrow key.
    pub fn receives_escrow_key(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Helpdesk)
    }
}

/// Whether a membership's keys are the ones the roster has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Normal.
    Linked,
    /// The account's password was reset: new keys, no authority until relinked.
    NeedsRelink,
}

/// The caller's membership in one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Workspace UUID.
    pub workspace_id: String,
    /// Workspace name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Relink state.
    pub link: Link,
}

/// Something a member asks to do in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the workspace, its roster, the member list and one's own key shares.
    ReadRoster,
    /// Prove the recovery key to get its shares and relink oneself (the emergency reset).
    UseRecoveryKey,
    /// Prove the recovery key to record a validation.
    ValidateRecoveryKey,
    /// Replace the recovery key with a new permanent one.
    GenerateRecoveryKey,
    /// List and read secrets.
    ReadSecrets,
    /// Add, change and delete secrets.
    WriteSecrets,
    /// Invite, add, change roles, remove, relink and reshare.
    ManageMembers,
    /// Read the workspace's audit log.
    ReadAudit,
    /// List, find, reveal, export and check device keys; index token submissions.
    ReadDeviceKeys,
    /// Add and delete device keys; create and revoke enrollment tokens.
    ManageDeviceKeys,
}

/// One row of the table: who may, whether while waiting for a relink, and the refusal.
struct Rule {
    action: Action,
    roles: &'static [Role],
    while_unlinked: bool,
    refusal: &'static str,
}

use Role::{Admin, Helpdesk, Member, Owner, ReadOnly};

/// The rules (`docs/protocol.md` §19): keep the two in step.
const RULES: &[Rule] = &[
    Rule {
        action: Action::ReadRoster,
        roles: &Role::ALL,
        while_unlinked: true,
        refusal: "",
    },
    Rule {
        action: Action::UseRecoveryKey,
        roles: &[Owner],
        while_unlinked: true,
        refusal: "only owners use the recovery key; ask an owner to relink you",
    },
    Rule {
        action: Action::ValidateRecoveryKey,
        roles: &[Owner],
        while_unlinked: false,
        refusal: "only owners validate the recovery key",
    },
    Rule {
        action: Action::GenerateRecoveryKey,
        roles: &[Owner],
        while_unlinked: false,
        refusal: "only owners generate recovery keys",
    },
    Rule {
        action: Action::ReadSecrets,
        roles: &[Owner, Admin, Member, ReadOnly],
        while_unlinked: false,
        refusal: "this role cannot read secrets",
    },
    Rule {
        action: Action::WriteSecrets,
        roles: &[Owner, Admin, Member],
        while_unlinked: false,
        refusal: "this role cannot write secrets",
    },
    Rule {
        action: Action::ManageMembers,
        roles: &[Owner, Admin],
        while_unlinked: false,
        refusal: "only owners and admins manage members",
    },
    Rule {
        action: Action::ReadAudit,
        roles: &[Owner, Admin],
        while_unlinked: false,
        refusal: "only owners and admins read a workspace's audit log",
    },
    Rule {
        action: Action::ReadDeviceKeys,
        roles: &[Owner, Admin, Helpdesk],
        while_unlinked: false,
        refusal: "only owners, admins and helpdesk members see device keys",
    },
    Rule {
        action: Action::ManageDeviceKeys,
        roles: &[Owner, Admin],
        while_unlinked: false,
        refusal: "only owners and admins add or delete device keys and enrollment tokens",
    },
];

impl Membership {
    /// Parses a stored membership. A role the server does not know is an internal error (the
    /// database is only written with the roles above).
    pub fn from_row(row: MembershipRow) -> Result<Self, ApiError> {
        let role = Role::parse(&row.role).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("stored role {:?} is unknown", row.role))
        })?;
        Ok(Self {
            workspace_id: row.workspace_id,
            name: row.name,
            role,
            link: if row.needs_relink {
                Link::NeedsRelink
            } else {
                Link::Linked
            },
        })
    }

    /// Whether this membership may do `action`, by [`RULES`].
    pub fn may(&self, action: Action) -> Result<(), ApiError> {
        let rule = RULES
            .iter()
            .find(|r| r.action == action)
            .expect("every action has a rule");
        if !rule.roles.contains(&self.role) {
            return Err(ApiError::Forbidden(rule.refusal));
        }
        if self.link == Link::NeedsRelink && !rule.while_unlinked {
            return Err(ApiError::NeedsRelink);
        }
        Ok(())
    }
}

/// The caller's membership in workspace `id`, or "no such workspace" (also for workspaces they
/// are not in, so ids of other workspaces cannot be probed).
pub async fn membership(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Membership, ApiError> {
    let id = parse_uuid(id, "workspace id")?;
    let row = state
        .store()
        .membership(&id, &session.account_id)
        .await?
        .ok_or(ApiError::NotFound("no such workspace"))?;
    Membership::from_row(row)
}

/// The caller's membership in workspace `id`, if it may do `action`.
pub async fn require(
    state: &AppState,
    session: &Session,
    id: &str,
    action: Action,
) -> Result<Membership, ApiError> {
    let m = membership(state, session, id).await?;
    m.may(action)?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, link: Link) -> Membership {
        Membership {
            workspace_id: "w".into(),
            name: "Acme".into(),
            role,
            link,
        }
    }

    #[test]
    fn every_action_has_exactly_one_rule() {
        use Action::*;
        for action in [
            ReadRoster,
            UseRecoveryKey,
            ValidateRecoveryKey,
            GenerateRecoveryKey,
            ReadSecrets,
            WriteSecrets,
            ManageMembers,
            ReadAudit,
            ReadDeviceKeys,
            ManageDeviceKeys,
        ] {
            assert_eq!(RULES.iter().filter(|r| r.action == action).count(), 1);
        }
    }

    #[test]
    fn a_membership_waiting_for_relink_may_only_recover() {
        let owner = member(Owner, Link::NeedsRelink);
        owner.may(Action::ReadRoster).unwrap();
        owner.may(Action::UseRecoveryKey).unwrap();
        for refused in [
            Action::ValidateRecoveryKey,
            Action::GenerateRecoveryKey,
            Action::ReadSecrets,
            Action::WriteSecrets,
            Action::ManageMembers,
            Action::ReadAudit,
            Action::ReadDeviceKeys,
            Action::ManageDeviceKeys,
        ] {
            assert!(
                matches!(owner.may(refused), Err(ApiError::NeedsRelink)),
                "{refused:?}"
            );
        }
        // The role is checked first: a member waiting for a relink is told to ask an owner.
        let plain = member(Member, Link::NeedsRelink);
        assert!(matches!(
            plain.may(Action::UseRecoveryKey),
            Err(ApiError::Forbidden(_))
        ));
    }

    #[test]
    fn roles_follow_the_table() {
        let linked = |role| member(role, Link::Linked);
        assert!(linked(Helpdesk).may(Action::ReadSecrets).is_err());
        linked(Helpdesk).may(Action::ReadDeviceKeys).unwrap();
        assert!(linked(Helpdesk).may(Action::ManageDeviceKeys).is_err());
        linked(ReadOnly).may(Action::ReadSecrets).unwrap();
        assert!(linked(ReadOnly).may(Action::WriteSecrets).is_err());
        linked(Admin).may(Action::ManageMembers).unwrap();
        assert!(linked(Admin).may(Action::GenerateRecoveryKey).is_err());
        linked(Owner).may(Action::GenerateRecoveryKey).unwrap();
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
