//! Wire types shared by the Keyhaven server and its clients: plain data, no crypto.
//!
//! Binary values (OPAQUE messages, public keys, wrapped keys, ciphertexts) travel as
//! [`Bytes`]: unpadded base64url strings in JSON. This crate never interprets them.
#![forbid(unsafe_code)]

use core::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The body of every error response: `{code, message, request_id}`.
///
/// `code` is a stable machine-readable string (`invalid_request`, `rate_limited`, …);
/// `message` is for people and never carries internals or secrets; `request_id` matches the
/// server's log line for the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Correlates with the server log.
    pub request_id: String,
}

/// Binary data as unpadded base64url in JSON. `Debug` shows only the length: these bytes may
/// be wrapped keys or protocol messages.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

/// In the OpenAPI document: an unpadded base64url string.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Bytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some("^[A-Za-z0-9_-]*$"))
            .content_encoding("base64url")
            .description(Some("unpadded base64url"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Bytes {}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&str>::deserialize(deserializer)?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("expected unpadded base64url"))
    }
}

/// A bearer secret (session, signup or reset token): a plain string in JSON, never shown by
/// `Debug`, so request and response types can be logged or printed without leaking one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Token(pub String);

impl Token {
    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token's bytes (what the server hashes).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<String> for Token {
    fn from(token: String) -> Self {
        Self(token)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Argon2id parameters of an account (the client checks them against its floor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KsfParams {
    /// Memory cost, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// `POST /v1/signup/start`: email a verification code. The answer is the same whether or not
/// the address has an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupStart {
    /// Where the code goes.
    pub email: String,
}

/// `POST /v1/signup/verify`: trade the emailed code for a signup token. `Debug` leaves
/// the code out.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupVerify {
    /// The address the code was sent to.
    pub email: String,
    /// The 8-digit code.
    pub code: String,
}

impl fmt::Debug for SignupVerify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupVerify")
            .field("email", &self.email)
            .field("code", &"<redacted>")
            .finish()
    }
}

/// Answer to [`SignupVerify`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupVerified {
    /// Lets this email register, once, for a few minutes.
    pub signup_token: Token,
}

/// `POST /v1/signup/register/start`: the first OPAQUE registration message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterStart {
    /// From [`SignupVerified`].
    pub signup_token: Token,
    /// OPAQUE `RegistrationRequest`.
    pub registration_request: Bytes,
}

/// Answer to [`RegisterStart`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterStarted {
    /// OPAQUE `RegistrationResponse`.
    pub registration_response: Bytes,
}

/// `POST /v1/signup/register/finish`: the OPAQUE upload and the account's keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterFinish {
    /// From [`SignupVerified`].
    pub signup_token: Token,
    /// The new account's id, chosen by the client (a random UUID) because the wrapped keys
    /// are bound to it.
    pub account_id: String,
    /// OPAQUE `RegistrationUpload`.
    pub registration_upload: Bytes,
    /// The Argon2id parameters the client stretched the password with.
    pub ksf: KsfParams,
    /// X25519 || Ed25519 public keys (64 bytes).
    pub public_keys: Bytes,
    /// Private keys wrapped under a key only the client can derive.
    pub wrapped_keys: Bytes,
}

/// An account as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInfo {
    /// UUID.
    pub id: String,
    /// Normalized email.
    pub email: String,
    /// X25519 || Ed25519 public keys.
    pub public_keys: Bytes,
    /// Wrapped private keys.
    pub wrapped_keys: Bytes,
    /// Argon2id parameters.
    pub ksf: KsfParams,
}

/// `POST /v1/login/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginStart {
    /// Account email.
    pub email: String,
    /// OPAQUE `CredentialRequest`.
    pub credential_request: Bytes,
}

/// Answer to [`LoginStart`]; the same shape for unknown accounts (OPAQUE fake record).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginStarted {
    /// Names the server's pending state for [`LoginFinish`].
    pub login_id: String,
    /// OPAQUE `CredentialResponse`.
    pub credential_response: Bytes,
    /// Argon2id parameters to stretch the password with.
    pub ksf: KsfParams,
}

/// `POST /v1/login/finish`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginFinish {
    /// From [`LoginStarted`].
    pub login_id: String,
    /// OPAQUE `CredentialFinalization`.
    pub credential_finalization: Bytes,
}

/// Answer to [`LoginFinish`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginFinished {
    /// Bearer token for `Authorization: Bearer …`.
    pub session_token: Token,
    /// The signed-in account.
    pub account: AccountInfo,
}

/// `GET /v1/server-info`: settings clients need before creating anything.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    /// Days a temporary recovery key lives.
    pub temporary_key_days: u32,
    /// Days between recovery-key validations.
    pub validation_interval_days: u32,
}

/// A key share to store: for `account:<uuid>` or `recovery:<uuid>`, of the `workspace` or
/// `escrow` key at a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareUpload {
    /// `account:<uuid>` or `recovery:<uuid>`.
    pub recipient: String,
    /// `workspace` or `escrow`.
    pub key_kind: String,
    /// Key version, from 1.
    pub key_version: u32,
    /// The signed, sealed share (core `KeyShare` encoding).
    pub share: Bytes,
}

/// The server-side record of a recovery key: never the key, only what checks it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryUpload {
    /// Upper-case UUID printed beside the key.
    pub key_id: String,
    /// `temporary` or `permanent`.
    pub kind: String,
    /// Unix seconds, for a temporary key.
    pub expires_at: Option<i64>,
    /// SHA-256 of the proof derived from the key.
    pub proof_hash: Bytes,
}

/// The welcome email's content: the deliberate exception, sent once and never stored.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    /// The temporary recovery key, 48 digits.
    pub recovery_key: String,
    /// The text recovery kit.
    pub kit: String,
}

impl fmt::Debug for Welcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Welcome(<redacted>)")
    }
}

/// `POST /v1/workspaces`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspace {
    /// UUID chosen by the client (the roster and every ciphertext are bound to it).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Signed roster entries, from genesis.
    pub roster: Vec<Bytes>,
    /// Initial key shares.
    pub shares: Vec<ShareUpload>,
    /// The recovery key's verifier.
    pub recovery: RecoveryUpload,
    /// The welcome email's key and kit; `None` with `--no-email`.
    pub welcome: Option<Welcome>,
}

/// A workspace in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSummary {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The caller's role, as the server mirrors it (clients check the roster).
    pub role: String,
    /// The caller reset their password and needs relinking.
    pub needs_relink: bool,
}

/// The recovery key as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryStatus {
    /// Upper-case UUID.
    pub key_id: String,
    /// `temporary` or `permanent`.
    pub kind: String,
    /// Unix seconds, for a temporary key.
    pub expires_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: generation or last validation (the server's record; clients use
    /// `validation`).
    pub last_validated_at: i64,
    /// Core `ValidationStatement` of the last validation, signed with the recovery authority:
    /// what clients believe about the last validation. Absent until the first validation of
    /// this key.
    #[serde(default)]
    pub validation: Option<Bytes>,
}

/// `GET /v1/workspaces/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceView {
    /// Summary.
    pub summary: WorkspaceSummary,
    /// Every signed roster entry, in order.
    pub roster: Vec<Bytes>,
    /// The recovery key, if one is current (none after a temporary key expired).
    pub recovery: Option<RecoveryStatus>,
}

/// An item revision to store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutItem {
    /// The new revision number: 1 for a new item, else the stored one plus one.
    pub revision: u64,
    /// Core `SealedItem` encoding.
    pub sealed: Bytes,
}

/// A stored item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    /// UUID.
    pub id: String,
    /// Revision.
    pub revision: u64,
    /// Core `SealedItem` encoding.
    pub sealed: Bytes,
}

/// `POST /v1/workspaces/{id}/recovery/use`: prove the recovery key, get its shares.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryProof {
    /// The proof derived from the recovery key (the server compares its SHA-256).
    pub proof: Bytes,
    /// With `…/recovery/validate`: the core `ValidationStatement` to keep (at most 128 bytes).
    #[serde(default)]
    pub statement: Option<Bytes>,
}

/// `POST /v1/workspaces/{id}/recovery/relink`: after a password reset, the relink entry
/// signed by the recovery authority and the caller's new workspace-key share.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryRelink {
    /// The proof again: the append is allowed only to a holder of the key.
    pub proof: Bytes,
    /// The sequence number the entry takes (the current roster length).
    pub seq: u64,
    /// The signed relink entry.
    pub entry: Bytes,
    /// Shares for the caller's new account key.
    pub shares: Vec<ShareUpload>,
}

/// `POST /v1/workspaces/{id}/recovery/generate`: replace the recovery key with a permanent
/// one generated on the client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoveryGenerate {
    /// The roster position the entry takes.
    pub seq: u64,
    /// The owner-signed "set recovery key" entry.
    pub entry: Bytes,
    /// The new key's verifier (kind `permanent`).
    pub recovery: RecoveryUpload,
    /// Every workspace-key and escrow-key version, shared to the new key.
    pub shares: Vec<ShareUpload>,
    /// The proof of the current recovery key, required while the workspace has one.
    #[serde(default)]
    pub current_proof: Option<Bytes>,
}

/// `POST /v1/password/forgot`: email an access code for a password reset. Always answered
/// `202 Accepted` with no body, whether or not the address has an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordForgot {
    /// The account's email.
    pub email: String,
}

/// `POST /v1/password/reset/verify`: trade the emailed access code for a reset token. `Debug` leaves
/// the code out.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetVerify {
    /// The address the code was sent to.
    pub email: String,
    /// The 8-digit access code.
    pub code: String,
}

impl fmt::Debug for ResetVerify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetVerify")
            .field("email", &self.email)
            .field("code", &"<redacted>")
            .finish()
    }
}

/// Answer to [`ResetVerify`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetVerified {
    /// Lets the holder replace this account's password and keys, once, for a few minutes.
    pub reset_token: Token,
    /// The account being reset: the new wrapped keys are bound to this id, which does not
    /// change.
    pub account_id: String,
}

/// `POST /v1/password/reset/start`: the first OPAQUE registration message of the new password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetStart {
    /// From [`ResetVerified`].
    pub reset_token: Token,
    /// OPAQUE `RegistrationRequest`.
    pub registration_request: Bytes,
}

/// Answer to [`ResetStart`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetStarted {
    /// OPAQUE `RegistrationResponse`.
    pub registration_response: Bytes,
}

/// `POST /v1/password/reset/finish`: the new OPAQUE registration and the new account keys.
/// Consumes the reset token and revokes every session; it does not sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetFinish {
    /// From [`ResetVerified`].
    pub reset_token: Token,
    /// OPAQUE `RegistrationUpload`.
    pub registration_upload: Bytes,
    /// The Argon2id parameters the client stretched the new password with.
    pub ksf: KsfParams,
    /// New X25519 || Ed25519 public keys (64 bytes).
    pub public_keys: Bytes,
    /// The new private keys, wrapped under the new export key and the account id.
    pub wrapped_keys: Bytes,
}

/// Answer to [`ResetFinish`]: no session token (the user signs in again).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetFinished {
    /// The account with its new keys.
    pub account: AccountInfo,
    /// How many sessions were signed out.
    pub sessions_revoked: u64,
}

/// `POST /v1/workspaces/{id}/invitations`: an owner or admin invites an email address. Nothing
/// enters the roster yet: the inviter adds the member only after the invitee accepted and the
/// inviter checked the invitee's key fingerprint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InviteMember {
    /// The invitee's email.
    pub email: String,
    /// `owner`, `admin`, `member`, `read-only` or `helpdesk`.
    pub role: String,
}

/// An invitation as the server records it. It is not part of the signed roster: clients show
/// it as unverified and trust only the fingerprint the inviter compares out of band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationView {
    /// Workspace UUID.
    pub workspace_id: String,
    /// Workspace name.
    pub workspace_name: String,
    /// The invitee's email.
    pub email: String,
    /// The role offered.
    pub role: String,
    /// The inviter's email.
    pub invited_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once the invitee accepted.
    pub accepted_at: Option<i64>,
    /// Once accepted, shown to owners and admins: the invitee's account id.
    pub account_id: Option<String>,
    /// Once accepted, shown to owners and admins: the invitee's current X25519 || Ed25519 public
    /// keys, whose fingerprint the inviter compares with the invitee's before adding them.
    pub public_keys: Option<Bytes>,
}

/// A member as the server mirrors it (clients trust the roster, not this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    /// Account UUID.
    pub account_id: String,
    /// Email.
    pub email: String,
    /// Role, as mirrored.
    pub role: String,
    /// The member reset their password and waits for a relink.
    pub needs_relink: bool,
    /// Shown to owners and admins: the account's current public keys (after a password reset,
    /// the new ones that a relink records).
    pub public_keys: Option<Bytes>,
}

/// `GET /v1/workspaces/{id}/members`: the server's mirror and, for owners and admins, the
/// open invitations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersView {
    /// Current members.
    pub members: Vec<MemberView>,
    /// Open invitations (owners and admins only; empty for other roles).
    pub invitations: Vec<InvitationView>,
}

/// A signed change to the roster with the key shares it brings, appended atomically at `seq`:
/// `POST /v1/workspaces/{id}/members` (add an accepted invitee), and
/// `POST /v1/workspaces/{id}/members/{account}/role | remove | relink`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RosterChange {
    /// The position the first entry takes (the current roster length).
    pub seq: u64,
    /// Signed entries, in order: the member change first, then any key rotations.
    pub entries: Vec<Bytes>,
    /// Shares the change brings (to the member, or of rotated keys to everyone entitled).
    pub shares: Vec<ShareUpload>,
}

/// The answer to a role change or a removal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberChanged {
    /// Enrollment tokens the member had created that the change revoked (a member who leaves
    /// or stops managing takes their tokens' authority with them).
    pub tokens_revoked: u64,
}

/// `POST /v1/workspaces/{id}/shares`: an owner or admin hands existing key versions to
/// members entitled to them or to the recovery key, with no roster change (`member reshare`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reshare {
    /// The shares, each signed by the caller.
    pub shares: Vec<ShareUpload>,
}

/// `POST /v1/password/change/start`: OPAQUE registration of a new password for the
/// signed-in account (needs a recent sign-in).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeStart {
    /// OPAQUE `RegistrationRequest`.
    pub registration_request: Bytes,
}

/// `POST /v1/password/change/finish`: the OPAQUE upload and the same account keys, wrapped
/// under the new password's export key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeFinish {
    /// OPAQUE `RegistrationUpload`.
    pub registration_upload: Bytes,
    /// Argon2id parameters.
    pub ksf: KsfParams,
    /// The account's private keys, re-wrapped.
    pub wrapped_keys: Bytes,
}

/// One event of an audit chain, as `GET /v1/workspaces/{id}/audit` (owners and admins) and
/// `GET /v1/account/audit` (the signed-in account) return them, in order. The client
/// recomputes `hash` from the other fields and checks the links (`docs/protocol.md` §17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// `workspace:<uuid>` or `account:<uuid>`.
    pub chain: String,
    /// Position in the chain, from 0.
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    /// `account:<uuid>`, or `server` for what the server does by itself.
    pub actor: String,
    /// What happened (`item-added`, `login`, …).
    pub kind: String,
    /// A JSON object, as the exact text that was hashed (never a secret).
    pub details: String,
    /// The previous event's hash (32 zero bytes for event 0).
    pub prev_hash: Bytes,
    /// SHA-256 of the event's canonical encoding.
    pub hash: Bytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn emailed_codes_stay_out_of_debug() {
        let signup = super::SignupVerify {
            email: "a@example.com".into(),
            code: "12345678".into(),
        };
        let reset = super::ResetVerify {
            email: "a@example.com".into(),
            code: "87654321".into(),
        };
        for shown in [format!("{signup:?}"), format!("{reset:?}")] {
            assert!(
                shown.contains("a@example.com") && shown.contains("<redacted>"),
                "{shown}"
            );
            assert!(
                !shown.contains("12345678") && !shown.contains("87654321"),
                "{shown}"
            );
        }
    }

    use super::*;

    #[test]
    fn error_shape_is_exactly_three_fields() {
        let body = ErrorBody {
            code: "rate_limited".into(),
            message: "too many attempts; try again in 15 minutes".into(),
            request_id: "r-1".into(),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 3);
        assert_eq!(json["code"], "rate_limited");
        let back: ErrorBody = serde_json::from_value(json).unwrap();
        assert_eq!(back, body);
    }

    #[test]
    fn bytes_are_base64url_and_hidden_from_debug() {
        let b = Bytes(vec![0xfb, 0xff, 0x00]);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"-_8A\"");
        assert_eq!(serde_json::from_str::<Bytes>("\"-_8A\"").unwrap(), b);
        assert!(serde_json::from_str::<Bytes>("\"+/8A\"").is_err());
        assert!(serde_json::from_str::<Bytes>("\"-_8A==\"").is_err());
        assert_eq!(format!("{b:?}"), "Bytes(3 bytes)");
    }

    #[test]
    fn tokens_are_plain_strings_hidden_from_debug() {
        let v = SignupVerified {
            signup_token: Token("s3cret".into()),
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"signup_token":"s3cret"}"#
        );
        assert!(!format!("{v:?}").contains("s3cret"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<SignupStart>(r#"{"email":"a@x","admin":true}"#);
        assert!(err.is_err());
    }

    #[test]
    fn reset_requests_refuse_unknown_fields() {
        let err = serde_json::from_str::<ResetVerify>(
            r#"{"email":"a@x","code":"12345678","account_id":"x"}"#,
        );
        assert!(err.is_err());
        let err = serde_json::from_str::<PasswordForgot>(r#"{"email":"a@x","admin":true}"#);
        assert!(err.is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// Device-key escrow (`docs/protocol.md` §18). The server stores sealed headers and secrets and
// looks them up by blind index; it never sees an identifier, a device name or a key.

/// The blind indexes of one device key (HMAC-SHA256 values, 32 bytes each).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceTags {
    /// Of the whole key identifier.
    pub id: Bytes,
    /// Of its first 8 hex digits, when it has them.
    pub prefix: Option<Bytes>,
    /// Of the device name.
    pub device: Bytes,
    /// Of the key itself (which device does a typed key belong to?).
    pub secret: Bytes,
}

/// One device key to store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDeviceKey {
    /// Record UUID (also inside the signed header).
    pub id: String,
    /// Core `SealedDeviceKey` encoding.
    pub header: Bytes,
    /// The secret envelope, served only by the reveal call.
    pub secret: Bytes,
    /// Blind indexes (absent for enrollment-token submissions, which cannot compute them).
    pub tags: Option<DeviceTags>,
    /// The record this one replaces (same identifier, new key; or same device and volume).
    pub replaces: Option<String>,
}

/// `POST /v1/workspaces/{id}/devices`: store device keys (owners and admins), all or none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddDeviceKeys {
    /// At most 1,000 per call.
    pub keys: Vec<NewDeviceKey>,
}

/// How many keys a call stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddedDeviceKeys {
    /// Newly stored.
    pub added: u64,
    /// Already present (an enrollment token resubmitting the same key).
    pub already_present: u64,
}

/// A stored device key's listable part.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceKeyView {
    /// Record UUID.
    pub id: String,
    /// Core `SealedDeviceKey` encoding.
    pub header: Bytes,
    /// Unix seconds (server clock).
    pub created_at: i64,
    /// Last change of the server-side state (reveal, replacement).
    pub updated_at: i64,
    /// The key was revealed or exported and should be rotated on the device.
    pub rotate_after_use: bool,
    /// Last reveal or export, if any.
    pub revealed_at: Option<i64>,
    /// The record that replaced this one, if it is history.
    pub replaced_by: Option<String>,
    /// Whether blind indexes are set (token submissions wait for a holder of the escrow key).
    pub indexed: bool,
    /// The key's blind index, once indexed: tells a re-import whether the key changed without
    /// serving the key.
    pub secret_tag: Option<Bytes>,
    /// A token submission that contradicts the escrowed key of its identifier, waiting for
    /// `POST …/devices/{key}/resolve` (meanwhile history of that record).
    #[serde(default)]
    pub conflict: bool,
}

/// `POST /v1/workspaces/{id}/devices/{key}/resolve`: accept a conflicting token submission
/// (it becomes the current key, the escrowed one its history) or reject it (it is deleted).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveConflict {
    /// Accept (`true`) or reject (`false`).
    pub accept: bool,
}

/// A workspace's rules for its device keys (`GET`/`PUT /v1/workspaces/{id}/device-settings`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    /// Every reveal and export must give a reason (refused otherwise).
    pub reveal_reason_required: bool,
}

/// A list of device keys, with the enrollment-token grants their authors need.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceKeysView {
    /// Matching records.
    pub keys: Vec<DeviceKeyView>,
    /// Core `TokenGrant` encodings of the tokens that wrote any of them.
    pub grants: Vec<Bytes>,
}

/// `POST /v1/workspaces/{id}/devices/{key}/reveal`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevealDeviceKey {
    /// Why (kept in the audit log; visible to the server).
    pub reason: Option<String>,
    /// `reveal`, `export` (both mark the key "rotate after use") or `check` (compare a typed
    /// key on the client; audited, not marked).
    pub purpose: String,
}

/// The secret envelope, served after the audit event was stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedDeviceKey {
    /// The secret envelope.
    pub secret: Bytes,
}

/// Blind indexes for a record that had none, and optionally the record it replaces.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    /// Record UUID.
    pub id: String,
    /// Its indexes.
    pub tags: DeviceTags,
    /// The escrowed record of the same identifier whose key this submission contradicts: the
    /// submission is kept as a conflict (history of that record, never the current key) until
    /// an owner, admin or helpdesk member resolves it. A token never replaces a key silently.
    pub conflicts_with: Option<String>,
    /// The record this one duplicates (same identifier and key); it becomes history.
    pub duplicate_of: Option<String>,
}

/// `POST /v1/workspaces/{id}/devices/index`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IndexDeviceKeys {
    /// At most 1,000 per call.
    pub entries: Vec<IndexEntry>,
}

/// `POST /v1/workspaces/{id}/escrow-tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateEscrowToken {
    /// Token UUID (inside the grant too).
    pub id: String,
    /// SHA-256 of the token's auth value.
    pub auth_hash: Bytes,
    /// Core `TokenGrant` encoding.
    pub grant: Bytes,
    /// Unix seconds (inside the grant too).
    pub expires_at: i64,
    /// A label for lists ("Intune rollout").
    pub name: Option<String>,
    /// The escrow-key version the token seals to (inside the token text): the current one.
    /// Once the escrow key is rotated, the server refuses the token's submissions.
    pub escrow_version: u32,
}

/// An enrollment token as listed (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscrowTokenView {
    /// Token UUID.
    pub id: String,
    /// Label.
    pub name: Option<String>,
    /// Creator's account UUID.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds, if revoked.
    pub revoked_at: Option<i64>,
    /// Keys stored through it.
    pub submissions: i64,
}

/// An enrollment token's credentials, sent with each token call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenAuth {
    /// Token UUID.
    pub token_id: String,
    /// The auth value (never the token's secret).
    pub auth: Bytes,
}

/// One key sent through an enrollment token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenKey {
    /// Record UUID.
    pub id: String,
    /// Core `SealedDeviceKey` encoding (author: the token).
    pub header: Bytes,
    /// The secret envelope.
    pub secret: Bytes,
    /// Same for the same token, identifier and key: resubmissions are stored once.
    pub resubmission: Bytes,
}

/// `POST /v1/escrow/submit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenSubmit {
    /// Credentials.
    pub auth: TokenAuth,
    /// At most 100 keys.
    pub keys: Vec<TokenKey>,
}
