//! The OpenAPI 3.1 document served at `/v1/openapi.json`.
//!
//! Built from [`ENDPOINTS`], one row per route; a router test sends a request to every row and
//! fails if the router does not know it, so the table cannot silently drift from the routes.
//! Binary fields are unpadded base64url strings; every error is `{code, message, request_id}`.

use serde_json::{Value, json};

/// One documented endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path, with `{id}`-style parameters.
    pub path: &'static str,
    /// One line for people.
    pub summary: &'static str,
    /// Needs `Authorization: Bearer <session token>`.
    pub auth: bool,
    /// Request body schema name (in `components.schemas`), if any.
    pub request: Option<&'static str>,
    /// Success response schema name, if the answer has a body.
    pub response: Option<&'static str>,
}

const fn e(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    auth: bool,
    request: Option<&'static str>,
    response: Option<&'static str>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        auth,
        request,
        response,
    }
}

/// Every route of the server.
pub const ENDPOINTS: &[Endpoint] = &[
    e(
        "get",
        "/healthz",
        "Liveness and database check",
        false,
        None,
        Some("Health"),
    ),
    e(
        "get",
        "/v1/openapi.json",
        "This document",
        false,
        None,
        None,
    ),
    e(
        "get",
        "/v1/server-info",
        "Settings clients need (temporary-key lifetime, validation interval)",
        false,
        None,
        Some("ServerInfo"),
    ),
    e(
        "post",
        "/v1/signup/start",
        "Email a verification code (same answer for every address)",
        false,
        Some("SignupStart"),
        None,
    ),
    e(
        "post",
        "/v1/signup/verify",
        "Trade the emailed code for a signup token",
        false,
        Some("SignupVerify"),
        Some("SignupVerified"),
    ),
    e(
        "post",
        "/v1/signup/register/start",
        "OPAQUE registration, first message",
        false,
        Some("RegisterStart"),
        Some("RegisterStarted"),
    ),
    e(
        "post",
        "/v1/signup/register/finish",
        "OPAQUE upload, account keys; creates the account",
        false,
        Some("RegisterFinish"),
        Some("AccountInfo"),
    ),
    e(
        "post",
        "/v1/login/start",
        "OPAQUE login, first message (fake record for unknown accounts)",
        false,
        Some("LoginStart"),
        Some("LoginStarted"),
    ),
    e(
        "post",
        "/v1/login/finish",
        "OPAQUE login, finalization; returns a session token",
        false,
        Some("LoginFinish"),
        Some("LoginFinished"),
    ),
    e("post", "/v1/logout", "End this session", true, None, None),
    e(
        "get",
        "/v1/account",
        "The signed-in account",
        true,
        None,
        Some("AccountInfo"),
    ),
    e(
        "post",
        "/v1/password/forgot",
        "Email an access code for a password reset",
        false,
        Some("PasswordForgot"),
        None,
    ),
    e(
        "post",
        "/v1/password/reset/verify",
        "Trade the access code for a reset token",
        false,
        Some("ResetVerify"),
        Some("ResetVerified"),
    ),
    e(
        "post",
        "/v1/password/reset/start",
        "OPAQUE registration of the new password, first message",
        false,
        Some("ResetStart"),
        Some("RegisterStarted"),
    ),
    e(
        "post",
        "/v1/password/reset/finish",
        "New password and new account keys; revokes every session",
        false,
        Some("ResetFinish"),
        Some("ResetFinished"),
    ),
    e(
        "post",
        "/v1/workspaces",
        "Create a workspace (roster, shares, recovery verifier, welcome email)",
        true,
        Some("CreateWorkspace"),
        Some("WorkspaceSummary"),
    ),
    e(
        "get",
        "/v1/workspaces",
        "The caller's workspaces",
        true,
        None,
        Some("WorkspaceList"),
    ),
    e(
        "get",
        "/v1/workspaces/{id}",
        "A workspace: signed roster and recovery-key status",
        true,
        None,
        Some("WorkspaceView"),
    ),
    e(
        "get",
        "/v1/workspaces/{id}/shares",
        "Key shares addressed to the caller",
        true,
        None,
        Some("ShareList"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/shares",
        "Store shares of existing key versions for entitled members or the recovery key (owners and admins; member reshare)",
        true,
        Some("Reshare"),
        None,
    ),
    e(
        "get",
        "/v1/workspaces/{id}/items",
        "Every sealed item",
        true,
        None,
        Some("ItemList"),
    ),
    e(
        "get",
        "/v1/workspaces/{id}/items/{item}",
        "One sealed item",
        true,
        None,
        Some("ItemView"),
    ),
    e(
        "put",
        "/v1/workspaces/{id}/items/{item}",
        "Store the next revision of an item",
        true,
        Some("PutItem"),
        None,
    ),
    e(
        "delete",
        "/v1/workspaces/{id}/items/{item}",
        "Delete an item",
        true,
        None,
        None,
    ),
    e(
        "post",
        "/v1/workspaces/{id}/recovery/use",
        "Prove the recovery key; get its shares (owners)",
        true,
        Some("RecoveryProof"),
        Some("ShareList"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/recovery/relink",
        "Append the recovery-signed relink and new shares",
        true,
        Some("RecoveryRelink"),
        None,
    ),
    e(
        "post",
        "/v1/workspaces/{id}/recovery/generate",
        "Replace the recovery key with a permanent one (fresh sign-in)",
        true,
        Some("RecoveryGenerate"),
        None,
    ),
    e(
        "post",
        "/v1/workspaces/{id}/recovery/validate",
        "Prove the recovery key; records the validation",
        true,
        Some("RecoveryProof"),
        None,
    ),
    e(
        "get",
        "/v1/workspaces/{id}/audit",
        "The workspace's audit chain, in order, with hashes (owners and admins)",
        true,
        None,
        Some("AuditLog"),
    ),
    e(
        "get",
        "/v1/account/audit",
        "The signed-in account's audit chain, in order, with hashes",
        true,
        None,
        Some("AuditLog"),
    ),
    e(
        "get",
        "/v1/invitations",
        "Invitations addressed to the signed-in account",
        true,
        None,
        Some("InvitationList"),
    ),
    e(
        "post",
        "/v1/invitations/{id}/accept",
        "Accept the invitation to a workspace (only the invited address can)",
        true,
        None,
        Some("InvitationView"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/invitations",
        "Invite an address (owners and admins); emailed",
        true,
        Some("InviteMember"),
        Some("InvitationView"),
    ),
    e(
        "get",
        "/v1/workspaces/{id}/members",
        "The membership mirror; for owners and admins, with keys and open invitations",
        true,
        None,
        Some("MembersView"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/members",
        "Add an accepted invitee: signed add-member entry and shares (owners and admins)",
        true,
        Some("RosterChange"),
        None,
    ),
    e(
        "post",
        "/v1/workspaces/{id}/members/{account}/role",
        "Change a role; rotates the keys the member stops receiving, revokes their enrollment tokens when they stop managing",
        true,
        Some("RosterChange"),
        Some("MemberChanged"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/members/{account}/remove",
        "Remove a member, rotate the keys they could open and revoke their enrollment tokens (fresh sign-in)",
        true,
        Some("RosterChange"),
        Some("MemberChanged"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/members/{account}/relink",
        "Relink a member's new keys after their password reset (owners and admins)",
        true,
        Some("RosterChange"),
        None,
    ),
    e(
        "get",
        "/v1/workspaces/{id}/devices",
        "List device keys without their secrets (owners, admins, helpdesk); query by=id|prefix|device|secret&tags=… looks up by blind index, history, needs_rotation, unindexed",
        true,
        None,
        Some("DeviceKeysView"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/devices",
        "Store sealed device keys, all or none (owners and admins)",
        true,
        Some("AddDeviceKeys"),
        Some("AddedDeviceKeys"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/devices/index",
        "Set the blind indexes of enrollment-token submissions (owners, admins, helpdesk)",
        true,
        Some("IndexDeviceKeys"),
        None,
    ),
    e(
        "delete",
        "/v1/workspaces/{id}/devices/{key}",
        "Delete a device key and the history it replaced (owners and admins)",
        true,
        None,
        None,
    ),
    e(
        "post",
        "/v1/workspaces/{id}/devices/{key}/resolve",
        "Accept or reject a token submission that contradicts an escrowed key (owners, admins, helpdesk; fresh sign-in)",
        true,
        Some("ResolveConflict"),
        None,
    ),
    e(
        "post",
        "/v1/workspaces/{id}/devices/{key}/reveal",
        "Serve a device key's secret envelope after its audit event is stored (fresh sign-in)",
        true,
        Some("RevealDeviceKey"),
        Some("RevealedDeviceKey"),
    ),
    e(
        "get",
        "/v1/workspaces/{id}/escrow-tokens",
        "List enrollment tokens (owners and admins)",
        true,
        None,
        Some("EscrowTokenList"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/escrow-tokens",
        "Create an enrollment token (owners and admins)",
        true,
        Some("CreateEscrowToken"),
        Some("EscrowTokenView"),
    ),
    e(
        "post",
        "/v1/workspaces/{id}/escrow-tokens/{token}/revoke",
        "Revoke an enrollment token (owners and admins)",
        true,
        None,
        None,
    ),
    e(
        "post",
        "/v1/escrow/roster",
        "An enrollment token reads its workspace's signed roster (to find the escrow public key)",
        false,
        Some("TokenAuth"),
        Some("TokenRosterView"),
    ),
    e(
        "post",
        "/v1/escrow/submit",
        "An enrollment token stores sealed device keys (write-only)",
        false,
        Some("TokenSubmit"),
        Some("AddedDeviceKeys"),
    ),
];

fn s(kind: &str) -> Value {
    json!({ "type": kind })
}

fn bytes() -> Value {
    json!({ "type": "string", "contentEncoding": "base64url", "description": "unpadded base64url" })
}

fn obj(fields: &[(&str, Value)]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let required: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array(of: Value) -> Value {
    json!({ "type": "array", "items": of })
}

fn schemas() -> Value {
    let ksf = obj(&[
        ("memory_kib", s("integer")),
        ("iterations", s("integer")),
        ("parallelism", s("integer")),
    ]);
    let share = obj(&[
        ("recipient", s("string")),
        ("key_kind", s("string")),
        ("key_version", s("integer")),
        ("share", bytes()),
    ]);
    let recovery_upload = obj(&[
        ("key_id", s("string")),
        ("kind", s("string")),
        ("expires_at", s("integer")),
        ("proof_hash", bytes()),
    ]);
    let summary = obj(&[
        ("id", s("string")),
        ("name", s("string")),
        ("role", s("string")),
        ("needs_relink", s("boolean")),
    ]);
    let account = obj(&[
        ("id", s("string")),
        ("email", s("string")),
        ("public_keys", bytes()),
        ("wrapped_keys", bytes()),
        ("ksf", r("KsfParams")),
    ]);
    let item = obj(&[
        ("id", s("string")),
        ("revision", s("integer")),
        ("sealed", bytes()),
    ]);
    let upload_keys = |token: &str| {
        obj(&[
            (token, s("string")),
            ("registration_upload", bytes()),
            ("ksf", r("KsfParams")),
            ("public_keys", bytes()),
            ("wrapped_keys", bytes()),
        ])
    };
    let mut all = json!({
        "Error": obj(&[("code", s("string")), ("message", s("string")), ("request_id", s("string"))]),
        "Health": obj(&[("status", s("string"))]),
        "ServerInfo": obj(&[("temporary_key_days", s("integer")), ("validation_interval_days", s("integer"))]),
        "KsfParams": ksf,
        "SignupStart": obj(&[("email", s("string"))]),
        "SignupVerify": obj(&[("email", s("string")), ("code", s("string"))]),
        "SignupVerified": obj(&[("signup_token", s("string"))]),
        "RegisterStart": obj(&[("signup_token", s("string")), ("registration_request", bytes())]),
        "RegisterStarted": obj(&[("registration_response", bytes())]),
        "RegisterFinish": {
            "allOf": [upload_keys("signup_token"), obj(&[("account_id", s("string"))])]
        },
        "AccountInfo": account,
        "LoginStart": obj(&[("email", s("string")), ("credential_request", bytes())]),
        "LoginStarted": obj(&[("login_id", s("string")), ("credential_response", bytes()), ("ksf", r("KsfParams"))]),
        "LoginFinish": obj(&[("login_id", s("string")), ("credential_finalization", bytes())]),
        "LoginFinished": obj(&[("session_token", s("string")), ("account", r("AccountInfo"))]),
        "PasswordForgot": obj(&[("email", s("string"))]),
        "ResetVerify": obj(&[("email", s("string")), ("code", s("string"))]),
        "ResetVerified": obj(&[("reset_token", s("string")), ("account_id", s("string"))]),
        "ResetStart": obj(&[("reset_token", s("string")), ("registration_request", bytes())]),
        "ResetFinish": upload_keys("reset_token"),
        "ChangeStart": obj(&[("registration_request", bytes())]),
        "ChangeFinish": obj(&[("registration_upload", bytes()), ("ksf", r("KsfParams")), ("wrapped_keys", bytes())]),
        "ResetFinished": obj(&[("account", r("AccountInfo")), ("sessions_revoked", s("integer"))]),
        "ShareUpload": share,
        "ShareList": array(r("ShareUpload")),
        "RecoveryUpload": recovery_upload,
        "CreateWorkspace": obj(&[
            ("id", s("string")),
            ("name", s("string")),
            ("roster", array(bytes())),
            ("shares", array(r("ShareUpload"))),
            ("recovery", r("RecoveryUpload")),
            ("welcome", json!({ "type": ["object", "null"], "properties": {
                "recovery_key": s("string"), "kit": s("string") } })),
        ]),
        "WorkspaceSummary": summary,
        "WorkspaceList": array(r("WorkspaceSummary")),
        "WorkspaceView": obj(&[
            ("summary", r("WorkspaceSummary")),
            ("roster", array(bytes())),
            ("recovery", json!({ "type": ["object", "null"] })),
        ]),
        "ItemView": item,
        "ItemList": array(r("ItemView")),
        "PutItem": obj(&[("revision", s("integer")), ("sealed", bytes())]),
        "RecoveryProof": obj(&[("proof", bytes())]),
        "Reshare": obj(&[("shares", array(r("ShareUpload")))]),
        "ResolveConflict": obj(&[("accept", s("boolean"))]),
        "MemberChanged": obj(&[("tokens_revoked", s("integer"))]),
        "RecoveryRelink": obj(&[("proof", bytes()), ("seq", s("integer")), ("entry", bytes()), ("shares", array(r("ShareUpload")))]),
        "RecoveryGenerate": obj(&[("seq", s("integer")), ("entry", bytes()), ("recovery", r("RecoveryUpload")), ("shares", array(r("ShareUpload")))]),
        "AuditEvent": obj(&[
            ("chain", s("string")),
            ("seq", s("integer")),
            ("at", s("integer")),
            ("actor", s("string")),
            ("kind", s("string")),
            ("details", json!({ "type": "string", "description": "JSON object, exactly as hashed" })),
            ("prev_hash", bytes()),
            ("hash", bytes()),
        ]),
        "AuditLog": array(r("AuditEvent")),
    });
    for extra in [member_schemas(), escrow_schemas()] {
        if let (Some(all), Value::Object(more)) = (all.as_object_mut(), extra) {
            all.extend(more);
        }
    }
    all
}

/// The schemas of the member endpoints (apart from the rest: one `json!` of everything would
/// pass the macro's recursion limit).
fn member_schemas() -> Value {
    let nullable = |kind: &str| json!({ "type": [kind, "null"] });
    let nullable_bytes = json!({ "type": ["string", "null"], "contentEncoding": "base64url" });
    json!({
        "InviteMember": obj(&[("email", s("string")), ("role", s("string"))]),
        "InvitationView": obj(&[
            ("workspace_id", s("string")),
            ("workspace_name", s("string")),
            ("email", s("string")),
            ("role", s("string")),
            ("invited_by", s("string")),
            ("created_at", s("integer")),
            ("accepted_at", nullable("integer")),
            ("account_id", nullable("string")),
            ("public_keys", nullable_bytes.clone()),
        ]),
        "InvitationList": array(r("InvitationView")),
        "MemberView": obj(&[
            ("account_id", s("string")),
            ("email", s("string")),
            ("role", s("string")),
            ("needs_relink", s("boolean")),
            ("public_keys", nullable_bytes.clone()),
        ]),
        "MembersView": obj(&[
            ("members", array(r("MemberView"))),
            ("invitations", array(r("InvitationView"))),
        ]),
        "RosterChange": obj(&[
            ("seq", s("integer")),
            ("entries", array(bytes())),
            ("shares", array(r("ShareUpload"))),
        ]),
    })
}

/// The schemas of the escrow endpoints.
fn escrow_schemas() -> Value {
    let nullable = |kind: &str| json!({ "type": [kind, "null"] });
    let nullable_bytes = json!({ "type": ["string", "null"], "contentEncoding": "base64url" });
    let tags = obj(&[
        ("id", bytes()),
        ("prefix", nullable_bytes.clone()),
        ("device", bytes()),
        ("secret", bytes()),
    ]);
    let auth = obj(&[("token_id", s("string")), ("auth", bytes())]);
    json!({
        "DeviceTags": tags,
        "NewDeviceKey": obj(&[
            ("id", s("string")),
            ("header", bytes()),
            ("secret", bytes()),
            ("tags", json!({ "oneOf": [r("DeviceTags"), { "type": "null" }] })),
            ("replaces", nullable("string")),
        ]),
        "AddDeviceKeys": obj(&[("keys", array(r("NewDeviceKey")))]),
        "AddedDeviceKeys": obj(&[("added", s("integer")), ("already_present", s("integer"))]),
        "DeviceKeyView": obj(&[
            ("id", s("string")),
            ("header", bytes()),
            ("created_at", s("integer")),
            ("updated_at", s("integer")),
            ("rotate_after_use", s("boolean")),
            ("revealed_at", nullable("integer")),
            ("replaced_by", nullable("string")),
            ("indexed", s("boolean")),
            ("secret_tag", nullable_bytes.clone()),
            ("conflict", s("boolean")),
        ]),
        "DeviceKeysView": obj(&[("keys", array(r("DeviceKeyView"))), ("grants", array(bytes()))]),
        "RevealDeviceKey": obj(&[("reason", nullable("string")), ("purpose", s("string"))]),
        "RevealedDeviceKey": obj(&[("secret", bytes())]),
        "IndexDeviceKeys": obj(&[("entries", array(obj(&[
            ("id", s("string")),
            ("tags", r("DeviceTags")),
            ("conflicts_with", nullable("string")),
            ("duplicate_of", nullable("string")),
        ])))]),
        "CreateEscrowToken": obj(&[
            ("id", s("string")),
            ("auth_hash", bytes()),
            ("grant", bytes()),
            ("expires_at", s("integer")),
            ("name", nullable("string")),
        ]),
        "EscrowTokenView": obj(&[
            ("id", s("string")),
            ("name", nullable("string")),
            ("created_by", s("string")),
            ("created_at", s("integer")),
            ("expires_at", s("integer")),
            ("revoked_at", nullable("integer")),
            ("submissions", s("integer")),
        ]),
        "EscrowTokenList": array(r("EscrowTokenView")),
        "TokenAuth": auth,
        "TokenRosterView": obj(&[("workspace_id", s("string")), ("roster", array(bytes()))]),
        "TokenSubmit": obj(&[
            ("auth", r("TokenAuth")),
            ("keys", array(obj(&[
                ("id", s("string")),
                ("header", bytes()),
                ("secret", bytes()),
                ("resubmission", bytes()),
            ]))),
        ]),
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for ep in ENDPOINTS {
        let mut op = json!({
            "summary": ep.summary,
            "responses": {
                "default": {
                    "description": "Any refusal: {code, message, request_id}",
                    "content": { "application/json": { "schema": r("Error") } }
                }
            }
        });
        let ok = match ep.response {
            Some(schema) => {
                json!({ "description": "OK", "content": { "application/json": { "schema": r(schema) } } })
            }
            None => json!({ "description": "OK, no body" }),
        };
        op["responses"]["2XX"] = ok;
        if let Some(schema) = ep.request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": r(schema) } } });
        }
        if ep.auth {
            op["security"] = json!([{ "session": [] }]);
        }
        let params: Vec<Value> = ep
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        let entry = paths.entry(ep.path.to_owned()).or_insert_with(|| json!({}));
        entry[ep.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Keyhaven",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Zero-knowledge vault: the server stores what clients sign and seal."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "session": { "type": "http", "scheme": "bearer" } }
        }
    })
}
