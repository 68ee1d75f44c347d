//! API errors: a status, a stable code, a message, and `Retry-After` where the client should wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use doorpass_format::api::{ApiErrorBody, error_code};
use serde::de::DeserializeOwned;

/// Set once the request body has been read in full. The request deadline
/// ([`crate::service`]) puts one in every request's extensions and reads it when the deadline passes,
/// to tell a slow client (408) from a slow service (503).
#[derive(Debug, Clone, Default)]
pub struct BodyRead(Arc<AtomicBool>);

impl BodyRead {
    /// Records that the body has been read.
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the body has been read.
    pub fn is_read(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code from [`error_code`].
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// Tries left, for wrong codes.
    pub attempts_left: Option<u32>,
    /// Seconds the client should wait before retrying.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            attempts_left: None,
            retry_after: None,
        }
    }

    /// 400 with `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error_code::BAD_REQUEST, message)
    }

    /// 503 `overloaded` with `Retry-After`.
    pub fn overloaded(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                error_code::OVERLOADED,
                OVERLOADED_MESSAGE,
            )
        }
    }

    /// 429 `rate_limited` with `Retry-After`.
    pub fn rate_limited(retry_after: u64, what: &str) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                error_code::RATE_LIMITED,
                format!("too many requests {what}"),
            )
        }
    }

    /// 403 `not_eligible`.
    pub fn not_eligible() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            error_code::NOT_ELIGIBLE,
            "no pass can be issued to this subject now",
        )
    }

    /// 500 `internal`, for failures the client cannot fix. The detail goes to the log, not the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        eprintln!("doorpass-issuer: internal error: {detail}");
        ApiError {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                error_code::INTERNAL,
                "temporary failure; retry later",
            )
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    /// An exhausted pool, a transaction that kept conflicting or a database out of reach is
    /// overload: 503 `overloaded` with a spread `Retry-After`, like any other shedding. Anything
    /// else is an internal failure (logged).
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_overload() {
            ApiError::overloaded(rand::Rng::gen_range(&mut rand::thread_rng(), 1..=3))
        } else {
            ApiError::internal(e)
        }
    }
}

/// The body of every `overloaded` answer, serialized once: shedding must cost as little as possible.
static OVERLOADED_BODY: std::sync::LazyLock<axum::body::Bytes> = std::sync::LazyLock::new(|| {
    serde_json::to_vec(&ApiErrorBody {
        error: error_code::OVERLOADED.into(),
        message: OVERLOADED_MESSAGE.into(),
        attempts_left: None,
    })
    .unwrap_or_default()
    .into()
});

const OVERLOADED_MESSAGE: &str = "the service is busy; retry later";

/// The 503 `overloaded` answer with `Retry-After: retry_after`, from a body serialized once.
pub fn overloaded_response(retry_after: u64) -> Response {
    let mut response = Response::new(axum::body::Body::from(OVERLOADED_BODY.clone()));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == error_code::OVERLOADED
            && self.message == OVERLOADED_MESSAGE
            && let Some(secs) = self.retry_after
        {
            return overloaded_response(secs);
        }
        let body = ApiErrorBody {
            error: self.code.into(),
            message: self.message,
            attempts_left: self.attempts_left,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Like [`Json`], but a body that is not the expected JSON (or too large) gives a JSON [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let body_read = req.extensions().get::<BodyRead>().cloned();
        let result = Json::<T>::from_request(req, state).await;
        if let Some(body_read) = body_read {
            body_read.mark();
        }
        match result {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(from_rejection(rejection)),
        }
    }
}

fn from_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            status,
            error_code::TOO_LARGE,
            "the request body is too large",
        );
    }
    ApiError::new(status, error_code::BAD_REQUEST, rejection.body_text())
}
