//! `keyhaven member invite | accept | list | role | remove | relink | reshare`.
//!
//! Adding a member takes three steps, because the server must never be the one to vouch for a
//! member's keys: the owner or admin invites an address (`member invite EMAIL`), the invitee
//! accepts (`member accept WORKSPACE`, which shows their key fingerprint), and the owner or
//! admin runs `member invite EMAIL` again: now it shows the invitee's fingerprint as the server
//! reports it, asks to confirm that it matches the one the invitee sees, and only then signs the
//! roster entry and hands out the keys.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use keyhaven_client::Client;
use keyhaven_client::members::{self, Invitee, role_name};
use keyhaven_client::workspaces::{Me, Opened};
use keyhaven_core::roster::Role;
use keyhaven_core::share::SharedKey;

use crate::account::{explain_flow, me};
use crate::workspace::{open, pin};

/// Workspace members.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Invite someone by email; once they accepted, run it again to check their key
    /// fingerprint and add them.
    ///
    /// The first run records the invitation and emails it (owners and admins). After the
    /// invitee ran `keyhaven member accept WORKSPACE`, the second run shows their key
    /// fingerprint, asks you to confirm it matches the one they see, then adds them and shares
    /// the workspace's keys with them.
    Invite {
        /// The invitee's email.
        email: String,
        /// Their role (default: member; on the second run, the role the invitation offered).
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Add without asking to confirm the fingerprint (for scripts: compare it out of band
        /// first).
        #[arg(long)]
        yes: bool,
    },
    /// Accept an invitation; shows your key fingerprint for the inviter to compare.
    Accept {
        /// The workspace's name (as in the invitation email) or id.
        workspace: String,
    },
    /// List the members (from the verified roster) and open invitations (from the server).
    List {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a member's role. Losing the workspace or escrow key rotates that key.
    Role {
        /// The member's email.
        email: String,
        /// The new role.
        #[arg(value_enum)]
        role: RoleArg,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Remove a member and rotate every key they could open (needs a recent sign-in).
    Remove {
        /// The member's email.
        email: String,
        /// Then re-encrypt every secret under the new workspace key. Safe to interrupt: run
        /// the same command again to finish.
        #[arg(long)]
        reencrypt: bool,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Relink a member after their password reset: check their new key fingerprint, then
    /// share the workspace's keys with their new key.
    Relink {
        /// The member's email.
        email: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Relink without asking to confirm the fingerprint (for scripts: compare it out of
        /// band first).
        #[arg(long)]
        yes: bool,
    },
    /// Give a member every key version you hold that their role receives, and the recovery
    /// key every version you hold, with no roster change. Repairs a member (or recovery key)
    /// that cannot open a key it is entitled to, e.g. device keys after an emergency reset with
    /// a recovery key made before recovery keys received device keys.
    Reshare {
        /// The member's email.
        email: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
}

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Full control, including recovery keys.
    Owner,
    /// Manages members (not owners) and keys.
    Admin,
    /// Reads and writes secrets.
    Member,
    /// Reads secrets.
    ReadOnly,
    /// Sees device recovery keys only, not secrets.
    Helpdesk,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Owner => Role::Owner,
            RoleArg::Admin => Role::Admin,
            RoleArg::Member => Role::Member,
            RoleArg::ReadOnly => Role::ReadOnly,
            RoleArg::Helpdesk => Role::Helpdesk,
        }
    }
}

pub async fn run(cmd: MemberCommand) -> Result<()> {
    let (me, client, _) = me()?;
    crate::account::show_prompts();
    match cmd {
        MemberCommand::Invite {
            email,
            role,
            workspace,
            yes,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            invite(&client, &me, &opened, &email, role.map(Role::from), yes).await
        }
        MemberCommand::Accept { workspace } => accept(&client, &me, &workspace).await,
        MemberCommand::List { workspace, json } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            list(&client, &me, &opened, json).await
        }
        MemberCommand::Role {
            email,
            role,
            workspace,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let changed = members::change_role(&client, &me, &opened, &email, role.into())
                .await
                .map_err(explain_flow)?;
            pin(opened.roster.workspace, &changed.head, &opened.roster.name).await?;
            println!(
                "{} is now {} in {}.",
                email.trim(),
                role_name(role.into()),
                opened.roster.name
            );
            say_rotations(&changed);
            Ok(())
        }
        MemberCommand::Remove {
            email,
            reencrypt,
            workspace,
        } => remove(&client, &me, workspace.as_deref(), &email, reencrypt).await,
        MemberCommand::Relink {
            email,
            workspace,
            yes,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            relink(&client, &me, &opened, &email, yes).await
        }
        MemberCommand::Reshare { email, workspace } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let done = members::reshare(&client, &me, &opened, &email)
                .await
                .map_err(explain_flow)?;
            let list = |v: &[u32]| crate::workspace::join_versions(v);
            let mut gave = Vec::new();
            if !done.workspace.is_empty() {
                gave.push(format!(
                    "workspace key version(s) {}",
                    list(&done.workspace)
                ));
            }
            if !done.escrow.is_empty() {
                gave.push(format!("escrow key version(s) {}", list(&done.escrow)));
            }
            if gave.is_empty() {
                println!("{} received no key from you.", email.trim());
            } else {
                println!("Gave {} {}.", email.trim(), gave.join(" and "));
            }
            if done.recovery > 0 {
                println!(
                    "The recovery key now holds every key version you hold ({}).",
                    done.recovery
                );
            }
            if !done.missing.is_empty() {
                let names: Vec<String> = done
                    .missing
                    .iter()
                    .map(|k| match k {
                        SharedKey::Workspace(v) => format!("workspace key version {v}"),
                        SharedKey::Escrow(v) => format!("escrow key version {v}"),
                    })
                    .collect();
                eprintln!(
                    "warning: you cannot open {}, so {} still lacks it\n\
                     hint: another owner or admin who opens it can run this command too",
                    names.join(", "),
                    email.trim()
                );
            }
            Ok(())
        }
    }
}

/// First run: invite (or renew). Once accepted: confirm the fingerprint and add.
async fn invite(
    client: &Client,
    me: &Me,
    opened: &Opened,
    email: &str,
    role: Option<Role>,
    yes: bool,
) -> Result<()> {
    let email = email.trim().to_lowercase();
    let name = &opened.roster.name;
    if opened.roster.members.values().any(|m| m.email == email) {
        bail!("{email} is already a member of {name}; see `keyhaven member list`");
    }
    let view = members::server_view(client, opened.roster.workspace)
        .await
        .map_err(explain_flow)?;
    let accepted = match view.invitations.iter().find(|i| i.email == email) {
        Some(invitation) => Invitee::of(invitation).map_err(explain_flow)?,
        None => None,
    };
    let Some(invitee) = accepted else {
        let role = role.unwrap_or(Role::Member);
        members::invite(client, opened, me, &email, role)
            .await
            .map_err(explain_flow)?;
        println!(
            "Invited {email} to {name} as {}; an email tells them how to accept.",
            role_name(role)
        );
        println!(
            "Once they ran `keyhaven member accept \"{name}\"`, run this command again to check \
             their key fingerprint and add them."
        );
        return Ok(());
    };
    let role = role.unwrap_or(invitee.role);
    println!("{email} accepted the invitation to {name}.");
    println!("Their key fingerprint, as the server reports it:");
    println!("\n    {}\n", invitee.keys.fingerprint());
    println!("It must match the one {email} saw when accepting (ask them by phone or in person).");
    confirm(
        &format!("Add {email} as {} with this key?", role_name(role)),
        yes,
    )?;
    let head = members::add(client, me, opened, &invitee, role)
        .await
        .map_err(explain_flow)?;
    pin(opened.roster.workspace, &head, &opened.roster.name).await?;
    println!("Added {email} to {name} as {}.", role_name(role));
    Ok(())
}

/// Asks to confirm a fingerprint on a terminal; `--yes` skips it with a warning.
fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        eprintln!(
            "warning: --yes skips the fingerprint check; only a comparison with the person \
             (out of band) catches a server that substituted its own key"
        );
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(crate::with_hint(
            anyhow::anyhow!("confirming the fingerprint needs a terminal; nothing was changed"),
            "compare the fingerprint with the person, then re-run with --yes",
        ));
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("not confirmed; nothing was changed")
    }
}

async fn accept(client: &Client, me: &Me, wanted: &str) -> Result<()> {
    let invitations = members::my_invitations(client)
        .await
        .map_err(explain_flow)?;
    let invitation = invitations
        .iter()
        .find(|i| i.workspace_name == wanted || i.workspace_id == wanted)
        .with_context(|| format!("there is no invitation to {wanted:?} for {}", me.email))?;
    members::accept(client, &invitation.workspace_id)
        .await
        .map_err(explain_flow)?;
    // Accepting is this device's consent: the workspace opens here once they have added you.
    let ws = invitation
        .workspace_id
        .parse()
        .map(keyhaven_core::ids::WorkspaceId)
        .context("the server sent a malformed workspace id")?;
    crate::home::local().consent(ws).await?;
    println!(
        "Accepted the invitation to {} ({} invited you as {}).",
        invitation.workspace_name, invitation.invited_by, invitation.role
    );
    println!("Your key fingerprint:");
    println!("\n    {}\n", me.keys.public().fingerprint());
    println!(
        "{} must see the same fingerprint before adding you; you can open the workspace once \
         they have.",
        invitation.invited_by
    );
    Ok(())
}

async fn list(client: &Client, me: &Me, opened: &Opened, json: bool) -> Result<()> {
    let view = members::server_view(client, opened.roster.workspace)
        .await
        .map_err(explain_flow)?;
    let needs_relink = |id: &str| {
        view.members
            .iter()
            .any(|m| m.account_id == id && m.needs_relink)
    };
    let roster = &opened.roster;
    if json {
        let members: Vec<_> = roster
            .members
            .iter()
            .map(|(id, m)| {
                serde_json::json!({
                    "account": id.to_string(),
                    "email": m.email,
                    "role": role_name(m.role),
                    "fingerprint": m.keys.fingerprint().to_string(),
                    "needs_relink": needs_relink(&id.to_string()),
                    "you": *id == me.id,
                })
            })
            .collect();
        let invitations: Vec<_> = view
            .invitations
            .iter()
            .map(|i| {
                serde_json::json!({
                    "email": i.email,
                    "role": i.role,
                    "invited_by": i.invited_by,
                    "accepted": i.accepted_at.is_some(),
                    "verified": false,
                })
            })
            .collect();
        let value = serde_json::json!({
            "workspace": roster.name,
            "workspace_key_version": roster.workspace_key_version,
            "members": members,
            "invitations": invitations,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "{}: {} members (verified roster), workspace key version {}",
        roster.name,
        roster.members.len(),
        roster.workspace_key_version
    );
    for (id, m) in &roster.members {
        let mut notes = Vec::new();
        if *id == me.id {
            notes.push("you");
        }
        if needs_relink(&id.to_string()) {
            notes.push("needs a relink after a password reset");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        println!(
            "  {:<9}  {}  {}{notes}",
            role_name(m.role),
            m.email,
            m.keys.fingerprint()
        );
    }
    if !view.invitations.is_empty() {
        println!("Invitations (from the server, not verified):");
        for i in &view.invitations {
            let state = if i.accepted_at.is_some() {
                format!(
                    "accepted: `keyhaven member invite {}` checks their fingerprint and adds them",
                    i.email
                )
            } else {
                "waiting for them to accept".to_owned()
            };
            println!(
                "  {:<9}  {}  invited by {}, {state}",
                i.role, i.email, i.invited_by
            );
        }
    }
    Ok(())
}

fn say_rotations(changed: &members::Changed) {
    if let Some(v) = changed.workspace_key_version {
        println!(
            "The workspace key is now version {v} (shared with {} recipients, the recovery key \
             included); new secrets use it.",
            changed.workspace_key_recipients
        );
    }
    if let Some(v) = changed.escrow_version {
        println!("The escrow key is now version {v}.");
    }
    if changed.tokens_revoked > 0 {
        println!(
            "The {} enrollment token(s) they had created were revoked; device agents using \
             them need a new token (`keyhaven escrow token create`).",
            changed.tokens_revoked
        );
    }
}

/// Removes the member, then (with `--reencrypt`) re-encrypts the secrets. A re-run after an
/// interruption finds the member gone and finishes the re-encryption.
async fn remove(
    client: &Client,
    me: &Me,
    workspace: Option<&str>,
    email: &str,
    reencrypt: bool,
) -> Result<()> {
    let opened = open(client, me, workspace).await?;
    let email = email.trim().to_lowercase();
    let is_member = opened.roster.members.values().any(|m| m.email == email);
    if is_member {
        let changed = members::remove(client, me, &opened, &email)
            .await
            .map_err(explain_flow)?;
        pin(opened.roster.workspace, &changed.head, &opened.roster.name).await?;
        println!("Removed {email} from {}.", opened.roster.name);
        say_rotations(&changed);
        if changed.workspace_key_version.is_some() && !reencrypt {
            println!(
                "Existing secrets stay under their key version until re-encrypted: run \
                 `keyhaven member remove {email} --reencrypt`."
            );
        }
    } else if reencrypt {
        println!(
            "{email} is not a member of {}; finishing the re-encryption.",
            opened.roster.name
        );
    } else {
        bail!("{email} is not a member of {}", opened.roster.name);
    }
    if !reencrypt {
        return Ok(());
    }
    // Reopen: the new workspace key's share is this account's now.
    let opened = open(client, me, Some(&opened.roster.workspace.to_string())).await?;
    let version = opened.roster.workspace_key_version;
    let bar = std::cell::OnceCell::new();
    let done = members::reencrypt(client, me, &opened, |done, total| {
        bar.get_or_init(|| crate::progress::Bar::new(total, "re-encrypting", "secrets", true))
            .update(done, total)
    })
    .await
    .map_err(explain_flow)?;
    println!(
        "Re-encrypted {} secrets under workspace key version {version} ({} already were).",
        done.rewritten, done.current
    );
    if done.changed_meanwhile > 0 {
        println!(
            "{} secrets changed meanwhile; run the same command again to finish.",
            done.changed_meanwhile
        );
    }
    if done.unreadable > 0 {
        eprintln!(
            "warning: {} stored item(s) do not check out and were left as they are \
             (`keyhaven secret list` names them; the server stored or served them)",
            done.unreadable
        );
    }
    Ok(())
}

async fn relink(client: &Client, me: &Me, opened: &Opened, email: &str, yes: bool) -> Result<()> {
    let email = email.trim().to_lowercase();
    let member = members::relinkable(client, opened, &email)
        .await
        .map_err(explain_flow)?;
    if member.new_keys == member.roster_keys {
        bail!(
            "{email}'s keys have not changed: there is nothing to relink\n\
             hint: if {email} cannot open secrets or device keys their role receives, give them \
             every key version you hold with `keyhaven member reshare {email}`"
        );
    }
    if !member.needs_relink {
        eprintln!("note: the server does not report a password reset for {email}");
    }
    println!(
        "{email} has new keys (after a password reset). Their new key fingerprint, as the server reports it:"
    );
    println!("\n    {}\n", member.new_keys.fingerprint());
    println!(
        "(The roster has {} from before.) It must match the one {email} sees when signing in.",
        member.roster_keys.fingerprint()
    );
    confirm(&format!("Relink {email} with this key?"), yes)?;
    let head = members::relink(client, me, opened, &member)
        .await
        .map_err(explain_flow)?;
    pin(opened.roster.workspace, &head, &opened.roster.name).await?;
    println!(
        "Relinked {email}: their new key opens {} again.",
        opened.roster.name
    );
    Ok(())
}
