//! `keyhaven audit list | verify`: a workspace's audit log (owners and admins) or the signed-in
//! account's, checked on this device before anything is reported as intact.
//!
//! Both commands recompute every event's hash and every link, and compare the chain with the
//! head this device pinned last time (`audit-pins.json` in the CLI's directory, like the roster
//! pins); a check that passes moves the pin to the new head.

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use keyhaven_client::Client;
use keyhaven_client::audit::{self, AuditError};
use keyhaven_client::devices;
use keyhaven_client::local::AuditCheckError;
use keyhaven_client::workspaces::Me;
use keyhaven_core::ids::WorkspaceId;
use keyhaven_proto::AuditEvent;

use crate::account::{explain_flow, me};
use crate::home;

/// What `audit verify` proves, shown in its help.
const PROOF_NOTE: &str = "\
What a passing check proves: every event still hashes to the hash recorded with it, each links
to the one before, and the events this device saw before are still there, unchanged (the
pinned head). What it does not prove: the server computes the hashes, so a server that
rewrites an event and recomputes every hash after it passes the check on a device that never
saw the old events; and an event that was never written cannot be missed.";

/// Audit logs.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the events of an audit log, in order, after checking the chain (exit 1 if it
    /// does not check out; the events are printed either way).
    List {
        #[command(flatten)]
        which: Which,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check an audit log on this device: recompute every hash and link, compare with the
    /// head pinned here, and name the first broken event (exit 1) or report it intact.
    #[command(after_help = PROOF_NOTE)]
    Verify {
        #[command(flatten)]
        which: Which,
    },
}

/// Which log: a workspace's (owners and admins) or your account's.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct Which {
    /// Workspace name or id (default: your only workspace).
    #[arg(long)]
    workspace: Option<String>,
    /// Your account's log (sign-ins, sign-outs, password resets) instead of a workspace's.
    #[arg(long)]
    account: bool,
}

pub async fn run(cmd: AuditCommand) -> Result<()> {
    let (me, client, _) = me()?;
    crate::account::show_prompts();
    match cmd {
        AuditCommand::List { which, json } => {
            let log = fetch(&client, &me, &which).await?;
            let checked = check(&log).await;
            let (keys, actors) = names(&client, &me, &which, &log).await;
            if json {
                let rows: Vec<_> = log
                    .events
                    .iter()
                    .map(|e| {
                        let mut row = json_row(e);
                        if let Some(who) = actors.get(&e.actor) {
                            row["actor_email"] = serde_json::json!(who);
                        }
                        let named = audit::named_keys(e, &keys);
                        if !named.is_empty() {
                            row["device_keys"] = serde_json::json!(named);
                        }
                        row
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if log.events.is_empty() {
                println!("The audit log of {} is empty.", log.label);
            } else {
                for e in &log.events {
                    println!(
                        "{:>5}  {}  {:<24}  {}  {}",
                        e.seq,
                        timestamp(e.at),
                        e.kind,
                        audit::actor_name(&e.actor, &actors),
                        e.details
                    );
                    for named in audit::named_keys(e, &keys) {
                        println!("{:>5}  {named}", "");
                    }
                }
            }
            checked.map(drop)
        }
        AuditCommand::Verify { which } => {
            let log = fetch(&client, &me, &which).await?;
            let first_check = check(&log).await?;
            println!(
                "Audit log of {}: {} events, chain intact.",
                log.label,
                log.events.len()
            );
            if first_check {
                println!("First check on this device: its head is pinned from now on.");
            }
            Ok(())
        }
    }
}

/// Names for what the server records by id: device keys ("key <ID> of <device>", for those
/// who hold the escrow key) and actors (accounts by their email in the verified roster; in
/// the account's own log, this account).
async fn names(
    client: &Client,
    me: &Me,
    which: &Which,
    log: &Log,
) -> (
    std::collections::HashMap<String, String>,
    std::collections::HashMap<String, String>,
) {
    let mut keys = std::collections::HashMap::new();
    let mut actors = std::collections::HashMap::new();
    if which.account {
        actors.insert(format!("account:{}", me.id), me.email.clone());
        return (keys, actors);
    }
    let Ok(opened) = crate::workspace::open(client, me, which.workspace.as_deref()).await else {
        return (keys, actors);
    };
    actors = audit::actor_names(&opened.roster);
    if log.events.iter().any(|e| e.kind.starts_with("device-key"))
        && let Ok(escrow) = devices::Escrow::open(&opened)
    {
        let filter = devices::ListFilter {
            history: true,
            ..Default::default()
        };
        if let Ok(list) = devices::list(client, &escrow, &filter).await {
            keys = audit::device_key_names(&list);
        }
    }
    (keys, actors)
}

/// A chain as the server returned it.
struct Log {
    /// For messages: `workspace "Acme"` or `your account (alice@example.com)`.
    label: String,
    chain: String,
    events: Vec<AuditEvent>,
}

async fn fetch(client: &Client, me: &Me, which: &Which) -> Result<Log> {
    if which.account {
        let events = audit::account_events(client).await.map_err(explain_flow)?;
        return Ok(Log {
            label: format!("your account ({})", me.email),
            chain: audit::account_chain(me.id),
            events,
        });
    }
    let summary = crate::workspace::choose(client, which.workspace.as_deref()).await?;
    let ws = WorkspaceId(
        summary
            .id
            .parse()
            .context("the server sent a malformed workspace id")?,
    );
    let events = audit::workspace_events(client, ws)
        .await
        .map_err(explain_flow)?;
    Ok(Log {
        label: format!("workspace {:?}", summary.name),
        chain: audit::workspace_chain(ws),
        events,
    })
}

/// Verifies the chain against this device's pin and moves the pin on success. Returns whether
/// that pinned the chain for the first time.
async fn check(log: &Log) -> Result<bool> {
    match home::local().check_audit(&log.chain, &log.events).await {
        Ok(first) => Ok(first),
        Err(AuditCheckError::Store(e)) => Err(e.into()),
        Err(AuditCheckError::Chain(e)) => {
            let hint = match e {
                AuditError::Rollback { .. } | AuditError::Fork { .. } => {
                    "this device saw a longer or different log before: the server or its database \
                     dropped or rewrote events; tell the server's operator and keep this output"
                }
                _ => {
                    "the log was edited behind the server's back (or the server is lying); tell \
                     the server's operator and keep this output"
                }
            };
            Err(crate::with_hint(
                anyhow!("the audit log of {} does not check out: {e}", log.label),
                hint,
            ))
        }
    }
}

fn json_row(e: &AuditEvent) -> serde_json::Value {
    // The details as JSON when they parse (they always should), else as the text received.
    let details = serde_json::from_str::<serde_json::Value>(&e.details)
        .unwrap_or_else(|_| serde_json::Value::String(e.details.clone()));
    serde_json::json!({
        "chain": e.chain,
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "kind": e.kind,
        "details": details,
        "prev_hash": hex(&e.prev_hash.0),
        "hash": hex(&e.hash.0),
    })
}

/// `YYYY-MM-DD HH:MM:SSZ`.
fn timestamp(at: i64) -> String {
    let at = u64::try_from(at).unwrap_or(0);
    let secs = at % 86_400;
    format!(
        "{} {:02}:{:02}:{:02}Z",
        keyhaven_core::kit::format_date(at),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc() {
        assert_eq!(timestamp(1_795_305_600 + 3_723), "2026-11-22 01:02:03Z");
    }
}
