//! gongkai turns published Chinese departmental budget and final-account
//! disclosures (部门预算公开 / 部门决算公开) into normalized, checked records.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`decode`] — PDF, HTML, spreadsheets and tab-separated text into one
//!    stream of [`model::Block`]s (text lines and table grids); for PDF,
//!    [`layout`] assembles glyphs and ruling lines into those blocks.
//! 2. [`recognize`] — finds each 公开 table by the patterns in `patterns/`
//!    (data, not code) and reads it row by row.
//! 3. [`normalize`] — amounts into exact yuan decimals, codes into compact
//!    form with their level and parent.
//! 4. [`narrative`] — the explanation part (情况说明) into facts, by the
//!    sentence rules in `patterns/narrative/`.
//! 5. [`check`] — consistency flags: totals, hierarchy sums, identities
//!    between tables, metadata (declared in `patterns/checks/`).
//! 6. [`extract`] — runs the stages for one document and produces a
//!    [`record::Record`]; a bad document yields a record with an error.
//! 7. [`store`] — records into a relational dataset (SQLite or PostgreSQL),
//!    idempotent by document hash, with a shared work queue; [`export`]
//!    writes it out as CSV, JSON Lines or Parquet, one line per amount.
//!
//! ```no_run
//! let patterns = gongkai::recognize::PatternSet::bundled().unwrap();
//! let record = gongkai::extract::extract_path(
//!     std::path::Path::new("samples/seed.txt"),
//!     &patterns,
//!     &gongkai::settings::Limits::default(),
//! );
//! println!("{} tables", record.tables.len());
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod crawl;
pub mod decode;
pub mod error;
pub mod export;
pub mod extract;
pub mod layout;
pub mod model;
pub mod narrative;
pub mod normalize;
pub mod recognize;
pub mod record;
pub mod settings;
pub mod store;

pub use error::{Error, ErrorKind, Result};
