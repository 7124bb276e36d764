//! Where the CLI keeps its session: `$KEYHAVEN_HOME`, else `$XDG_CONFIG_HOME/keyhaven`, else
//! `~/.config/keyhaven`. The session file is written with mode 0600 and replaced atomically.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use keyhaven_client::local::{Local, Store, StoreError};
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

/// The CLI's [`Store`]: files in [`dir`], each replaced atomically (write, then rename). The
/// device's memory ([`keyhaven_client::local`]: roster pins, workspace names, consents, item
/// revisions seen) is kept in it, in the same files the web vault keeps in IndexedDB.
#[derive(Debug, Default, Clone, Copy)]
pub struct HomeStore;

impl Store for HomeStore {
    async fn load(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = dir().map_err(|e| StoreError(e.to_string()))?.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError(format!("cannot read {}: {e}", path.display()))),
        }
    }

    async fn save(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        save_json(name, bytes).map_err(|e| StoreError(format!("cannot save {name}: {e:#}")))
    }
}

/// This device's memory, in [`HomeStore`].
pub fn local() -> Local<HomeStore> {
    Local::new(HomeStore)
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
