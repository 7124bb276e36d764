//! Accounts: signup with an emailed code, OPAQUE registration and login, sessions.
//!
//! No answer depends on whether an account exists: signup start always says "check your
//! mail" (an existing account gets a notice instead of a code), and login start answers an
//! unknown email with an OPAQUE fake record, so both paths do the same work and return the
//! same shapes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keyhaven_crypto::opaque::{self, KsfParams as CryptoKsf};
use keyhaven_crypto::sha256;
use keyhaven_proto::{
    AccountInfo, Bytes, KsfParams, LoginFinish, LoginFinished, LoginStart, LoginStarted,
    RegisterFinish, RegisterStart, RegisterStarted, SignupStart, SignupVerified, SignupVerify,
};

use crate::app::{ApiJson, AppState, Routes, Session};
use crate::config::SignupPolicy;
use crate::error::ApiError;
use crate::mail::Email;
use crate::metrics::Event;
use crate::store::{AccountRecord, CodeCheck};
use crate::throttle::{self, ClientAddr};

/// Emailed codes live this long.
pub(crate) const CODE_SECS: i64 = 10 * 60;
/// Wrong tries before a code is void.
pub(crate) const CODE_TRIES: i64 = 5;
/// A verified signup may register for this long.
const SIGNUP_TOKEN_SECS: i64 = 15 * 60;
/// The server keeps a login's OPAQUE state this long.
const PENDING_LOGIN_SECS: i64 = 120;

/// The account endpoints.
pub fn routes() -> Routes {
    Routes::new()
        .post("/v1/signup/start", signup_start)
        .post("/v1/signup/verify", signup_verify)
        .post("/v1/signup/register/start", register_start)
        .post("/v1/signup/register/finish", register_finish)
        .post("/v1/login/start", login_start)
        .post("/v1/login/finish", login_finish)
        .post("/v1/logout", logout)
        .get("/v1/account", whoami)
}

/// Trims and lower-cases an address and checks its shape (one `@`, something on both sides,
/// no spaces or control characters, at most 254 bytes).
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(ApiError::BadRequest("not a valid email address".into()))
    }
}

/// Whether the server's `signup` setting lets `email` create an account: `Ok(true)` if so,
/// `Ok(false)` if only an invitation would (invite-only; answered by mail, so the answer does
/// not tell who has an account), an error if its domain is not allowed.
async fn signup_allowed(state: &AppState, email: &str) -> Result<bool, ApiError> {
    let config = state.config();
    let invited = || async {
        let since = state.now() - crate::store::INVITATION_SECS;
        Ok::<_, ApiError>(state.store().invited(email, since).await?)
    };
    match config.signup {
        SignupPolicy::Open => Ok(true),
        SignupPolicy::Domains => {
            let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
            if config
                .signup_domains
                .iter()
                .any(|allowed| allowed == domain)
                || invited().await?
            {
                Ok(true)
            } else {
                Err(ApiError::SignupClosed(
                    "this server accepts signups from its own mail domains only; ask a \
                     workspace owner to invite you",
                ))
            }
        }
        SignupPolicy::InviteOnly => {
            Ok(invited().await? || state.store().account_count().await? == 0)
        }
    }
}

/// An 8-digit code from the CSPRNG, without modulo bias.
pub fn generate_code() -> String {
    loop {
        let n = u32::from_le_bytes(keyhaven_crypto::random_array());
        // 4_200_000_000 is the largest multiple of 10^8 below 2^32.
        if n < 4_200_000_000 {
            return format!("{:08}", n % 100_000_000);
        }
    }
}

/// A 256-bit random token, hex-encoded (the database keeps only its SHA-256).
pub(crate) fn random_token() -> String {
    hex::encode(keyhaven_crypto::random_array::<32>())
}

async fn signup_start(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<SignupStart>,
) -> Result<StatusCode, ApiError> {
    let email = normalize_email(&req.email)?;
    let allowed = signup_allowed(&state, &email).await?;
    throttle::send_attempt(&state, "signup", &email, &client).await?;
    let public_url = &state.config().public_url;
    // A code is made and stored whoever asks, so every path does the same database work; it
    // is mailed only to a new address that may sign up.
    let code = generate_code();
    let hash = state.code_hash("signup-code", &email, &code);
    state
        .store()
        .put_signup_code(&email, &hash, state.now() + CODE_SECS)
        .await?;
    let message = if state.store().account_by_email(&email).await?.is_some() {
        Email {
            to: email.clone(),
            subject: "Someone tried to sign up with your address".into(),
            text: format!(
                "Someone asked to create a Keyhaven account for {email} on {public_url}.\n\
                 You already have one, so nothing was changed. If it was you, sign in:\n\n\
                 \x20   keyhaven login --server {public_url} --email {email}\n\n\
                 If you forgot your password: keyhaven password forgot --server {public_url} --email {email}\n"
            ),
        }
    } else if !allowed {
        Email {
            to: email.clone(),
            subject: "Signups are by invitation on this Keyhaven server".into(),
            text: format!(
                "Someone asked to create a Keyhaven account for {email} on {public_url}.\n\
                 This server accepts new accounts by invitation only, and {email} has no open\n\
                 invitation, so no account was created. Ask an owner or admin of your\n\
                 workspace to invite this address, then sign up again.\n\n\
                 If you did not ask for this, ignore this email.\n"
            ),
        }
    } else {
        state.metrics().count(Event::SignupCodeSent);
        Email {
            to: email.clone(),
            subject: "Your Keyhaven verification code".into(),
            text: format!(
                "Your Keyhaven verification code is {code}.\n\n\
                 It is valid for 10 minutes. Finish signing up with:\n\n\
                 \x20   keyhaven signup --server {public_url} --email {email} --code {code}\n\n\
                 If you did not ask for it, ignore this email.\n"
            ),
        }
    };
    state.queue_mail(message).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn signup_verify(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SignupVerify>,
) -> Result<Json<SignupVerified>, ApiError> {
    let email = normalize_email(&req.email)?;
    let code = req.code.trim();
    let hash = state.code_hash("signup-code", &email, code);
    match state
        .store()
        .check_signup_code(&email, &hash, state.now(), CODE_TRIES)
        .await?
    {
        CodeCheck::Rejected | CodeCheck::NoTriesLeft => Err(ApiError::InvalidCode),
        CodeCheck::Accepted => {
            let token = random_token();
            state
                .store()
                .put_signup_token(
                    &sha256(token.as_bytes()),
                    &email,
                    state.now() + SIGNUP_TOKEN_SECS,
                )
                .await?;
            Ok(Json(SignupVerified {
                signup_token: token.into(),
            }))
        }
    }
}

async fn register_start(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterStart>,
) -> Result<Json<RegisterStarted>, ApiError> {
    let email = state
        .store()
        .signup_token_email(&sha256(req.signup_token.as_bytes()), state.now())
        .await?
        .ok_or(ApiError::InvalidSignupToken)?;
    let response = opaque::server_registration_start(
        state.opaque(),
        &req.registration_request.0,
        email.as_bytes(),
    )
    .map_err(|_| ApiError::BadRequest("malformed OPAQUE registration request".into()))?;
    Ok(Json(RegisterStarted {
        registration_response: Bytes(response),
    }))
}

async fn register_finish(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterFinish>,
) -> Result<Json<AccountInfo>, ApiError> {
    let token_hash = sha256(req.signup_token.as_bytes());
    let email = state
        .store()
        .signup_token_email(&token_hash, state.now())
        .await?
        .ok_or(ApiError::InvalidSignupToken)?;
    check_new_keys(req.ksf, &req.public_keys, &req.wrapped_keys)?;
    let password_file = opaque::server_registration_finish(&req.registration_upload.0)
        .map_err(|_| ApiError::BadRequest("malformed OPAQUE registration upload".into()))?;
    let id: uuid::Uuid = req
        .account_id
        .parse()
        .map_err(|_| ApiError::BadRequest("account_id must be a UUID".into()))?;
    let record = AccountRecord {
        id: id.hyphenated().to_string(),
        email,
        password_file,
        ksf_memory_kib: req.ksf.memory_kib.into(),
        ksf_iterations: req.ksf.iterations.into(),
        ksf_parallelism: req.ksf.parallelism.into(),
        public_keys: req.public_keys.0,
        wrapped_keys: req.wrapped_keys.0,
        created_at: state.now(),
    };
    match state
        .store()
        .create_account(&token_hash, state.now(), &record)
        .await
    {
        Ok(true) => Ok(Json(account_info(&record))),
        Ok(false) => Err(ApiError::InvalidSignupToken),
        Err(crate::store::StoreError::Conflict) => Err(ApiError::Conflict(
            "this email or account id already has an account",
        )),
        Err(err) => Err(err.into()),
    }
}

/// Checks what a client uploads with a new password (at signup and at a password reset).
pub(crate) fn check_new_keys(
    ksf: KsfParams,
    public_keys: &Bytes,
    wrapped_keys: &Bytes,
) -> Result<(), ApiError> {
    // The server holds the same floor as clients, so no password is stored with weak
    // stretching.
    to_crypto(ksf)
        .check()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if public_keys.0.len() != 64 {
        return Err(ApiError::BadRequest("public_keys must be 64 bytes".into()));
    }
    if wrapped_keys.0.is_empty() || wrapped_keys.0.len() > 1024 {
        return Err(ApiError::BadRequest(
            "wrapped_keys must be 1 to 1024 bytes".into(),
        ));
    }
    Ok(())
}

async fn login_start(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<LoginStart>,
) -> Result<Json<LoginStarted>, ApiError> {
    let email = normalize_email(&req.email)?;
    let now = state.now();
    // The answer lets the client test one password guess offline, so each start counts as a
    // guess until a sign-in finishes.
    throttle::login_attempt(&state, &email, &client)
        .await
        .inspect_err(|_| state.metrics().count(Event::FailedSignIn))?;
    let account = state.store().account_by_email(&email).await?;
    let ksf = account.as_ref().map_or_else(
        || from_crypto(CryptoKsf::default()),
        |a| KsfParams {
            memory_kib: a.ksf_memory_kib as u32,
            iterations: a.ksf_iterations as u32,
            parallelism: a.ksf_parallelism as u32,
        },
    );
    // `None` makes OPAQUE answer with a fake record: same work, same shape.
    let (server_state, response) = opaque::server_login_start(
        state.opaque(),
        account.as_ref().map(|a| a.password_file.as_slice()),
        &req.credential_request.0,
        email.as_bytes(),
    )
    .map_err(|_| ApiError::BadRequest("malformed OPAQUE credential request".into()))?;
    let login_id = random_token();
    state
        .store()
        .put_pending_login(
            &login_id,
            &email,
            &server_state.to_bytes(),
            now + PENDING_LOGIN_SECS,
        )
        .await?;
    Ok(Json(LoginStarted {
        login_id,
        credential_response: Bytes(response),
        ksf,
    }))
}

async fn login_finish(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<LoginFinish>,
) -> Result<Json<LoginFinished>, ApiError> {
    let now = state.now();
    let failed = |error: ApiError| {
        state.metrics().count(Event::FailedSignIn);
        error
    };
    let (email, saved) = state
        .store()
        .take_pending_login(&req.login_id, now)
        .await?
        .ok_or_else(|| failed(ApiError::InvalidCredentials))?;
    let server_state = opaque::ServerLoginState::from_bytes(&saved)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("stored login state is corrupt")))?;
    opaque::server_login_finish(server_state, &req.credential_finalization.0)
        .map_err(|_| failed(ApiError::InvalidCredentials))?;
    // A fake record can never finish (the client cannot produce a valid finalization), so the
    // account exists here; still, answer the same way if it vanished meanwhile.
    let account = state
        .store()
        .account_by_email(&email)
        .await?
        .ok_or(ApiError::InvalidCredentials)?;
    throttle::login_succeeded(&state, &email, &client).await?;
    let token = random_token();
    state
        .store()
        .put_session(&sha256(token.as_bytes()), &account.id, now)
        .await?;
    state.metrics().count(Event::SignIn);
    Ok(Json(LoginFinished {
        session_token: token.into(),
        account: account_info(&account),
    }))
}

/// Ends the caller's session.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
) -> Result<StatusCode, ApiError> {
    state
        .store()
        .delete_session(&session.token_hash, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn whoami(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<AccountInfo>, ApiError> {
    let account = state
        .store()
        .account_by_id(&session.account_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(account_info(&account)))
}

fn account_info(a: &AccountRecord) -> AccountInfo {
    AccountInfo {
        id: a.id.clone(),
        email: a.email.clone(),
        public_keys: Bytes(a.public_keys.clone()),
        wrapped_keys: Bytes(a.wrapped_keys.clone()),
        ksf: KsfParams {
            memory_kib: a.ksf_memory_kib as u32,
            iterations: a.ksf_iterations as u32,
            parallelism: a.ksf_parallelism as u32,
        },
    }
}

fn to_crypto(k: KsfParams) -> CryptoKsf {
    CryptoKsf {
        memory_kib: k.memory_kib,
        iterations: k.iterations,
        parallelism: k.parallelism,
    }
}

fn from_crypto(k: CryptoKsf) -> KsfParams {
    KsfParams {
        memory_kib: k.memory_kib,
        iterations: k.iterations,
        parallelism: k.parallelism,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in ["", "alice", "@x", "a@", "a@b@c", "a b@x", "a@x\u{7}y"] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn codes_are_eight_digits() {
        for _ in 0..100 {
            let code = generate_code();
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
