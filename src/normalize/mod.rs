//! Normalization: printed amounts into exact yuan, classification codes into
//! compact form with their level and parent, names without wrap-spaces.

pub mod amount;
pub mod code;

pub use amount::{parse_amount, parse_unit, to_yuan};
pub use code::{code_level, compact_code, join_split_code, parent_code};
