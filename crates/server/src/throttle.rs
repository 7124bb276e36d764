//! Throttling of what strangers can try: sign-in starts and emailed codes.
//!
//! An OPAQUE sign-in gives the client what it needs to test one password guess, so every
//! `login/start` counts as a guess until the sign-in finishes. Attempts are counted under three
//! keys, each with backoff (the wait doubles up to a cap, never a lock) rather than a fixed
//! window that ends in a 15-minute lock:
//!
//! - one account from one client address: a guesser at one address slows down quickly, and
//!   the owner elsewhere does not notice;
//! - one client address, across accounts: one address spraying many accounts;
//! - one account from everywhere: guessing spread over many addresses. Addresses the account
//!   signed in from in the last 90 days skip this one, so no stranger can hold the owner out.
//!
//! A sign-in that finishes clears the first and third keys. The client address is the peer of
//! the TCP connection, or, when that peer is a configured trusted proxy, the nearest address in
//! `X-Forwarded-For` that is not one ([`crate::config::Config::trusted_proxies`]). IPv6
//! addresses are counted per /64, the block one subscriber usually holds.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::app::AppState;
use crate::config::IpRange;
use crate::error::ApiError;
use crate::store::Backoff;

/// Sign-in starts for one account from one address.
pub const LOGIN_FROM_ADDRESS: Backoff = Backoff {
    free: 10,
    first_wait: 5,
    longest_wait: 15 * 60,
    forget_after: 3600,
};
/// Sign-in starts from one address, whatever the account.
pub const LOGIN_ADDRESS: Backoff = Backoff {
    free: 50,
    first_wait: 5,
    longest_wait: 15 * 60,
    forget_after: 3600,
};
/// Sign-in starts for one account from addresses it never signed in from.
pub const LOGIN_ACCOUNT: Backoff = Backoff {
    free: 100,
    first_wait: 5,
    longest_wait: 5 * 60,
    forget_after: 86_400,
};
/// Emails with a code (signup, reset) to one address, asked for from one client address.
pub const SENDS_FROM_ADDRESS: Backoff = Backoff {
    free: 3,
    first_wait: 60,
    longest_wait: 3600,
    forget_after: 86_400,
};
/// Emails with a code asked for from one client address, whatever the recipient.
pub const SENDS_ADDRESS: Backoff = Backoff {
    free: 20,
    first_wait: 60,
    longest_wait: 3600,
    forget_after: 86_400,
};
/// Emails with a code to one recipient from addresses it never signed in from: bounds the
/// mail a stranger can make someone receive.
pub const SENDS_ACCOUNT: Backoff = Backoff {
    free: 10,
    first_wait: 300,
    longest_wait: 3600,
    forget_after: 86_400,
};

/// How long a sign-in address stays known.
const KNOWN_FOR_SECS: i64 = 90 * 86_400;

/// The client's address as the throttles count it (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(String);

impl ClientAddr {
    /// The address of a request from `peer` with these `X-Forwarded-For` values (in header
    /// order), trusting the proxies in `trusted`.
    pub fn resolve<'a>(
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
        trusted: &[IpRange],
    ) -> Self {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|range| range.contains(*ip));
        let mut client = canonical(peer);
        if is_trusted(&client) {
            // Each proxy appends the address it got the request from, so the list is read from
            // the right; the first address that is not a trusted proxy is the client. Anything
            // further left was written by the client itself and proves nothing.
            let hops: Vec<&str> = forwarded_for
                .into_iter()
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .collect();
            for hop in hops.iter().rev() {
                match hop.parse::<IpAddr>() {
                    Ok(ip) => {
                        client = canonical(ip);
                        if !is_trusted(&client) {
                            break;
                        }
                    }
                    // A malformed hop ends the trustworthy part of the list.
                    Err(_) => break,
                }
            }
        }
        Self(key_of(client))
    }

    /// The key text: an IPv4 address, or an IPv6 /64 such as `2001:db8:1:2::/64`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn key_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1_u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(bits))
        }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Requests served without a socket (tests with `oneshot`) come from "0.0.0.0".
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        Ok(Self::resolve(
            peer,
            forwarded,
            &state.config().trusted_proxies,
        ))
    }
}

/// Counts one attempt under `policy` for `key`, answering 429 with the wait when it must wait.
async fn attempt(state: &AppState, key: &str, policy: Backoff) -> Result<(), ApiError> {
    match state
        .store()
        .throttle_attempt(key, state.now(), policy)
        .await?
    {
        Ok(()) => Ok(()),
        Err(wait) => Err(ApiError::Throttled { wait_secs: wait }),
    }
}

/// Whether `email` signed in from `client` lately.
async fn known(state: &AppState, email: &str, client: &ClientAddr) -> Result<bool, ApiError> {
    Ok(state
        .store()
        .address_known(email, client.as_str(), state.now() - KNOWN_FOR_SECS)
        .await?)
}

/// Counts a sign-in start for `email` from `client`.
pub async fn login_attempt(
    state: &AppState,
    email: &str,
    client: &ClientAddr,
) -> Result<(), ApiError> {
    let address = client.as_str();
    attempt(
        state,
        &format!("login:{email}:{address}"),
        LOGIN_FROM_ADDRESS,
    )
    .await?;
    attempt(state, &format!("login-address:{address}"), LOGIN_ADDRESS).await?;
    if !known(state, email, client).await? {
        attempt(state, &format!("login-account:{email}"), LOGIN_ACCOUNT).await?;
    }
    Ok(())
}

/// A sign-in of `email` from `client` finished: its counts start over and the address is known.
pub async fn login_succeeded(
    state: &AppState,
    email: &str,
    client: &ClientAddr,
) -> Result<(), ApiError> {
    let store = state.store();
    store
        .throttle_clear(&format!("login:{email}:{}", client.as_str()))
        .await?;
    store
        .throttle_clear(&format!("login-account:{email}"))
        .await?;
    store
        .remember_address(email, client.as_str(), state.now())
        .await?;
    Ok(())
}

/// Counts one email of kind `kind` ("signup", "reset") to `email`, asked for by `client`.
/// Counted alike whether or not an account exists, so the answers do not tell them apart.
pub async fn send_attempt(
    state: &AppState,
    kind: &str,
    email: &str,
    client: &ClientAddr,
) -> Result<(), ApiError> {
    let address = client.as_str();
    attempt(
        state,
        &format!("{kind}:{email}:{address}"),
        SENDS_FROM_ADDRESS,
    )
    .await?;
    attempt(state, &format!("{kind}-address:{address}"), SENDS_ADDRESS).await?;
    if !known(state, email, client).await? {
        attempt(state, &format!("{kind}-account:{email}"), SENDS_ACCOUNT).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(list: &str) -> Vec<IpRange> {
        crate::config::parse_ip_ranges(list).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let none = ranges("");
        assert_eq!(
            ClientAddr::resolve(ip("203.0.113.9"), ["198.51.100.1"], &none).as_str(),
            "203.0.113.9",
            "a header from an untrusted peer is ignored"
        );
        let proxy = ranges("10.0.0.0/8");
        assert_eq!(
            ClientAddr::resolve(
                ip("10.1.2.3"),
                ["1.1.1.1, 198.51.100.7", "10.9.9.9"],
                &proxy
            )
            .as_str(),
            "198.51.100.7",
            "the nearest address that is not a proxy; the client's own claim is ignored"
        );
        assert_eq!(
            ClientAddr::resolve(ip("10.1.2.3"), ["junk, 10.2.2.2"], &proxy).as_str(),
            "10.2.2.2",
            "a malformed hop ends the list"
        );
        assert_eq!(
            ClientAddr::resolve(ip("10.1.2.3"), [], &proxy).as_str(),
            "10.1.2.3"
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let none = ranges("");
        assert_eq!(
            ClientAddr::resolve(ip("2001:db8:1:2:aaaa::1"), [], &none).as_str(),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            ClientAddr::resolve(ip("::ffff:192.0.2.1"), [], &none).as_str(),
            "192.0.2.1"
        );
    }
}
