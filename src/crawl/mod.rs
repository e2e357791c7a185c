//! The crawler: finds disclosure documents on government portals and keeps
//! them in a content-addressed store, politely, resumably and incrementally.
//!
//! The flow, one module per part (after scrapy's architecture):
//!
//! 1. [`engine`] opens the crawl [`state`] (a [`CrawlState`]: the
//!    [`local`] SQLite file, or the [`shared`] database of `--shared`; the
//!    documents under `docs/` either way), resumes an interrupted run or
//!    starts a new one, and seeds the [`frontier`] with the start URLs of the
//!    [`sources`].
//! 2. The engine takes the next URL of a host that has nothing in flight and
//!    hands it to [`fetch`], within a global concurrency limit.
//! 3. [`fetch`] asks [`polite`] for the host's slot (robots.txt, one request in
//!    flight, the delay), requests the URL (conditionally when the document is
//!    known), follows redirects by hand within scope, and streams the body to a
//!    temp file with a size cap.
//! 4. Back in the engine, the content decides: a PDF, XLS(X) or DOC(X) (by
//!    magic bytes) is a document; an HTML page is searched for links by
//!    [`discover`] and is itself a document when it carries the tables inline.
//! 5. Documents are renamed into the store and indexed, links queued, the URL
//!    marked done — one transaction each — and an [`Event`] is printed.
//! 6. Retries (connect errors, 5xx, 429) go back to the frontier with backoff;
//!    when nothing is left the run is marked finished.
//!
//! All tunables are in [`settings`].

pub mod discover;
pub mod engine;
pub mod fetch;
pub mod frontier;
pub mod local;
pub mod polite;
pub mod settings;
pub mod shared;
pub mod sources;
pub mod state;

use serde::Serialize;

pub use engine::{run, Confirmations, Handed, Summary};
pub use settings::Settings;
pub use sources::Source;
pub use state::{CrawlState, StoreError};

/// What happened to one document in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A URL not stored before.
    New,
    /// A stored URL whose content changed.
    Changed,
    /// A stored URL whose content is the same (or 304 Not Modified).
    Unchanged,
    /// The URL could not be fetched or is not a document.
    Failed,
    /// The URL was not read, and `reason` says why (robots.txt, not HTML
    /// and not a document, an HTML page too large to read for links).
    Skipped,
}

impl EventKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Changed => "changed",
            EventKind::Unchanged => "unchanged",
            EventKind::Failed => "failed",
            EventKind::Skipped => "skipped",
        }
    }
}

/// One line of the crawl's JSON Lines output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// new, changed, unchanged or failed.
    pub event: EventKind,
    /// The normalized URL.
    pub url: String,
    /// Content hash (not for failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Path of the stored file, relative to the output directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why it failed (or `not_modified`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The text of the link it was found by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// For a new URL whose content the crawl already holds under another
    /// URL: that URL (a copy, not a new document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_url: Option<String>,
    /// When it happened (RFC 3339, UTC), the run and the source's name:
    /// set when the event is printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The crawl run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<i64>,
    /// The source (portal) it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Event {
    /// An event about `url`, nothing else said yet.
    pub fn new(event: EventKind, url: impl Into<String>) -> Event {
        Event {
            event,
            url: url.into(),
            sha256: None,
            path: None,
            reason: None,
            anchor: None,
            known_url: None,
            at: None,
            run: None,
            source: None,
        }
    }

    /// True for what a monitoring run reports (`--changes-only`): new,
    /// changed and failed documents.
    pub fn is_change(&self) -> bool {
        matches!(
            self.event,
            EventKind::New | EventKind::Changed | EventKind::Failed
        )
    }
}
