//! Azure Storage, beside the ARM client: SAS signing with an account key, and the blob calls
//! a build makes (through the official `azure_storage_blob` client).

pub mod blob;
pub mod entra;
pub mod sas;

pub use blob::{BlobAccount, BlobEntry, CopyState, CopyStatus, SasUrl};
pub use sas::{Access, SHORT_SAS};
