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
        "/readyz",
        "Readiness: the database answers and its migrations are this build's (else 503)",
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
        "/v1/password/change/start",
        "Change the password: OPAQUE registration of the new one, first message (fresh sign-in)",
        true,
        Some("ChangeStart"),
        Some("RegisterStarted"),
    ),
    e(
        "post",
        "/v1/password/change/finish",
        "Change the password: OPAQUE upload and the account keys rewrapped under it",
        true,
        Some("ChangeFinish"),
        None,
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
        "/v1/workspaces/{id}/device-settings",
        "The workspace's device-key settings (owners, admins, helpdesk)",
        true,
        None,
        Some("DeviceSettings"),
    ),
    e(
        "put",
        "/v1/workspaces/{id}/device-settings",
        "Change the workspace's device-key settings, e.g. require a reason for every reveal (owners and admins; audited)",
        true,
        Some("DeviceSettings"),
        Some("DeviceSettings"),
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
        "/v1/escrow/submit",
        "An enrollment token stores sealed device keys (write-only)",
        false,
        Some("TokenSubmit"),
        Some("AddedDeviceKeys"),
    ),
];

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array(of: Value) -> Value {
    json!({ "type": "array", "items": of })
}

/// Registers the schema of each proto type (and what it refers to) by its Rust name.
macro_rules! proto_schemas {
    ($($ty:ident),* $(,)?) => {{
        let mut components = utoipa::openapi::ComponentsBuilder::new();
        $( components = components.schema_from::<keyhaven_proto::$ty>(); )*
        components.build()
    }};
}

/// The component schemas: derived from the proto types themselves (fields, required and
/// nullable ones, `additionalProperties: false` where the type refuses unknown fields), then
/// refined with what the server enforces beyond the types (enums and bounds, [`REFINEMENTS`]).
fn schemas() -> Value {
    let components = proto_schemas!(
        Bytes,
        Token,
        ErrorBody,
        KsfParams,
        SignupStart,
        SignupVerify,
        SignupVerified,
        RegisterStart,
        RegisterStarted,
        RegisterFinish,
        AccountInfo,
        LoginStart,
        LoginStarted,
        LoginFinish,
        LoginFinished,
        ServerInfo,
        ShareUpload,
        RecoveryUpload,
        Welcome,
        CreateWorkspace,
        WorkspaceSummary,
        RecoveryStatus,
        WorkspaceView,
        PutItem,
        ItemView,
        RecoveryProof,
        RecoveryRelink,
        RecoveryGenerate,
        PasswordForgot,
        ResetVerify,
        ResetVerified,
        ResetStart,
        ResetStarted,
        ResetFinish,
        ResetFinished,
        InviteMember,
        InvitationView,
        MemberView,
        MembersView,
        RosterChange,
        MemberChanged,
        Reshare,
        ChangeStart,
        ChangeFinish,
        AuditEvent,
        DeviceTags,
        NewDeviceKey,
        AddDeviceKeys,
        AddedDeviceKeys,
        DeviceKeyView,
        ResolveConflict,
        DeviceSettings,
        DeviceKeysView,
        RevealDeviceKey,
        RevealedDeviceKey,
        IndexEntry,
        IndexDeviceKeys,
        CreateEscrowToken,
        EscrowTokenView,
        TokenAuth,
        TokenKey,
        TokenSubmit,
    );
    let mut all = serde_json::to_value(&components.schemas).expect("schemas serialize");
    let map = all.as_object_mut().expect("an object of schemas");
    map.insert(
        "Health".into(),
        json!({ "type": "object", "properties": { "status": { "type": "string", "enum": ["ok", "ready"] } },
                "required": ["status"], "additionalProperties": false }),
    );
    for (name, of) in LISTS {
        map.insert((*name).into(), array(r(of)));
    }
    for (schema, property, extra) in refinements() {
        let target = &mut map[schema]["properties"][property];
        assert!(target.is_object(), "{schema}.{property} is a property");
        if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
            target.extend(extra);
        }
    }
    all
}

/// Response schemas that are arrays of a proto type.
const LISTS: &[(&str, &str)] = &[
    ("ShareList", "ShareUpload"),
    ("WorkspaceList", "WorkspaceSummary"),
    ("ItemList", "ItemView"),
    ("AuditLog", "AuditEvent"),
    ("InvitationList", "InvitationView"),
    ("EscrowTokenList", "EscrowTokenView"),
];

/// What the server checks beyond the types: (schema, property, keywords to add).
fn refinements() -> Vec<(&'static str, &'static str, Value)> {
    let roles: Vec<&str> = crate::access::Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    let role = json!({ "enum": roles });
    let email = json!({ "maxLength": 254 });
    let recovery_kind = json!({ "enum": ["temporary", "permanent"] });
    vec![
        ("InviteMember", "role", role.clone()),
        ("InviteMember", "email", email.clone()),
        ("MemberView", "role", role.clone()),
        ("InvitationView", "role", role.clone()),
        ("WorkspaceSummary", "role", role),
        ("SignupStart", "email", email.clone()),
        ("SignupVerify", "email", email.clone()),
        ("LoginStart", "email", email.clone()),
        ("PasswordForgot", "email", email.clone()),
        ("ResetVerify", "email", email),
        ("RecoveryUpload", "kind", recovery_kind.clone()),
        ("RecoveryStatus", "kind", recovery_kind),
        (
            "RevealDeviceKey",
            "purpose",
            json!({ "enum": ["reveal", "export", "index", "check"] }),
        ),
        (
            "PutItem",
            "revision",
            json!({ "minimum": 1, "maximum": i64::MAX }),
        ),
        (
            "CreateWorkspace",
            "roster",
            json!({ "minItems": 1, "maxItems": 16 }),
        ),
        ("CreateWorkspace", "shares", json!({ "maxItems": 16 })),
    ]
}

/// The query parameters of `method path`.
fn query_parameters(method: &str, path: &str) -> Vec<Value> {
    let param = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let page = |max: u32| {
        vec![
            param(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": max }),
                "Most entries in the page (the maximum is the default)",
            ),
            param(
                "after",
                json!({ "type": "string" }),
                "The cursor from the previous page's x-next-after header",
            ),
        ]
    };
    if method != "get" {
        return Vec::new();
    }
    if path.ends_with("/items") {
        page(crate::workspaces::ITEMS_PER_PAGE)
    } else if path.ends_with("/audit") {
        page(crate::audit::EVENTS_PER_PAGE)
    } else if path.ends_with("/members") {
        page(crate::members::MEMBERS_PER_PAGE)
    } else if path.ends_with("/devices") {
        let mut params = page(crate::devices::DEVICES_PER_PAGE);
        params.extend([
            param(
                "by",
                json!({ "type": "string", "enum": ["id", "prefix", "device", "secret"] }),
                "Look up by this blind index (with tags)",
            ),
            param(
                "tags",
                json!({ "type": "string" }),
                "Comma-separated base64url blind-index values",
            ),
            param(
                "history",
                json!({ "type": "boolean" }),
                "Include replaced records",
            ),
            param(
                "needs_rotation",
                json!({ "type": "boolean" }),
                "Only records revealed since stored",
            ),
            param(
                "unindexed",
                json!({ "type": "boolean" }),
                "Only token submissions not indexed yet",
            ),
        ]);
        params
    } else {
        Vec::new()
    }
}

/// `post /v1/workspaces/{id}/items/{item}` → `postWorkspacesByIdItemsByItem`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for segment in path.split('/').filter(|s| !s.is_empty() && *s != "v1") {
        let (prefix, word) = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => ("By", name),
            None => ("", segment),
        };
        id.push_str(prefix);
        for part in word.split(['-', '.', '_']).filter(|p| !p.is_empty()) {
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                id.extend(first.to_uppercase());
                id.push_str(chars.as_str());
            }
        }
    }
    id
}

/// The tag of a path: its area (`workspaces/{id}/items` → `items`, `/v1/login/start` → `login`).
fn tag(path: &str) -> &str {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "v1")
        .collect();
    match segments.as_slice() {
        ["workspaces", _, area, ..] => area,
        [first, ..] => first.trim_end_matches(".json"),
        [] => "server",
    }
}

/// The refusals `ep` can answer with (every one in the error shape).
fn refusals(ep: &Endpoint) -> Vec<(u16, &'static str)> {
    let mut out = vec![(400, "Malformed request: path, query string or body")];
    let signs_in = ep.path.starts_with("/v1/login") || ep.path.starts_with("/v1/escrow/");
    if ep.auth || signs_in {
        out.push((401, "No valid session, or wrong credentials"));
    }
    if ep.auth || ep.path == "/v1/signup/start" {
        out.push((
            403,
            "Not allowed: role, relink, fresh sign-in, quota or signup setting",
        ));
    }
    if ep.path.contains('{') || ep.auth {
        out.push((404, "No such thing, or not visible to the caller"));
    }
    if ep.method != "get" {
        out.push((409, "Conflicts with the current state; fetch and retry"));
        out.push((429, "Too many attempts; see Retry-After"));
    }
    if ep.request.is_some() {
        out.push((413, "The body is larger than the server accepts"));
        out.push((415, "Send JSON with Content-Type: application/json"));
    }
    out
}

/// The whole document.
pub fn document() -> Value {
    let error = json!({ "application/json": { "schema": r("ErrorBody") } });
    let mut paths = serde_json::Map::new();
    for ep in ENDPOINTS {
        let mut responses = serde_json::Map::new();
        let ok = match ep.response {
            Some(schema) => json!({
                "description": "OK",
                "content": { "application/json": { "schema": r(schema) } }
            }),
            None => json!({ "description": "OK, no body" }),
        };
        responses.insert("2XX".into(), ok);
        for (status, description) in refusals(ep) {
            let mut refusal = json!({ "description": description, "content": error });
            if status == 429 {
                refusal["headers"] = json!({ "Retry-After": {
                    "description": "Seconds until the next attempt is allowed (when known)",
                    "schema": { "type": "integer", "minimum": 1 }
                } });
            }
            responses.insert(status.to_string(), refusal);
        }
        responses.insert(
            "default".into(),
            json!({ "description": "Any other refusal (5xx: internal error)", "content": error }),
        );
        let query = query_parameters(ep.method, ep.path);
        if !query.is_empty() && ep.path != "/v1/workspaces" {
            responses["2XX"]["headers"] = json!({ "x-next-after": {
                "description": "Present when more pages follow: pass it as `after`",
                "schema": { "type": "string" }
            } });
        }
        let mut op = json!({
            "operationId": operation_id(ep.method, ep.path),
            "tags": [tag(ep.path)],
            "summary": ep.summary,
            "responses": responses,
        });
        if let Some(schema) = ep.request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": r(schema) } } });
        }
        if ep.auth {
            op["security"] = json!([{ "session": [] }]);
        }
        let mut params: Vec<Value> = ep
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
            .collect();
        params.extend(query);
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
            "description": "Zero-knowledge vault: the server stores what clients sign and seal. \
                Every refusal is {code, message, request_id}. Binary values are unpadded base64url."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "session": { "type": "http", "scheme": "bearer" } }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_and_tags_come_from_the_path() {
        assert_eq!(
            operation_id("post", "/v1/workspaces/{id}/items/{item}"),
            "postWorkspacesByIdItemsByItem"
        );
        assert_eq!(operation_id("get", "/v1/server-info"), "getServerInfo");
        assert_eq!(tag("/v1/workspaces/{id}/items/{item}"), "items");
        assert_eq!(tag("/v1/login/start"), "login");
        assert_eq!(tag("/healthz"), "healthz");
    }

    #[test]
    fn operation_ids_are_unique_and_every_schema_resolves() {
        let doc = document();
        let mut ids = std::collections::HashSet::new();
        let text = doc.to_string();
        for ep in ENDPOINTS {
            assert!(ids.insert(operation_id(ep.method, ep.path)), "{}", ep.path);
        }
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for (at, _) in text.match_indices("#/components/schemas/") {
            let rest = &text[at + "#/components/schemas/".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                schemas.contains_key(&name),
                "{name} is referred to but not defined"
            );
        }
    }

    #[test]
    fn types_that_refuse_unknown_fields_say_so() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for name in [
            "SignupStart",
            "PutItem",
            "CreateWorkspace",
            "RevealDeviceKey",
        ] {
            assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
        }
    }
}
