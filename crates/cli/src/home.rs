//! Where the CLI keeps its session: `$KEYHAVEN_HOME`, else `$XDG_CONFIG_HOME/keyhaven`, else
//! `~/.config/keyhaven`. The session file is written with mode 0600 and replaced atomically.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The signed-in session, as saved between commands.
#[derive(Serialize, Deserialize)]
pub struct SavedSession {
    /// Server URL.
    pub server: String,
    /// Account email.
    pub email: String,
    /// Account id.
    pub account_id: String,
    /// Bearer token: a secret, never printed.
    pub session_token: String,
    /// The account's private keys (X25519 secret || Ed25519 seed, hex), unwrapped at login so
    /// each command need not stretch the password again. This file is the device's keychain:
    /// mode 0600, deleted by `keyhaven logout` and when the session expires.
    pub account_keys: String,
    /// Unix time after which the server no longer accepts the session (sign-in plus the
    /// server's absolute session lifetime, 7 days): [`load`] deletes the file, keys included,
    /// from then on. A file without it (written by an older version) counts as expired.
    #[serde(default)]
    pub expires_at: u64,
}

/// How long after sign-in a saved session (and the keys in it) is kept: the server's absolute
/// session lifetime.
pub const SESSION_LIFETIME_SECS: u64 = 7 * 86_400;

impl core::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SavedSession")
            .field("server", &self.server)
            .field("email", &self.email)
            .field("session_token", &"<redacted>")
            .field("account_keys", &"<redacted>")
            .finish()
    }
}

/// The CLI's directory.
pub fn dir() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("KEYHAVEN_HOME") {
        return Ok(PathBuf::from(home));
    }
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(xdg).join("keyhaven"));
    }
    match std::env::var_os("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".config").join("keyhaven")),
        None => bail!("cannot find a home directory; set KEYHAVEN_HOME"),
    }
}

fn session_path() -> Result<PathBuf> {
    Ok(dir()?.join("session.json"))
}

/// Saves the session (mode 0600, atomic replace).
pub fn save(session: &SavedSession) -> Result<()> {
    let dir = dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = session_path()?;
    let tmp = dir.join(".session.json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(&serde_json::to_vec_pretty(session)?)?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The saved session, if any. An expired one is deleted (its unwrapped account keys must not
/// outlive the session on this device) and reported as none.
pub fn load() -> Result<Option<SavedSession>> {
    let path = session_path()?;
    let saved: SavedSession = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is damaged; sign in again", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if keyhaven_client::clock::now_unix() >= saved.expires_at {
        clear()?;
        eprintln!(
            "note: the saved session of {} expired; it and the account keys it held were \
             deleted from this device",
            saved.email
        );
        return Ok(None);
    }
    Ok(Some(saved))
}

/// Forgets the saved session.
pub fn clear() -> Result<()> {
    match std::fs::remove_file(session_path()?) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Pinned roster heads, per workspace id: `{"<uuid>": {"seq": n, "hash": "<hex>"}}`.
pub fn load_pins() -> Result<std::collections::BTreeMap<String, (u64, String)>> {
    load_json("pins.json")
}

/// Saves pinned roster heads (atomic replace).
pub fn save_pins(pins: &std::collections::BTreeMap<String, (u64, String)>) -> Result<()> {
    save_json("pins.json", &serde_json::to_vec_pretty(pins)?)
}

/// The verified roster name of each workspace this device has opened: `{"<uuid>": "Acme"}`.
/// A workspace the device has never seen that takes one of these names is refused.
pub fn load_names() -> Result<std::collections::BTreeMap<String, String>> {
    load_json("workspace-names.json")
}

/// Saves the known workspace names (atomic replace).
pub fn save_names(names: &std::collections::BTreeMap<String, String>) -> Result<()> {
    save_json("workspace-names.json", &serde_json::to_vec_pretty(names)?)
}

/// Workspaces this device's user consented to without having opened them yet: accepted
/// invitations (`member accept`) and `workspace trust`. A workspace that is neither pinned nor
/// consented to is refused on first contact.
pub fn load_consents() -> Result<std::collections::BTreeSet<String>> {
    load_json("consented-workspaces.json")
}

/// Records consent to the workspace `id` (atomic replace).
pub fn add_consent(id: &str) -> Result<()> {
    let mut consents = load_consents()?;
    if consents.insert(id.to_owned()) {
        save_json(
            "consented-workspaces.json",
            &serde_json::to_vec_pretty(&consents)?,
        )?;
    }
    Ok(())
}

/// The highest revision this device has seen of each item, per workspace:
/// `{"<workspace>": {"<item>": 3}}`.
pub type ItemPins = std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>;

/// Loads [`ItemPins`].
pub fn load_item_pins() -> Result<ItemPins> {
    load_json("item-pins.json")
}

/// Saves [`ItemPins`] (atomic replace).
pub fn save_item_pins(pins: &ItemPins) -> Result<()> {
    save_json("item-pins.json", &serde_json::to_vec(pins)?)
}

/// The prompts computed at the last sign-in (or after the last recovery-key command).
pub fn load_prompts() -> Vec<keyhaven_client::workspaces::Prompt> {
    dir()
        .ok()
        .and_then(|d| std::fs::read(d.join("prompts.json")).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Saves the pending prompts.
pub fn save_prompts(prompts: &[keyhaven_client::workspaces::Prompt]) -> Result<()> {
    let dir = dir()?;
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(".prompts.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(prompts)?)?;
    std::fs::rename(&tmp, dir.join("prompts.json"))?;
    Ok(())
}

/// Pinned audit-log heads, per chain: `{"workspace:<uuid>": [seq, "<hex>"]}`, like the roster
/// pins.
pub fn load_audit_pins() -> Result<std::collections::BTreeMap<String, (u64, String)>> {
    load_json("audit-pins.json")
}

/// Saves pinned audit-log heads (atomic replace).
pub fn save_audit_pins(pins: &std::collections::BTreeMap<String, (u64, String)>) -> Result<()> {
    save_json("audit-pins.json", &serde_json::to_vec_pretty(pins)?)
}

/// What later commands fall back on: the server of the last sign-in and its CA file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Defaults {
    /// Server URL.
    #[serde(default)]
    pub server: Option<String>,
    /// PEM file of extra certificate authorities for it.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
}

/// The remembered defaults (`defaults.json`).
pub fn load_defaults() -> Result<Defaults> {
    load_json("defaults.json")
}

/// Saves the remembered defaults.
pub fn save_defaults(defaults: &Defaults) -> Result<()> {
    save_json("defaults.json", &serde_json::to_vec_pretty(defaults)?)
}

/// A JSON file in the CLI's directory, or the default when there is none yet.
fn load_json<T: serde::de::DeserializeOwned + Default>(name: &str) -> Result<T> {
    let path = dir()?.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).with_context(|| format!("{} is damaged", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Replaces the file `name` in the CLI's directory with `bytes` (write, then rename).
fn save_json(name: &str, bytes: &[u8]) -> Result<()> {
    let dir = dir()?;
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(name))?;
    Ok(())
}
