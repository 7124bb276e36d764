//! `keyhaven device …` and `keyhaven escrow …`: device recovery keys kept in the workspace,
//! sealed on this machine to the workspace escrow key.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use keyhaven_client::Client;
use keyhaven_client::device_export::{self, ExportFormat};
use keyhaven_client::devices::{self, CheckOutcome, DeviceKey, Escrow, ListFilter};
use keyhaven_core::escrow::{
    DeviceKeyPlain, DeviceKind, DeviceMeta, KeyId, MAX_FIELD_CHARS, PrefixQuery, TokenSecret,
    VolumeType,
};
use keyhaven_core::kit::format_date;
use zeroize::Zeroizing;

use crate::account::{explain_flow, me};
use crate::device_files::{self, Defaults};
use crate::workspace::open;

/// Device recovery keys (BitLocker, FileVault, LUKS): owners and admins add and import;
/// owners, admins and helpdesk members list, find, reveal, export and check.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Escrow one key. The key is read from KEYHAVEN_DEVICE_KEY, else stdin, else a prompt;
    /// never from a flag.
    Add {
        /// Device (computer) name; for a microsoft-account code, the account it is for
        /// (e.g. alice@outlook.com).
        #[arg(long = "device", value_name = "NAME")]
        device: String,
        /// bitlocker, filevault, luks, generic or microsoft-account (the Microsoft account's
        /// 25-character recovery code).
        #[arg(long, value_parser = parse_kind)]
        kind: DeviceKind,
        /// The key identifier (BitLocker: the protector GUID the recovery screen shows).
        /// Not needed for a microsoft-account code, which is found by its account.
        #[arg(long = "key-id", value_name = "ID")]
        key_id: Option<String>,
        #[command(flatten)]
        details: Details,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Import keys from BitLocker .txt files, folders (recursive), manage-bde output, CSV
    /// with a header row, or JSON. Re-running an import is safe: keys already escrowed are
    /// skipped. Invalid inputs are listed with the reason and never stored.
    Import {
        /// Files or folders.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Device name for files that do not say (BitLocker .txt, manage-bde output).
        #[arg(long = "device", value_name = "NAME")]
        device: Option<String>,
        /// Kind for CSV/JSON rows that do not say (default: bitlocker).
        #[arg(long, value_parser = parse_kind)]
        kind: Option<DeviceKind>,
        #[command(flatten)]
        details: Details,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List escrowed keys (metadata only; never a key).
    List {
        /// Only this device.
        #[arg(long = "device", value_name = "NAME")]
        device: Option<String>,
        /// Only keys revealed or exported since they were stored (rotate them on the device).
        #[arg(long)]
        needs_rotation: bool,
        /// Include keys replaced by newer ones.
        #[arg(long)]
        history: bool,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find keys by identifier: 8 or more hex characters, any case, braces allowed (what
    /// the BitLocker recovery screen shows as "Recovery key ID"). Never shows a key.
    Find {
        /// Identifier or its first 8+ hex characters.
        #[arg(value_name = "ID-PREFIX")]
        prefix: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a key. The audit event (who, when, reason, which key) is stored first; the key
    /// is then marked "rotate after use". Needs a recent sign-in.
    Reveal {
        /// Identifier or its first 8+ hex characters.
        #[arg(value_name = "ID")]
        id: String,
        /// Why (kept in the workspace audit log), e.g. a ticket number.
        #[arg(long)]
        reason: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Save a key to a file: a BitLocker .txt exactly as Windows writes it, printable HTML or
    /// PDF (large digits, QR code), or JSON. Audited and marked "rotate after use" like a
    /// reveal. With --out a folder (e.g. a USB drive), the file gets its usual name.
    Export {
        /// Identifier or its first 8+ hex characters.
        #[arg(value_name = "ID")]
        id: String,
        /// bitlocker-txt, html, pdf or json.
        #[arg(long, value_parser = parse_format)]
        format: ExportFormat,
        /// A file to create, or an existing folder.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Why (kept in the workspace audit log).
        #[arg(long)]
        reason: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Is a typed key this device's key? Checks it group by group, then compares its blind
    /// index with the record's on this machine (the escrowed key is not read, so nothing is
    /// marked "rotate after use"), and if it belongs to another device, says which. The typed key comes from KEYHAVEN_DEVICE_KEY, stdin or a prompt.
    Check {
        /// The identifier the locked machine shows (or its first 8+ hex characters).
        #[arg(long = "key-id", value_name = "ID")]
        key_id: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Review a key an enrollment token submitted for an identifier that already had another
    /// escrowed key (`device list` shows it as "conflict"). Until then the escrowed key stays
    /// the current one. --accept makes the submitted key current (the old one becomes
    /// history); --reject deletes the submission. Audited; needs a recent sign-in.
    Resolve {
        /// Identifier or its first 8+ hex characters.
        #[arg(value_name = "ID")]
        id: String,
        /// Make the submitted key the current one.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        accept: bool,
        /// Delete the submitted key.
        #[arg(long)]
        reject: bool,
        /// The conflicting record (RECORD_ID of `device list --json`), when one identifier has
        /// several.
        #[arg(long, value_name = "RECORD-ID")]
        record: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Show or change the workspace's device-key settings. With --reason required, every
    /// reveal and export must give --reason (the server refuses one without); owners and
    /// admins change it, and the change is audited.
    Settings {
        /// `required` or `optional`: whether a reveal or export must give a reason.
        #[arg(long, value_name = "WHEN", value_parser = ["required", "optional"])]
        reason: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Delete a key and the history it replaced (owners and admins).
    Rm {
        /// Identifier or its first 8+ hex characters.
        #[arg(value_name = "ID")]
        id: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
}

/// Optional device details.
#[derive(Debug, Args)]
pub struct Details {
    /// Volume, e.g. C: or /dev/nvme0n1p3.
    #[arg(long)]
    volume: Option<String>,
    /// os, fixed or removable.
    #[arg(long = "volume-type", value_parser = parse_volume_type)]
    volume_type: Option<VolumeType>,
    /// Serial number.
    #[arg(long)]
    serial: Option<String>,
    /// Operating system.
    #[arg(long)]
    os: Option<String>,
}

/// Enrollment tokens and device-agent submissions.
#[derive(Debug, Subcommand)]
pub enum EscrowCommand {
    /// Enrollment tokens: write-only credentials for device agents (owners and admins).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Submit a device's key with an enrollment token (run on the device, e.g. by a
    /// deployment script). The key is sealed here to the workspace escrow key; the token can
    /// never read it back. The token comes from --token or KEYHAVEN_ESCROW_TOKEN; a typed key
    /// from KEYHAVEN_DEVICE_KEY or stdin.
    Submit {
        /// The Keyhaven server, e.g. https://keyhaven.internal.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The enrollment token (KHT2-…); prefer KEYHAVEN_ESCROW_TOKEN, which no process list shows.
        #[arg(
            long,
            value_name = "TOKEN",
            env = "KEYHAVEN_ESCROW_TOKEN",
            hide_env_values = true
        )]
        token: String,
        /// A BitLocker .txt file.
        #[arg(long, value_name = "PATH", conflicts_with_all = ["manage_bde", "kind"])]
        file: Option<PathBuf>,
        /// Output of `manage-bde -protectors -get C:` saved to a file.
        #[arg(long = "manage-bde", value_name = "PATH", conflicts_with = "kind")]
        manage_bde: Option<PathBuf>,
        /// Device name (default: this machine's host name; the files above do not carry it).
        #[arg(long = "device", value_name = "NAME")]
        device: Option<String>,
        /// For a typed key: bitlocker, filevault, luks, generic or microsoft-account.
        #[arg(long, value_parser = parse_kind, requires = "key_id")]
        kind: Option<DeviceKind>,
        /// For a typed key: its identifier.
        #[arg(long = "key-id", value_name = "ID", requires = "kind")]
        key_id: Option<String>,
        #[command(flatten)]
        details: Details,
    },
}

/// Enrollment tokens.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is shown once. Give it to device agents (e.g. as
    /// KEYHAVEN_ESCROW_TOKEN in a deployment script).
    Create {
        /// Lifetime: a number of days (30d), hours (12h) or weeks (4w); at most a year.
        #[arg(long, default_value = "30d", value_parser = parse_lifetime)]
        expires: u64,
        /// A label for lists.
        #[arg(long)]
        name: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it is refused from now on.
    Revoke {
        /// The token id (from `escrow token list`).
        #[arg(value_name = "TOKEN-ID")]
        token: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
}

fn parse_kind(s: &str) -> Result<DeviceKind, String> {
    DeviceKind::parse(s)
        .ok_or_else(|| "use bitlocker, filevault, luks, generic or microsoft-account".to_owned())
}

fn parse_volume_type(s: &str) -> Result<VolumeType, String> {
    VolumeType::parse(s).ok_or_else(|| "use os, fixed or removable".to_owned())
}

fn parse_format(s: &str) -> Result<ExportFormat, String> {
    s.parse::<ExportFormat>().map_err(|e| e.to_string())
}

/// `30d`, `12h`, `4w` → seconds (1 hour to 366 days).
fn parse_lifetime(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.len().saturating_sub(1));
    let scale = match unit {
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err("write a number and a unit: 12h, 30d or 4w".into()),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| "write a number and a unit: 12h, 30d or 4w".to_owned())?;
    let secs = n.saturating_mul(scale);
    if !(3600..=366 * 86_400).contains(&secs) {
        return Err("a token lives from 1 hour to 366 days".into());
    }
    Ok(secs)
}

fn field(value: Option<String>, what: &str) -> Result<String> {
    let value = value.unwrap_or_default().trim().to_owned();
    if value.chars().count() > MAX_FIELD_CHARS || value.chars().any(char::is_control) {
        bail!("{what} must be one line of at most {MAX_FIELD_CHARS} characters");
    }
    Ok(value)
}

/// A typed key: KEYHAVEN_DEVICE_KEY, else stdin, else a hidden prompt.
fn read_device_key(prompt: &str) -> Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var("KEYHAVEN_DEVICE_KEY") {
        return Ok(Zeroizing::new(value));
    }
    if std::io::stdin().is_terminal() {
        return Ok(Zeroizing::new(rpassword::prompt_password(prompt)?));
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().take(64 * 1024).read_to_string(&mut text)?;
    let trimmed = Zeroizing::new(text.trim().to_owned());
    if trimmed.is_empty() {
        bail!("no key on stdin (or set KEYHAVEN_DEVICE_KEY)");
    }
    Ok(trimmed)
}

/// Checks a typed key for `kind`: the error names the group and what is wrong.
fn normalize(kind: DeviceKind, typed: &str) -> Result<Zeroizing<String>> {
    kind.normalize_secret(typed).map_err(|e| {
        crate::with_hint(
            anyhow::anyhow!("the {} key is not valid: {e}", kind.as_str()),
            "check that group against the recovery screen or the printed key; nothing was stored",
        )
    })
}

fn plain_from_flags(
    device: &str,
    kind: DeviceKind,
    key_id: &str,
    details: Details,
    source: &str,
    typed: &str,
) -> Result<DeviceKeyPlain> {
    let device = field(Some(device.to_owned()), "the device name")?;
    if device.is_empty() {
        bail!("the device name is empty");
    }
    let key_id = KeyId::parse(key_id, kind).map_err(|e| anyhow::anyhow!("--key-id: {e}"))?;
    let secret = normalize(kind, typed)?;
    Ok(DeviceKeyPlain {
        meta: DeviceMeta {
            device,
            serial: field(details.serial, "--serial")?,
            os: field(details.os, "--os")?,
            volume: field(details.volume, "--volume")?,
            volume_type: details.volume_type,
            kind,
            key_id,
            source: source.into(),
            added_at: devices::now(),
        },
        secret,
    })
}

async fn open_escrow(
    workspace: Option<&str>,
) -> Result<(keyhaven_client::workspaces::Me, Client, Escrow)> {
    let (me, client, _) = me()?;
    crate::account::show_prompts();
    let opened = open(&client, &me, workspace).await?;
    let escrow = Escrow::open(&opened).map_err(explain_flow)?;
    Ok((me, client, escrow))
}

/// Indexes waiting token submissions, saying so when it could not.
async fn index(client: &Client, escrow: &Escrow) -> Result<()> {
    let done = devices::index_pending(client, escrow)
        .await
        .map_err(explain_flow)?;
    if done.waiting > 0 {
        eprintln!(
            "note: {} key(s) submitted by enrollment tokens are not searchable yet; run \
             `keyhaven login` and list again to index them",
            done.waiting
        );
    }
    if done.conflicts > 0 {
        eprintln!(
            "warning: {} key(s) submitted by enrollment tokens differ from the key already \
             escrowed for their identifier; the escrowed key stays current until you review \
             them with `keyhaven device resolve ID --accept|--reject`",
            done.conflicts
        );
    }
    Ok(())
}

/// The open conflict for `typed`, or a clear error.
async fn conflict_of(
    client: &Client,
    escrow: &Escrow,
    typed: &str,
    record: Option<&str>,
) -> Result<DeviceKey> {
    let query = PrefixQuery::parse(typed).map_err(|e| anyhow::anyhow!("{e}"))?;
    index(client, escrow).await?;
    let found = devices::find(client, escrow, &query)
        .await
        .map_err(explain_flow)?;
    let open: Vec<&DeviceKey> = found
        .iter()
        .filter(|k| k.view.conflict && record.is_none_or(|r| k.view.id == r))
        .collect();
    match open.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "no key with an identifier starting with {}{} waits for review; `keyhaven device \
             list` shows conflicts",
            query.as_str(),
            record
                .map(|r| format!(" and record {r}"))
                .unwrap_or_default()
        ),
        several => {
            let mut message = format!(
                "{} submissions conflict for identifiers starting with {}; choose one with \
                 --record:",
                several.len(),
                query.as_str()
            );
            for k in several {
                message.push_str(&format!(
                    "\n  {}  {}  {}  from {}",
                    k.view.id,
                    k.meta.key_id.as_str(),
                    k.meta.device,
                    k.meta.source
                ));
            }
            bail!(message)
        }
    }
}

/// The one current key of the device (or account) named `name`; `reason` says why `name` was
/// not taken for an identifier, for the error when no device has that name either.
async fn resolve_by_name(
    client: &Client,
    escrow: &Escrow,
    name: &str,
    reason: &str,
) -> Result<DeviceKey> {
    index(client, escrow).await?;
    let filter = devices::ListFilter {
        device: Some(name.trim().to_owned()),
        ..devices::ListFilter::default()
    };
    let found = devices::list(client, escrow, &filter)
        .await
        .map_err(explain_flow)?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("{reason} (and no device or account is named {name:?})"),
        _ => bail!(
            "{name:?} has {} keys; name one by its identifier (see `keyhaven device list --device \
             {name:?}`)",
            found.len()
        ),
    }
}

/// The one current key for `typed` (identifier or prefix; or, for keys without a GUID such as
/// a Microsoft account's recovery code, the device or account name), or a clear error.
async fn resolve(client: &Client, escrow: &Escrow, typed: &str) -> Result<DeviceKey> {
    let query = match PrefixQuery::parse(typed) {
        Ok(query) => query,
        Err(reason) => return resolve_by_name(client, escrow, typed, &reason).await,
    };
    index(client, escrow).await?;
    let found = devices::find(client, escrow, &query)
        .await
        .map_err(explain_flow)?;
    let current: Vec<&DeviceKey> = found
        .iter()
        .filter(|k| k.view.replaced_by.is_none())
        .collect();
    match current.as_slice() {
        [one] => Ok((*one).clone()),
        [] if found.is_empty() => bail!(
            "no escrowed key has an identifier starting with {}; see `keyhaven device list`",
            query.as_str()
        ),
        [] => {
            // Only history matches: a device may still use a replaced protector (a rotation
            // that never reached it), so a replaced key stays usable when it is unambiguous.
            let ids: std::collections::BTreeSet<&str> =
                found.iter().map(|k| k.meta.key_id.as_str()).collect();
            if ids.len() > 1 {
                bail!(
                    "several replaced keys have an identifier starting with {}; type more of it \
                     (see `keyhaven device list --history`)",
                    query.as_str()
                );
            }
            let newest = found
                .iter()
                .max_by_key(|k| k.view.created_at)
                .expect("found is not empty");
            eprintln!(
                "note: the key {} of {} was replaced by a newer key; using the replaced one",
                newest.meta.key_id.as_str(),
                newest.meta.device
            );
            Ok(newest.clone())
        }
        several => {
            let mut message = format!(
                "{} keys have an identifier starting with {}; type more of it:",
                several.len(),
                query.as_str()
            );
            for k in several {
                message.push_str(&format!(
                    "\n  {}  {}",
                    k.meta.key_id.as_str(),
                    k.meta.device
                ));
            }
            bail!(message)
        }
    }
}

fn state_of(k: &DeviceKey) -> &'static str {
    if k.view.conflict {
        "conflict (see device resolve)"
    } else if k.view.replaced_by.is_some() {
        "replaced"
    } else if k.view.rotate_after_use {
        "rotate after use"
    } else {
        "ok"
    }
}

fn key_json(k: &DeviceKey) -> serde_json::Value {
    serde_json::json!({
        "record_id": k.view.id,
        "device": k.meta.device,
        "serial": k.meta.serial,
        "os": k.meta.os,
        "volume": k.meta.volume,
        "volume_type": k.meta.volume_type.map(VolumeType::as_str),
        "kind": k.meta.kind.as_str(),
        "key_id": k.meta.key_id.as_str(),
        "source": k.meta.source,
        "created_at": k.view.created_at,
        "updated_at": k.view.updated_at,
        "rotate_after_use": k.view.rotate_after_use,
        "revealed_at": k.view.revealed_at,
        "replaced_by": k.view.replaced_by,
        "conflict": k.view.conflict,
    })
}

fn print_table(keys: &[DeviceKey]) {
    if keys.is_empty() {
        println!("No device keys.");
        return;
    }
    let width = keys
        .iter()
        .map(|k| k.meta.device.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:<width$}  {:<8}  {:<9}  {:<36}  {:<10}  STATE",
        "DEVICE", "VOLUME", "KIND", "KEY ID", "ADDED"
    );
    for k in keys {
        println!(
            "{:<width$}  {:<8}  {:<9}  {:<36}  {:<10}  {}",
            k.meta.device,
            k.meta.volume,
            k.meta.kind.as_str(),
            k.meta.key_id.as_str(),
            format_date(u64::try_from(k.view.created_at).unwrap_or(0)),
            state_of(k)
        );
    }
}

fn describe(k: &DeviceKey) -> String {
    let mut where_ = k.meta.device.clone();
    if !k.meta.volume.is_empty() {
        where_.push_str(&format!(", volume {}", k.meta.volume));
    }
    where_
}

/// Runs a device command.
pub async fn run(cmd: DeviceCommand) -> Result<()> {
    match cmd {
        DeviceCommand::Add {
            device,
            kind,
            key_id,
            details,
            workspace,
        } => {
            // An account's recovery code is known by its account.
            let key_id = match key_id {
                Some(id) => id,
                None if kind == DeviceKind::MicrosoftAccount => device.clone(),
                None => bail!(
                    "--key-id is required for {} keys (BitLocker: the protector GUID the \
                     recovery screen shows)",
                    kind.as_str()
                ),
            };
            let typed = read_device_key("Recovery key: ")?;
            let plain = plain_from_flags(&device, kind, &key_id, details, "typed", &typed)?;
            let (me, client, escrow) = open_escrow(workspace.as_deref()).await?;
            let added = devices::add(&client, &me, &escrow, std::slice::from_ref(&plain), |_| {})
                .await
                .map_err(explain_flow)?;
            if added.already_present > 0 {
                println!(
                    "This key is already escrowed for {} (identifier {}); nothing changed.",
                    plain.meta.device,
                    plain.meta.key_id.as_str()
                );
            } else if added.replaced > 0 {
                println!(
                    "Escrowed the new {} key of {} (identifier {}); the key it replaces is kept \
                     as history.",
                    kind.as_str(),
                    plain.meta.device,
                    plain.meta.key_id.as_str()
                );
            } else {
                println!(
                    "Escrowed the {} key of {} (identifier {}).",
                    kind.as_str(),
                    plain.meta.device,
                    plain.meta.key_id.as_str()
                );
            }
            Ok(())
        }
        DeviceCommand::Import {
            paths,
            device,
            kind,
            details,
            workspace,
            json,
        } => {
            let defaults = Defaults {
                device,
                serial: details.serial,
                os: details.os,
                volume: details.volume,
                kind,
            };
            let (candidates, invalid) = device_files::collect(&paths, &defaults)?;
            let read = keyhaven_client::device_files::Read {
                candidates,
                invalid,
            };
            let total = read.candidates.len();
            let imported = if total == 0 {
                // Nothing to seal: the summary needs no sign-in.
                devices::Imported {
                    added: devices::Added::default(),
                    invalid: read.invalid,
                }
            } else {
                let (me, client, escrow) = open_escrow(workspace.as_deref()).await?;
                let progress = crate::progress::Bar::new(total, "importing", "keys", false);
                let now = devices::now();
                devices::import(
                    &client,
                    &me,
                    &escrow,
                    read,
                    now,
                    details.volume_type,
                    |done| progress.update(done, total),
                )
                .await
                .map_err(explain_flow)?
            };
            let (added, invalid) = (imported.added, imported.invalid);
            if json {
                let invalid_json: Vec<_> = invalid
                    .iter()
                    .map(|i| serde_json::json!({"input": i.origin, "reason": i.reason}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "imported": added.added,
                        "replaced": added.replaced,
                        "already_present": added.already_present,
                        "invalid": invalid_json,
                    }))?
                );
            } else {
                let mut line = format!("Imported {} key(s)", added.added);
                if added.replaced > 0 {
                    line.push_str(&format!(
                        " ({} replacing an older key, kept as history)",
                        added.replaced
                    ));
                }
                line.push_str(&format!(
                    "; {} already present; {} invalid.",
                    added.already_present,
                    invalid.len()
                ));
                println!("{line}");
                for i in &invalid {
                    println!("  invalid: {}: {}", i.origin, i.reason);
                }
            }
            if invalid.is_empty() {
                Ok(())
            } else {
                Err(crate::with_hint(
                    anyhow::anyhow!(
                        "{} input(s) were invalid and not imported (the valid ones were)",
                        invalid.len()
                    ),
                    "fix or remove those inputs and run the same import again: keys already \
                     escrowed are skipped",
                ))
            }
        }
        DeviceCommand::List {
            device,
            needs_rotation,
            history,
            workspace,
            json,
        } => {
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            index(&client, &escrow).await?;
            let filter = ListFilter {
                device,
                needs_rotation,
                history,
            };
            let keys = devices::list(&client, &escrow, &filter)
                .await
                .map_err(explain_flow)?;
            if json {
                let list: Vec<_> = keys.iter().map(key_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_table(&keys);
            }
            Ok(())
        }
        DeviceCommand::Find {
            prefix,
            workspace,
            json,
        } => {
            let query = PrefixQuery::parse(&prefix).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            index(&client, &escrow).await?;
            let keys = devices::find(&client, &escrow, &query)
                .await
                .map_err(explain_flow)?;
            if json {
                let list: Vec<_> = keys.iter().map(key_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if keys.is_empty() {
                bail!(
                    "no escrowed key has an identifier starting with {}",
                    query.as_str()
                );
            } else {
                print_table(&keys);
            }
            Ok(())
        }
        DeviceCommand::Reveal {
            id,
            reason,
            workspace,
            json,
        } => {
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            let key = resolve(&client, &escrow, &id).await?;
            let secret = devices::reveal(&client, &escrow, &key, "reveal", reason.as_deref())
                .await
                .map_err(explain_flow)?;
            if json {
                let mut value = key_json(&key);
                value["key"] = serde_json::Value::String(secret.to_string());
                let text = Zeroizing::new(serde_json::to_string_pretty(&value)?);
                println!("{}", text.as_str());
            } else {
                println!("Device:        {}", describe(&key));
                println!("Key ID:        {}", key.meta.key_id.as_str());
                println!("Kind:          {}", key.meta.kind.as_str());
                println!("Recovery key:  {}", secret.as_str());
                eprintln!(
                    "This reveal is in the workspace audit log. The key is now marked \"rotate \
                     after use\": once the device is unlocked, give it a new recovery key."
                );
            }
            Ok(())
        }
        DeviceCommand::Export {
            id,
            format,
            out,
            reason,
            workspace,
        } => {
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            let key = resolve(&client, &escrow, &id).await?;
            if format == ExportFormat::BitLockerTxt && key.meta.kind != DeviceKind::BitLocker {
                bail!(
                    "--format bitlocker-txt is for BitLocker keys; this is a {} key (use html, \
                     pdf or json)",
                    key.meta.kind.as_str()
                );
            }
            let target = if out.is_dir() {
                out.join(device_export::default_file_name(format, &key.meta))
            } else {
                out
            };
            if target.exists() {
                bail!(
                    "{} exists already; nothing was revealed (choose another path)",
                    target.display()
                );
            }
            let secret = devices::reveal(&client, &escrow, &key, "export", reason.as_deref())
                .await
                .map_err(explain_flow)?;
            let bytes = device_export::render(format, &key.meta, &secret, &key.header.id)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::workspace::write_private(&target, &bytes)?;
            println!(
                "Wrote {} ({} key of {}, identifier {}).",
                target.display(),
                key.meta.kind.as_str(),
                describe(&key),
                key.meta.key_id.as_str()
            );
            eprintln!(
                "This export is in the workspace audit log, and the key is marked \"rotate after \
                 use\". Keep the file somewhere safe, and delete it once the device is unlocked."
            );
            Ok(())
        }
        DeviceCommand::Check { key_id, workspace } => {
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            let key = resolve(&client, &escrow, &key_id).await?;
            let typed = read_device_key("Key typed on the device: ")?;
            let typed = normalize(key.meta.kind, &typed)?;
            match devices::check(&client, &escrow, &key, &typed)
                .await
                .map_err(explain_flow)?
            {
                CheckOutcome::Matches => {
                    println!(
                        "Yes: this is the escrowed key of {} (identifier {}).",
                        describe(&key),
                        key.meta.key_id.as_str()
                    );
                    Ok(())
                }
                CheckOutcome::OtherDevice(others) => {
                    let mut message = format!(
                        "this is not the key of {} (identifier {}); it is the escrowed key of:",
                        describe(&key),
                        key.meta.key_id.as_str()
                    );
                    for o in &others {
                        message.push_str(&format!(
                            "\n  {} (identifier {})",
                            describe(o),
                            o.meta.key_id.as_str()
                        ));
                    }
                    Err(crate::with_hint(
                        anyhow::anyhow!(message),
                        "compare the identifier on the recovery screen with the one printed \
                         with the key",
                    ))
                }
                CheckOutcome::NoMatch => Err(crate::with_hint(
                    anyhow::anyhow!(
                        "this is not the key of {} (identifier {}), nor of any other escrowed \
                         device",
                        describe(&key),
                        key.meta.key_id.as_str()
                    ),
                    "every group is well formed, so a digit is probably swapped or from another \
                     printout; `keyhaven device reveal` shows the escrowed key",
                )),
            }
        }
        DeviceCommand::Resolve {
            id,
            accept,
            reject: _,
            record,
            workspace,
        } => {
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            let key = conflict_of(&client, &escrow, &id, record.as_deref()).await?;
            devices::resolve_conflict(&client, &escrow, &key, accept)
                .await
                .map_err(explain_flow)?;
            if accept {
                println!(
                    "Accepted: the key submitted for {} (identifier {}) is now the current one; \
                     the key escrowed before is kept as history.",
                    describe(&key),
                    key.meta.key_id.as_str()
                );
            } else {
                println!(
                    "Rejected and deleted the key submitted for {} (identifier {}); the escrowed \
                     key stays current.",
                    describe(&key),
                    key.meta.key_id.as_str()
                );
            }
            Ok(())
        }
        DeviceCommand::Settings { reason, workspace } => {
            let (me, client, _) = me()?;
            crate::account::show_prompts();
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let ws = opened.roster.workspace;
            let settings = match reason.as_deref() {
                None => devices::settings(&client, ws).await,
                Some(when) => {
                    let wanted = keyhaven_proto::DeviceSettings {
                        reveal_reason_required: when == "required",
                    };
                    devices::set_settings(&client, ws, wanted).await
                }
            }
            .map_err(explain_flow)?;
            println!(
                "{}: a reason for each reveal and export is {}.",
                opened.roster.name,
                if settings.reveal_reason_required {
                    "required"
                } else {
                    "optional"
                }
            );
            Ok(())
        }
        DeviceCommand::Rm { id, workspace } => {
            let (_, client, escrow) = open_escrow(workspace.as_deref()).await?;
            let key = resolve(&client, &escrow, &id).await?;
            devices::remove(&client, &escrow, &key)
                .await
                .map_err(explain_flow)?;
            println!(
                "Removed the {} key of {} (identifier {}) and its history.",
                key.meta.kind.as_str(),
                describe(&key),
                key.meta.key_id.as_str()
            );
            Ok(())
        }
    }
}

/// This machine's name: `COMPUTERNAME` on Windows, the kernel's host name on Linux, else
/// `HOSTNAME`.
fn host_name() -> Option<String> {
    let candidates = [
        std::env::var("COMPUTERNAME").ok(),
        std::fs::read_to_string("/proc/sys/kernel/hostname").ok(),
        std::env::var("HOSTNAME").ok(),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
}

/// Runs an escrow command.
pub async fn escrow(cmd: EscrowCommand) -> Result<()> {
    match cmd {
        EscrowCommand::Token(cmd) => token(cmd).await,
        EscrowCommand::Submit {
            server,
            token,
            file,
            manage_bde,
            device,
            kind,
            key_id,
            details,
        } => {
            let token = TokenSecret::parse(&token).map_err(|e| anyhow::anyhow!("--token: {e}"))?;
            let device = match device {
                Some(name) => name,
                None => {
                    host_name().context("cannot tell this machine's name; pass --device NAME")?
                }
            };
            let plains = match (file.or(manage_bde), kind, key_id) {
                (Some(path), _, _) => {
                    let defaults = Defaults {
                        device: Some(device),
                        serial: details.serial,
                        os: details.os,
                        volume: details.volume,
                        kind: None,
                    };
                    let (candidates, invalid) = device_files::collect(&[path], &defaults)?;
                    if let Some(bad) = invalid.first() {
                        bail!("{}: {}; nothing was submitted", bad.origin, bad.reason);
                    }
                    let now = devices::now();
                    candidates
                        .into_iter()
                        .map(|c| {
                            let mut meta = c.meta;
                            meta.added_at = now;
                            meta.volume_type = meta.volume_type.or(details.volume_type);
                            DeviceKeyPlain {
                                meta,
                                secret: c.secret,
                            }
                        })
                        .collect::<Vec<_>>()
                }
                (None, Some(kind), Some(key_id)) => {
                    let typed = read_device_key("Recovery key: ")?;
                    vec![plain_from_flags(
                        &device,
                        kind,
                        &key_id,
                        details,
                        "enrollment",
                        &typed,
                    )?]
                }
                _ => bail!("give --file PATH, --manage-bde PATH, or --kind and --key-id"),
            };
            if plains.is_empty() {
                bail!("the input holds no recovery key");
            }
            let client = crate::connect::client(&server)?;
            let added = devices::submit(&client, &token, &plains)
                .await
                .map_err(explain_flow)?;
            println!(
                "Submitted {} key(s) to the workspace escrow ({} already there).",
                added.added, added.already_present
            );
            Ok(())
        }
    }
}

async fn token(cmd: TokenCommand) -> Result<()> {
    let (me, client, _) = me()?;
    crate::account::show_prompts();
    match cmd {
        TokenCommand::Create {
            expires,
            name,
            workspace,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let expires_at = devices::now() + expires;
            let created = devices::create_token(&client, &me, &opened, expires_at, name.as_deref())
                .await
                .map_err(explain_flow)?;
            println!(
                "Enrollment token {} for {}:",
                created.view.id, opened.roster.name
            );
            println!();
            println!("  {}", created.token.expose_text().as_str());
            println!();
            println!(
                "It can only add device keys, until {} (revoke it with `keyhaven escrow token \
                 revoke {}`). It is shown once; Keyhaven keeps only a hash.",
                format_date(expires_at),
                created.view.id
            );
            Ok(())
        }
        TokenCommand::List { workspace, json } => {
            let summary = crate::workspace::choose(&client, workspace.as_deref()).await?;
            let ws = keyhaven_core::ids::WorkspaceId(
                summary.id.parse().context("malformed workspace id")?,
            );
            let list = devices::tokens(&client, ws).await.map_err(explain_flow)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::to_value(
                        list.iter()
                            .map(|t| serde_json::json!({
                                "id": t.id, "name": t.name, "created_by": t.created_by,
                                "created_at": t.created_at, "expires_at": t.expires_at,
                                "revoked_at": t.revoked_at, "submissions": t.submissions,
                            }))
                            .collect::<Vec<_>>()
                    )?)?
                );
            } else if list.is_empty() {
                println!("No enrollment tokens.");
            } else {
                let now = i64::try_from(devices::now()).unwrap_or(i64::MAX);
                for t in &list {
                    let state = match t.revoked_at {
                        Some(_) => "revoked".to_owned(),
                        None if t.expires_at <= now => "expired".to_owned(),
                        None => format!(
                            "active until {}",
                            format_date(u64::try_from(t.expires_at).unwrap_or(0))
                        ),
                    };
                    println!(
                        "{}  {:<20}  {state}, {} key(s) submitted",
                        t.id,
                        t.name.as_deref().unwrap_or("-"),
                        t.submissions
                    );
                }
            }
            Ok(())
        }
        TokenCommand::Revoke { token, workspace } => {
            let token = token
                .trim()
                .parse::<uuid::Uuid>()
                .map_err(|_| anyhow::anyhow!("TOKEN-ID is the UUID `escrow token list` shows"))?;
            let summary = crate::workspace::choose(&client, workspace.as_deref()).await?;
            let ws = keyhaven_core::ids::WorkspaceId(
                summary.id.parse().context("malformed workspace id")?,
            );
            devices::revoke_token(&client, ws, &token.hyphenated().to_string())
                .await
                .map_err(explain_flow)?;
            println!("Revoked enrollment token {token}; it is refused from now on.");
            Ok(())
        }
    }
}
