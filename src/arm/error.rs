use thiserror::Error;

/// Everything that can go wrong talking to ARM, with what a person needs to act on it.
#[derive(Debug, Error, Clone)]
pub enum ArmError {
    /// ARM answered with an error envelope (or at least an error status).
    // The cause first: a line cut off by a narrow screen still says what went wrong.
    #[error("{code} (HTTP {status}): {message} [{method} {resource}{}]", request_id_suffix(.request_id))]
    Api {
        method: String,
        resource: String,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The request never got an answer (connection refused or reset, timeout), after all retries.
    #[error("{reason} (after {}) [{method} {resource}]", crate::human::count(*.attempts as usize, "attempt"))]
    Transport {
        method: String,
        resource: String,
        reason: String,
        attempts: u32,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("operation {status}: {code}: {message} [{resource}]")]
    OperationFailed {
        resource: String,
        status: String,
        code: String,
        message: String,
    },
    /// The answer was not what the API promises.
    #[error("unexpected response: {reason} [{resource}]")]
    Decode { resource: String, reason: String },
    /// No token could be had.
    #[error("authentication failed ({mode}): {reason}")]
    Auth { mode: String, reason: String },
    /// Read-only mode refused a change before it was sent.
    #[error("read-only mode: refused {method} {resource} (nothing was sent to Azure)")]
    ReadOnly { method: String, resource: String },
    /// A storage call failed (the blob is named without its SAS).
    #[error("storage {op} failed: {}{message} [{blob}]", storage_status(.status, .code))]
    Storage {
        op: String,
        blob: String,
        status: Option<u16>,
        code: String,
        message: String,
    },
    /// Bad input to the client itself (an id or URL that cannot be used).
    #[error("{0}")]
    Usage(String),
}

fn storage_status(status: &Option<u16>, code: &str) -> String {
    match (status, code.is_empty()) {
        (Some(s), false) => format!("{code} (HTTP {s}): "),
        (Some(s), true) => format!("HTTP {s}: "),
        (None, _) => String::new(),
    }
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default()
}

impl ArmError {
    /// The HTTP status, when ARM answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Api { status, .. } => Some(*status),
            ArmError::Storage { status, .. } => *status,
            _ => None,
        }
    }

    /// The ARM error code (`AuthorizationFailed`, `ResourceNotFound`, ...), when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Api { code, .. } | ArmError::OperationFailed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// A short reason for tables: the code, or the first words of the error.
    pub fn short_reason(&self) -> String {
        match self {
            ArmError::Api { status, code, .. } => format!("{status} {code}"),
            ArmError::Transport { reason, .. } => reason.clone(),
            ArmError::ReadOnly { .. } => "read-only".into(),
            other => other.to_string(),
        }
    }
}
