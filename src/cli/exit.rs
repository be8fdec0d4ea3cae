/// Process exit codes, as pipelines rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked.
    Ok = 0,
    /// It failed.
    Failure = 1,
    /// Bad usage or configuration.
    Usage = 2,
    /// Part of it worked; the rest is reported.
    Partial = 3,
    /// Stopped by Ctrl-C before it was done (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }
}
