//! gongkai turns published Chinese departmental budget and final-account
//! disclosures (部门预算公开 / 部门决算公开) into normalized, checked records.
//!
//! The pipeline, one module per stage; a module imports only the stages
//! after it and the foundation (`tests/layers.rs` enforces it):
//!
//! - foundation, imported by every stage and importing none:
//!   [`text`] (NFKC, squashing, SHA-256), [`patterns`] (every pattern file,
//!   compiled, one part per stage), [`model`] (blocks and glyphs),
//!   [`record`] (the output types), [`error`], [`settings`].
//! 1. [`crawl`] — portals to stored documents, handed over to whoever
//!    extracts them.
//! 2. [`decode`] — PDF, HTML, spreadsheets and tab-separated text into one
//!    stream of [`model::Block`]s (text lines and table grids); for PDF,
//! 3. [`layout`] assembles glyphs and ruling lines into those blocks.
//! 4. [`recognize`] — finds each 公开 table by its patterns and reads it row
//!    by row; [`narrative`] reads the explanation part (情况说明) into facts.
//! 5. [`normalize`] — amounts into exact yuan decimals, codes into compact
//!    form with their level and parent.
//! 6. [`check`] — consistency flags: totals, hierarchy sums, identities
//!    between tables, metadata.
//! 7. [`store`] — records into a relational dataset (SQLite or PostgreSQL),
//!    idempotent by document hash, with a shared work queue; [`export`]
//!    writes it out as CSV, JSON Lines or Parquet, one line per amount.
//!
//! At the top, [`Extractor`] runs the stages for one document and yields a
//! [`record::Record`] (a bad document yields a record with an error), and
//! [`Batch`] runs it over many documents in parallel, in order.
//!
//! ```
//! let extractor = gongkai::Extractor::bundled().unwrap();
//! let record = extractor.extract_path(std::path::Path::new("samples/seed_changzhi_2022_final.txt"));
//! assert_eq!((record.tables.len(), record.error), (10, None));
//! ```
#![deny(missing_docs)]

pub mod check;
#[cfg(feature = "crawl")]
pub mod crawl;
pub mod decode;
pub mod error;
#[cfg(feature = "store")]
pub mod export;
pub mod extractor;
pub mod layout;
pub mod model;
pub mod narrative;
pub mod normalize;
pub mod patterns;
pub mod recognize;
pub mod record;
pub mod report;
pub mod settings;
#[cfg(feature = "store")]
pub mod store;
pub mod text;

pub use error::{Error, ErrorKind, Result};
pub use extractor::{Batch, Document, Extractor};
pub use patterns::Patterns;
