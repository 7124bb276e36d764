//! `keyhaven workspace …`, `keyhaven secret …` and `keyhaven recovery-key use`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use keyhaven_client::Client;
use keyhaven_client::local::{AdmitError, FirstContact};
use keyhaven_client::workspaces::{self, Me, Opened};
use keyhaven_core::ids::WorkspaceId;
use keyhaven_core::item::ItemKind;
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::RosterHead;
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_proto::WorkspaceSummary;
use zeroize::Zeroizing;

use crate::account::{explain_flow, me};
use crate::home;

/// Workspaces.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace. Its temporary recovery key is emailed to you (the welcome email);
    /// with --no-email a permanent key is made instead and saved to --kit-out.
    Create {
        /// The workspace's name.
        name: String,
        /// Do not email a temporary key; generate a permanent one now (requires --kit-out).
        #[arg(long, requires = "kit_out")]
        no_email: bool,
        /// Where to write the recovery kit (text).
        #[arg(long, value_name = "FILE")]
        kit_out: Option<PathBuf>,
    },
    /// List your workspaces.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a workspace (roster verified on this device).
    Show {
        /// Name or id (default: your only workspace).
        name: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Trust a workspace on this device: needed once for a workspace this device neither
    /// created nor accepted an invitation to (a new device, for example). Check the owner
    /// fingerprints it shows with the owners first: a server can list workspaces you never
    /// joined.
    Trust {
        /// The workspace's id (as `keyhaven workspace list` shows it).
        id: String,
    },
}

/// What a secret holds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// A password (with --username).
    Login,
    /// Free text.
    Note,
    /// An API key or token.
    ApiKey,
}

/// Secrets (their values come from stdin or a prompt, never from a flag).
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Add a secret; the value is read from stdin (or a prompt on a terminal).
    Add {
        /// The secret's name.
        name: String,
        /// What it holds.
        #[arg(long, value_enum, default_value_t = Kind::Login)]
        kind: Kind,
        /// The user name of a login (not secret).
        #[arg(long)]
        username: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Print a secret.
    Get {
        /// The secret's name.
        name: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the secrets' names.
    List {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a secret's value (read from stdin or a prompt); a new signed revision.
    Edit {
        /// The secret's name.
        name: String,
        /// A new user name for a login (not secret).
        #[arg(long)]
        username: Option<String>,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Remove a secret.
    Rm {
        /// The secret's name.
        name: String,
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
}

/// Recovery keys.
#[derive(Debug, Subcommand)]
pub enum RecoveryCommand {
    /// Show the recovery key's kind, expiry and validation due date.
    Status {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate a permanent recovery key (owners; needs a recent sign-in). Shows the key,
    /// writes the kit, asks you to re-type two groups, and only then replaces the old key.
    Generate {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Where to write the recovery kit.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Kit format for --out.
        #[arg(long, value_enum, default_value_t = KitFormat::Txt)]
        format: KitFormat,
        /// Skip re-typing two groups (for scripts; you must have saved the kit).
        #[arg(long)]
        yes: bool,
        /// Read the current recovery key (which the new one replaces) from stdin. Otherwise it
        /// comes from $KEYHAVEN_RECOVERY_KEY or a prompt; the server takes a new key only with
        /// proof of the current one, while one exists.
        #[arg(long)]
        current_key_stdin: bool,
    },
    /// Check that a recovery key is this workspace's current one (locally against the signed
    /// roster first, then with the server), and record the validation.
    Validate {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Read the recovery key from stdin.
        #[arg(long)]
        recovery_key_stdin: bool,
    },
    /// The emergency reset: after a password reset, enter the workspace's recovery key to
    /// restore your link to it. The key comes from $KEYHAVEN_RECOVERY_KEY,
    /// --recovery-key-stdin, or a prompt.
    Use {
        /// Workspace name or id (default: your only workspace).
        #[arg(long)]
        workspace: Option<String>,
        /// Read the recovery key from stdin.
        #[arg(long)]
        recovery_key_stdin: bool,
    },
}

pub async fn workspace(cmd: WorkspaceCommand) -> Result<()> {
    let (me, client, _) = me()?;
    crate::account::show_prompts();
    match cmd {
        WorkspaceCommand::Create {
            name,
            no_email,
            kit_out,
        } => create(&client, &me, &name, no_email, kit_out).await,
        WorkspaceCommand::List { json } => {
            let list = workspaces::list(&client).await.map_err(explain_flow)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|w| serde_json::json!({"id": w.id, "name": w.name, "role": w.role, "needs_relink": w.needs_relink}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if list.is_empty() {
                println!("No workspaces yet: keyhaven workspace create NAME");
            } else {
                for w in &list {
                    let relink = if w.needs_relink {
                        "  (needs the emergency reset code)"
                    } else {
                        ""
                    };
                    println!("{}  {}  {}{relink}", w.name, w.role, w.id);
                }
            }
            Ok(())
        }
        WorkspaceCommand::Trust { id } => {
            let opened = open_as(&client, &me, Some(&id), Entry::Trusting).await?;
            println!(
                "Workspace {:?} ({}) is trusted on this device.",
                opened.roster.name, opened.roster.workspace
            );
            Ok(())
        }
        WorkspaceCommand::Show { name, json } => {
            let opened = open(&client, &me, name.as_deref()).await?;
            let recovery = opened.recovery_facts();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "id": opened.roster.workspace.to_string(),
                        "name": opened.roster.name,
                        "members": opened.roster.members.iter().map(|(id, m)| serde_json::json!({
                            "account": id.to_string(), "email": m.email, "role": format!("{:?}", m.role),
                            "fingerprint": m.keys.fingerprint().to_string()})).collect::<Vec<_>>(),
                        "workspace_key_version": opened.roster.workspace_key_version,
                        "recovery_key": recovery.as_ref().map(|r| serde_json::json!({"id": r.key_id.to_upper(), "kind": r.kind(), "expires_at": r.expires_at})),
                    }))?
                );
            } else {
                println!("{} ({})", opened.roster.name, opened.roster.workspace);
                for (id, m) in &opened.roster.members {
                    println!(
                        "  {:?}  {}  {}  {}",
                        m.role,
                        m.email,
                        id,
                        m.keys.fingerprint()
                    );
                }
                match recovery {
                    Some(r) => println!("  recovery key {} ({})", r.key_id.to_upper(), r.kind()),
                    None => println!("  no valid recovery key"),
                }
            }
            Ok(())
        }
    }
}

async fn create(
    client: &Client,
    me: &Me,
    name: &str,
    no_email: bool,
    kit_out: Option<PathBuf>,
) -> Result<()> {
    let created = workspaces::create(client, me, name, !no_email)
        .await
        .map_err(explain_flow)?;
    pin(created.id, &created.head, name).await?;
    if let Some(path) = &kit_out {
        write_private(path, created.kit.as_bytes())?;
        println!("Recovery kit written to {}.", path.display());
    }
    println!("Workspace {name:?} created ({}).", created.id);
    match created.expires_at {
        Some(expires) => {
            println!(
                "Its temporary recovery key (ID {}) is in your welcome email; it expires on {}.",
                created.recovery_id.to_upper(),
                keyhaven_core::kit::format_date(expires)
            );
            println!("Replace it with a permanent key before then: keyhaven recovery-key generate");
        }
        None => {
            println!(
                "Its permanent recovery key (ID {}):",
                created.recovery_id.to_upper()
            );
            println!("\n    {}\n", created.recovery_key.encode().as_str());
            println!("Keep the kit somewhere safe and offline: it is the only copy.");
        }
    }
    Ok(())
}

/// Creates a file readable only by its owner (it holds a recovery key).
/// Creates `path` (which must not exist) readable by its owner only, and writes `bytes`.
pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Pins `head` as the roster head of `ws` on this device, and remembers its verified `name`.
pub(crate) async fn pin(ws: WorkspaceId, head: &RosterHead, name: &str) -> Result<()> {
    Ok(home::local().pin(ws, head, name).await?)
}

/// The secrets of a workspace that check out, and the items that do not.
struct Fetched {
    secrets: Vec<workspaces::Secret>,
    bad: Vec<workspaces::BadItem>,
}

impl std::ops::Deref for Fetched {
    type Target = [workspaces::Secret];

    fn deref(&self) -> &Self::Target {
        &self.secrets
    }
}

impl Fetched {
    /// Fails (after the good ones were shown) when some items did not check out.
    fn all_good(&self) -> Result<()> {
        if self.bad.is_empty() {
            Ok(())
        } else {
            bail!(
                "{} stored item(s) do not check out and were left out (named above)",
                self.bad.len()
            )
        }
    }
}

/// Every secret of the workspace that checks out, with each one that does not named on stderr
/// (one bad item does not hide the others). Refused if the server serves any at a lower
/// revision than this device saw (a rollback: each revision is signed, so only an older one
/// can be served); the revisions seen move forward.
async fn fetch_secrets(client: &Client, opened: &Opened) -> Result<Fetched> {
    let listed = workspaces::secrets(client, opened)
        .await
        .map_err(explain_flow)?;
    let secrets = listed.good;
    if !listed.bad.is_empty() {
        eprintln!(
            "warning: {} stored item(s) of {} do not check out and are left out (the server \
             stored or served them; tell its operator):",
            listed.bad.len(),
            opened.roster.name
        );
        for bad in &listed.bad {
            eprintln!("  {}: {}", bad.id, bad.reason);
        }
    }
    home::local()
        .check_revisions(
            opened.roster.workspace,
            &opened.roster.name,
            secrets.iter().map(|s| (s.id, s.revision, s.name_str())),
        )
        .await
        .map_err(explain_flow)?;
    Ok(Fetched {
        secrets,
        bad: listed.bad,
    })
}

/// Finds the workspace by name or id (default: the only one). A name this device already knows
/// resolves to the workspace it verified under that name, whatever the server's list says.
pub(crate) async fn choose(client: &Client, wanted: Option<&str>) -> Result<WorkspaceSummary> {
    let list = workspaces::list(client).await.map_err(explain_flow)?;
    match wanted {
        Some(w) => {
            let known = home::local().names().await?;
            let mut mine = known.iter().filter(|(_, name)| name.as_str() == w);
            if let (Some((id, _)), None) = (mine.next(), mine.next()) {
                return list.into_iter().find(|s| &s.id == id).with_context(|| {
                    format!(
                        "the server no longer lists the workspace {w:?} this device knows \
                         ({id}); if you were not removed from it, the server may be hiding it"
                    )
                });
            }
            list.into_iter()
                .find(|s| s.name == w || s.id == w)
                .with_context(|| format!("no workspace named {w:?}; see `keyhaven workspace list`"))
        }
        None => match list.len() {
            0 => {
                bail!("you have no workspace yet; create one with `keyhaven workspace create NAME`")
            }
            1 => Ok(list.into_iter().next().expect("one")),
            _ => bail!("you have several workspaces; say which with --workspace NAME"),
        },
    }
}

/// Opens a workspace: verifies its roster against this device's pin, then moves the pin. The
/// first time this device opens a workspace it is refused if it takes the name of another one
/// the device knows (a server redirecting to a workspace it controls), and otherwise its owners
/// and their fingerprints are shown before anything is written.
pub(crate) async fn open(client: &Client, me: &Me, wanted: Option<&str>) -> Result<Opened> {
    open_as(client, me, wanted, Entry::Normal).await
}

/// How a workspace is being opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// By any command: a workspace this device has neither pinned nor consented to is refused.
    Normal,
    /// By `workspace trust`: the user consents after seeing the owners.
    Trusting,
}

async fn open_as(client: &Client, me: &Me, wanted: Option<&str>, entry: Entry) -> Result<Opened> {
    let summary = choose(client, wanted).await?;
    let ws = WorkspaceId(
        summary
            .id
            .parse()
            .context("the server sent a malformed workspace id")?,
    );
    let local = home::local();
    let pinned = local.pinned(ws).await?;
    let opened = workspaces::open(client, me, ws, pinned.as_ref())
        .await
        .map_err(explain_flow)?;
    let name = opened.roster.name.as_str();
    if entry == Entry::Trusting {
        local.consent(ws).await?;
    }
    let by_id = wanted.is_some_and(|w| w.eq_ignore_ascii_case(&ws.to_string()));
    match local.admit(&opened.roster, pinned.as_ref(), by_id).await {
        Ok(()) => {}
        Err(AdmitError::FirstContact(FirstContact {
            namesake: Some(other),
            ..
        })) if !by_id => bail!(
            "refusing workspace {name:?} ({ws}): this device has never opened it, and the \
             {name:?} you use here is another workspace ({other}). The server may be \
             redirecting you to a workspace it controls; nothing was written to it. If \
             this really is a second workspace with that name, open it by id once you have \
             checked its owner's fingerprint with them: keyhaven workspace show {ws}"
        ),
        Err(AdmitError::FirstContact(contact)) => bail!(
            "this device has never opened workspace {name:?} ({ws}), and you did not accept \
             an invitation to it here. A server can list a workspace you never joined, so \
             nothing was shown or written. Its owners:\n{}\nIf you did join it, check a \
             fingerprint with its owner, then run: keyhaven workspace trust {ws}",
            owner_lines(&contact).join("\n")
        ),
        Err(AdmitError::Store(e)) => return Err(e.into()),
    }
    if pinned.is_none() {
        // Admitted on first contact (consented): say whose workspace this is.
        let namesake = local
            .names()
            .await?
            .into_iter()
            .find(|(id, known)| *id != ws.to_string() && known.eq_ignore_ascii_case(name));
        if let Some((other, _)) = namesake {
            eprintln!(
                "warning: {name:?} ({ws}) has the name of another workspace you use here \
                 ({other}); name them apart by id"
            );
        }
        eprintln!("First contact with workspace {name:?} ({ws}) on this device. Its owners:");
        let contact = FirstContact {
            workspace: ws,
            name: name.to_owned(),
            owners: opened
                .roster
                .members
                .iter()
                .filter(|(_, m)| m.role == keyhaven_core::roster::Role::Owner)
                .map(|(id, m)| {
                    (
                        m.email.clone(),
                        id.to_string(),
                        m.keys.fingerprint().to_string(),
                    )
                })
                .collect(),
            namesake: None,
        };
        for owner in owner_lines(&contact) {
            eprintln!("{owner}");
        }
        eprintln!("Check a fingerprint with its owner before you trust this workspace.");
    }
    Ok(opened)
}

fn owner_lines(contact: &FirstContact) -> Vec<String> {
    contact
        .owners
        .iter()
        .map(|(email, id, fingerprint)| format!("  {email}  {id}  fingerprint {fingerprint}"))
        .collect()
}

fn read_secret(prompt: &str) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return Ok(Zeroizing::new(rpassword::prompt_password(prompt)?));
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().take(1 << 20).read_to_string(&mut text)?;
    let trimmed = Zeroizing::new(text.trim_end_matches(['\r', '\n']).to_owned());
    if trimmed.is_empty() {
        bail!("no value on stdin");
    }
    Ok(trimmed)
}

pub async fn secret(cmd: SecretCommand) -> Result<()> {
    let (me, client, _) = me()?;
    crate::account::show_prompts();
    match cmd {
        SecretCommand::Add {
            name,
            kind,
            username,
            workspace,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let existing = fetch_secrets(&client, &opened).await?;
            if existing.iter().any(|s| s.name() == name) {
                bail!(
                    "a secret named {name:?} exists already (remove it first, or pick another name)"
                );
            }
            let (kind, field, prompt) = match kind {
                Kind::Login => (ItemKind::Login, "password", "Password: "),
                Kind::Note => (ItemKind::Note, "text", "Note: "),
                Kind::ApiKey => (ItemKind::ApiKey, "key", "API key: "),
            };
            let value = read_secret(prompt)?;
            let mut fields = BTreeMap::new();
            fields.insert(
                field.to_owned(),
                SecretBytes::new(value.as_bytes().to_vec()),
            );
            if let Some(user) = username {
                fields.insert("username".into(), SecretBytes::new(user.into_bytes()));
            }
            workspaces::add_secret(&client, &me, &opened, &name, kind, fields)
                .await
                .map_err(explain_flow)?;
            println!("Added {name:?} to {}.", opened.roster.name);
            Ok(())
        }
        SecretCommand::Get {
            name,
            workspace,
            json,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let secrets = fetch_secrets(&client, &opened).await?;
            let secret = find_secret(&secrets, &name)?;
            let fields: BTreeMap<&str, Zeroizing<String>> = secret
                .plain
                .fields
                .iter()
                .filter(|(k, _)| k.as_str() != "title")
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        Zeroizing::new(String::from_utf8_lossy(v.expose()).into_owned()),
                    )
                })
                .collect();
            if json {
                let map: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.to_string())))
                    .collect();
                let out = Zeroizing::new(serde_json::to_string_pretty(&serde_json::json!({
                    "name": name, "kind": secret.plain.kind.as_str(), "revision": secret.revision, "fields": map,
                }))?);
                println!("{}", out.as_str());
            } else {
                for (k, v) in &fields {
                    println!("{k}: {}", v.as_str());
                }
            }
            Ok(())
        }
        SecretCommand::List { workspace, json } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let secrets = fetch_secrets(&client, &opened).await?;
            let mut rows: Vec<(String, &str)> = secrets
                .iter()
                .map(|s| (s.name(), s.plain.kind.as_str()))
                .collect();
            rows.sort();
            if json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|(n, k)| serde_json::json!({"name": n, "kind": k}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for (n, k) in rows {
                    println!("{n}  ({k})");
                }
            }
            secrets.all_good()
        }
        SecretCommand::Edit {
            name,
            username,
            workspace,
        } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let secrets = fetch_secrets(&client, &opened).await?;
            let secret = find_secret(&secrets, &name)?;
            let (field, prompt) = match secret.plain.kind {
                ItemKind::Login => ("password", "New password: "),
                ItemKind::Note => ("text", "New note: "),
                ItemKind::ApiKey => ("key", "New API key: "),
            };
            let value = read_secret(prompt)?;
            let mut changes = BTreeMap::new();
            changes.insert(
                field.to_owned(),
                SecretBytes::new(value.as_bytes().to_vec()),
            );
            if let Some(user) = username {
                changes.insert("username".into(), SecretBytes::new(user.into_bytes()));
            }
            workspaces::edit_secret(&client, &me, &opened, secret, changes)
                .await
                .map_err(explain_flow)?;
            // The new revision is the one to expect from now on.
            home::local()
                .check_revisions(
                    opened.roster.workspace,
                    &opened.roster.name,
                    [(secret.id, secret.revision + 1, secret.name_str())],
                )
                .await
                .map_err(explain_flow)?;
            println!("Updated {name:?} (revision {}).", secret.revision + 1);
            Ok(())
        }
        SecretCommand::Rm { name, workspace } => {
            let opened = open(&client, &me, workspace.as_deref()).await?;
            let secrets = fetch_secrets(&client, &opened).await?;
            let secret = find_secret(&secrets, &name)?;
            workspaces::remove_secret(&client, &opened, secret.id)
                .await
                .map_err(explain_flow)?;
            println!("Removed {name:?}.");
            Ok(())
        }
    }
}

/// Recovery-kit formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KitFormat {
    /// Plain text.
    Txt,
    /// Printable HTML: the key in large digits and a QR code.
    Html,
    /// One-page PDF: the key in large digits and a QR code.
    Pdf,
}

/// The recovery key from --recovery-key-stdin, $KEYHAVEN_RECOVERY_KEY or a prompt naming the
/// key ID's first 8 characters; a typo is reported with its group.
fn read_recovery_key(opened: &Opened, from_stdin: bool) -> Result<RecoveryKey> {
    let short = opened
        .roster
        .recovery
        .map(|r| r.id.short())
        .unwrap_or_default();
    let text = if from_stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin().take(4096).read_to_string(&mut text)?;
        text
    } else if let Ok(key) = std::env::var("KEYHAVEN_RECOVERY_KEY") {
        Zeroizing::new(key)
    } else if std::io::stdin().is_terminal() {
        Zeroizing::new(rpassword::prompt_password(format!(
            "Enter the recovery key whose ID starts with {short}: "
        ))?)
    } else {
        bail!("no recovery key: set KEYHAVEN_RECOVERY_KEY or pass --recovery-key-stdin");
    };
    RecoveryKey::parse(&text).map_err(|e| {
        crate::with_hint(
            anyhow::anyhow!("not a valid recovery key: {e}"),
            "re-check the named group against your recovery kit",
        )
    })
}

const DAY: u64 = 86_400;

pub async fn recovery(cmd: RecoveryCommand) -> Result<()> {
    let (me, client, _) = me()?;
    let result = recovery_command(cmd, &me, &client).await;
    // What was pending may be done now (or newly due): recompute before showing.
    crate::account::refresh_prompts(&client, me.id, &me.keys.public()).await;
    crate::account::show_prompts();
    result
}

async fn recovery_command(cmd: RecoveryCommand, me: &Me, client: &Client) -> Result<()> {
    match cmd {
        RecoveryCommand::Status { workspace, json } => {
            let opened = open(client, me, workspace.as_deref()).await?;
            let info: keyhaven_proto::ServerInfo = client
                .get("/v1/server-info")
                .await
                .map_err(|e| explain_flow(e.into()))?;
            // From the signed roster and the signed validation statement, not the server's
            // report: the safety prompts cannot be switched off by the server.
            let Some(facts) = opened.recovery_facts() else {
                println!(
                    "{} has no valid recovery key: its temporary key expired unreplaced.",
                    opened.roster.name
                );
                println!("An owner must generate one now: keyhaven recovery-key generate");
                return Ok(());
            };
            let due = facts.last_validated_at + u64::from(info.validation_interval_days) * DAY;
            let now = keyhaven_client::clock::now_unix();
            let key_id = facts.key_id.to_upper();
            if json {
                let value = serde_json::json!({
                    "workspace": opened.roster.name, "key_id": key_id, "kind": facts.kind(),
                    "expires_at": facts.expires_at, "last_validated_at": facts.last_validated_at,
                    "validation_due_at": due, "validation_due": now >= due,
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!(
                    "Recovery key {key_id} of {}: {}",
                    opened.roster.name,
                    facts.kind()
                );
                if let Some(expires) = facts.expires_at {
                    println!(
                        "  expires {} (generate a permanent key before then)",
                        keyhaven_core::kit::format_date(expires)
                    );
                }
                let state = if now >= due {
                    "due now: run `keyhaven recovery-key validate`"
                } else {
                    "not due yet"
                };
                println!(
                    "  validation: {state} (next by {})",
                    keyhaven_core::kit::format_date(due)
                );
            }
            Ok(())
        }
        RecoveryCommand::Generate {
            workspace,
            out,
            format,
            yes,
            current_key_stdin,
        } => {
            let opened = open(client, me, workspace.as_deref()).await?;
            // Asked first, so that nobody writes down a new key that then cannot be committed.
            let current = if workspaces::generate_needs_current(&opened) {
                Some(read_recovery_key(&opened, current_key_stdin)?)
            } else {
                None
            };
            let prepared =
                workspaces::generate_prepare(client, me, &opened).map_err(explain_flow)?;
            println!(
                "New permanent recovery key for {} (ID {}):",
                opened.roster.name,
                prepared.id.to_upper()
            );
            println!("\n    {}\n", prepared.key.encode().as_str());
            if !prepared.escrow_missing.is_empty() {
                eprintln!(
                    "warning: this account holds no share of escrow key version(s) {}, so the \
                     new recovery key cannot restore device keys sealed to them.\n\
                     hint: an owner or admin who opens them can run `keyhaven member reshare {}`; \
                     then generate the recovery key again",
                    join_versions(&prepared.escrow_missing),
                    me.email
                );
            }
            if let Some(path) = &out {
                let bytes: Zeroizing<Vec<u8>> = match format {
                    KitFormat::Txt => Zeroizing::new(prepared.kit.as_bytes().to_vec()),
                    KitFormat::Html => Zeroizing::new(prepared.kit_html.as_bytes().to_vec()),
                    KitFormat::Pdf => keyhaven_kit::pdf::recovery_kit(
                        &prepared.kit,
                        prepared.key.encode().as_str(),
                    ),
                };
                write_private(path, &bytes)?;
                println!("Recovery kit written to {}.", path.display());
            }
            if yes {
                eprintln!("warning: --yes skips re-typing the key; make sure the kit is saved");
            } else {
                confirm_two_groups(&prepared.key)?;
            }
            let head = workspaces::generate_commit(client, &opened, &prepared, current.as_ref())
                .await
                .map_err(explain_flow)?;
            pin(opened.roster.workspace, &head, &opened.roster.name).await?;
            println!(
                "This is now the recovery key of {}; the previous key no longer works.",
                opened.roster.name
            );
            Ok(())
        }
        RecoveryCommand::Validate {
            workspace,
            recovery_key_stdin,
        } => {
            let opened = open(client, me, workspace.as_deref()).await?;
            let key = read_recovery_key(&opened, recovery_key_stdin)?;
            workspaces::validate(client, &opened, &key)
                .await
                .map_err(explain_flow)?;
            println!(
                "The recovery key of {} is valid and its validation recorded.",
                opened.roster.name
            );
            Ok(())
        }
        RecoveryCommand::Use {
            workspace,
            recovery_key_stdin,
        } => {
            let opened = open(client, me, workspace.as_deref()).await?;
            let key = read_recovery_key(&opened, recovery_key_stdin)?;
            let recovered = workspaces::recovery_use(client, me, &opened, &key)
                .await
                .map_err(explain_flow)?;
            pin(
                opened.roster.workspace,
                &recovered.head,
                &opened.roster.name,
            )
            .await?;
            if recovered.escrow_missing.is_empty() {
                println!(
                    "Your link to {} is restored; its secrets and device keys are readable again.",
                    opened.roster.name
                );
            } else {
                println!(
                    "Your link to {} is restored; its secrets are readable again.",
                    opened.roster.name
                );
                eprintln!(
                    "warning: the recovery key holds no share of escrow key version(s) {} \
                     (it was made before recovery keys received device keys), so device keys \
                     sealed to them stay closed to you.\n\
                     hint: an owner or admin who still opens them can run `keyhaven member \
                     reshare {}`; then generate a new recovery key so that it holds them too",
                    join_versions(&recovered.escrow_missing),
                    me.email
                );
            }
            Ok(())
        }
    }
}

/// "1, 2 and 3".
pub(crate) fn join_versions(versions: &[u32]) -> String {
    let text: Vec<String> = versions.iter().map(u32::to_string).collect();
    match text.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The secret called `name`, or an error that says how to see the names.
fn find_secret<'a>(fetched: &'a Fetched, name: &str) -> Result<&'a workspaces::Secret> {
    match fetched.iter().find(|s| s.name() == name) {
        Some(secret) => Ok(secret),
        None if fetched.bad.is_empty() => {
            bail!("no secret named {name:?}; see `keyhaven secret list`")
        }
        None => bail!(
            "no secret named {name:?} among those that check out; {} stored item(s) do not \
             (named above: {}), and it may be one of them",
            fetched.bad.len(),
            fetched
                .bad
                .iter()
                .map(|b| b.reason.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// Asks the user to re-type two groups of the new key, so it was really written down.
fn confirm_two_groups(key: &RecoveryKey) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!("confirming the key needs a terminal; after saving the kit, re-run with --yes");
    }
    let encoded = key.encode();
    let groups: Vec<&str> = encoded.split('-').collect();
    let picks = {
        let r: [u8; 2] = keyhaven_crypto::random_array();
        let a = usize::from(r[0]) % 8;
        let b = (a + 1 + usize::from(r[1]) % 7) % 8;
        if a < b { [a, b] } else { [b, a] }
    };
    for i in picks {
        let typed = Zeroizing::new(rpassword::prompt_password(format!(
            "Re-type group {} of the key: ",
            i + 1
        ))?);
        if !keyhaven_crypto::ct_eq(typed.trim().as_bytes(), groups[i].as_bytes()) {
            bail!(
                "group {} does not match; nothing was changed (run the command again)",
                i + 1
            );
        }
    }
    Ok(())
}
