//! Small pieces the views share.

pub mod popup;
pub mod table;
