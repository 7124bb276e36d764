//! Forgot password: ask for an access code, then reset the password with it, which generates
//! a new encryption key (new account key pairs) for the same account id.
//!
//! The old keys cannot be carried over: they are wrapped under the old password's export key.
//! Workspaces therefore stay locked to the old keys until the recovery key (owners) or an owner
//! (members) relinks the account. A reset signs out every session and does not sign in.

use keyhaven_core::account::{AccountKeys, AccountPublicKeys};
use keyhaven_core::ids::AccountId;
use keyhaven_crypto::opaque::{self, KsfParams as CryptoKsf};
use keyhaven_proto::{
    AccountInfo, Bytes, PasswordForgot, ResetFinish, ResetFinished, ResetStart, ResetStarted,
    ResetVerified, ResetVerify,
};
use zeroize::Zeroizing;

use crate::Client;
use crate::flows::{FlowError, encode_public, to_wire};

/// A finished password reset.
#[derive(Debug)]
pub struct ResetDone {
    /// The account as the server stored it (same id, new keys; checked against `public`).
    pub account: AccountInfo,
    /// The account's new public keys: their fingerprint is what owners compare when they
    /// relink the account in a workspace.
    pub public: AccountPublicKeys,
    /// How many sessions the server signed out.
    pub sessions_revoked: u64,
}

/// Asks the server to email a password-reset access code. The answer is the same whether or
/// not the address has an account.
pub async fn forgot(client: &Client, email: &str) -> Result<(), FlowError> {
    client
        .post_empty(
            "/v1/password/forgot",
            &PasswordForgot {
                email: email.into(),
            },
        )
        .await?;
    Ok(())
}

/// Trades the emailed code for a reset token, registers `new_password` with OPAQUE, generates
/// new account key pairs and uploads them wrapped under the new export key and the account id.
///
/// The caller must have shown the warning and obtained both acknowledgements first: once the
/// code is verified, the reset token is the only way on, and finishing cuts the account off
/// from its workspaces until they relink it.
pub async fn reset(
    client: &Client,
    email: &str,
    code: &str,
    new_password: Zeroizing<String>,
    ksf: CryptoKsf,
) -> Result<ResetDone, FlowError> {
    // Before anything is sent: the parameters are ours, never the server's, and must hold the
    // floor.
    ksf.check()?;
    let verified: ResetVerified = client
        .post(
            "/v1/password/reset/verify",
            &ResetVerify {
                email: email.into(),
                code: code.trim().into(),
            },
        )
        .await?;
    let account_id: uuid::Uuid = verified
        .account_id
        .parse()
        .map_err(|_| FlowError::Integrity("malformed account id".into()))?;
    let account_id = AccountId(account_id);
    let (state, request) = opaque::client_registration_start(new_password.as_bytes())
        .map_err(|e| FlowError::Integrity(e.to_string()))?;
    let started: ResetStarted = client
        .post(
            "/v1/password/reset/start",
            &ResetStart {
                reset_token: verified.reset_token.clone(),
                registration_request: Bytes(request),
            },
        )
        .await?;
    // Argon2id takes most of a second and 64 MiB: run it off the async executor.
    let response = started.registration_response.0;
    let (upload, export_key) = crate::off_executor(move || {
        opaque::client_registration_finish(state, new_password.as_bytes(), &response, ksf)
    })
    .await?
    .map_err(|e| FlowError::Integrity(e.to_string()))?;

    // "Generate a new encryption key": new pairs, bound to the unchanged account id.
    let keys = AccountKeys::generate();
    let public = keys.public();
    let wrapped = keys.wrap(&export_key, account_id);
    let finished: ResetFinished = client
        .post(
            "/v1/password/reset/finish",
            &ResetFinish {
                reset_token: verified.reset_token,
                registration_upload: Bytes(upload),
                ksf: to_wire(ksf),
                public_keys: Bytes(encode_public(&public)),
                wrapped_keys: Bytes(wrapped.clone()),
            },
        )
        .await?;
    let account = finished.account;
    if account.id != account_id.to_string()
        || account.public_keys.0 != encode_public(&public)
        || account.wrapped_keys.0 != wrapped
    {
        return Err(FlowError::Integrity(
            "the server reports other keys or another account than the ones just uploaded".into(),
        ));
    }
    Ok(ResetDone {
        account,
        public,
        sessions_revoked: finished.sessions_revoked,
    })
}

/// Changes the signed-in account's password (the server wants a recent sign-in): a new OPAQUE
/// registration, and the same key pairs re-wrapped under the new export key, so workspaces
/// stay linked. Other sessions are signed out.
pub async fn change(
    client: &Client,
    account_id: AccountId,
    keys: &AccountKeys,
    new_password: Zeroizing<String>,
    ksf: CryptoKsf,
) -> Result<(), FlowError> {
    ksf.check()?;
    let (state, request) = opaque::client_registration_start(new_password.as_bytes())
        .map_err(|e| FlowError::Integrity(e.to_string()))?;
    let started: keyhaven_proto::RegisterStarted = client
        .post(
            "/v1/password/change/start",
            &keyhaven_proto::ChangeStart {
                registration_request: Bytes(request),
            },
        )
        .await?;
    let response = started.registration_response.0;
    let (upload, export_key) = crate::off_executor(move || {
        opaque::client_registration_finish(state, new_password.as_bytes(), &response, ksf)
    })
    .await?
    .map_err(|e| FlowError::Integrity(e.to_string()))?;
    let wrapped = keys.wrap(&export_key, account_id);
    client
        .post_empty(
            "/v1/password/change/finish",
            &keyhaven_proto::ChangeFinish {
                registration_upload: Bytes(upload),
                ksf: to_wire(ksf),
                wrapped_keys: Bytes(wrapped),
            },
        )
        .await?;
    Ok(())
}
