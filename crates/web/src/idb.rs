//! The web vault's [`Store`]: IndexedDB (`idb.js`), one name space per account, so two people
//! who use one browser do not share consents.

use keyhaven_client::local::{Store, StoreError};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/idb.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = idbGet)]
    async fn idb_get(key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = idbPut)]
    async fn idb_put(key: &str, value: Vec<u8>) -> Result<JsValue, JsValue>;
}

/// The account's part of the browser's IndexedDB.
#[derive(Debug)]
pub struct IdbStore {
    prefix: String,
}

impl IdbStore {
    /// The store of account `id`.
    pub fn for_account(id: &str) -> Self {
        Self {
            prefix: format!("account:{id}/"),
        }
    }
}

fn failed(error: JsValue) -> StoreError {
    StoreError(
        error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "IndexedDB failed".into()),
    )
}

impl Store for IdbStore {
    async fn load(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let value = idb_get(&format!("{}{name}", self.prefix))
            .await
            .map_err(failed)?;
        Ok(value
            .dyn_ref::<js_sys::Uint8Array>()
            .map(js_sys::Uint8Array::to_vec))
    }

    async fn save(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        idb_put(&format!("{}{name}", self.prefix), bytes.to_vec())
            .await
            .map(drop)
            .map_err(failed)
    }
}
