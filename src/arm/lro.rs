//! Long-running operations: `Azure-AsyncOperation` first, else `Location`.

use std::time::Instant;

use reqwest::{Method, StatusCode};
use url::Url;

use super::ArmError;
use super::client::{ArmClient, Reply, decode, header_str};
use super::wire::OperationResult;

impl ArmClient {
    /// Follows the operation an answer started, if it started one. Returns `None` when the
    /// answer was already final, else the body of the last poll (for `Location` polling, the
    /// final resource, if ARM sent one).
    pub(super) async fn follow_operation(
        &self,
        resource: &str,
        first: &Reply,
    ) -> Result<Option<Vec<u8>>, ArmError> {
        if !matches!(first.status, StatusCode::CREATED | StatusCode::ACCEPTED) {
            return Ok(None);
        }
        let async_op = header_str(&first.headers, "azure-asyncoperation");
        let location = header_str(&first.headers, "location");
        let (url, by_status) = match (async_op, location) {
            (Some(u), _) => (u, true),
            (None, Some(u)) => (u, false),
            // 201 without a monitor: the resource is already there.
            (None, None) => return Ok(None),
        };
        let url = Url::parse(url).map_err(|e| ArmError::Decode {
            resource: resource.into(),
            reason: format!("operation URL is not a URL: {e}"),
        })?;
        let started = Instant::now();
        let mut wait = self.poll_interval(first, 1);
        let mut polls = 1;
        loop {
            if started.elapsed() > self.options().operation_timeout {
                return Err(ArmError::OperationFailed {
                    resource: resource.into(),
                    status: "TimedOut".into(),
                    code: "OperationTimedOut".into(),
                    message: format!("still running after {:?}", self.options().operation_timeout),
                });
            }
            tokio::time::sleep(wait).await;
            // A poll continues an operation under way: it goes before new work.
            let reply = self
                .send_as(
                    Method::GET,
                    url.clone(),
                    None,
                    super::permits::Priority::Continue,
                )
                .await?;
            // A `Location` monitor may also carry a status body; a failure there is a failure.
            let status: Option<OperationResult> = if by_status {
                Some(decode(resource, &reply.body)?)
            } else {
                serde_json::from_slice(&reply.body).ok()
            };
            if let Some(result) = status {
                match result.status.to_ascii_lowercase().as_str() {
                    "succeeded" => return Ok(Some(Vec::new())),
                    "failed" | "canceled" | "cancelled" => {
                        let error = result.error.unwrap_or_default();
                        return Err(ArmError::OperationFailed {
                            resource: resource.into(),
                            status: result.status,
                            code: error.code,
                            message: error.message,
                        });
                    }
                    _ => {}
                }
            }
            if !by_status && reply.status != StatusCode::ACCEPTED {
                return Ok(Some(reply.body));
            }
            polls += 1;
            wait = self.poll_interval(&reply, polls);
        }
    }

    /// `Retry-After` when ARM sends it (at least the configured floor), else a backoff.
    fn poll_interval(&self, reply: &Reply, polls: u32) -> std::time::Duration {
        let options = self.options();
        match header_str(&reply.headers, "retry-after").and_then(|v| options.retry.retry_after(v)) {
            Some(d) => d.max(options.min_poll_interval),
            None => (options.min_poll_interval * 2u32.pow(polls.min(5)))
                .min(std::time::Duration::from_secs(10)),
        }
    }
}
