use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::auth::{TokenSource, scope_for};
use futures::StreamExt;

use super::permits::{Permits, Priority};
use super::redact::redact;
use super::wire::{CloudError, Page};
use super::{ArmError, RetryPolicy};

/// How the client talks to ARM.
#[derive(Debug, Clone)]
pub struct ArmClientOptions {
    /// The ARM base URL (`https://management.azure.com/`, a sovereign cloud, or the emulator).
    pub endpoint: Url,
    /// Refuse every request other than GET before it is sent.
    pub read_only: bool,
    /// Send the token to an endpoint over plain HTTP on another machine (loopback always may).
    pub allow_plain_http: bool,
    /// Requests in flight at once, across the whole process.
    pub concurrency: usize,
    /// Retries, backoff and timeouts.
    pub retry: RetryPolicy,
    /// Shortest wait between polls of a long-running operation (when ARM says `Retry-After: 0`).
    pub min_poll_interval: Duration,
    /// Longest a long-running operation may take before the client gives up on it.
    pub operation_timeout: Duration,
}

impl ArmClientOptions {
    /// Defaults for `endpoint`: concurrency 16, the default retry policy, writes allowed.
    pub fn new(endpoint: Url) -> Self {
        ArmClientOptions {
            endpoint,
            read_only: false,
            allow_plain_http: false,
            concurrency: 16,
            retry: RetryPolicy::default(),
            min_poll_interval: Duration::from_millis(200),
            operation_timeout: Duration::from_secs(3600),
        }
    }
}

/// Counters of what the client did, for benchmarks and diagnostics.
#[derive(Debug, Default)]
pub struct RequestLog {
    /// Attempts sent, retries included.
    pub sent: AtomicU64,
    /// Attempts that were retries.
    pub retried: AtomicU64,
    /// Attempts answered with 429.
    pub throttled: AtomicU64,
    /// Times the client slowed down because ARM's rate-limit headers ran low.
    pub slowed: AtomicU64,
}

/// The ARM client: one `reqwest` pool shared with the credential, bounded concurrency,
/// retries, paging and long-running operations. Cheap to clone.
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    options: ArmClientOptions,
    scope: String,
    tokens: TokenSource,
    permits: Permits,
    /// Per subscription: do not send before this instant (set by 429s and low rate-limit headers).
    pauses: std::sync::Mutex<HashMap<String, Instant>>,
    log: RequestLog,
}

/// A raw answer: status, headers and body.
pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Below this many remaining requests in ARM's rate-limit headers, the client slows down.
const RATE_LIMIT_LOW_WATER: u64 = 20;

impl ArmClient {
    /// A client over `http` (which the credential also uses), signing with `tokens`.
    pub fn new(http: reqwest::Client, tokens: TokenSource, options: ArmClientOptions) -> Self {
        let scope = scope_for(&options.endpoint);
        ArmClient {
            inner: Arc::new(Inner {
                permits: Permits::new(options.concurrency),
                http,
                scope,
                tokens,
                options,
                pauses: std::sync::Mutex::new(HashMap::new()),
                log: RequestLog::default(),
            }),
        }
    }

    /// A token of this client's credential for another service's `scope` (Azure Storage's).
    pub async fn token_for(&self, scope: &str) -> Result<String, ArmError> {
        self.inner.tokens.token(scope).await
    }

    /// A `reqwest` client suitable for ARM and for the credential.
    pub fn http_client() -> Result<reqwest::Client, ArmError> {
        reqwest::Client::builder()
            .user_agent(concat!("imagefactory/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(64)
            // ARM does not redirect; a redirect would re-send a PUT's body (an admin password)
            // to wherever it points, past the origin rule of `check_origin`.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ArmError::Usage(format!("cannot build the HTTP client: {e}")))
    }

    /// A client like this one (endpoint, concurrency, retries, read-only) that signs in with
    /// `mode` instead, through a pool of its own (the credential shares it).
    pub fn signing_in_with(&self, mode: super::AuthMode) -> Result<ArmClient, ArmError> {
        let http = Self::http_client()?;
        let tokens = TokenSource::new(mode, http.clone())?;
        Ok(ArmClient::new(http, tokens, self.inner.options.clone()))
    }

    /// The ARM endpoint in use.
    pub fn endpoint(&self) -> &Url {
        &self.inner.options.endpoint
    }

    /// Whether the client refuses changes.
    pub fn read_only(&self) -> bool {
        self.inner.options.read_only
    }

    /// The credential's mode (`None` for a fixed token).
    pub fn auth_mode(&self) -> Option<super::AuthMode> {
        self.inner.tokens.mode()
    }

    /// Who the credential signs in as, read from its token (`None` when no token can be had,
    /// or it names no one).
    pub async fn principal(&self) -> Option<super::Principal> {
        let token = self.inner.tokens.token(&self.inner.scope).await.ok()?;
        super::Principal::from_token(&token)
    }

    pub(super) fn options(&self) -> &ArmClientOptions {
        &self.inner.options
    }

    /// What the client has sent so far.
    pub fn log(&self) -> &RequestLog {
        &self.inner.log
    }

    /// `GET` one resource or collection and decode it.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<T, ArmError> {
        let url = self.url(path, api_version)?;
        let reply = self.send(Method::GET, url, None).await?;
        decode(path, &reply.body)
    }

    /// `GET` every page of a list, following `nextLink` until it is absent or null. Empty pages
    /// that still carry a link are followed; a link seen before ends the walk (a server loop).
    pub async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Vec<T>, ArmError> {
        self.list_as(path, api_version, Priority::Start).await
    }

    /// `list` for a short list nothing else waits on (a lab's VMs beside its images): it is
    /// sent after the lists that start long chains of pages, which then finish sooner; such
    /// lists go out in the order of their `rank` (see `Priority::Later`).
    pub async fn list_later<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        rank: &str,
    ) -> Result<Vec<T>, ArmError> {
        self.list_as(path, api_version, Priority::Later(rank.to_string()))
            .await
    }

    async fn list_as<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        first: Priority,
    ) -> Result<Vec<T>, ArmError> {
        let mut items = Vec::new();
        let mut pages = std::pin::pin!(self.pages_as::<T>(path, api_version, first));
        while let Some(page) = pages.next().await {
            items.extend(page?);
        }
        Ok(items)
    }

    /// The pages of a list as they arrive, so that a caller can start on the first page while
    /// the next is read (the walk is the one `list` makes; an error ends it).
    pub fn pages<'a, T: DeserializeOwned + 'a>(
        &'a self,
        path: &'a str,
        api_version: &'a str,
    ) -> impl futures::Stream<Item = Result<Vec<T>, ArmError>> + 'a {
        self.pages_as(path, api_version, Priority::Start)
    }

    fn pages_as<'a, T: DeserializeOwned + 'a>(
        &'a self,
        path: &'a str,
        api_version: &'a str,
        first: Priority,
    ) -> impl futures::Stream<Item = Result<Vec<T>, ArmError>> + 'a {
        struct Walk {
            next: Option<Url>,
            seen: std::collections::HashSet<String>,
            priority: Priority,
        }
        let start = self.url(path, api_version);
        let walk = match start {
            Ok(url) => Ok(Walk {
                next: Some(url),
                seen: std::collections::HashSet::new(),
                priority: first,
            }),
            Err(e) => Err(e),
        };
        futures::stream::unfold(Some(walk), move |state| async move {
            let mut walk = match state? {
                Ok(walk) => walk,
                Err(e) => return Some((Err(e), None)),
            };
            let url = walk.next.take()?;
            walk.seen.insert(url.to_string());
            let reply = match self
                .send_as(Method::GET, url.clone(), None, walk.priority.clone())
                .await
            {
                Ok(reply) => reply,
                Err(e) => return Some((Err(e), None)),
            };
            // The next pages continue a list under way: they go before new lists.
            walk.priority = Priority::Continue;
            let page: Page<T> = match decode(path, &reply.body) {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            if let Some(next) = page.next_link.filter(|l| !l.is_empty()) {
                match Url::parse(&next) {
                    Err(e) => {
                        let error = ArmError::Decode {
                            resource: path.into(),
                            reason: format!("nextLink is not a URL: {e}"),
                        };
                        return Some((Err(error), None));
                    }
                    Ok(next) if walk.seen.contains(next.as_str()) => {
                        tracing::warn!(path, next = %redact(next.as_str()), "nextLink repeats an earlier page; stopping");
                    }
                    Ok(next) => walk.next = Some(next),
                }
            }
            Some((Ok(page.value), Some(Ok(walk))))
        })
    }

    /// `PUT` a resource and wait for its long-running operation; returns the resource as created.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        let url = self.url(path, api_version)?;
        let body = serde_json::to_value(body).map_err(|e| ArmError::Usage(e.to_string()))?;
        let reply = self.send(Method::PUT, url.clone(), Some(&body)).await?;
        if self.follow_operation(path, &reply).await?.is_some() {
            // As ARM's guidelines say for PUT: the final state is read from the resource itself.
            let reply = self.send(Method::GET, url, None).await?;
            return decode(path, &reply.body);
        }
        decode(path, &reply.body)
    }

    /// `PATCH` a resource (for example its tags) and decode the answer.
    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        let url = self.url(path, api_version)?;
        let body = serde_json::to_value(body).map_err(|e| ArmError::Usage(e.to_string()))?;
        let reply = self.send(Method::PATCH, url, Some(&body)).await?;
        decode(path, &reply.body)
    }

    /// `DELETE` a resource and wait until it is gone.
    pub async fn delete(&self, path: &str, api_version: &str) -> Result<(), ArmError> {
        let url = self.url(path, api_version)?;
        let reply = self.send(Method::DELETE, url, None).await?;
        self.follow_operation(path, &reply).await?;
        Ok(())
    }

    /// `POST` an action, waiting for its long-running operation if it starts one.
    pub async fn post<B: Serialize>(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&B>,
    ) -> Result<Vec<u8>, ArmError> {
        let url = self.url(path, api_version)?;
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ArmError::Usage(e.to_string()))?;
        let reply = self.send(Method::POST, url, body.as_ref()).await?;
        match self.follow_operation(path, &reply).await? {
            Some(done) => Ok(done),
            None => Ok(reply.body),
        }
    }

    /// The URL for `path` (a resource id or path under the endpoint, or an absolute URL that
    /// ARM handed out, which is used exactly as given).
    pub fn url(&self, path: &str, api_version: &str) -> Result<Url, ArmError> {
        if path.starts_with("http://") || path.starts_with("https://") {
            return Url::parse(path).map_err(|e| ArmError::Usage(format!("bad URL {path}: {e}")));
        }
        if !path.starts_with('/') {
            return Err(ArmError::Usage(format!("not a resource id: {path}")));
        }
        let mut url = self
            .inner
            .options
            .endpoint
            .join(path.trim_start_matches('/'))
            .map_err(|e| ArmError::Usage(format!("bad resource path {path}: {e}")))?;
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", api_version);
        }
        Ok(url)
    }

    /// Whether this client was allowed an endpoint over plain HTTP on another machine.
    pub fn allows_plain_http(&self) -> bool {
        self.inner.options.allow_plain_http
    }

    /// The bearer token goes to the endpoint's own origin only: a `nextLink`, an
    /// `Azure-AsyncOperation` or `Location` (or a monitor URL read back from a journal) that
    /// names another scheme, host or port is refused before anything is sent. So is an endpoint
    /// over plain HTTP away from this machine, where the token would travel in clear.
    fn check_origin(&self, url: &Url) -> Result<(), ArmError> {
        let endpoint = &self.inner.options.endpoint;
        if endpoint.scheme() != "https"
            && super::storage::sas::protocols(endpoint) == "https"
            && !self.inner.options.allow_plain_http
        {
            return Err(ArmError::Usage(format!(
                "the ARM endpoint {endpoint} is plain HTTP on another machine: the token would travel in clear; use https (or, knowingly, --allow-plain-http)"
            )));
        }
        if url.origin() != endpoint.origin() {
            let mut shown = url.clone();
            shown.set_query(None);
            return Err(ArmError::Usage(format!(
                "refused to send the token to {shown}: Azure pointed there (a nextLink, an operation to follow, or a journal's monitor URL), and it is not the ARM endpoint {}",
                endpoint.origin().ascii_serialization()
            )));
        }
        Ok(())
    }

    /// An error saying the endpoint cannot be reached, if it cannot (a connection to its host
    /// and port, refused, unresolved or timed out), else `None`.
    async fn unreachable_endpoint(&self) -> Option<ArmError> {
        let endpoint = &self.inner.options.endpoint;
        let host = endpoint.host_str()?;
        let port = endpoint.port_or_known_default()?;
        let connect = tokio::net::TcpStream::connect((host, port));
        let reason = match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(_)) => return None,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within 5 s".into(),
        };
        Some(ArmError::Transport {
            method: "CONNECT".into(),
            resource: endpoint.to_string(),
            reason: format!(
                "cannot reach the ARM endpoint {endpoint}: {reason}; check --endpoint, IMAGEFACTORY_ENDPOINT or [azure] endpoint"
            ),
            attempts: 1,
        })
    }

    /// Sends one request with retries; every non-success answer becomes an `ArmError`.
    pub(super) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, ArmError> {
        self.send_as(method, url, body, Priority::Start).await
    }

    /// `send`, queued for a permit with `priority` (retries always continue).
    pub(super) async fn send_as(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        priority: Priority,
    ) -> Result<Reply, ArmError> {
        let resource = resource_of(&url);
        self.check_origin(&url)?;
        if self.inner.options.read_only && method != Method::GET {
            return Err(ArmError::ReadOnly {
                method: method.to_string(),
                resource,
            });
        }
        // A 429 means ARM did not act on the request, so it is safe to send again whatever the
        // method; errors and lost connections only for methods ARM defines as idempotent.
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        let retry = &self.inner.options.retry;
        let subscription = super::ResourceId::new(url.path())
            .subscription()
            .map(str::to_ascii_lowercase);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(sub) = &subscription {
                self.wait_for_pause(sub).await;
            }
            // A credential failure is final: azure_identity has already retried what it can.
            // But a wrong endpoint often shows first as a token refused for its scope: say
            // what is really wrong when the endpoint itself cannot be reached.
            let token = match self.inner.tokens.token(&self.inner.scope).await {
                Ok(token) => token,
                Err(auth) => return Err(self.unreachable_endpoint().await.unwrap_or(auth)),
            };
            let priority = if attempt > 1 {
                Priority::Continue
            } else {
                priority.clone()
            };
            let outcome = self.attempt(&method, &url, body, token, priority).await;
            let wait = match &outcome {
                Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                    self.inner.log.throttled.fetch_add(1, Ordering::Relaxed);
                    let wait = retry_after(retry, &reply.headers)
                        .unwrap_or_else(|| retry.backoff(attempt));
                    if let Some(sub) = &subscription {
                        self.pause(sub, wait);
                    }
                    Some(wait)
                }
                Ok(reply) if reply.status.is_server_error() && idempotent => Some(
                    retry_after(retry, &reply.headers).unwrap_or_else(|| retry.backoff(attempt)),
                ),
                Ok(_) => None,
                Err(_) if idempotent => Some(retry.backoff(attempt)),
                Err(_) => None,
            };
            match (wait, outcome) {
                (Some(wait), outcome) if attempt < retry.max_attempts => {
                    let why = match &outcome {
                        Ok(r) => r.status.to_string(),
                        Err(e) => e.clone(),
                    };
                    tracing::debug!(%method, url = %redact(url.as_str()), attempt, ?wait, why, "retrying");
                    self.inner.log.retried.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                (_, Ok(reply)) => {
                    if let Some(sub) = &subscription {
                        self.note_rate_limit(sub, &reply.headers);
                    }
                    if reply.status.is_success() {
                        return Ok(reply);
                    }
                    return Err(api_error(&method, resource, &reply));
                }
                (_, Err(reason)) => {
                    return Err(ArmError::Transport {
                        method: method.to_string(),
                        resource,
                        reason,
                        attempts: attempt,
                    });
                }
            }
        }
    }

    /// One attempt: a permit, the request, the whole body. Transport failures come
    /// back as their (redacted) reason.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        token: String,
        priority: Priority,
    ) -> Result<Reply, String> {
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token)
            .header("x-ms-client-request-id", &client_request_id)
            .timeout(self.inner.options.retry.request_timeout);
        match body {
            Some(body) => request = request.json(body),
            // Azure's front door refuses a write without a length (411 Length Required), and
            // hyper sends none for an empty body: a POST action (`listKeys`, `stop`,
            // `endGetAccess`) says it has none.
            None if *method != Method::GET && *method != Method::DELETE => {
                request = request.header(reqwest::header::CONTENT_LENGTH, 0)
            }
            None => {}
        }
        // The wait for a permit and the exchange are a task of their own: a permit that one
        // response frees sends the next request at once, on any worker, rather than when the
        // caller is next polled (which decodes the pages as they come, ~0.2 ms for a hundred
        // images: with sixteen answers at a time, slots stood idle for milliseconds).
        let inner = self.inner.clone();
        let exchange = tokio::spawn(async move {
            let _permit = inner.permits.acquire(priority).await;
            inner.log.sent.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let result = async {
                let response = request.send().await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?.to_vec();
                Ok::<_, reqwest::Error>(Reply {
                    status,
                    headers,
                    body,
                })
            }
            .await;
            (result, started)
        });
        // A caller that stops waiting (a cancelled reading) takes the request with it.
        let (result, started) = match tokio_util::task::AbortOnDropHandle::new(exchange).await {
            Ok(done) => done,
            // A bug is not a network failure to retry: it goes on as it would have here.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(format!("the request's task ended: {e}")),
        };
        match result {
            Ok(reply) => {
                tracing::debug!(
                    %method,
                    url = %redact(url.as_str()),
                    status = reply.status.as_u16(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    request_id = header_str(&reply.headers, "x-ms-request-id"),
                    client_request_id,
                    "arm"
                );
                Ok(reply)
            }
            Err(e) => {
                let reason = redact(&transport_reason(&e));
                tracing::debug!(%method, url = %redact(url.as_str()), reason, "arm transport error");
                Err(reason)
            }
        }
    }

    async fn wait_for_pause(&self, subscription: &str) {
        let until = self
            .inner
            .pauses
            .lock()
            .ok()
            .and_then(|p| p.get(subscription).copied());
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
    }

    fn pause(&self, subscription: &str, wait: Duration) {
        if let Ok(mut pauses) = self.inner.pauses.lock() {
            let until = Instant::now() + wait;
            let entry = pauses.entry(subscription.to_string()).or_insert(until);
            if *entry < until {
                *entry = until;
            }
        }
    }

    /// Slows down before ARM throttles: when a `x-ms-ratelimit-remaining-*` header runs low,
    /// later requests to that subscription are spaced out in proportion.
    fn note_rate_limit(&self, subscription: &str, headers: &HeaderMap) {
        let remaining = headers
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("x-ms-ratelimit-remaining-"))
            .filter_map(|(_, v)| v.to_str().ok()?.trim().parse::<u64>().ok())
            .min();
        if let Some(remaining) = remaining
            && remaining < RATE_LIMIT_LOW_WATER
        {
            let wait = Duration::from_millis((RATE_LIMIT_LOW_WATER - remaining) * 50);
            tracing::debug!(
                subscription,
                remaining,
                ?wait,
                "rate limit running low; slowing down"
            );
            self.inner.log.slowed.fetch_add(1, Ordering::Relaxed);
            self.pause(subscription, wait);
        }
    }
}

fn retry_after(retry: &RetryPolicy, headers: &HeaderMap) -> Option<Duration> {
    header_str(headers, "retry-after").and_then(|v| retry.retry_after(v))
}

pub(super) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

/// The path of a URL, for messages (no query: it may hold a signature).
fn resource_of(url: &Url) -> String {
    url.path().to_string()
}

fn transport_reason(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the answer"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

fn api_error(method: &Method, resource: String, reply: &Reply) -> ArmError {
    let (code, message) = match serde_json::from_slice::<CloudError>(&reply.body) {
        Ok(envelope) => (envelope.error.code, envelope.error.message),
        Err(_) => (
            reply
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .replace(' ', ""),
            String::from_utf8_lossy(&reply.body)
                .chars()
                .take(300)
                .collect(),
        ),
    };
    ArmError::Api {
        method: method.to_string(),
        resource,
        status: reply.status.as_u16(),
        code,
        message: redact(&message),
        request_id: header_str(&reply.headers, "x-ms-request-id").map(str::to_string),
    }
}

pub(super) fn decode<T: DeserializeOwned>(resource: &str, body: &[u8]) -> Result<T, ArmError> {
    serde_json::from_slice(body).map_err(|e| ArmError::Decode {
        resource: resource.split('?').next().unwrap_or(resource).to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client for another credential keeps what the operator chose for this one.
    #[test]
    fn a_client_for_another_credential_keeps_the_options() {
        let mut options = ArmClientOptions::new(Url::parse("http://127.0.0.1:9/").unwrap());
        options.concurrency = 3;
        options.read_only = true;
        let http = ArmClient::http_client().unwrap();
        let tokens = TokenSource::fixed("http://127.0.0.1:9/.default", "t".into());
        let client = ArmClient::new(http, tokens, options);
        let other = client.signing_in_with(super::super::AuthMode::Cli).unwrap();
        assert_eq!(other.auth_mode(), Some(super::super::AuthMode::Cli));
        assert_eq!(other.options().concurrency, 3);
        assert!(other.read_only());
        assert_eq!(other.endpoint().as_str(), "http://127.0.0.1:9/");
    }
}
