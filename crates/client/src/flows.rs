//! User flows: the sequences of calls and client-side cryptography behind each command.

use keyhaven_core::account::{AccountKeys, AccountPublicKeys};
use keyhaven_core::codec::{Reader, Writer};
use keyhaven_core::ids::AccountId;
use keyhaven_crypto::opaque::{self, KsfParams as CryptoKsf};
use keyhaven_proto::{
    AccountInfo, Bytes, KsfParams, LoginFinish, LoginFinished, LoginStart, LoginStarted,
    RegisterFinish, RegisterStart, RegisterStarted, SignupStart, SignupVerified, SignupVerify,
};
use zeroize::Zeroizing;

use crate::{Client, ClientError};

/// Why a flow failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The server refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The password-stretching parameters are outside the client's floor or ceiling: the
    /// server may be trying to weaken them. Nothing derived from the password was sent.
    #[error("refusing the server's password-hashing parameters: {0}")]
    Ksf(#[from] keyhaven_crypto::opaque::KsfParamsError),
    /// Wrong email or password (or no such account: OPAQUE cannot tell, by design).
    #[error("incorrect email or password")]
    InvalidCredentials,
    /// The recovery key does not belong to this workspace's current recovery key, or expired.
    #[error("{0}")]
    Recovery(String),
    /// The server's answer fails a check: a signature, a binding, a roster rule, keys that do
    /// not unwrap or match. The message says what the server did.
    #[error("the server's answer does not check out: {0}")]
    Integrity(String),
    /// The change breaks a rule of the workspace (checked on this device against the verified
    /// roster, before anything is sent).
    #[error("{0}")]
    Refused(String),
}

/// A signed-in session with the account's unwrapped keys.
#[derive(Debug)]
pub struct LoggedIn {
    /// Bearer token.
    pub session_token: Zeroizing<String>,
    /// The account as the server reported it (keys verified against `keys`).
    pub account: AccountInfo,
    /// The account's private keys, unwrapped with the OPAQUE export key.
    pub keys: AccountKeys,
}

/// Asks the server to email a signup code (the same answer whether or not the address has an
/// account).
pub async fn signup_start(client: &Client, email: &str) -> Result<(), FlowError> {
    client
        .post_empty(
            "/v1/signup/start",
            &SignupStart {
                email: email.into(),
            },
        )
        .await?;
    Ok(())
}

/// Verifies the emailed code, registers the password with OPAQUE, generates the account's key
/// pairs and uploads them wrapped under the OPAQUE export key.
pub async fn signup_finish(
    client: &Client,
    email: &str,
    code: &str,
    password: Zeroizing<String>,
    ksf: CryptoKsf,
) -> Result<AccountInfo, FlowError> {
    ksf.check()?;
    let verified: SignupVerified = client
        .post(
            "/v1/signup/verify",
            &SignupVerify {
                email: email.into(),
                code: code.trim().into(),
            },
        )
        .await?;
    let (state, request) = opaque::client_registration_start(password.as_bytes())
        .map_err(|e| FlowError::Integrity(e.to_string()))?;
    let started: RegisterStarted = client
        .post(
            "/v1/signup/register/start",
            &RegisterStart {
                signup_token: verified.signup_token.clone(),
                registration_request: Bytes(request),
            },
        )
        .await?;
    // Argon2id takes most of a second and 64 MiB: run it off the async executor.
    let response = started.registration_response.0;
    let (upload, export_key) = crate::off_executor(move || {
        opaque::client_registration_finish(state, password.as_bytes(), &response, ksf)
    })
    .await?
    .map_err(|e| FlowError::Integrity(e.to_string()))?;

    // The client picks the account id: the wrapped keys are bound to it, so a server that
    // hands them to another account makes them fail to unwrap.
    let account_id = AccountId::generate();
    let keys = AccountKeys::generate();
    let public = keys.public();
    let wrapped = keys.wrap(&export_key, account_id);
    let account: AccountInfo = client
        .post(
            "/v1/signup/register/finish",
            &RegisterFinish {
                signup_token: verified.signup_token,
                account_id: account_id.to_string(),
                registration_upload: Bytes(upload),
                ksf: to_wire(ksf),
                public_keys: Bytes(encode_public(&public)),
                wrapped_keys: Bytes(wrapped),
            },
        )
        .await?;
    if account.public_keys.0 != encode_public(&public) || account.id != account_id.to_string() {
        return Err(FlowError::Integrity(
            "the server stored other public keys".into(),
        ));
    }
    Ok(account)
}

/// Signs in with OPAQUE and unwraps the account keys.
pub async fn login(
    client: &Client,
    email: &str,
    password: Zeroizing<String>,
) -> Result<LoggedIn, FlowError> {
    let (state, request) = opaque::client_login_start(password.as_bytes())
        .map_err(|e| FlowError::Integrity(e.to_string()))?;
    let started: LoginStarted = client
        .post(
            "/v1/login/start",
            &LoginStart {
                email: email.into(),
                credential_request: Bytes(request),
            },
        )
        .await?;
    let ksf = from_wire(started.ksf);
    // Checked before the password is stretched and before the finalization exists.
    ksf.check()?;
    let response = started.credential_response.0;
    let (finalization, _session_key, export_key) = crate::off_executor(move || {
        opaque::client_login_finish(state, password.as_bytes(), &response, ksf)
    })
    .await?
    .map_err(|e| match e {
        opaque::OpaqueError::Params(p) => FlowError::Ksf(p),
        _ => FlowError::InvalidCredentials,
    })?;
    let finished: LoginFinished = client
        .post(
            "/v1/login/finish",
            &LoginFinish {
                login_id: started.login_id,
                credential_finalization: Bytes(finalization),
            },
        )
        .await
        .map_err(|e| match e.code() {
            Some("invalid_credentials") => FlowError::InvalidCredentials,
            _ => FlowError::Client(e),
        })?;
    let public = decode_public(&finished.account.public_keys.0)
        .ok_or_else(|| FlowError::Integrity("malformed public keys".into()))?;
    let account_id: uuid::Uuid = finished
        .account
        .id
        .parse()
        .map_err(|_| FlowError::Integrity("malformed account id".into()))?;
    let keys = AccountKeys::unwrap(
        &finished.account.wrapped_keys.0,
        &export_key,
        AccountId(account_id),
        &public,
    )
    .map_err(|e| FlowError::Integrity(format!("the account keys do not unwrap: {e}")))?;
    Ok(LoggedIn {
        session_token: Zeroizing::new(finished.session_token.0),
        account: finished.account,
        keys,
    })
}

/// Ends the session on the server.
pub async fn logout(client: &Client) -> Result<(), FlowError> {
    client
        .post_empty("/v1/logout", &serde_json::json!({}))
        .await?;
    Ok(())
}

/// The signed-in account.
pub async fn whoami(client: &Client) -> Result<AccountInfo, FlowError> {
    Ok(client.get("/v1/account").await?)
}

pub(crate) fn encode_public(public: &AccountPublicKeys) -> Vec<u8> {
    let mut w = Writer::new();
    public.encode(&mut w);
    w.finish()
}

/// The account public keys in their wire encoding (as `AccountInfo::public_keys` carries them).
pub fn decode_public(bytes: &[u8]) -> Option<AccountPublicKeys> {
    let mut r = Reader::new(bytes);
    let public = AccountPublicKeys::decode(&mut r).ok()?;
    r.finish().ok()?;
    Some(public)
}

pub(crate) fn to_wire(k: CryptoKsf) -> KsfParams {
    KsfParams {
        memory_kib: k.memory_kib,
        iterations: k.iterations,
        parallelism: k.parallelism,
    }
}

fn from_wire(k: KsfParams) -> CryptoKsf {
    CryptoKsf {
        memory_kib: k.memory_kib,
        iterations: k.iterations,
        parallelism: k.parallelism,
    }
}
