//! Device recovery keys in the browser: the flows of `keyhaven device …` (find, list, reveal,
//! check), on the escrow keys this account holds. Records are verified and opened here; the
//! page receives metadata, and a key only when the user reveals it (audited by the server
//! before it answers).

use std::cell::RefCell;
use std::rc::Rc;

use keyhaven_client::device_export::{self, ExportFormat};
use keyhaven_client::device_files::{self, Defaults, Read};
use keyhaven_client::devices::{self, CheckOutcome, DeviceKey, Escrow, ListFilter};
use keyhaven_core::device::BitLockerRecoveryPassword;
use keyhaven_core::escrow::{
    DeviceKeyPlain, DeviceKind, DeviceMeta, KeyId, PrefixQuery, VolumeType,
};
use keyhaven_proto::DeviceSettings;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::views::{self, Answerable as _, Json};
use crate::{State, Vault, WebError, open, promise, workspace_id};

/// Keys per page of the devices list.
const DEVICES_PER_PAGE: u32 = 50;

/// The escrow keys of `ws` this account holds, with token submissions indexed first (so they
/// show up in searches, as in the CLI).
pub(crate) async fn escrow(
    state: &Rc<RefCell<State>>,
    workspace: &str,
) -> Result<Rc<Escrow>, WebError> {
    let ws = workspace_id(workspace)?;
    let opened = open(state, ws).await?;
    let escrow = Escrow::open(&opened)?;
    let (client, _, _) = crate::signed_in(state)?;
    devices::index_pending(&client, &escrow).await?;
    Ok(Rc::new(escrow))
}

fn kind_name(kind: DeviceKind) -> &'static str {
    kind.as_str()
}

/// A record as listed (`DeviceKey` in api.ts): metadata only.
pub(crate) fn key_view(key: &DeviceKey) -> Json {
    views::object([
        ("id", key.view.id.clone().into()),
        ("device", key.meta.device.clone().into()),
        ("serial", key.meta.serial.clone().into()),
        ("os", key.meta.os.clone().into()),
        ("volume", key.meta.volume.clone().into()),
        (
            "volumeType",
            key.meta.volume_type.map(VolumeType::as_str).into(),
        ),
        ("kind", kind_name(key.meta.kind).into()),
        ("keyId", key.meta.key_id.as_str().into()),
        ("addedAt", key.meta.added_at.into()),
        ("storedAt", key.view.created_at.into()),
        ("revealedAt", key.view.revealed_at.into()),
        ("rotateAfterUse", key.view.rotate_after_use.into()),
        ("replaced", key.view.replaced_by.is_some().into()),
        ("conflict", key.view.conflict.into()),
        ("source", key.meta.source.clone().into()),
    ])
}

fn key_list(keys: &[DeviceKey]) -> Json {
    Json::Array(keys.iter().map(key_view).collect())
}

/// Remembers the records about to be shown, for [`record`].
pub(crate) fn remember(state: &Rc<RefCell<State>>, escrow: &Escrow, keys: &[DeviceKey]) {
    let _ = crate::with_session(state, |s| {
        let known = s.device_keys.entry(escrow.workspace()).or_default();
        for key in keys {
            known.insert(key.view.id.clone(), key.clone());
        }
    });
}

/// Forgets the records remembered for `escrow`'s workspace (their state changed).
pub(crate) fn forget(state: &Rc<RefCell<State>>, escrow: &Escrow) {
    let _ = crate::with_session(state, |s| s.device_keys.remove(&escrow.workspace()));
}

/// The record `id`: one the page was shown (remembered), else found among the workspace's
/// keys (history included).
pub(crate) async fn record(
    state: &Rc<RefCell<State>>,
    escrow: &Escrow,
    id: &str,
) -> Result<DeviceKey, WebError> {
    let known = crate::with_session(state, |s| {
        s.device_keys
            .get(&escrow.workspace())
            .and_then(|k| k.get(id))
            .cloned()
    })?;
    if let Some(key) = known {
        return Ok(key);
    }
    let (client, _, _) = crate::signed_in(state)?;
    let filter = ListFilter {
        history: true,
        ..ListFilter::default()
    };
    let all = devices::list(&client, escrow, &filter).await?;
    remember(state, escrow, &all);
    all.into_iter()
        .find(|k| k.view.id == id)
        .ok_or_else(|| WebError::input("no such device key (it may have been deleted)"))
}

/// A typed key of `kind`, normalized; a mistyped BitLocker group is named.
fn normalize(kind: DeviceKind, typed: &str) -> Result<Zeroizing<String>, WebError> {
    if kind == DeviceKind::BitLocker {
        return BitLockerRecoveryPassword::parse(typed)
            .map(|k| k.expose_normalized())
            .map_err(|e| {
                WebError::with_group(format!("the BitLocker key is not valid: {e}"), e.group())
            });
    }
    if kind == DeviceKind::MicrosoftAccount {
        return keyhaven_core::device::microsoft::MicrosoftRecoveryCode::parse(typed)
            .map(|k| k.expose_normalized())
            .map_err(|e| {
                WebError::with_group(
                    format!("the Microsoft account recovery code is not valid: {e}"),
                    e.group(),
                )
            });
    }
    kind.normalize_secret(typed)
        .map_err(|e| WebError::input(format!("the {} key is not valid: {e}", kind.as_str())))
}

/// The key in the groups people read out: BitLocker 8 × 6 digits, FileVault 6 × 4, a
/// Microsoft account code 5 × 5, a LUKS passphrase whole.
fn groups(kind: DeviceKind, secret: &str) -> Vec<String> {
    match kind {
        DeviceKind::BitLocker | DeviceKind::FileVault | DeviceKind::MicrosoftAccount => {
            secret.split('-').map(str::to_owned).collect()
        }
        _ => vec![secret.to_owned()],
    }
}

#[wasm_bindgen]
impl Vault {
    /// What the locked machine shows (8 or more characters of the key ID) or a device name.
    #[wasm_bindgen(js_name = findDevices)]
    pub fn find_devices(&self, workspace: String, query: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let typed = query.trim();
            if typed.is_empty() {
                return Json::Array(Vec::new()).json();
            }
            let looks_like_an_id = typed
                .trim_start_matches('{')
                .trim_end_matches('}')
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-');
            let escrow = escrow(&state, &workspace).await?;
            let (client, _, _) = crate::signed_in(&state)?;
            let keys = match PrefixQuery::parse(typed) {
                Ok(prefix) => devices::find(&client, &escrow, &prefix).await?,
                Err(reason) if looks_like_an_id => return Err(WebError::input(reason)),
                Err(_) => {
                    let filter = ListFilter {
                        device: Some(typed.to_owned()),
                        history: true,
                        ..ListFilter::default()
                    };
                    devices::list(&client, &escrow, &filter).await?
                }
            };
            remember(&state, &escrow, &keys);
            key_list(&keys).json()
        })
    }

    /// The workspace's device keys (metadata only), filtered, one page at a time: `after` is
    /// the previous answer's `next` (null for the first page). A device filter answers that
    /// device's keys in one page. Answers `{keys, next}`.
    pub fn devices(
        &self,
        workspace: String,
        filter: JsValue,
        after: Option<String>,
        limit: Option<u32>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let text = |name: &str| {
            js_sys::Reflect::get(&filter, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|v| !v.trim().is_empty())
        };
        let flag = |name: &str| {
            js_sys::Reflect::get(&filter, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        let filter = ListFilter {
            device: text("device"),
            needs_rotation: flag("needsRotation"),
            history: flag("history"),
        };
        promise(async move {
            let limit = limit.unwrap_or(DEVICES_PER_PAGE);
            if !(1..=1000).contains(&limit) {
                return Err(WebError::input("a page holds 1 to 1,000 keys"));
            }
            let escrow = escrow(&state, &workspace).await?;
            let (client, _, _) = crate::signed_in(&state)?;
            let (keys, next) = if filter.device.is_some() {
                (devices::list(&client, &escrow, &filter).await?, None)
            } else {
                devices::page(&client, &escrow, &filter, after.as_deref(), limit).await?
            };
            remember(&state, &escrow, &keys);
            views::object([("keys", key_list(&keys)), ("next", next.into())]).json()
        })
    }

    /// Reveals a key: the server writes the audit event (with `reason`) before it answers, and
    /// marks the key "rotate after use".
    #[wasm_bindgen(js_name = revealDevice)]
    pub fn reveal_device(
        &self,
        workspace: String,
        id: String,
        reason: Option<String>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let escrow = escrow(&state, &workspace).await?;
            let key = record(&state, &escrow, &id).await?;
            let (client, _, _) = crate::signed_in(&state)?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let secret = devices::reveal(&client, &escrow, &key, "reveal", reason).await?;
            views::object([
                ("kind", kind_name(key.meta.kind).into()),
                ("groups", groups(key.meta.kind, &secret).into()),
                ("secret", secret.as_str().into()),
            ])
            .json()
        })
    }

    /// Is `typed` the escrowed key of record `id`? Compared by blind index: nothing revealed.
    #[wasm_bindgen(js_name = checkDeviceKey)]
    pub fn check_device_key(
        &self,
        workspace: String,
        id: String,
        typed: String,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let typed = Zeroizing::new(typed);
        promise(async move {
            let escrow = escrow(&state, &workspace).await?;
            let key = record(&state, &escrow, &id).await?;
            let typed = normalize(key.meta.kind, &typed)?;
            let (client, _, _) = crate::signed_in(&state)?;
            let answer = match devices::check(&client, &escrow, &key, &typed).await? {
                CheckOutcome::Matches => views::object([("outcome", "matches".into())]),
                CheckOutcome::OtherDevice(others) => views::object([
                    ("outcome", "other_device".into()),
                    ("others", key_list(&others)),
                ]),
                CheckOutcome::NoMatch => views::object([("outcome", "no_match".into())]),
            };
            answer.json()
        })
    }
}

fn settings_view(settings: DeviceSettings) -> Json {
    views::object([(
        "revealReasonRequired",
        settings.reveal_reason_required.into(),
    )])
}

/// Text field `name` of a JS object, trimmed ('' when absent).
fn text_of(value: &JsValue, name: &str) -> String {
    js_sys::Reflect::get(value, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_string())
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// One typed key and what the page says of it (`TypedDeviceKey` in api.ts), as
/// `keyhaven device add` takes them: a Microsoft account code is filed under its account.
fn typed_plain(details: &JsValue, typed: &str) -> Result<DeviceKeyPlain, WebError> {
    let kind_name = text_of(details, "kind");
    let kind = DeviceKind::parse(&kind_name)
        .ok_or_else(|| WebError::input(format!("{kind_name:?} is not a kind of device key")))?;
    let device = text_of(details, "device");
    if device.is_empty() {
        return Err(WebError::input(if kind == DeviceKind::MicrosoftAccount {
            "type the Microsoft account (its email address) the code is for"
        } else {
            "type the device's name"
        }));
    }
    let key_id = match (kind, text_of(details, "keyId")) {
        (DeviceKind::MicrosoftAccount, id) if id.is_empty() => device.clone(),
        (_, id) if id.is_empty() => {
            return Err(WebError::input(
                "type the key ID (BitLocker shows it on the recovery screen and in the .txt file)",
            ));
        }
        (_, id) => id,
    };
    let key_id = KeyId::parse(&key_id, kind)
        .map_err(|e| WebError::input(format!("the key ID is not valid: {e}")))?;
    let secret = normalize(kind, typed)?;
    Ok(DeviceKeyPlain {
        meta: DeviceMeta {
            device,
            serial: text_of(details, "serial"),
            os: text_of(details, "os"),
            volume: text_of(details, "volume"),
            volume_type: None,
            kind,
            key_id,
            source: "typed".into(),
            added_at: devices::now(),
        },
        secret,
    })
}

/// The import defaults the page sent (`ImportDefaults` in api.ts).
fn import_defaults(value: &JsValue) -> Result<Defaults, WebError> {
    let text = |name: &str| {
        js_sys::Reflect::get(value, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let kind = match text("kind").as_deref() {
        None => None,
        Some(name) => Some(
            DeviceKind::parse(name)
                .ok_or_else(|| WebError::input(format!("{name:?} is not a kind of device key")))?,
        ),
    };
    Ok(Defaults {
        device: text("device"),
        serial: text("serial"),
        os: text("os"),
        volume: text("volume"),
        kind,
    })
}

#[wasm_bindgen]
impl Vault {
    /// Reads the files with the CLI's own readers (`files`: `[{name, bytes}]`), then seals and
    /// stores the keys found; answers the same summary as `keyhaven device import`.
    #[wasm_bindgen(js_name = importDevices)]
    pub fn import_devices(
        &self,
        workspace: String,
        files: js_sys::Array,
        defaults: JsValue,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let progress = self.progress_with_detail();
        promise(async move {
            let defaults = import_defaults(&defaults)?;
            let mut read = Read::default();
            for file in files.iter() {
                let name = js_sys::Reflect::get(&file, &JsValue::from_str("name"))
                    .ok()
                    .and_then(|v| v.as_string())
                    .ok_or_else(|| WebError::input("a file without a name"))?;
                let bytes = js_sys::Reflect::get(&file, &JsValue::from_str("bytes"))
                    .ok()
                    .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
                    .ok_or_else(|| WebError::input(format!("{name}: no bytes")))?;
                if u64::from(bytes.length()) > device_files::MAX_FILE_BYTES {
                    read.bad(
                        &name,
                        format!(
                            "larger than {} MiB, so not a key file",
                            device_files::MAX_FILE_BYTES >> 20
                        ),
                    );
                    continue;
                }
                let bytes = Zeroizing::new(bytes.to_vec());
                let base = name.rsplit(['/', '\\']).next().unwrap_or(&name);
                // A file inside a dropped folder is skipped silently when it is clearly no key
                // file (an image, say), as `keyhaven device import FOLDER` does.
                let in_folder = name.contains('/');
                read.append(device_files::read(
                    &name, base, &bytes, in_folder, &defaults,
                ));
            }
            let total = read.candidates.len();
            let outcome = if total == 0 {
                devices::Imported {
                    added: devices::Added::default(),
                    invalid: read.invalid,
                }
            } else {
                let escrow = escrow(&state, &workspace).await?;
                let (client, me, _) = crate::signed_in(&state)?;
                devices::import(&client, &me, &escrow, read, devices::now(), None, |done| {
                    progress("importing", &format!("{done} of {total}"))
                })
                .await?
            };
            views::object([
                ("imported", outcome.added.added.into()),
                ("replacing", outcome.added.replaced.into()),
                ("alreadyPresent", outcome.added.already_present.into()),
                (
                    "invalid",
                    Json::Array(
                        outcome
                            .invalid
                            .iter()
                            .map(|i| {
                                views::object([
                                    ("origin", i.origin.clone().into()),
                                    ("reason", i.reason.clone().into()),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ])
            .json()
        })
    }

    /// The workspace's device-key settings: `{revealReasonRequired}`.
    #[wasm_bindgen(js_name = deviceSettings)]
    pub fn device_settings(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let (client, _, _) = crate::signed_in(&state)?;
            let settings = devices::settings(&client, ws).await?;
            settings_view(settings).json()
        })
    }

    /// Requires (or no longer requires) a reason for every reveal and export (owners, admins).
    #[wasm_bindgen(js_name = setRevealReasonRequired)]
    pub fn set_reveal_reason_required(&self, workspace: String, required: bool) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let (client, _, _) = crate::signed_in(&state)?;
            let settings = DeviceSettings {
                reveal_reason_required: required,
            };
            settings_view(devices::set_settings(&client, ws, settings).await?).json()
        })
    }

    /// Escrows one typed key (`keyhaven device add`); answers the import summary.
    #[wasm_bindgen(js_name = addDeviceKey)]
    pub fn add_device_key(
        &self,
        workspace: String,
        details: JsValue,
        typed: String,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let typed = Zeroizing::new(typed);
        let plain = typed_plain(&details, &typed);
        promise(async move {
            let plain = plain?;
            let escrow = escrow(&state, &workspace).await?;
            let (client, me, _) = crate::signed_in(&state)?;
            let added = devices::add(&client, &me, &escrow, &[plain], |_| {}).await?;
            views::object([
                ("imported", added.added.into()),
                ("replacing", added.replaced.into()),
                ("alreadyPresent", added.already_present.into()),
                ("invalid", Json::Array(Vec::new())),
            ])
            .json()
        })
    }

    /// The key as a file, exactly as `keyhaven device export` writes it (audited as an export,
    /// marked "rotate after use"), as `{filename, mime, base64}`.
    #[wasm_bindgen(js_name = exportDevice)]
    pub fn export_device(
        &self,
        workspace: String,
        id: String,
        format: String,
        reason: Option<String>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let format = ExportFormat::parse(&format).map_err(WebError::input)?;
            let escrow = escrow(&state, &workspace).await?;
            let key = record(&state, &escrow, &id).await?;
            if format == ExportFormat::BitLockerTxt && key.meta.kind != DeviceKind::BitLocker {
                return Err(WebError::input(format!(
                    "the BitLocker .txt format is for BitLocker keys; this is a {} key (use \
                     HTML, PDF or JSON)",
                    key.meta.kind.as_str()
                )));
            }
            let (client, _, _) = crate::signed_in(&state)?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let secret = devices::reveal(&client, &escrow, &key, "export", reason).await?;
            let bytes = device_export::render(format, &key.meta, &secret, &key.header.id)
                .map_err(WebError::input)?;
            let mime = match format {
                ExportFormat::BitLockerTxt => "text/plain;charset=utf-16le",
                ExportFormat::Html => "text/html;charset=utf-8",
                ExportFormat::Pdf => "application/pdf",
                ExportFormat::Json => "application/json",
            };
            crate::kit_answer(
                &device_export::default_file_name(format, &key.meta),
                mime,
                &bytes,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shown_in_the_groups_people_read_out() {
        let bitlocker = "050875-056529-062183-067837-073491-079145-084799-090453";
        assert_eq!(groups(DeviceKind::BitLocker, bitlocker).len(), 8);
        assert_eq!(
            groups(DeviceKind::FileVault, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX").len(),
            6
        );
        assert_eq!(groups(DeviceKind::Luks, "a-b c"), vec!["a-b c".to_owned()]);
    }

    #[test]
    fn a_mistyped_bitlocker_group_is_named() {
        let error = normalize(
            DeviceKind::BitLocker,
            "050875-056529-062184-067837-073491-079145-084799-090453",
        )
        .unwrap_err();
        assert_eq!(error.group, Some(3));
        assert_eq!(error.kind, "input");
    }
}
