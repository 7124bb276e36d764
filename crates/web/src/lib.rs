//! The web vault's client: Keyhaven's own flows (`keyhaven-client`, and the core and crypto
//! crates under it) behind a narrow interface for the browser, compiled to WebAssembly with
//! wasm-bindgen and run in a Web Worker (`web/src/worker.ts`).
//!
//! Every key is made and used here and stays in this module's memory: the page receives only
//! what it shows (names, fingerprints, a secret the user asked to reveal, a new recovery key
//! to write down). The session token never leaves either. [`Vault::lock`] drops every key
//! (they zeroize on drop); the page then ends the worker.
//!
//! Each call answers JSON text (see `web/src/api.ts` for the shapes) or throws JSON text of a
//! [`WebError`]. Calls come one at a time (the worker queues them).

mod audit;
mod devices;
mod error;
mod idb;
mod members;
mod tokens;
mod views;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use keyhaven_client::devices::DeviceKey;
use keyhaven_client::flows::{self, FlowError};
use keyhaven_client::local::Local;
use keyhaven_client::workspaces::{self, Me, Opened, Prepared, Secrets};
use keyhaven_client::{Client, password};
use keyhaven_core::ids::{ItemId, WorkspaceId};
use keyhaven_core::item::ItemKind;
use keyhaven_core::kit::{self, KitDetails};
use keyhaven_core::recovery_key::RecoveryKey;
use keyhaven_core::roster::RecoveryKind;
use keyhaven_crypto::opaque::KsfParams;
use keyhaven_crypto::secret::SecretBytes;
use keyhaven_proto::ServerInfo;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

pub use error::WebError;
use idb::IdbStore;
use views::{AccountView, Answerable as _, Json};

/// The browser's vault: one server (the page's origin), at most one signed-in account.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Vault {
    state: Rc<RefCell<State>>,
}

#[derive(Debug)]
struct State {
    /// Without a session: sign-up, sign-in, password reset.
    anonymous: Client,
    progress: Option<js_sys::Function>,
    session: Option<Session>,
}

/// What a sign-in holds. Dropping it drops (and zeroizes) every key.
#[derive(Debug)]
struct Session {
    client: Client,
    me: Rc<Me>,
    local: Rc<Local<IdbStore>>,
    info: Option<ServerInfo>,
    /// The last list of each workspace's secrets (what `reveal` and `editSecret` act on).
    secrets: BTreeMap<WorkspaceId, Rc<Secrets>>,
    /// A permanent key made on this device and not committed yet (`generatePrepare`).
    prepared: BTreeMap<WorkspaceId, Rc<Pending>>,
    /// A permanent key made with its workspace (`createWorkspace` without email), whose kit
    /// the user downloads right after.
    created: BTreeMap<WorkspaceId, Rc<KitSource>>,
    /// The device-key records the page was last shown, by workspace and record id (what
    /// reveal, check, export and resolve act on, without listing the fleet again). Records
    /// are signed and never change; their server state is fetched again where it matters.
    device_keys: BTreeMap<WorkspaceId, std::collections::HashMap<String, DeviceKey>>,
}

/// A recovery key awaiting its confirmation.
#[derive(Debug)]
struct Pending {
    prepared: Prepared,
    /// The two groups (1-based) the user re-types.
    confirm: [usize; 2],
    kit: KitSource,
}

/// What a kit is rendered from.
#[derive(Debug)]
struct KitSource {
    workspace: String,
    server_url: String,
    key_id: keyhaven_core::ids::RecoveryKeyId,
    kind: RecoveryKind,
    created_at: u64,
    key: RecoveryKey,
}

impl KitSource {
    fn details(&self) -> KitDetails<'_> {
        KitDetails {
            workspace: &self.workspace,
            server_url: &self.server_url,
            key_id: self.key_id,
            kind: self.kind,
            created_at: self.created_at,
        }
    }
}

type Answer = Result<JsValue, WebError>;

/// Runs `work` as a JavaScript promise of its JSON answer (or of a thrown [`WebError`]).
fn promise(work: impl std::future::Future<Output = Answer> + 'static) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { work.await.map_err(|e| e.into_js()) })
}

fn workspace_id(text: &str) -> Result<WorkspaceId, WebError> {
    text.parse()
        .map(WorkspaceId)
        .map_err(|_| WebError::input(format!("{text:?} is not a workspace id")))
}

fn item_id(text: &str) -> Result<ItemId, WebError> {
    text.parse()
        .map(ItemId)
        .map_err(|_| WebError::input(format!("{text:?} is not a secret id")))
}

fn item_kind(text: &str) -> Result<ItemKind, WebError> {
    match text {
        "login" => Ok(ItemKind::Login),
        "note" => Ok(ItemKind::Note),
        "api-key" => Ok(ItemKind::ApiKey),
        other => Err(WebError::input(format!(
            "{other:?} is not a kind of secret (login, note or api-key)"
        ))),
    }
}

/// A typed recovery key, or which group is mistyped.
fn parse_key(typed: &str) -> Result<RecoveryKey, WebError> {
    RecoveryKey::parse(typed).map_err(WebError::key_typo)
}

/// Field values from the page (`{username: "…"}`), as secret bytes. `title` is the name and
/// cannot be set as a field.
fn fields(value: JsValue) -> Result<BTreeMap<String, SecretBytes>, WebError> {
    let bad = || WebError::input("the fields are not an object of text values");
    let object = value.dyn_into::<js_sys::Object>().map_err(|_| bad())?;
    let mut out = BTreeMap::new();
    for entry in js_sys::Object::entries(&object).iter() {
        let pair = js_sys::Array::from(&entry);
        let name = pair.get(0).as_string().ok_or_else(bad)?;
        let value = Zeroizing::new(pair.get(1).as_string().ok_or_else(bad)?);
        if name != "title" {
            out.insert(name, SecretBytes::new(value.as_bytes().to_vec()));
        }
    }
    Ok(out)
}

fn check_name(name: &str) -> Result<&str, WebError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(WebError::input("give the secret a name"));
    }
    Ok(name)
}

#[wasm_bindgen]
impl Vault {
    /// A vault for the server at `origin` (the page's own). `progress(step)` is called when a
    /// long step starts (`"stretching"`: Argon2id).
    #[wasm_bindgen(constructor)]
    pub fn new(origin: &str, progress: Option<js_sys::Function>) -> Result<Vault, JsValue> {
        report_panics();
        let anonymous =
            Client::new(origin).map_err(|e| WebError::from(FlowError::from(e)).into_js())?;
        Ok(Vault {
            state: Rc::new(RefCell::new(State {
                anonymous,
                progress,
                session: None,
            })),
        })
    }

    /// Takes the page's clock (`Date.now()`) as the client's.
    pub fn set_page_clock(&self, page_now_ms: f64) {
        #[cfg(target_arch = "wasm32")]
        keyhaven_client::clock::set_page_clock(page_now_ms);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = page_now_ms;
    }

    #[wasm_bindgen(js_name = signupStart)]
    pub fn signup_start(&self, email: String) -> js_sys::Promise {
        let client = self.anonymous();
        promise(async move {
            flows::signup_start(&client, email.trim()).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = signupFinish)]
    pub fn signup_finish(&self, email: String, code: String, password: String) -> js_sys::Promise {
        let client = self.anonymous();
        let password = Zeroizing::new(password);
        let progress = self.progress();
        promise(async move {
            progress("stretching");
            let account =
                flows::signup_finish(&client, email.trim(), &code, password, KsfParams::default())
                    .await?;
            AccountView::of_info(&account)?.json()
        })
    }

    pub fn login(&self, email: String, password: String) -> js_sys::Promise {
        let state = self.state.clone();
        let client = self.anonymous();
        let password = Zeroizing::new(password);
        let progress = self.progress();
        promise(async move {
            // Whoever was signed in here is not any more, whatever the outcome.
            state.borrow_mut().session = None;
            progress("stretching");
            let logged = flows::login(&client, email.trim(), password).await?;
            let me = Me {
                id: parse_account(&logged.account.id)?,
                email: logged.account.email.clone(),
                keys: logged.keys,
            };
            let view = AccountView::of(&me);
            let session = Session {
                client: client.with_session(logged.session_token.as_str()),
                local: Rc::new(Local::new(IdbStore::for_account(&me.id.to_string()))),
                me: Rc::new(me),
                info: None,
                secrets: BTreeMap::new(),
                prepared: BTreeMap::new(),
                created: BTreeMap::new(),
                device_keys: BTreeMap::new(),
            };
            state.borrow_mut().session = Some(session);
            view.json()
        })
    }

    /// Ends the session on the server, then forgets it here.
    pub fn logout(&self) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let client = state.borrow().session.as_ref().map(|s| s.client.clone());
            state.borrow_mut().session = None;
            if let Some(client) = client {
                // Signed out here whatever the server answers.
                let _ = flows::logout(&client).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Drops every key and the session token (no server call).
    pub fn lock(&self) -> js_sys::Promise {
        self.state.borrow_mut().session = None;
        promise(async { Ok(JsValue::UNDEFINED) })
    }

    pub fn whoami(&self) -> js_sys::Promise {
        let view = self
            .state
            .borrow()
            .session
            .as_ref()
            .map(|s| AccountView::of(&s.me));
        promise(async move {
            match view {
                Some(view) => view.json(),
                None => Ok(JsValue::NULL),
            }
        })
    }

    #[wasm_bindgen(js_name = forgotStart)]
    pub fn forgot_start(&self, email: String) -> js_sys::Promise {
        let client = self.anonymous();
        promise(async move {
            password::forgot(&client, email.trim()).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Access code → new password → "Generate a new encryption key". The page has obtained
    /// both acknowledgements before it calls this.
    #[wasm_bindgen(js_name = forgotFinish)]
    pub fn forgot_finish(
        &self,
        email: String,
        code: String,
        new_password: String,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let client = self.anonymous();
        let new_password = Zeroizing::new(new_password);
        let progress = self.progress();
        promise(async move {
            state.borrow_mut().session = None;
            progress("stretching");
            let done = password::reset(
                &client,
                email.trim(),
                &code,
                new_password,
                KsfParams::default(),
            )
            .await?;
            views::object([("fingerprint", done.public.fingerprint().to_string().into())]).json()
        })
    }

    pub fn workspaces(&self) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let (client, me, local) = signed_in(&state)?;
            let info = server_info(&state).await?;
            let now = keyhaven_client::clock::now_unix();
            let public = me.keys.public();
            let mut out = Vec::new();
            for summary in workspaces::list(&client).await? {
                // From the verified roster: the role, the recovery-key chores, the link after a
                // reset, and the key ID the emergency reset page asks for. A workspace that
                // does not check out is named, and the others are listed all the same.
                let verified = match workspace_id(&summary.id) {
                    Ok(ws) => match local.pinned(ws).await {
                        Ok(pinned) => workspaces::verified_roster(&client, ws, pinned.as_ref())
                            .await
                            .map_err(WebError::from),
                        Err(e) => Err(e.into()),
                    },
                    Err(e) => Err(e),
                };
                match verified {
                    Ok((view, roster)) => {
                        let chore = workspaces::chore(
                            &roster,
                            me.id,
                            &public,
                            view.recovery.as_ref(),
                            info.validation_interval_days,
                            now,
                        );
                        let short = roster.recovery.map(|r| r.id.short()).unwrap_or_default();
                        let banners = chore.map(|c| views::banner(c, &short, now));
                        out.push(views::summary(&summary, Some(&roster), me.id, banners));
                    }
                    Err(WebError { kind: "locked", .. }) => return Err(WebError::signed_out()),
                    Err(e) => out.push(views::summary(
                        &summary,
                        None,
                        me.id,
                        Some(views::broken(&e.message)),
                    )),
                }
            }
            Json::Array(out).json()
        })
    }

    /// Creates a workspace: its temporary recovery key is emailed (`temporary_by_email`), or a
    /// permanent one is made now and shown once.
    #[wasm_bindgen(js_name = createWorkspace)]
    pub fn create_workspace(&self, name: String, temporary_by_email: bool) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let (client, me, local) = signed_in(&state)?;
            let created = workspaces::create(&client, &me, name.trim(), temporary_by_email).await?;
            let name = name.trim().to_owned();
            local.pin(created.id, &created.head, &name).await?;
            local.consent(created.id).await?;
            let groups = (!temporary_by_email).then(|| views::groups(&created.recovery_key));
            let answer = views::object([
                ("id", created.id.to_string().into()),
                ("name", name.clone().into()),
                ("recoveryKeyId", created.recovery_id.to_upper().into()),
                ("expiresAt", created.expires_at.into()),
                ("recoveryKeyGroups", groups.into()),
            ]);
            if !temporary_by_email {
                let source = KitSource {
                    workspace: name,
                    server_url: client.base().to_owned(),
                    key_id: created.recovery_id,
                    kind: RecoveryKind::Permanent,
                    created_at: keyhaven_client::clock::now_unix(),
                    key: created.recovery_key,
                };
                with_session(&state, |s| {
                    s.created.insert(created.id, Rc::new(source));
                })?;
            }
            answer.json()
        })
    }

    /// Opens a workspace (its roster verified against this browser's pin); a workspace this
    /// browser never opened is refused with its owners unless the user trusted it.
    #[wasm_bindgen(js_name = openWorkspace)]
    pub fn open_workspace(&self, id: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&id)?;
            let opened = open(&state, ws).await?;
            forget_secrets(&state, ws);
            workspace_view(&state, &opened).await
        })
    }

    /// The user compared an owner's fingerprint out of band and trusts the workspace.
    #[wasm_bindgen(js_name = trustWorkspace)]
    pub fn trust_workspace(&self, id: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&id)?;
            let (_, _, local) = signed_in(&state)?;
            local.consent(ws).await?;
            // Trusted by its id: a namesake of a known workspace is the user's choice now.
            open_as(&state, ws, true).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn secrets(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let opened = open(&state, ws).await?;
            let secrets = fetch_secrets(&state, &opened).await?;
            views::secret_list(&secrets).json()
        })
    }

    pub fn reveal(&self, workspace: String, item: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let id = item_id(&item)?;
            let secrets = listed_secrets(&state, ws)?;
            let secret = find(&secrets, id)?;
            views::fields(secret).json()
        })
    }

    #[wasm_bindgen(js_name = addSecret)]
    pub fn add_secret(
        &self,
        workspace: String,
        kind: String,
        name: String,
        values: JsValue,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let kind = item_kind(&kind)?;
            let name = check_name(&name)?.to_owned();
            let values = fields(values)?;
            let (client, me, _) = signed_in(&state)?;
            let opened = open(&state, ws).await?;
            let existing = fetch_secrets(&state, &opened).await?;
            if existing.good.iter().any(|s| s.name() == name) {
                return Err(WebError::input(format!(
                    "a secret named {name:?} exists already; pick another name"
                )));
            }
            let id = workspaces::add_secret(&client, &me, &opened, &name, kind, values).await?;
            forget_secrets(&state, ws);
            Json::String(id.to_string()).json()
        })
    }

    #[wasm_bindgen(js_name = editSecret)]
    pub fn edit_secret(
        &self,
        workspace: String,
        item: String,
        name: String,
        values: JsValue,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let id = item_id(&item)?;
            let name = check_name(&name)?.to_owned();
            let mut changes = fields(values)?;
            let (client, me, _) = signed_in(&state)?;
            let opened = open(&state, ws).await?;
            // The revision the user saw: a newer one saved meanwhile makes the server refuse.
            let secrets = listed_secrets(&state, ws)?;
            let secret = find(&secrets, id)?;
            if secrets.good.iter().any(|s| s.id != id && s.name() == name) {
                return Err(WebError::input(format!(
                    "another secret is named {name:?}; pick another name"
                )));
            }
            changes.insert("title".into(), SecretBytes::new(name.clone().into_bytes()));
            let saved = workspaces::edit_secret(&client, &me, &opened, secret, changes).await;
            // Saved or not, the list is to be fetched again (a conflict shows the newer one).
            forget_secrets(&state, ws);
            saved?;
            // The new revision is the one to expect from now on.
            let (_, _, local) = signed_in(&state)?;
            local
                .check_revisions(
                    ws,
                    &opened.roster.name,
                    [(id, secret.revision + 1, name.as_str())],
                )
                .await?;
            forget_secrets(&state, ws);
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = deleteSecret)]
    pub fn delete_secret(&self, workspace: String, item: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let id = item_id(&item)?;
            let (client, _, _) = signed_in(&state)?;
            let opened = open(&state, ws).await?;
            workspaces::remove_secret(&client, &opened, id).await?;
            forget_secrets(&state, ws);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Checks a typed recovery key's format: names the mistyped group.
    #[wasm_bindgen(js_name = checkRecoveryKey)]
    pub fn check_recovery_key(&self, typed: String) -> js_sys::Promise {
        let typed = Zeroizing::new(typed);
        let checked = parse_key(&typed).map(drop);
        promise(async move {
            checked?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The emergency reset code: the recovery key relinks this account to the workspace.
    #[wasm_bindgen(js_name = useRecoveryKey)]
    pub fn use_recovery_key(&self, workspace: String, typed: String) -> js_sys::Promise {
        let state = self.state.clone();
        let typed = Zeroizing::new(typed);
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let key = parse_key(&typed)?;
            let (client, me, local) = signed_in(&state)?;
            let opened = open(&state, ws).await?;
            let recovered = workspaces::recovery_use(&client, &me, &opened, &key).await?;
            local.pin(ws, &recovered.head, &opened.roster.name).await?;
            forget_secrets(&state, ws);
            views::object([(
                "escrowMissing",
                Json::Array(
                    recovered
                        .escrow_missing
                        .iter()
                        .map(|v| (*v).into())
                        .collect(),
                ),
            )])
            .json()
        })
    }

    /// Makes a permanent recovery key on this device; nothing is sent until
    /// [`Vault::generate_commit`].
    #[wasm_bindgen(js_name = generatePrepare)]
    pub fn generate_prepare(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let (client, me, _) = signed_in(&state)?;
            let opened = open(&state, ws).await?;
            if !views::is_owner(&opened, me.id) {
                return Err(WebError::refused(
                    "only an owner can generate the workspace's recovery key",
                ));
            }
            let prepared = workspaces::generate_prepare(&client, &me, &opened)?;
            let confirm = two_groups();
            let kit = KitSource {
                workspace: opened.roster.name.clone(),
                server_url: client.base().to_owned(),
                key_id: prepared.id,
                kind: RecoveryKind::Permanent,
                created_at: keyhaven_client::clock::now_unix(),
                key: RecoveryKey::from_bytes(*prepared.key.expose()),
            };
            let answer = views::object([
                ("keyId", prepared.id.to_upper().into()),
                ("groups", views::groups(&prepared.key).into()),
                (
                    "needsCurrent",
                    workspaces::generate_needs_current(&opened).into(),
                ),
                (
                    "confirm",
                    Json::Array(vec![confirm[0].into(), confirm[1].into()]),
                ),
                (
                    "escrowMissing",
                    Json::Array(
                        prepared
                            .escrow_missing
                            .iter()
                            .map(|v| (*v).into())
                            .collect(),
                    ),
                ),
            ]);
            with_session(&state, |s| {
                s.prepared.insert(
                    ws,
                    Rc::new(Pending {
                        prepared,
                        confirm,
                        kit,
                    }),
                );
            })?;
            answer.json()
        })
    }

    /// The recovery kit of the key being generated (or made with the workspace), as
    /// `{filename, mime, base64}`.
    pub fn kit(&self, workspace: String, format: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let source = {
                let s = state.borrow();
                let s = s.session.as_ref().ok_or_else(WebError::signed_out)?;
                s.prepared
                    .get(&ws)
                    .map(|p| KitSourceRef::Pending(p.clone()))
                    .or_else(|| s.created.get(&ws).map(|c| KitSourceRef::Created(c.clone())))
            }
            .ok_or_else(|| WebError::input("no new recovery key to make a kit of"))?;
            let source = source.get();
            let stem = format!("keyhaven-recovery-kit-{}", source.key_id.short());
            let (bytes, mime, extension) = match format.as_str() {
                "txt" => (
                    Zeroizing::new(
                        kit::render_text(&source.details(), &source.key)
                            .as_bytes()
                            .to_vec(),
                    ),
                    "text/plain;charset=utf-8",
                    "txt",
                ),
                "html" => (
                    Zeroizing::new(
                        kit::render_html(&source.details(), &source.key)
                            .as_bytes()
                            .to_vec(),
                    ),
                    "text/html;charset=utf-8",
                    "html",
                ),
                "pdf" => {
                    let text = kit::render_text(&source.details(), &source.key);
                    (
                        keyhaven_kit::pdf::recovery_kit(&text, source.key.encode().as_str()),
                        "application/pdf",
                        "pdf",
                    )
                }
                other => {
                    return Err(WebError::input(format!(
                        "{other:?} is not a kit format (txt, html or pdf)"
                    )));
                }
            };
            kit_answer(&format!("{stem}.{extension}"), mime, &bytes)
        })
    }

    /// Commits the prepared key once the two named groups were re-typed; `current` is the key
    /// it replaces, when that one is still valid.
    #[wasm_bindgen(js_name = generateCommit)]
    pub fn generate_commit(
        &self,
        workspace: String,
        confirm: Vec<String>,
        current: Option<String>,
    ) -> js_sys::Promise {
        let state = self.state.clone();
        let confirm: Vec<Zeroizing<String>> = confirm.into_iter().map(Zeroizing::new).collect();
        let current = current.map(Zeroizing::new);
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let (client, _, local) = signed_in(&state)?;
            let pending = {
                let s = state.borrow();
                let s = s.session.as_ref().ok_or_else(WebError::signed_out)?;
                s.prepared.get(&ws).cloned()
            }
            .ok_or_else(|| WebError::input("generate a recovery key first"))?;
            views::check_confirmation(&pending.prepared.key, pending.confirm, &confirm)?;
            let opened = open(&state, ws).await?;
            let current = match current.as_ref().map(|c| c.trim()) {
                Some(typed) if !typed.is_empty() => Some(parse_key(typed)?),
                _ if workspaces::generate_needs_current(&opened) => {
                    return Err(WebError::input(
                        "enter the current recovery key (the temporary key from the welcome \
                         email, or the permanent key it replaces)",
                    ));
                }
                _ => None,
            };
            let head =
                workspaces::generate_commit(&client, &opened, &pending.prepared, current.as_ref())
                    .await?;
            local.pin(ws, &head, &opened.roster.name).await?;
            with_session(&state, |s| {
                s.prepared.remove(&ws);
            })?;
            let opened = open(&state, ws).await?;
            workspace_view(&state, &opened).await
        })
    }

    /// Forgets the prepared key (nothing was sent).
    #[wasm_bindgen(js_name = generateCancel)]
    pub fn generate_cancel(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            with_session(&state, |s| {
                s.prepared.remove(&ws);
                s.created.remove(&ws);
            })?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Validates the recovery key (checked here against the roster first, then proved to the
    /// server, which keeps the signed statement).
    #[wasm_bindgen(js_name = validateRecoveryKey)]
    pub fn validate_recovery_key(&self, workspace: String, typed: String) -> js_sys::Promise {
        let state = self.state.clone();
        let typed = Zeroizing::new(typed);
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let key = parse_key(&typed)?;
            let (client, _, _) = signed_in(&state)?;
            let opened = open(&state, ws).await?;
            workspaces::validate(&client, &opened, &key).await?;
            let opened = open(&state, ws).await?;
            workspace_view(&state, &opened).await
        })
    }
}

impl Vault {
    fn anonymous(&self) -> Client {
        self.state.borrow().anonymous.clone()
    }

    fn progress(&self) -> impl Fn(&str) + 'static {
        let progress = self.progress_with_detail();
        move |step: &str| progress(step, "")
    }

    /// `progress(step, detail)`, e.g. `("importing", "120 of 1000")`.
    fn progress_with_detail(&self) -> impl Fn(&str, &str) + 'static {
        let callback = self.state.borrow().progress.clone();
        move |step: &str, detail: &str| {
            if let Some(callback) = &callback {
                let _ = callback.call2(
                    &JsValue::NULL,
                    &JsValue::from_str(step),
                    &JsValue::from_str(detail),
                );
            }
        }
    }
}

/// A file for the page to offer as a download (`Kit` in api.ts; the worker decodes the bytes).
fn kit_answer(filename: &str, mime: &str, bytes: &[u8]) -> Answer {
    use base64::Engine as _;
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes));
    views::object([
        ("filename", filename.into()),
        ("mime", mime.into()),
        ("base64", encoded.as_str().into()),
    ])
    .json()
}

enum KitSourceRef {
    Pending(Rc<Pending>),
    Created(Rc<KitSource>),
}

impl KitSourceRef {
    fn get(&self) -> &KitSource {
        match self {
            KitSourceRef::Pending(p) => &p.kit,
            KitSourceRef::Created(c) => c,
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// A panic (a bug) is reported on the console with where it happened, instead of only
/// "unreachable executed". The message is the panic's own text, which never holds a secret:
/// no code here formats key material into a panic.
fn report_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            console_error(&format!("keyhaven vault panicked at {place}: {what}"));
        }));
    });
}

/// Two different groups of 1..=8, picked at random, for the user to re-type.
fn two_groups() -> [usize; 2] {
    use rand_core::RngCore as _;
    let first = (rand_core::OsRng.next_u32() % 8) as usize + 1;
    let offset = (rand_core::OsRng.next_u32() % 7) as usize + 1;
    let second = (first - 1 + offset) % 8 + 1;
    let mut both = [first, second];
    both.sort_unstable();
    both
}

fn parse_account(id: &str) -> Result<keyhaven_core::ids::AccountId, WebError> {
    id.parse()
        .map(keyhaven_core::ids::AccountId)
        .map_err(|_| WebError::from(FlowError::Integrity("malformed account id".into())))
}

/// What a call needs of the session: the signed-in client, the account, the device's memory.
type SignedIn = (Client, Rc<Me>, Rc<Local<IdbStore>>);

fn signed_in(state: &Rc<RefCell<State>>) -> Result<SignedIn, WebError> {
    let s = state.borrow();
    let s = s.session.as_ref().ok_or_else(WebError::signed_out)?;
    Ok((s.client.clone(), s.me.clone(), s.local.clone()))
}

fn with_session<T>(
    state: &Rc<RefCell<State>>,
    change: impl FnOnce(&mut Session) -> T,
) -> Result<T, WebError> {
    let mut s = state.borrow_mut();
    let s = s.session.as_mut().ok_or_else(WebError::signed_out)?;
    Ok(change(s))
}

fn forget_secrets(state: &Rc<RefCell<State>>, ws: WorkspaceId) {
    if let Some(s) = state.borrow_mut().session.as_mut() {
        s.secrets.remove(&ws);
    }
}

async fn server_info(state: &Rc<RefCell<State>>) -> Result<ServerInfo, WebError> {
    let (client, cached) = {
        let s = state.borrow();
        let s = s.session.as_ref().ok_or_else(WebError::signed_out)?;
        (s.client.clone(), s.info.clone())
    };
    if let Some(info) = cached {
        return Ok(info);
    }
    let info: ServerInfo = client
        .get("/v1/server-info")
        .await
        .map_err(|e| WebError::from(FlowError::from(e)))?;
    with_session(state, |s| s.info = Some(info.clone()))?;
    Ok(info)
}

/// Opens `ws` afresh (each call sees the roster and keys as they are now: a cached copy would
/// keep sealing secrets under a workspace key that a removal replaced): the roster verified
/// against this browser's pin, admitted (first contact needs consent), the pin moved.
async fn open(state: &Rc<RefCell<State>>, ws: WorkspaceId) -> Result<Rc<Opened>, WebError> {
    open_as(state, ws, false).await
}

/// [`open`]; `by_id`: the user chose this workspace by its id (a namesake is admitted).
async fn open_as(
    state: &Rc<RefCell<State>>,
    ws: WorkspaceId,
    by_id: bool,
) -> Result<Rc<Opened>, WebError> {
    let (client, me, local) = signed_in(state)?;
    let pinned = local.pinned(ws).await?;
    let opened = workspaces::open(&client, &me, ws, pinned.as_ref()).await?;
    local.admit(&opened.roster, pinned.as_ref(), by_id).await?;
    Ok(Rc::new(opened))
}

async fn workspace_view(state: &Rc<RefCell<State>>, opened: &Opened) -> Answer {
    let info = server_info(state).await?;
    let (_, me, _) = signed_in(state)?;
    views::workspace(opened, &me, &info, keyhaven_client::clock::now_unix()).json()
}

/// The secrets of the workspace, fetched and decrypted now; a rollback of any item is refused.
async fn fetch_secrets(
    state: &Rc<RefCell<State>>,
    opened: &Opened,
) -> Result<Rc<Secrets>, WebError> {
    let ws = opened.roster.workspace;
    let (client, _, local) = signed_in(state)?;
    let secrets = workspaces::secrets(&client, opened).await?;
    local
        .check_revisions(
            ws,
            &opened.roster.name,
            secrets
                .good
                .iter()
                .map(|s| (s.id, s.revision, s.name_str())),
        )
        .await?;
    let secrets = Rc::new(secrets);
    with_session(state, |s| s.secrets.insert(ws, secrets.clone()))?;
    Ok(secrets)
}

/// The secrets as the page last listed them.
fn listed_secrets(state: &Rc<RefCell<State>>, ws: WorkspaceId) -> Result<Rc<Secrets>, WebError> {
    state
        .borrow()
        .session
        .as_ref()
        .ok_or_else(WebError::signed_out)?
        .secrets
        .get(&ws)
        .cloned()
        .ok_or_else(|| WebError::input("list the secrets first (reload the list)"))
}

fn find(secrets: &Secrets, id: ItemId) -> Result<&workspaces::Secret, WebError> {
    secrets.good.iter().find(|s| s.id == id).ok_or_else(|| {
        WebError::input("no such secret (it may have been deleted; reload the list)")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_two_groups_to_retype_differ_and_cover_every_pair() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..4_000 {
            let [a, b] = super::two_groups();
            assert!(
                (1..=8).contains(&a) && (1..=8).contains(&b) && a < b,
                "{a} {b}"
            );
            seen.insert((a, b));
        }
        assert_eq!(seen.len(), 28, "every pair of 8 groups comes up");
    }
}
