//! The downloader: one URL to one outcome. Redirects are followed by hand
//! (bounded; every hop scope-checked, robots-checked and made through its
//! host's slot); bodies are streamed to a temp file while hashed, and aborted
//! past `--max-bytes`; connect errors, 5xx and 429 come back as
//! [`Outcome::Retry`] for the engine to reschedule with backoff.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

use super::polite::{self, origin, Polite, Robots, Slot};
use super::settings::{self, Settings};
use super::sources::Source;
use super::state::Known;

/// A body on disk, not yet classified.
#[derive(Debug)]
pub struct Body {
    /// Temp file holding it.
    pub tmp: PathBuf,
    /// Hex SHA-256.
    pub sha256: String,
    /// Size.
    pub bytes: u64,
    /// The first 4 KiB, for sniffing.
    pub head: Vec<u8>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
    /// The URL finally answered (after redirects).
    pub final_url: Url,
}

/// What came of fetching one URL.
#[derive(Debug)]
pub enum Outcome {
    /// A 2xx body.
    Body(Body),
    /// 304 to a conditional request.
    NotModified,
    /// Worth retrying later (`wait` from `Retry-After` when given).
    Retry {
        /// Why.
        reason: String,
        /// Server-requested wait.
        wait: Option<Duration>,
    },
    /// Final failure.
    Failed(String),
    /// robots.txt disallows the URL (or a redirect hop); nothing was requested.
    Disallowed(Url),
    /// robots.txt could not be fetched; try at `until`, or give up.
    RobotsUnavailable {
        /// Earliest next try.
        until: Instant,
        /// Tries exhausted.
        give_up: bool,
    },
    /// The store failed (temp file): stop the crawl.
    Fatal(String),
}

/// The result of [`Fetcher::fetch`].
#[derive(Debug)]
pub struct Fetched {
    /// What happened.
    pub outcome: Outcome,
    /// Last HTTP status seen.
    pub status: Option<u16>,
    /// HTTP requests made (robots.txt included).
    pub requests: u32,
    /// Time taken.
    pub elapsed: Duration,
}

/// Shared by all fetch tasks.
pub struct Fetcher {
    client: reqwest::Client,
    /// Per-host politeness.
    pub polite: Arc<Polite>,
    settings: Settings,
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.to_string())
}

impl Fetcher {
    /// Builds the HTTP client (rustls, no automatic redirects).
    pub fn new(settings: Settings, polite: Arc<Polite>) -> Result<Fetcher, String> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .gzip(true)
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Fetcher {
            client,
            polite,
            settings,
        })
    }

    /// Fetches `url` for `source`, conditionally when `known` has validators,
    /// streaming a 2xx body to `tmp`.
    pub async fn fetch(
        self: &Arc<Self>,
        url: &Url,
        source: &Source,
        known: Option<&Known>,
        tmp: PathBuf,
    ) -> Fetched {
        let start = Instant::now();
        let mut requests = 0;
        let mut status = None;
        let outcome = self
            .fetch_inner(url, source, known, tmp, &mut requests, &mut status)
            .await;
        Fetched {
            outcome,
            status,
            requests,
            elapsed: start.elapsed(),
        }
    }

    async fn fetch_inner(
        &self,
        url: &Url,
        source: &Source,
        known: Option<&Known>,
        tmp: PathBuf,
        requests: &mut u32,
        status: &mut Option<u16>,
    ) -> Outcome {
        let mut url = url.clone();
        let mut chain: Vec<Url> = Vec::new();
        for _hop in 0..=self.settings.max_redirects {
            if !source.in_scope(&url) {
                return Outcome::Failed(format!("redirect_off_site: {url}"));
            }
            if chain.contains(&url) {
                return Outcome::Failed(format!("redirect_loop: {url}"));
            }
            chain.push(url.clone());
            let slot = self.polite.slot(&url);
            let mut g = slot.lock().await;
            match self.robots_check(&url, &mut g, requests).await {
                RobotsVerdict::Allowed => {}
                RobotsVerdict::Disallowed => return Outcome::Disallowed(url),
                RobotsVerdict::Unavailable { until, give_up } => {
                    return Outcome::RobotsUnavailable { until, give_up };
                }
            }
            g.wait_turn().await;
            *requests += 1;
            let mut req = self.client.get(url.clone());
            if let Some(k) = known {
                if let Some(etag) = &k.etag {
                    req = req.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &k.last_modified {
                    req = req.header(header::IF_MODIFIED_SINCE, lm);
                }
            }
            tracing::debug!("GET {url}");
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    g.done();
                    return error_outcome(&e);
                }
            };
            let code = resp.status();
            *status = Some(code.as_u16());
            if code.is_redirection() && code != StatusCode::NOT_MODIFIED {
                g.done();
                let location = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let Some(location) = location else {
                    return Outcome::Failed(format!("http_{}_without_location", code.as_u16()));
                };
                // Only http(s) is followed: ftp:, file:, javascript: and
                // unparsable targets end here.
                match super::frontier::normalize(Some(&url), &location) {
                    Some(n) => {
                        url = n;
                        continue;
                    }
                    None => {
                        let shown: String = location.chars().take(200).collect();
                        return Outcome::Failed(format!("redirect_unsupported: {shown}"));
                    }
                }
            }
            if code == StatusCode::NOT_MODIFIED {
                g.done();
                return if known.is_some() {
                    Outcome::NotModified
                } else {
                    Outcome::Failed("http_304_unasked".into())
                };
            }
            if code == StatusCode::TOO_MANY_REQUESTS || code.is_server_error() {
                let wait = resp
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(polite::retry_after);
                g.done();
                return Outcome::Retry {
                    reason: format!("http_{}", code.as_u16()),
                    wait,
                };
            }
            if !code.is_success() {
                g.done();
                return Outcome::Failed(format!("http_{}", code.as_u16()));
            }
            let outcome = self.read_body(resp, &url, tmp).await;
            g.done();
            return outcome;
        }
        Outcome::Failed(format!(
            "too_many_redirects: more than {}",
            self.settings.max_redirects
        ))
    }

    async fn read_body(&self, resp: reqwest::Response, url: &Url, tmp: PathBuf) -> Outcome {
        let max = self.settings.max_bytes;
        if resp.content_length().is_some_and(|n| n > max) {
            return Outcome::Failed(format!(
                "too_large: Content-Length {} over --max-bytes {max}",
                resp.content_length().unwrap_or(0)
            ));
        }
        let headers = resp.headers().clone();
        let mut file = match tokio::fs::File::create(&tmp).await {
            Ok(f) => f,
            Err(e) => return Outcome::Fatal(format!("creating {}: {e}", tmp.display())),
        };
        let mut hasher = Sha256::new();
        let mut head = Vec::new();
        let mut n: u64 = 0;
        let mut stream = resp.bytes_stream();
        let abort = |tmp: &PathBuf, o: Outcome| {
            let _ = std::fs::remove_file(tmp);
            o
        };
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    drop(file);
                    return abort(&tmp, error_outcome(&e));
                }
            };
            n += chunk.len() as u64;
            if n > max {
                drop(file);
                return abort(
                    &tmp,
                    Outcome::Failed(format!("too_large: over --max-bytes {max}")),
                );
            }
            hasher.update(&chunk);
            if head.len() < 4096 {
                let take = (4096 - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            if let Err(e) = file.write_all(&chunk).await {
                drop(file);
                return abort(
                    &tmp,
                    Outcome::Fatal(format!("writing {}: {e}", tmp.display())),
                );
            }
        }
        if let Err(e) = file.flush().await {
            return abort(
                &tmp,
                Outcome::Fatal(format!("writing {}: {e}", tmp.display())),
            );
        }
        Outcome::Body(Body {
            tmp,
            sha256: hex::encode(hasher.finalize()),
            bytes: n,
            head,
            content_type: header_str(&headers, header::CONTENT_TYPE),
            etag: header_str(&headers, header::ETAG),
            last_modified: header_str(&headers, header::LAST_MODIFIED),
            final_url: url.clone(),
        })
    }

    /// Fetches robots.txt for the URL's origin when needed (holding the
    /// host's slot) and applies it.
    async fn robots_check(&self, url: &Url, g: &mut Slot, requests: &mut u32) -> RobotsVerdict {
        let key = origin(url);
        loop {
            let state = g.robots.entry(key.clone()).or_insert(Robots::Unknown);
            match state {
                Robots::Known(None) => return RobotsVerdict::Allowed,
                Robots::Known(Some(r)) => {
                    return if r.allowed(url.as_str()) {
                        RobotsVerdict::Allowed
                    } else {
                        RobotsVerdict::Disallowed
                    };
                }
                Robots::Unavailable { until, tries } => {
                    if *tries >= settings::ROBOTSTXT_TRIES {
                        return RobotsVerdict::Unavailable {
                            until: *until,
                            give_up: true,
                        };
                    }
                    if Instant::now() < *until {
                        return RobotsVerdict::Unavailable {
                            until: *until,
                            give_up: false,
                        };
                    }
                    let tries = *tries;
                    let new = self.fetch_robots(url, g, requests, tries).await;
                    g.robots.insert(key.clone(), new);
                }
                Robots::Unknown => {
                    let new = self.fetch_robots(url, g, requests, 0).await;
                    g.robots.insert(key.clone(), new);
                }
            }
        }
    }

    async fn fetch_robots(
        &self,
        url: &Url,
        g: &mut Slot,
        requests: &mut u32,
        tries: u32,
    ) -> Robots {
        let host = url.host_str().unwrap_or("").to_string();
        let mut robots_url = url
            .join("/robots.txt")
            .expect("an http(s) URL joins /robots.txt");
        let unavailable = |why: &str| {
            let wait =
                polite::backoff(self.settings.backoff_base, self.settings.backoff_max, tries);
            tracing::warn!("{host}: robots.txt unavailable ({why}); its URLs wait {wait:.1?}");
            Robots::Unavailable {
                until: Instant::now() + wait,
                tries: tries + 1,
            }
        };
        for _ in 0..=settings::REDIRECT_MAX_TIMES {
            g.wait_turn().await;
            *requests += 1;
            tracing::debug!("GET {robots_url}");
            let resp = self.client.get(robots_url.clone()).send().await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    g.done();
                    return unavailable(&e.to_string());
                }
            };
            let code = resp.status();
            if code.is_redirection() {
                g.done();
                // Followed on the same host only (http → https, /robots.txt → /robots.txt/).
                let next = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| robots_url.join(l).ok())
                    .filter(|n| n.host_str() == robots_url.host_str());
                match next {
                    Some(n) => {
                        robots_url = n;
                        continue;
                    }
                    None => return Robots::Known(None),
                }
            }
            if code == StatusCode::TOO_MANY_REQUESTS || code.is_server_error() {
                g.done();
                return unavailable(&format!("HTTP {}", code.as_u16()));
            }
            if code.is_client_error() {
                g.done();
                return Robots::Known(None);
            }
            let mut body = Vec::new();
            let mut stream = resp.bytes_stream();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => {
                        body.extend_from_slice(&c);
                        if body.len() as u64 > settings::ROBOTSTXT_MAX_BYTES {
                            body.truncate(settings::ROBOTSTXT_MAX_BYTES as usize);
                            break;
                        }
                    }
                    Err(e) => {
                        g.done();
                        return unavailable(&e.to_string());
                    }
                }
            }
            let robot = polite::parse_robots(&body);
            if let Some(d) = robot.as_ref().and_then(|r| r.delay) {
                g.crawl_delay(&host, d);
            }
            g.done();
            return Robots::Known(robot);
        }
        Robots::Known(None)
    }
}

enum RobotsVerdict {
    Allowed,
    Disallowed,
    Unavailable { until: Instant, give_up: bool },
}

fn error_outcome(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        Outcome::Failed("timeout".into())
    } else if e.is_connect() {
        Outcome::Retry {
            reason: format!("connect: {}", root_cause(e)),
            wait: None,
        }
    } else {
        Outcome::Retry {
            reason: format!("transfer: {}", root_cause(e)),
            wait: None,
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
