//! Every tunable of the crawler, with its named default, in one place
//! (grouped by prefix like scrapy's `default_settings.py`).

use std::time::Duration;

/// Minimum time between two requests to one host (`--delay`).
pub const DOWNLOAD_DELAY: Duration = Duration::from_secs(1);
/// The actual delay is `delay × [1, 1 + DOWNLOAD_DELAY_JITTER)`: never shorter than asked.
pub const DOWNLOAD_DELAY_JITTER: f64 = 0.5;
/// Below this `--delay` a warning is logged: government portals block bursts.
pub const DOWNLOAD_DELAY_POLITE_MIN: Duration = Duration::from_millis(500);
/// Requests in flight across all hosts (`--concurrency`); one per host at most.
pub const CONCURRENT_REQUESTS: usize = 4;
/// Time to establish a connection (`--connect-timeout`).
pub const DOWNLOAD_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Time for a whole request, body included (`--timeout`).
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest response body, after decompression (`--max-bytes`).
pub const DOWNLOAD_MAX_BYTES: u64 = 200 * 1024 * 1024;
/// Largest HTML page parsed for links; larger pages are stored only if documents.
pub const DOWNLOAD_MAX_HTML_BYTES: u64 = 16 * 1024 * 1024;

/// Redirect hops followed for one URL, each scope- and robots-checked.
pub const REDIRECT_MAX_TIMES: u32 = 5;

/// Retries of one URL after a connect error, a 5xx or a 429 (`--retries`).
pub const RETRY_TIMES: u32 = 3;
/// Retries allowed in a whole run (`--retry-budget`); past it failures are final.
pub const RETRY_BUDGET: u32 = 200;
/// First backoff; doubled per attempt, with jitter.
pub const RETRY_BACKOFF_BASE: Duration = Duration::from_secs(2);
/// Longest backoff.
pub const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(120);
/// Longest `Retry-After` honoured; longer waits are capped.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(600);

/// Link depth from a start URL (`--max-depth`); documents are fetched one past it.
pub const DEPTH_LIMIT: u32 = 4;
/// "Next page" hops followed from one list page.
pub const PAGINATION_LIMIT: u32 = 200;

/// Longest robots.txt `Crawl-delay` honoured (longer ones are capped, with a warning).
pub const ROBOTSTXT_MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);
/// robots.txt fetches that may fail with 5xx/network errors before the host is given up for the run.
pub const ROBOTSTXT_TRIES: u32 = 3;
/// Largest robots.txt read.
pub const ROBOTSTXT_MAX_BYTES: u64 = 512 * 1024;
/// The product token matched against robots.txt `User-agent` lines.
pub const ROBOTSTXT_AGENT: &str = "gongkai";

/// Contact URL in the User-Agent when `--contact` is not given.
pub const USER_AGENT_CONTACT: &str = match option_env!("CARGO_PKG_REPOSITORY") {
    Some(r) if !r.is_empty() => r,
    _ => "https://crates.io/crates/gongkai",
};

/// Default anchor-text rule for pages worth following when no source file is given.
pub const FOLLOW_TEXT: &str = "预算|决算|公开|三公|财政|信息公开|预决算";
/// Default anchor-text/URL rule for pagination links.
pub const PAGINATION_TEXT: &str = r"^\s*(下一页|下页|后页|尾页|末页|>|»|\d{1,4})\s*$";
/// File extensions taken for documents, in the URL path or the link text:
/// every format `extract` reads or names (bundles are unpacked into their
/// members' records).
pub const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "xls", "xlsx", "doc", "docx", "wps", "et", "ofd", "zip", "rar", "7z",
];
/// An HTML page is itself a document when it has a `<table>` and its title matches this.
pub const INLINE_TITLE: &str = "预算|决算|三公";

/// How long a shared crawl's claim of a URL holds without renewal (`--lease`):
/// a dead worker's URL and host are taken over after it. Renewed every third.
pub const SHARED_LEASE: Duration = Duration::from_secs(60);
/// How often a shared crawl worker with nothing due asks the frontier again.
pub const SHARED_POLL: Duration = Duration::from_millis(200);

/// A crawl sharing its frontier with other workers (`--shared`).
#[derive(Debug, Clone)]
pub struct Shared {
    /// The database (SQLite path or postgres:// URL).
    pub db: String,
    /// This worker's name, unique among live workers.
    pub worker: String,
    /// How long a claim holds without renewal.
    pub lease: Duration,
}

/// Everything the engine needs, validated once by the CLI.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Minimum delay between requests to one host.
    pub delay: Duration,
    /// Requests in flight across hosts.
    pub concurrency: usize,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest body.
    pub max_bytes: u64,
    /// Link depth limit.
    pub max_depth: u32,
    /// Redirect hops.
    pub max_redirects: u32,
    /// Retries per URL.
    pub retries: u32,
    /// Retries per run.
    pub retry_budget: u32,
    /// First backoff.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// The full User-Agent header.
    pub user_agent: String,
    /// Show progress bars (a terminal on stderr).
    pub progress: bool,
    /// Share the frontier with other workers through a database.
    pub shared: Option<Shared>,
    /// Print only the events a monitoring run acts on (new, changed,
    /// failed); the state records every event regardless.
    pub changes_only: bool,
}

/// `gongkai/<version> (+<contact>)`.
pub fn user_agent(contact: Option<&str>) -> String {
    format!(
        "gongkai/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        contact.unwrap_or(USER_AGENT_CONTACT)
    )
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            delay: DOWNLOAD_DELAY,
            concurrency: CONCURRENT_REQUESTS,
            connect_timeout: DOWNLOAD_CONNECT_TIMEOUT,
            timeout: DOWNLOAD_TIMEOUT,
            max_bytes: DOWNLOAD_MAX_BYTES,
            max_depth: DEPTH_LIMIT,
            max_redirects: REDIRECT_MAX_TIMES,
            retries: RETRY_TIMES,
            retry_budget: RETRY_BUDGET,
            backoff_base: RETRY_BACKOFF_BASE,
            backoff_max: RETRY_BACKOFF_MAX,
            user_agent: user_agent(None),
            progress: false,
            shared: None,
            changes_only: false,
        }
    }
}
