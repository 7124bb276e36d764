//! The browser's HTTP client: reqwest on the page's (or worker's) `fetch`. The browser does
//! TLS and its certificate checks; a custom CA is the browser's (or the system's) to trust.

use crate::{ClientError, Transport, without_url};

pub(crate) fn http(
    _transport: &Transport,
    _local_address: Option<std::net::IpAddr>,
) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .build()
        .map_err(|e| ClientError::BadUrl(format!("cannot set up fetch: {}", without_url(&e))))
}

pub(crate) fn describe_send_error(err: &reqwest::Error) -> String {
    without_url(err)
}
