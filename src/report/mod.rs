
pub mod lint;
