//! Long-running operations: `Azure-AsyncOperation` first, else `Location`. A begun operation
//! is a plain value (`PendingOperation`) that a journal can keep, so that `wait` can follow it
//! in this process or in the next one.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

use super::ArmError;
use super::client::{ArmClient, Reply, decode, header_str};
use super::wire::OperationResult;

/// An operation ARM accepted and is still running: where to poll it. Holds no secret (ARM's
/// monitor URLs carry none), so it may be written to a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperation {
    /// The resource the operation acts on (for messages, and to read the result of a PUT).
    pub resource: String,
    /// The URL to poll, exactly as ARM gave it.
    pub monitor: String,
    /// Whether `monitor` is an `Azure-AsyncOperation` status resource (else a `Location`).
    pub by_status: bool,
    /// `Retry-After` of the answer that started it, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `retry-after-ms` of that answer, when it sent one (finer than whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// For an action (POST) followed through `Azure-AsyncOperation`: the `Location` its result
    /// is read from once it succeeded, as ARM's guidelines have it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_at: Option<String>,
}

/// What a write did: finished at once (with the answer's body), or started an operation.
#[derive(Debug)]
pub enum Begun {
    Done(Vec<u8>),
    Pending(PendingOperation),
}

/// One look at a running operation.
#[derive(Debug)]
pub enum Poll {
    /// Still running; ARM's `Retry-After`, if it sent one (at least the configured floor).
    Running(Option<Duration>),
    /// Finished; for `Location` monitors, the final body ARM sent (empty when none).
    Succeeded(Vec<u8>),
}

/// The writes that may start an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Put,
    Post,
    Delete,
}

/// The code and words of an operation's error: a deployment's failure wraps the cause in
/// `details` (`DeploymentFailed` → `OperationNotAllowed` with the quota's words), and the cause
/// is what a person needs, so the first innermost detail's code is the error's, and the message
/// says every cause after the wrapper's own words.
fn innermost(error: &crate::arm::wire::CloudErrorBody) -> (String, String) {
    fn leaves<'e>(
        e: &'e crate::arm::wire::CloudErrorBody,
        out: &mut Vec<&'e crate::arm::wire::CloudErrorBody>,
    ) {
        if e.details.is_empty() {
            out.push(e);
        } else {
            e.details.iter().for_each(|d| leaves(d, out));
        }
    }
    let mut causes = Vec::new();
    leaves(error, &mut causes);
    match causes.as_slice() {
        [only] if std::ptr::eq(*only, error) => (error.code.clone(), error.message.clone()),
        _ => {
            let said: Vec<String> = causes
                .iter()
                .map(|c| format!("{}: {}", c.code, c.message))
                .collect();
            let code = causes
                .first()
                .map_or(error.code.clone(), |c| c.code.clone());
            (code, format!("{} ({})", error.message, said.join("; ")))
        }
    }
}

impl ArmClient {
    /// Sends a write and returns at once: `Done` if ARM finished it, else the operation to
    /// follow with `wait` (or `poll`).
    pub async fn begin<B: Serialize>(
        &self,
        write: Write,
        path: &str,
        api_version: &str,
        body: Option<&B>,
    ) -> Result<Begun, ArmError> {
        let url = self.url(path, api_version)?;
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| ArmError::Usage(e.to_string()))?;
        let method = match write {
            Write::Put => Method::PUT,
            Write::Post => Method::POST,
            Write::Delete => Method::DELETE,
        };
        let reply = self.send(method, url, body.as_ref()).await?;
        match pending(path, &reply, write == Write::Post)? {
            Some(op) => Ok(Begun::Pending(op)),
            None => Ok(Begun::Done(reply.body)),
        }
    }

    /// Follows `op` to its end: the final body for `Location` monitors that send one, else
    /// empty. Fails with the operation's own error code and message.
    pub async fn wait(&self, op: &PendingOperation) -> Result<Vec<u8>, ArmError> {
        let started = Instant::now();
        let mut wait = self.first_wait(op);
        let mut polls = 0u32;
        loop {
            polls += 1;
            if started.elapsed() > self.options().operation_timeout {
                return Err(ArmError::OperationFailed {
                    resource: op.resource.clone(),
                    status: "TimedOut".into(),
                    code: "OperationTimedOut".into(),
                    message: format!("still running after {:?}", self.options().operation_timeout),
                });
            }
            tokio::time::sleep(wait).await;
            match self.poll(op).await? {
                Poll::Succeeded(body) => return Ok(body),
                Poll::Running(hint) => wait = hint.unwrap_or_else(|| self.backoff(polls)),
            }
        }
    }

    /// How long to wait before the first poll of `op`.
    pub fn first_wait(&self, op: &PendingOperation) -> Duration {
        let floor = self.options().min_poll_interval;
        op.retry_after_ms
            .map(Duration::from_millis)
            .or(op.retry_after.map(Duration::from_secs))
            .map(|d| d.max(floor))
            .unwrap_or(floor * 2)
    }

    /// Looks at `op` once. A failed or cancelled operation is an error.
    pub async fn poll(&self, op: &PendingOperation) -> Result<Poll, ArmError> {
        let url = Url::parse(&op.monitor).map_err(|e| ArmError::Decode {
            resource: op.resource.clone(),
            reason: format!("operation URL is not a URL: {e}"),
        })?;
        // A poll continues an operation under way: it goes before new work.
        let reply = self
            .send_as(Method::GET, url, None, super::permits::Priority::Continue)
            .await?;
        // A `Location` monitor may also carry a status body; a failure there is a failure.
        let status: Option<OperationResult> = if op.by_status {
            Some(decode(&op.resource, &reply.body)?)
        } else {
            serde_json::from_slice(&reply.body).ok()
        };
        if let Some(result) = status {
            match result.status.to_ascii_lowercase().as_str() {
                "succeeded" => {
                    let Some(at) = op.result_at.as_deref().filter(|_| op.by_status) else {
                        return Ok(Poll::Succeeded(Vec::new()));
                    };
                    let url = Url::parse(at).map_err(|e| ArmError::Decode {
                        resource: op.resource.clone(),
                        reason: format!("the result URL is not a URL: {e}"),
                    })?;
                    let result = self
                        .send_as(Method::GET, url, None, super::permits::Priority::Continue)
                        .await?;
                    return Ok(Poll::Succeeded(result.body));
                }
                "failed" | "canceled" | "cancelled" => {
                    let (code, message) = innermost(&result.error.unwrap_or_default());
                    // An operation's words may quote what it was sent (a password in a
                    // deployment's parameters, a SAS in a copy's source).
                    return Err(ArmError::OperationFailed {
                        resource: op.resource.clone(),
                        status: result.status,
                        code,
                        message: super::redact::redact(&message),
                    });
                }
                _ => {}
            }
        }
        if !op.by_status && reply.status != StatusCode::ACCEPTED {
            return Ok(Poll::Succeeded(reply.body));
        }
        Ok(Poll::Running(self.poll_hint(&reply.headers)))
    }

    /// Follows the operation an answer started, if it started one. Returns `None` when the
    /// answer was already final, else the body of the last poll.
    pub(super) async fn follow_operation(
        &self,
        resource: &str,
        first: &Reply,
    ) -> Result<Option<Vec<u8>>, ArmError> {
        match pending(resource, first, false)? {
            Some(op) => self.wait(&op).await.map(Some),
            None => Ok(None),
        }
    }

    /// How long an answer asks to wait before the next look: `retry-after-ms` (or
    /// `x-ms-retry-after-ms`) when sent, else `Retry-After`; at least the configured floor.
    fn poll_hint(&self, headers: &reqwest::header::HeaderMap) -> Option<Duration> {
        let options = self.options();
        let ms = ["retry-after-ms", "x-ms-retry-after-ms"]
            .iter()
            .find_map(|h| header_str(headers, h)?.trim().parse::<u64>().ok())
            .map(|ms| Duration::from_millis(ms).min(options.retry.max_delay));
        ms.or_else(|| header_str(headers, "retry-after").and_then(|v| options.retry.retry_after(v)))
            .map(|d| d.max(options.min_poll_interval))
    }

    /// The wait after the `polls`th look at something that gave no `Retry-After`: doubling
    /// from the configured floor, at most 10 s.
    pub fn backoff(&self, polls: u32) -> Duration {
        (self.options().min_poll_interval * 2u32.pow(polls.min(6))).min(Duration::from_secs(10))
    }
}

/// The operation an answer started, if it started one. For an `action`, the `Location` is
/// kept as where its result is read.
fn pending(
    resource: &str,
    first: &Reply,
    action: bool,
) -> Result<Option<PendingOperation>, ArmError> {
    if !matches!(first.status, StatusCode::CREATED | StatusCode::ACCEPTED) {
        return Ok(None);
    }
    let async_op = header_str(&first.headers, "azure-asyncoperation");
    let location = header_str(&first.headers, "location");
    let (monitor, by_status) = match (async_op, location) {
        (Some(u), _) => (u, true),
        (None, Some(u)) => (u, false),
        // 201 without a monitor: the resource is already there.
        (None, None) => return Ok(None),
    };
    Url::parse(monitor).map_err(|e| ArmError::Decode {
        resource: resource.into(),
        reason: format!("operation URL is not a URL: {e}"),
    })?;
    Ok(Some(PendingOperation {
        resource: resource.into(),
        monitor: monitor.into(),
        by_status,
        retry_after: header_str(&first.headers, "retry-after").and_then(|v| v.trim().parse().ok()),
        retry_after_ms: header_str(&first.headers, "retry-after-ms")
            .or(header_str(&first.headers, "x-ms-retry-after-ms"))
            .and_then(|v| v.trim().parse().ok()),
        result_at: location.filter(|_| action && by_status).map(str::to_string),
    }))
}

#[cfg(test)]
mod tests {
    use super::innermost;
    use crate::arm::wire::CloudErrorBody;

    fn body(code: &str, message: &str, details: Vec<CloudErrorBody>) -> CloudErrorBody {
        CloudErrorBody {
            code: code.into(),
            message: message.into(),
            target: None,
            details,
        }
    }

    #[test]
    fn an_operations_error_is_its_cause_with_the_wrappers_words() {
        let plain = body("SkuNotAvailable", "not here", vec![]);
        assert_eq!(
            innermost(&plain),
            ("SkuNotAvailable".into(), "not here".into())
        );
        let wrapped = body(
            "DeploymentFailed",
            "At least one resource deployment operation failed.",
            vec![body(
                "ResourceDeploymentFailure",
                "wrapped",
                vec![body("OperationNotAllowed", "quota", vec![])],
            )],
        );
        assert_eq!(
            innermost(&wrapped),
            (
                "OperationNotAllowed".into(),
                "At least one resource deployment operation failed. (OperationNotAllowed: quota)"
                    .into()
            )
        );
    }
}
