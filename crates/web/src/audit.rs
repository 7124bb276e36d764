//! The workspace's audit log in the browser: verified here against the head this browser
//! pinned (a broken, truncated or forked chain is reported, not shown as if it were fine), and
//! device-key events named here (device and key ID), since the server records only record ids.

use keyhaven_client::audit;
use keyhaven_client::devices::{self, Escrow, ListFilter};
use keyhaven_client::local::AuditCheckError;
use wasm_bindgen::prelude::*;

use crate::views::{self, Answerable as _, Json};
use crate::{Vault, open, promise, workspace_id};

#[wasm_bindgen]
impl Vault {
    /// `{events, verified, firstCheck, problem}`: every event with its device keys named, and
    /// whether the chain checks out against this browser's pin (`problem` says how it does not).
    #[wasm_bindgen(js_name = auditLog)]
    pub fn audit_log(&self, workspace: String) -> js_sys::Promise {
        let state = self.state.clone();
        promise(async move {
            let ws = workspace_id(&workspace)?;
            let opened = open(&state, ws).await?;
            let (client, _, local) = crate::signed_in(&state)?;
            let events = audit::workspace_events(&client, ws).await?;
            let chain = audit::workspace_chain(ws);
            let (verified, first, problem) = match local.check_audit(&chain, &events).await {
                Ok(first) => (true, first, None),
                Err(AuditCheckError::Chain(e)) => (false, false, Some(e.to_string())),
                Err(AuditCheckError::Store(e)) => return Err(e.into()),
            };
            // Only who holds the escrow key can name device keys; others see record ids.
            let names = match Escrow::open(&opened) {
                Ok(escrow) if events.iter().any(|e| e.kind.starts_with("device-key")) => {
                    let filter = ListFilter {
                        history: true,
                        ..ListFilter::default()
                    };
                    devices::list(&client, &escrow, &filter)
                        .await
                        .map(|keys| audit::device_key_names(&keys))
                        .unwrap_or_default()
                }
                _ => Default::default(),
            };
            let list = events
                .iter()
                .map(|e| {
                    views::object([
                        ("seq", e.seq.into()),
                        ("at", e.at.into()),
                        ("actor", e.actor.clone().into()),
                        ("kind", e.kind.clone().into()),
                        ("details", e.details.clone().into()),
                        ("deviceKeys", audit::named_keys(e, &names).into()),
                    ])
                })
                .collect();
            views::object([
                ("events", Json::Array(list)),
                ("verified", verified.into()),
                ("firstCheck", first.into()),
                ("problem", problem.into()),
            ])
            .json()
        })
    }
}
