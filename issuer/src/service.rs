//! The HTTP service: routes, and the middleware in front of them (metrics, request
//! deadline, per-client rate limit, admission control, dev fault injection).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use doorpass_format::api::{
    COSE_MEDIA_TYPE, DevOtpResponse, ENROLMENT_COMPLETE_PATH, ENROLMENT_START_PATH, RENEW_PATH,
    TRUST_LIST_PATH, error_code,
};
use rand::Rng;

use crate::admission::Priority;
use crate::client_address::ClientAddress;
use crate::error::{ApiError, BodyRead};
pub use crate::state::{AppState, DevState, Faults};

/// Largest request body accepted: a completion with a key attestation carries an Android
/// certificate chain or an App Attest object of at most
/// [`doorpass_format::api::MAX_ATTESTATION_EVIDENCE_LEN`] (22 KiB) in base64url; anything else is
/// well under 1 KiB.
pub const BODY_LIMIT: usize = 32 * 1024;

/// The router for `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let issuance = Router::new()
        .route(ENROLMENT_START_PATH, post(crate::enrolment::start))
        .route(ENROLMENT_COMPLETE_PATH, post(crate::enrolment::complete))
        .route(RENEW_PATH, post(crate::renewal::renew))
        .route_layer(from_fn_with_state(state.clone(), inject_faults))
        .route_layer(from_fn_with_state(state.clone(), admit))
        .route_layer(from_fn_with_state(state.clone(), limit_client));
    let mut app = Router::new()
        .merge(issuance)
        .route(TRUST_LIST_PATH, get(trust_list))
        .route("/v1/status/{list}", get(status_list))
        .route("/healthz", get(healthz));
    if state.public_metrics {
        app = app.route("/metrics", get(metrics));
    }
    if state.dev.is_some() {
        app = app.route("/dev/otp/{subject}", get(dev_otp));
    }
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn_with_state(state.clone(), deadline))
        .layer(from_fn_with_state(state.clone(), observe))
        .layer(from_fn_with_state(state.clone(), date_by_clock))
        .with_state(state)
}

/// With a simulated clock ([`crate::clock`]), dates every answer by it, as wallets set their clock
/// offset from the `Date` header; with the system clock, the server's own `Date` stays.
async fn date_by_clock(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if state.clock.is_simulated() {
        let at = std::time::UNIX_EPOCH + Duration::from_secs(state.clock.now());
        if let Ok(value) = axum::http::HeaderValue::from_str(&httpdate::fmt_http_date(at)) {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    response
}

/// The router of the separate `/metrics` listener: `/metrics` and nothing else.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// A metrics label for a path: the route template, never the raw path (which may hold a subject).
fn route_label(path: &str) -> &'static str {
    match path {
        ENROLMENT_START_PATH => ENROLMENT_START_PATH,
        ENROLMENT_COMPLETE_PATH => ENROLMENT_COMPLETE_PATH,
        RENEW_PATH => RENEW_PATH,
        TRUST_LIST_PATH => TRUST_LIST_PATH,
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        p if p.starts_with(crate::status_lists::STATUS_PATH_PREFIX) => "/v1/status/{list}",
        p if p.starts_with("/dev/otp/") => "/dev/otp/{subject}",
        _ => "other",
    }
}

async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let label = route_label(req.uri().path());
    // Under overload most issuance requests are refused: refuse them here, before the deadline
    // timer, the body or the routing cost anything.
    if let Some(priority) = issuance_priority(label)
        && let Some(retry_after) = state.admission.shed_early(priority)
    {
        state.metrics.record_request(label, 503);
        return crate::error::overloaded_response(retry_after);
    }
    let in_flight = state.metrics.track_in_flight();
    let response = next.run(req).await;
    drop(in_flight);
    state
        .metrics
        .record_request(label, response.status().as_u16());
    response
}

/// Bounds each request — body read, admission, handler — by `request_timeout`, and answers at once
/// the requests still running when a stop passes its deadline. Either way the request's future is
/// dropped, which frees its admission slot. A body that had not arrived gets 408 (and the connection
/// is closed); a request that was slow on the service's side gets 503 with `Retry-After`.
async fn deadline(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let body_read = BodyRead::default();
    if !has_body(&req) {
        body_read.mark();
    }
    req.extensions_mut().insert(body_read.clone());
    let mut stopping = state.stopping.clone();
    let timeout = state.request_timeout;
    let stopped = tokio::select! {
        result = tokio::time::timeout(timeout, next.run(req)) => match result {
            Ok(response) => return response,
            Err(_) => false,
        },
        // Also when the sender is gone: the issuer has stopped.
        _ = stopping.wait_for(|stopped| *stopped) => true,
    };
    let error = if stopped {
        ApiError {
            message: "the service is stopping; retry later".into(),
            ..ApiError::overloaded(state.admission.retry_after())
        }
    } else if !body_read.is_read() {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            error_code::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {}",
                seconds(timeout)
            ),
        )
    } else {
        ApiError {
            message: format!(
                "the request did not finish within {}; retry later",
                seconds(timeout)
            ),
            ..ApiError::overloaded(state.admission.retry_after())
        }
    };
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Whether a request announces a body.
fn has_body(req: &Request) -> bool {
    let headers = req.headers();
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.to_str().map_or(true, |v| v.trim() != "0"))
}

/// `1.5 s`-style text for a duration.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Finds the request's client ([`crate::client_address`]), records it for the handlers, and applies
/// the per-client rate limit to it.
async fn limit_client(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let client =
        crate::rate_limit::client_key(state.trusted_proxies.client_of(peer.ip(), req.headers()));
    req.extensions_mut().insert(ClientAddress(client));
    if let Err(wait) = state.client_limiter.check(&client) {
        state.metrics.record_rate_limited();
        return ApiError::rate_limited(wait, "from this address").into_response();
    }
    next.run(req).await
}

/// The admission class of an issuance route: starts are new work, completions and renewals finish
/// work already begun.
fn issuance_priority(route: &str) -> Option<Priority> {
    match route {
        ENROLMENT_START_PATH => Some(Priority::New),
        ENROLMENT_COMPLETE_PATH | RENEW_PATH => Some(Priority::Finishing),
        _ => None,
    }
}

async fn admit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let priority = issuance_priority(req.uri().path()).unwrap_or(Priority::Finishing);
    match state.admission.admit(priority).await {
        Ok(_slot) => next.run(req).await,
        Err(retry_after) => ApiError::overloaded(retry_after).into_response(),
    }
}

async fn inject_faults(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(dev) = &state.dev {
        if !dev.faults.latency.is_zero() {
            tokio::time::sleep(dev.faults.latency).await;
        }
        if dev.faults.failure_rate > 0.0
            && rand::thread_rng().gen_bool(dev.faults.failure_rate.min(1.0))
        {
            return ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    error_code::INJECTED_FAILURE,
                    "injected failure (--dev)",
                )
            }
            .into_response();
        }
    }
    next.run(req).await
}

async fn trust_list(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let tl = &state.keys.trust_list;
    let etag = format!("\"tl-{}\"", tl.version());
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, COSE_MEDIA_TYPE)],
            Body::from(tl.bytes().to_vec()),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// `GET /v1/status/{list}`: the list's current signed token, cacheable for its `ttl`.
async fn status_list(
    State(state): State<Arc<AppState>>,
    Path(list): Path<String>,
    headers: HeaderMap,
) -> Response {
    let published = list
        .parse::<u64>()
        .ok()
        .and_then(|list| state.status_publisher.get(list));
    let Some(published) = published else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            error_code::NOT_FOUND,
            "no such status list",
        )
        .into_response();
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(published.etag.as_str())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                doorpass_format::status_list::STATUS_LIST_TYP,
            )],
            Body::from(published.bytes.clone()),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!(
            "public, max-age={}",
            state.status_publisher.ttl().as_secs()
        ))
        .unwrap_or(HeaderValue::from_static("public, max-age=300")),
    );
    if let Ok(v) = HeaderValue::from_str(&published.etag) {
        h.insert(header::ETAG, v);
    }
    response
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    // A read on the read-only connection: answers while the writer is busy, and writes nothing.
    match state.store.check().await {
        Ok(_) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let text =
        state.metrics.render(state.admission.shed_count()) + &state.admission.render_metrics();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn dev_otp(State(state): State<Arc<AppState>>, Path(subject): Path<String>) -> Response {
    let code = state
        .dev
        .as_ref()
        .and_then(|d| d.delivery.last_code(&subject));
    match code {
        Some(code) => Json(DevOtpResponse { code }).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            error_code::NOT_FOUND,
            "no code was sent to this subject",
        )
        .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        error_code::NOT_FOUND,
        "no such route",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        error_code::METHOD_NOT_ALLOWED,
        "method not allowed on this route",
    )
}
