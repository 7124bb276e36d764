//! Prometheus metrics, served on a listener of their own (`metrics_listen`), never on the API's.
//!
//! Labels carry only route templates (`/v1/workspaces/{id}/items`), methods, status codes and
//! fixed names: no account, address, id or secret. Counters live in memory and start at zero
//! with the process, as Prometheus expects.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;

/// Upper bounds of the request-latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Events counted by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// A sign-in finished with a session.
    SignIn,
    /// A sign-in was refused (wrong finalization, expired start) or throttled.
    FailedSignIn,
    /// A sign-up verification code was mailed.
    SignupCodeSent,
    /// A password-reset access code was mailed.
    ResetCodeSent,
    /// A device recovery key was released for reveal or export.
    Reveal,
}

impl Event {
    const ALL: [Event; 5] = [
        Event::SignIn,
        Event::FailedSignIn,
        Event::SignupCodeSent,
        Event::ResetCodeSent,
        Event::Reveal,
    ];
}

#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], not cumulative (summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
    events: [AtomicU64; Event::ALL.len()],
}

impl Metrics {
    /// Counts one `event`.
    pub fn count(&self, event: Event) {
        self.events[event as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn observe(&self, method: String, route: String, status: u16, seconds: f64) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = requests.entry((route, method, status)).or_default();
        entry.count += 1;
        entry.sum += seconds;
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            entry.buckets[bucket] += 1;
        }
    }

    /// The text exposition format (version 0.0.4), with `queue_depth` as the mail gauge.
    pub fn render(&self, queue_depth: i64) -> String {
        let mut out = String::new();
        let events = |event: Event| self.events[event as usize].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP keyhaven_http_requests_total HTTP requests by route template, method and status.\n\
             # TYPE keyhaven_http_requests_total counter"
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for ((route, method, status), histogram) in requests.iter() {
            let _ = writeln!(
                out,
                "keyhaven_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                histogram.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP keyhaven_http_request_duration_seconds Time to the response head, by route template and method.\n\
             # TYPE keyhaven_http_request_duration_seconds histogram"
        );
        let mut by_route: BTreeMap<(String, String), Histogram> = BTreeMap::new();
        for ((route, method, _), histogram) in requests.iter() {
            let merged = by_route.entry((route.clone(), method.clone())).or_default();
            merged.count += histogram.count;
            merged.sum += histogram.sum;
            for (total, part) in merged.buckets.iter_mut().zip(histogram.buckets) {
                *total += part;
            }
        }
        drop(requests);
        for ((route, method), histogram) in &by_route {
            let mut cumulative = 0;
            for (bound, part) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += part;
                let _ = writeln!(
                    out,
                    "keyhaven_http_request_duration_seconds_bucket{{route=\"{route}\",method=\"{method}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let _ = writeln!(
                out,
                "keyhaven_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n\
                 keyhaven_http_request_duration_seconds_sum{{{labels}}} {sum}\n\
                 keyhaven_http_request_duration_seconds_count{{{labels}}} {count}",
                count = histogram.count,
                sum = histogram.sum,
            );
        }
        for (name, help, value) in [
            (
                "keyhaven_sign_ins_total",
                "Sign-ins that ended with a session.",
                events(Event::SignIn),
            ),
            (
                "keyhaven_failed_sign_ins_total",
                "Sign-ins refused at login/finish or throttled at login/start.",
                events(Event::FailedSignIn),
            ),
            (
                "keyhaven_reveals_total",
                "Device recovery keys released for reveal or export.",
                events(Event::Reveal),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP keyhaven_codes_sent_total Emailed codes, by purpose.\n\
             # TYPE keyhaven_codes_sent_total counter\n\
             keyhaven_codes_sent_total{{purpose=\"signup\"}} {}\n\
             keyhaven_codes_sent_total{{purpose=\"reset\"}} {}",
            events(Event::SignupCodeSent),
            events(Event::ResetCodeSent),
        );
        let _ = writeln!(
            out,
            "# HELP keyhaven_mail_queue_depth Messages in the outbox not yet delivered.\n\
             # TYPE keyhaven_mail_queue_depth gauge\n\
             keyhaven_mail_queue_depth {queue_depth}"
        );
        out
    }
}

/// Middleware: counts every API request by route template, method and status, with latency.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Unmatched paths share one label, so a scanner cannot grow the label set.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state.metrics().observe(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics` on the metrics listener.
pub async fn serve_metrics(State(state): State<AppState>) -> Response {
    // A database that does not answer shows as -1 rather than failing the scrape.
    let depth = state.store().outbox_len().await.unwrap_or(-1);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(depth),
    )
        .into_response()
}

/// The metrics listener's router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(serve_metrics))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_counts_and_accumulates_buckets() {
        let metrics = Metrics::default();
        let get = |route: &str, status, seconds| {
            metrics.observe("GET".to_owned(), route.to_owned(), status, seconds);
        };
        get("/healthz", 200, 0.001);
        get("/healthz", 200, 0.2);
        get("/healthz", 503, 20.0);
        metrics.count(Event::SignIn);
        metrics.count(Event::Reveal);
        metrics.count(Event::Reveal);
        let text = metrics.render(3);
        for line in [
            "keyhaven_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2",
            "keyhaven_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"503\"} 1",
            "keyhaven_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.005\"} 1",
            "keyhaven_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.25\"} 2",
            "keyhaven_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"10\"} 2",
            "keyhaven_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"} 3",
            "keyhaven_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\"} 3",
            "keyhaven_sign_ins_total 1",
            "keyhaven_failed_sign_ins_total 0",
            "keyhaven_reveals_total 2",
            "keyhaven_mail_queue_depth 3",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
