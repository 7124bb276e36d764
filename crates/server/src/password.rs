//! Forgot password: an emailed access code, a short-lived reset token, a new OPAQUE
//! registration and new account keys (DESIGN.md, "Forgot password").
//!
//! The server cannot keep the account's old keys usable: they are wrapped under the old
//! password's export key, which it never sees. A reset therefore means new key pairs, and the
//! account's workspaces stay locked to the old ones until the recovery key (owners) or an owner
//! (members) relinks it. Nothing here tells a caller whether an address has an account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_crypto::opaque;
use keyhaven_crypto::sha256;
use keyhaven_proto::{
    AccountInfo, Bytes, PasswordForgot, ResetFinish, ResetFinished, ResetStart, ResetStarted,
    ResetVerified, ResetVerify,
};

use crate::accounts::{
    CODE_SECS, CODE_TRIES, check_new_keys, generate_code, normalize_email, random_token,
};
use crate::app::{ApiJson, AppState, Routes, Session};
use crate::error::ApiError;
use crate::mail::Email;
use crate::store::{CodeCheck, NewCredentials};
use crate::throttle::{self, ClientAddr};

/// The purpose bound into the keyed hash of reset codes, so a signup code never verifies here.
const RESET_CODE: &str = "reset-code";
/// A verified reset may replace the password for this long.
const RESET_TOKEN_SECS: i64 = 10 * 60;

/// The forgot-password endpoints.
pub fn routes() -> Routes {
    Routes::new()
        .post("/v1/password/forgot", forgot)
        .post("/v1/password/reset/verify", reset_verify)
        .post("/v1/password/reset/start", reset_start)
        .post("/v1/password/reset/finish", reset_finish)
        .post("/v1/password/change/start", change_start)
        .post("/v1/password/change/finish", change_finish)
}

async fn forgot(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<PasswordForgot>,
) -> Result<StatusCode, ApiError> {
    let email = normalize_email(&req.email)?;
    // Counted for every address, account or not, so the limit answers alike for both.
    throttle::send_attempt(&state, "reset", &email, &client).await?;
    // Made, hashed and stored for unknown addresses too, so both paths do the same database
    // work (measured: without the store write an unknown address answered about 0.6 ms
    // faster). A code stored for an unknown address is never sent, and verifying it still
    // needs an account (see reset_verify).
    let code = generate_code();
    let hash = state.code_hash(RESET_CODE, &email, &code);
    state
        .store()
        .put_reset_code(&email, &hash, state.now() + CODE_SECS)
        .await?;
    if state.store().account_by_email(&email).await?.is_none() {
        return Ok(StatusCode::ACCEPTED);
    }
    state.metrics().count(crate::metrics::Event::ResetCodeSent);
    let public_url = &state.config().public_url;
    let message = Email {
        to: email.clone(),
        subject: "Your Keyhaven password reset code".into(),
        text: format!(
            "Your Keyhaven access code is {code}.\n\n\
             Someone (hopefully you) asked to reset the password of\n\
             {email} on {public_url}.\n\
             The code is valid for 10 minutes. Reset your password with:\n\n\
             \x20   keyhaven password reset --server {public_url} --email {email} --code {code}\n\n\
             A reset generates a new encryption key for your account: each\n\
             workspace then asks its owners for the emergency reset code (the\n\
             workspace recovery key), and members must ask an owner to relink\n\
             them. Have your recovery key at hand.\n\n\
             If you did not ask for this, ignore this email: your password is\n\
             unchanged.\n"
        ),
    };
    // Queued in the background: waiting for the write would make the answer for an account
    // measurably slower than for an unknown address, and a failure must not change the answer
    // either. Failures are logged.
    let state = state.clone();
    tokio::spawn(async move {
        crate::outbox::queue_notice(&state, message, "password reset code").await;
    });
    Ok(StatusCode::ACCEPTED)
}

async fn reset_verify(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ResetVerify>,
) -> Result<Json<ResetVerified>, ApiError> {
    let email = normalize_email(&req.email)?;
    let hash = state.code_hash(RESET_CODE, &email, req.code.trim());
    let now = state.now();
    match state
        .store()
        .check_reset_code(&email, &hash, now, CODE_TRIES)
        .await?
    {
        // An unknown address's code was never sent, so it lands here, with the same answer.
        CodeCheck::Rejected | CodeCheck::NoTriesLeft => Err(ApiError::InvalidCode),
        CodeCheck::Accepted => {
            let account = state
                .store()
                .account_by_email(&email)
                .await?
                .ok_or(ApiError::InvalidCode)?;
            let token = random_token();
            state
                .store()
                .put_reset_token(
                    &sha256(token.as_bytes()),
                    &account.id,
                    now + RESET_TOKEN_SECS,
                )
                .await?;
            Ok(Json(ResetVerified {
                reset_token: token.into(),
                account_id: account.id,
            }))
        }
    }
}

async fn reset_start(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ResetStart>,
) -> Result<Json<ResetStarted>, ApiError> {
    let account_id = state
        .store()
        .reset_token_account(&sha256(req.reset_token.as_bytes()), state.now())
        .await?
        .ok_or(ApiError::InvalidResetToken)?;
    let account = state
        .store()
        .account_by_id(&account_id)
        .await?
        .ok_or(ApiError::InvalidResetToken)?;
    // The credential identifier is the normalized email, as at signup.
    let response = opaque::server_registration_start(
        state.opaque(),
        &req.registration_request.0,
        account.email.as_bytes(),
    )
    .map_err(|_| ApiError::BadRequest("malformed OPAQUE registration request".into()))?;
    Ok(Json(ResetStarted {
        registration_response: Bytes(response),
    }))
}

/// DESIGN.md: every owner of the account's workspaces hears of a password reset, so that a
/// reset by someone who reads the member's mailbox does not go unnoticed. Best effort, like
/// the account's own notice.
async fn notify_other_owners(state: &AppState, account_id: &str, email: &str) {
    let memberships = match state.store().memberships(account_id).await {
        Ok(rows) => rows,
        Err(err) => {
            tracing::error!(error = %err, "cannot list workspaces to notify their owners");
            return;
        }
    };
    let public_url = &state.config().public_url;
    for m in memberships {
        let owners = match state.store().owner_emails(&m.workspace_id).await {
            Ok(owners) => owners,
            Err(err) => {
                tracing::error!(error = %err, "cannot list owners to notify");
                continue;
            }
        };
        for to in owners.into_iter().filter(|o| o != email) {
            let notice = Email {
                to,
                subject: format!("Keyhaven: {email} reset their password ({})", m.name),
                text: format!(
                    "The password of {email}, a member of the Keyhaven workspace \"{name}\"\n\
                     (id {id}) on {public_url}, was reset with an emailed access code, and\n\
                     the account has new keys. Until it is relinked it has no authority in the\n\
                     workspace.\n\n\
                     If {email} did not reset it, someone who reads their email did: do not\n\
                     relink the account before you have compared its new key fingerprint with\n\
                     them, out of band.\n",
                    name = m.name,
                    id = m.workspace_id,
                ),
            };
            crate::outbox::queue_notice(state, notice, "password reset notice to an owner").await;
        }
    }
}

async fn reset_finish(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ResetFinish>,
) -> Result<Json<ResetFinished>, ApiError> {
    let token_hash = sha256(req.reset_token.as_bytes());
    // A stale token is reported as such before the upload is judged; the token is consumed
    // only below, atomically with the change.
    state
        .store()
        .reset_token_account(&token_hash, state.now())
        .await?
        .ok_or(ApiError::InvalidResetToken)?;
    check_new_keys(req.ksf, &req.public_keys, &req.wrapped_keys)?;
    let password_file = opaque::server_registration_finish(&req.registration_upload.0)
        .map_err(|_| ApiError::BadRequest("malformed OPAQUE registration upload".into()))?;
    let new = NewCredentials {
        password_file,
        ksf_memory_kib: req.ksf.memory_kib.into(),
        ksf_iterations: req.ksf.iterations.into(),
        ksf_parallelism: req.ksf.parallelism.into(),
        public_keys: req.public_keys.0,
        wrapped_keys: req.wrapped_keys.0,
    };
    let done = state
        .store()
        .reset_password(&token_hash, state.now(), &new)
        .await?
        .ok_or(ApiError::InvalidResetToken)?;
    let public_url = &state.config().public_url;
    let email = &done.email;
    let notice = Email {
        to: email.clone(),
        subject: "Your Keyhaven password was reset".into(),
        text: format!(
            "The password of your Keyhaven account {email}\n\
             on {public_url} was reset, and a new encryption key was generated\n\
             for the account.\n\n\
             Every session of the account was signed out. Sign in again with\n\
             the new password:\n\n\
             \x20   keyhaven login --server {public_url} --email {email}\n\n\
             Your workspaces are still locked to your old key. When you open\n\
             one, it asks owners for the emergency reset code (the workspace\n\
             recovery key); members must ask an owner to relink them.\n\n\
             If you did not reset your password, someone who can read your\n\
             email did: tell the owners of your workspaces at once.\n"
        ),
    };
    // The reset is committed: a mail failure is logged, not answered, because an error now
    // would tell the user that nothing changed.
    crate::outbox::queue_notice(&state, notice, "password reset notice").await;
    notify_other_owners(&state, &done.account_id, email).await;
    Ok(Json(ResetFinished {
        account: AccountInfo {
            id: done.account_id,
            email: done.email,
            public_keys: Bytes(new.public_keys),
            wrapped_keys: Bytes(new.wrapped_keys),
            ksf: req.ksf,
        },
        sessions_revoked: done.sessions_revoked,
    }))
}

/// Changing a password needs a sign-in within this many seconds.
const FRESH_SIGN_IN_SECS: i64 = 10 * 60;

async fn fresh_account(
    state: &AppState,
    session: &Session,
) -> Result<crate::store::AccountRecord, ApiError> {
    let signed_in = state
        .store()
        .session_created_at(&session.token_hash)
        .await?
        .unwrap_or(0);
    if state.now() - signed_in > FRESH_SIGN_IN_SECS {
        return Err(ApiError::FreshSignInRequired);
    }
    state
        .store()
        .account_by_id(&session.account_id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

async fn change_start(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<keyhaven_proto::ChangeStart>,
) -> Result<Json<keyhaven_proto::RegisterStarted>, ApiError> {
    let account = fresh_account(&state, &session).await?;
    let response = opaque::server_registration_start(
        state.opaque(),
        &req.registration_request.0,
        account.email.as_bytes(),
    )
    .map_err(|_| ApiError::BadRequest("malformed OPAQUE registration request".into()))?;
    Ok(Json(keyhaven_proto::RegisterStarted {
        registration_response: keyhaven_proto::Bytes(response),
    }))
}

async fn change_finish(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<keyhaven_proto::ChangeFinish>,
) -> Result<StatusCode, ApiError> {
    let account = fresh_account(&state, &session).await?;
    crate::accounts::check_new_keys(
        req.ksf,
        &keyhaven_proto::Bytes(account.public_keys.clone()),
        &req.wrapped_keys,
    )?;
    let password_file = opaque::server_registration_finish(&req.registration_upload.0)
        .map_err(|_| ApiError::BadRequest("malformed OPAQUE registration upload".into()))?;
    let ksf = (
        i64::from(req.ksf.memory_kib),
        i64::from(req.ksf.iterations),
        i64::from(req.ksf.parallelism),
    );
    let revoked = state
        .store()
        .change_password(
            &account.id,
            &session.token_hash,
            &password_file,
            ksf,
            &req.wrapped_keys.0,
            state.now(),
        )
        .await?;
    let notice = Email {
        to: account.email.clone(),
        subject: "Your Keyhaven password was changed".into(),
        text: format!(
            "The password of {} on {} was changed; {revoked} other session(s) were signed out.\n\
             If this was not you, reset it now: keyhaven password forgot --server {} --email {}\n",
            account.email,
            state.config().public_url,
            state.config().public_url,
            account.email
        ),
    };
    crate::outbox::queue_notice(&state, notice, "password-change notice").await;
    Ok(StatusCode::NO_CONTENT)
}
