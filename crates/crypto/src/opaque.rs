//! OPAQUE (RFC 9807) password login: ristretto255, SHA-512, 3DH, Argon2id as the KSF.
//!
//! Thin wrappers over `opaque-ke` that fix the cipher suite and move messages as bytes, so the
//! proto crate never sees protocol types. The client checks the Argon2id parameters the server
//! hands it against a floor and a ceiling *before* it produces any message that depends on the
//! password's stretched form (registration upload, login finalization): a malicious server
//! cannot downgrade the KDF, nor make the client allocate unbounded memory.

use core::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialFinalization, CredentialRequest,
    CredentialResponse, Identifiers, RegistrationRequest, RegistrationResponse, RegistrationUpload,
    Ristretto255, ServerLogin, ServerLoginParameters, ServerRegistration, TripleDh,
};
use rand_core::OsRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Keyhaven's OPAQUE cipher suite.
#[derive(Debug)]
pub struct Suite;

impl opaque_ke::CipherSuite for Suite {
    type OprfCs = Ristretto255;
    type KeyExchange = TripleDh<Ristretto255, sha2::Sha512>;
    type Ksf = Argon2<'static>;
}

/// Binds every login transcript to Keyhaven (RFC 9807 §6.1 "context").
const CONTEXT: &[u8] = b"keyhaven/v1/opaque";

/// Lowest memory cost the client accepts, in KiB (19 MiB: OWASP ASVS for Argon2id).
pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
/// Lowest iteration count the client accepts.
pub const MIN_ITERATIONS: u32 = 2;
/// Highest memory cost the client accepts, in KiB (2 GiB): beyond it a server could exhaust
/// the client's memory.
pub const MAX_MEMORY_KIB: u32 = 2 * 1024 * 1024;
/// Highest iteration count the client accepts.
pub const MAX_ITERATIONS: u32 = 20;
/// Highest parallelism the client accepts.
pub const MAX_PARALLELISM: u32 = 16;

/// Argon2id cost parameters, stored per account and returned at login start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KsfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KsfParams {
    /// m = 64 MiB, t = 3, p = 4 (DESIGN.md).
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

/// Why Argon2id parameters were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KsfParamsError {
    /// Below the client's floor: a server may be trying to weaken password stretching.
    #[error(
        "password hashing parameters are too weak (m = {memory_kib} KiB, t = {iterations}; \
         the minimum is m = {MIN_MEMORY_KIB} KiB, t = {MIN_ITERATIONS})"
    )]
    TooWeak {
        /// Offered memory cost.
        memory_kib: u32,
        /// Offered iterations.
        iterations: u32,
    },
    /// Above the client's ceiling.
    #[error(
        "password hashing parameters are unreasonably high (m = {memory_kib} KiB, \
         t = {iterations}, p = {parallelism})"
    )]
    TooHigh {
        /// Offered memory cost.
        memory_kib: u32,
        /// Offered iterations.
        iterations: u32,
        /// Offered parallelism.
        parallelism: u32,
    },
    /// Parallelism of zero, or memory below Argon2's own minimum of 8 KiB per lane.
    #[error("password hashing parameters are malformed")]
    Malformed,
}

impl KsfParams {
    /// Checks the floor and the ceiling.
    pub fn check(&self) -> Result<(), KsfParamsError> {
        if self.parallelism == 0 || self.memory_kib < 8 * self.parallelism {
            return Err(KsfParamsError::Malformed);
        }
        if self.memory_kib < MIN_MEMORY_KIB || self.iterations < MIN_ITERATIONS {
            return Err(KsfParamsError::TooWeak {
                memory_kib: self.memory_kib,
                iterations: self.iterations,
            });
        }
        if self.memory_kib > MAX_MEMORY_KIB
            || self.iterations > MAX_ITERATIONS
            || self.parallelism > MAX_PARALLELISM
        {
            return Err(KsfParamsError::TooHigh {
                memory_kib: self.memory_kib,
                iterations: self.iterations,
                parallelism: self.parallelism,
            });
        }
        Ok(())
    }

    fn to_argon2(self) -> Result<Argon2<'static>, KsfParamsError> {
        self.check()?;
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|_| KsfParamsError::Malformed)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Why an OPAQUE step failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpaqueError {
    /// The Argon2id parameters were refused before any message was produced.
    #[error(transparent)]
    Params(#[from] KsfParamsError),
    /// A protocol message could not be decoded.
    #[error("malformed OPAQUE message")]
    Malformed,
    /// Wrong password, or a server that does not hold this account's record. One variant on
    /// purpose: the two must look the same.
    #[error("incorrect email or password")]
    InvalidLogin,
    /// The server reflected the client's blinded element (an attack).
    #[error("the server's OPAQUE response is invalid")]
    Reflected,
    /// Any other protocol failure.
    #[error("OPAQUE protocol failure")]
    Protocol,
}

impl From<opaque_ke::errors::ProtocolError> for OpaqueError {
    fn from(err: opaque_ke::errors::ProtocolError) -> Self {
        use opaque_ke::errors::ProtocolError as P;
        match err {
            P::InvalidLoginError => OpaqueError::InvalidLogin,
            P::SerializationError | P::SizeError { .. } => OpaqueError::Malformed,
            P::ReflectedValueError => OpaqueError::Reflected,
            _ => OpaqueError::Protocol,
        }
    }
}

/// The OPAQUE export key (64 bytes): known only to the client, stable across logins with the
/// same password registration. Keyhaven derives the account wrap key from it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ExportKey([u8; 64]);

impl ExportKey {
    /// The key bytes, as HKDF input.
    pub fn expose(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for ExportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExportKey(<redacted>)")
    }
}

/// The shared session key both sides hold after a successful login (64 bytes).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionKey([u8; 64]);

impl SessionKey {
    /// The key bytes.
    pub fn expose(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

// ---------------------------------------------------------------------------------------------
// Client

/// Client state between registration start and finish. Holds the password's blind.
pub struct ClientRegistrationState(ClientRegistration<Suite>);

impl fmt::Debug for ClientRegistrationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientRegistrationState(<redacted>)")
    }
}

/// Client state between login start and finish.
pub struct ClientLoginState(ClientLogin<Suite>);

impl fmt::Debug for ClientLoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientLoginState(<redacted>)")
    }
}

/// Starts registration: returns the state to keep and the request to send.
pub fn client_registration_start(
    password: &[u8],
) -> Result<(ClientRegistrationState, Vec<u8>), OpaqueError> {
    let start = ClientRegistration::<Suite>::start(&mut OsRng, password)?;
    Ok((
        ClientRegistrationState(start.state),
        start.message.serialize().to_vec(),
    ))
}

/// Finishes registration with the server's response: returns the upload to send and the export
/// key. `params` are the Argon2id parameters the account will use; they are checked first.
pub fn client_registration_finish(
    state: ClientRegistrationState,
    password: &[u8],
    response: &[u8],
    params: KsfParams,
) -> Result<(Vec<u8>, ExportKey), OpaqueError> {
    let argon2 = params.to_argon2()?;
    let response = RegistrationResponse::<Suite>::deserialize(response)?;
    let finish = state.0.finish(
        &mut OsRng,
        password,
        response,
        ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&argon2)),
    )?;
    let export = ExportKey(finish.export_key.into());
    Ok((finish.message.serialize().to_vec(), export))
}

/// Starts login: returns the state to keep and the credential request to send.
pub fn client_login_start(password: &[u8]) -> Result<(ClientLoginState, Vec<u8>), OpaqueError> {
    let start = ClientLogin::<Suite>::start(&mut OsRng, password)?;
    Ok((
        ClientLoginState(start.state),
        start.message.serialize().to_vec(),
    ))
}

/// Finishes login with the server's credential response and the account's Argon2id parameters
/// (as the server reported them). The parameters are checked before the password is stretched
/// and before the finalization message exists.
pub fn client_login_finish(
    state: ClientLoginState,
    password: &[u8],
    response: &[u8],
    params: KsfParams,
) -> Result<(Vec<u8>, SessionKey, ExportKey), OpaqueError> {
    let argon2 = params.to_argon2()?;
    let response = CredentialResponse::<Suite>::deserialize(response)?;
    let finish = state.0.finish(
        &mut OsRng,
        password,
        response,
        ClientLoginFinishParameters::new(Some(CONTEXT), Identifiers::default(), Some(&argon2)),
    )?;
    Ok((
        finish.message.serialize().to_vec(),
        SessionKey(finish.session_key.into()),
        ExportKey(finish.export_key.into()),
    ))
}

// ---------------------------------------------------------------------------------------------
// Server

/// The server's long-term OPAQUE secrets (OPRF seed and AKE key pair). Persist it with
/// [`ServerSetup::to_bytes`]; losing it invalidates every password.
pub struct ServerSetup(opaque_ke::ServerSetup<Suite>);

impl fmt::Debug for ServerSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSetup(<redacted>)")
    }
}

impl ServerSetup {
    /// Generates fresh server secrets.
    pub fn generate() -> Self {
        Self(opaque_ke::ServerSetup::<Suite>::new(&mut OsRng))
    }

    /// Serializes the secrets (store them like a private key).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }

    /// Restores secrets saved by [`ServerSetup::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OpaqueError> {
        opaque_ke::ServerSetup::<Suite>::deserialize(bytes)
            .map(Self)
            .map_err(|_| OpaqueError::Malformed)
    }
}

/// Server state between login start and finish.
pub struct ServerLoginState(ServerLogin<Suite>);

impl fmt::Debug for ServerLoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerLoginState(<redacted>)")
    }
}

impl ServerLoginState {
    /// Serializes the state so another request (or another node) can finish the login.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }

    /// Restores a state saved by [`ServerLoginState::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OpaqueError> {
        ServerLogin::<Suite>::deserialize(bytes)
            .map(Self)
            .map_err(|_| OpaqueError::Malformed)
    }
}

/// Answers a registration request for `credential_id` (the account's stable id).
pub fn server_registration_start(
    setup: &ServerSetup,
    request: &[u8],
    credential_id: &[u8],
) -> Result<Vec<u8>, OpaqueError> {
    let request = RegistrationRequest::<Suite>::deserialize(request)?;
    let start = ServerRegistration::<Suite>::start(&setup.0, request, credential_id)?;
    Ok(start.message.serialize().to_vec())
}

/// Turns the client's upload into the password file to store.
pub fn server_registration_finish(upload: &[u8]) -> Result<Vec<u8>, OpaqueError> {
    let upload = RegistrationUpload::<Suite>::deserialize(upload)?;
    Ok(ServerRegistration::<Suite>::finish(upload)
        .serialize()
        .to_vec())
}

/// Answers a credential request. `password_file` is `None` for an unknown account: OPAQUE then
/// answers with a fake record that is indistinguishable from a real one (RFC 9807 §10.9), so
/// login start never reveals whether an account exists.
pub fn server_login_start(
    setup: &ServerSetup,
    password_file: Option<&[u8]>,
    request: &[u8],
    credential_id: &[u8],
) -> Result<(ServerLoginState, Vec<u8>), OpaqueError> {
    let password_file = password_file
        .map(ServerRegistration::<Suite>::deserialize)
        .transpose()?;
    let request = CredentialRequest::<Suite>::deserialize(request)?;
    let start = ServerLogin::start(
        &mut OsRng,
        &setup.0,
        password_file,
        request,
        credential_id,
        ServerLoginParameters {
            context: Some(CONTEXT),
            identifiers: Identifiers::default(),
        },
    )?;
    Ok((
        ServerLoginState(start.state),
        start.message.serialize().to_vec(),
    ))
}

/// Checks the client's finalization; on success both sides hold the same session key.
pub fn server_login_finish(
    state: ServerLoginState,
    finalization: &[u8],
) -> Result<SessionKey, OpaqueError> {
    let finalization = CredentialFinalization::<Suite>::deserialize(finalization)?;
    let finish = state.0.finish(
        finalization,
        ServerLoginParameters {
            context: Some(CONTEXT),
            identifiers: Identifiers::default(),
        },
    )?;
    Ok(SessionKey(finish.session_key.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floor, so unit tests stay fast.
    const FAST: KsfParams = KsfParams {
        memory_kib: MIN_MEMORY_KIB,
        iterations: 2,
        parallelism: 1,
    };

    fn register(setup: &ServerSetup, password: &[u8]) -> (Vec<u8>, ExportKey) {
        let (state, request) = client_registration_start(password).unwrap();
        let response = server_registration_start(setup, &request, b"acct-1").unwrap();
        let (upload, export) =
            client_registration_finish(state, password, &response, FAST).unwrap();
        (server_registration_finish(&upload).unwrap(), export)
    }

    #[test]
    fn register_then_login_gives_same_export_key() {
        let setup = ServerSetup::generate();
        let (file, export) = register(&setup, b"correct horse");
        let (client, request) = client_login_start(b"correct horse").unwrap();
        let (server, response) =
            server_login_start(&setup, Some(&file), &request, b"acct-1").unwrap();
        let (fin, client_session, login_export) =
            client_login_finish(client, b"correct horse", &response, FAST).unwrap();
        let server_session = server_login_finish(server, &fin).unwrap();
        assert_eq!(export.expose(), login_export.expose());
        assert_eq!(client_session.expose(), server_session.expose());
    }

    #[test]
    fn wrong_password_and_unknown_account_fail_alike() {
        let setup = ServerSetup::generate();
        let (file, _) = register(&setup, b"correct horse");

        let (client, request) = client_login_start(b"wrong").unwrap();
        let (_, response) = server_login_start(&setup, Some(&file), &request, b"acct-1").unwrap();
        let wrong = client_login_finish(client, b"wrong", &response, FAST).unwrap_err();

        let (client, request) = client_login_start(b"correct horse").unwrap();
        let (_, fake) = server_login_start(&setup, None, &request, b"nobody").unwrap();
        assert_eq!(
            fake.len(),
            response.len(),
            "fake responses have the real length"
        );
        let unknown = client_login_finish(client, b"correct horse", &fake, FAST).unwrap_err();

        assert_eq!(wrong, OpaqueError::InvalidLogin);
        assert_eq!(unknown, OpaqueError::InvalidLogin);
    }

    #[test]
    fn weak_params_are_refused_before_hashing() {
        let setup = ServerSetup::generate();
        let (file, _) = register(&setup, b"pw");
        let (client, request) = client_login_start(b"pw").unwrap();
        let (_, response) = server_login_start(&setup, Some(&file), &request, b"acct-1").unwrap();
        let weak = KsfParams {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        };
        assert_eq!(
            client_login_finish(client, b"pw", &response, weak).unwrap_err(),
            OpaqueError::Params(KsfParamsError::TooWeak {
                memory_kib: 4096,
                iterations: 1
            })
        );
    }

    #[test]
    fn params_floor_and_ceiling() {
        assert_eq!(KsfParams::default().check(), Ok(()));
        assert_eq!(FAST.check(), Ok(()));
        let below = KsfParams {
            memory_kib: MIN_MEMORY_KIB - 1,
            ..FAST
        };
        assert!(matches!(below.check(), Err(KsfParamsError::TooWeak { .. })));
        let t1 = KsfParams {
            iterations: 1,
            ..FAST
        };
        assert!(matches!(t1.check(), Err(KsfParamsError::TooWeak { .. })));
        let huge = KsfParams {
            memory_kib: MAX_MEMORY_KIB + 1,
            ..FAST
        };
        assert!(matches!(huge.check(), Err(KsfParamsError::TooHigh { .. })));
        let p0 = KsfParams {
            parallelism: 0,
            ..FAST
        };
        assert_eq!(p0.check(), Err(KsfParamsError::Malformed));
    }
}
