//! Politeness: one slot per host (one request in flight, a minimum jittered
//! delay between requests), robots.txt state per origin (with `Crawl-delay`),
//! and the backoff rules for retries.
//!
//! Rules (as in scrapy's downloader slots and robots.txt middleware):
//! - a host's slot is held for the whole request, body included, so there is
//!   never more than one request in flight per host;
//! - the next request to a host starts no sooner than `delay × [1, 1.5)` after
//!   the previous one ended, where `delay` is the largest of `--delay`, the
//!   source's `delay` and the robots.txt `Crawl-delay` (capped);
//! - robots.txt: 2xx is parsed (an unparsable file allows all), 4xx allows all,
//!   5xx, 429 and network errors make the host "unavailable for now": its URLs
//!   wait and robots.txt is fetched again, up to `ROBOTSTXT_TRIES` times, after
//!   which the host's URLs fail with `robots_unavailable`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use texting_robots::Robot;
use url::Url;

use super::frontier::host_key;
use super::settings;

/// robots.txt as known for one origin.
pub enum Robots {
    /// Not fetched yet.
    Unknown,
    /// Fetched: the rules, or `None` for "allow all".
    Known(Option<Box<Robot>>),
    /// The server failed; try again at `until`.
    Unavailable {
        /// Earliest next try.
        until: Instant,
        /// Failed fetches so far.
        tries: u32,
    },
}

/// A host's slot. Hold its lock for the whole request.
pub struct Slot {
    next_allowed: Option<Instant>,
    /// Current minimum delay between requests.
    pub delay: Duration,
    /// robots.txt per origin (`scheme://host:port`).
    pub robots: HashMap<String, Robots>,
    /// When the last request started (for tests and stats).
    pub last_start: Option<Instant>,
}

impl Slot {
    /// Waits until the host may be asked again.
    pub async fn wait_turn(&mut self) {
        if let Some(t) = self.next_allowed {
            tokio::time::sleep_until(t.into()).await;
        }
        self.last_start = Some(Instant::now());
    }

    /// Call when a request (body included) is over.
    pub fn done(&mut self) {
        self.next_allowed = Some(Instant::now() + jittered(self.delay));
    }

    /// Applies a robots.txt `Crawl-delay` (seconds), capped.
    pub fn crawl_delay(&mut self, host: &str, secs: f32) {
        if !(secs.is_finite() && secs > 0.0) {
            return;
        }
        let mut d = Duration::from_secs_f32(secs);
        if d > settings::ROBOTSTXT_MAX_CRAWL_DELAY {
            tracing::warn!(
                "{host}: robots.txt asks for Crawl-delay {secs}s; using {}s",
                settings::ROBOTSTXT_MAX_CRAWL_DELAY.as_secs()
            );
            d = settings::ROBOTSTXT_MAX_CRAWL_DELAY;
        }
        if d > self.delay {
            tracing::info!("{host}: Crawl-delay {secs}s");
            self.delay = d;
        }
    }
}

/// `delay × [1, 1 + DOWNLOAD_DELAY_JITTER)`: spread out, never shorter.
pub fn jittered(delay: Duration) -> Duration {
    if delay.is_zero() {
        return delay;
    }
    let f: f64 = rand::rng().random_range(1.0..1.0 + settings::DOWNLOAD_DELAY_JITTER);
    delay.mul_f64(f)
}

/// Exponential backoff with jitter for the `attempt`-th retry (0-based):
/// uniformly in `[d/2, d]` where `d = base × 2^attempt`, capped at `max`.
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let d = base.saturating_mul(1u32 << attempt.min(20)).min(max);
    let f: f64 = rand::rng().random_range(0.5..=1.0);
    d.mul_f64(f)
}

/// Parses a `Retry-After` header (seconds or an HTTP date), capped.
pub fn retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let t = httpdate::parse_http_date(v).ok()?;
        t.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(d.min(settings::RETRY_AFTER_MAX))
}

/// The origin key of robots.txt.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Per-host slots, shared by all fetch tasks.
pub struct Polite {
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    default_delay: Duration,
    host_delays: HashMap<String, Duration>,
}

impl Polite {
    /// `delay` for every host; `host_delays` raise it for some hosts.
    pub fn new(delay: Duration, host_delays: HashMap<String, Duration>) -> Polite {
        Polite {
            slots: Mutex::new(HashMap::new()),
            default_delay: delay,
            host_delays,
        }
    }

    /// The current delay of `url`'s host (`Crawl-delay` included), jittered:
    /// how long the host rests after a request.
    pub async fn rest(&self, url: &Url) -> Duration {
        let delay = self.slot(url).lock().await.delay;
        jittered(delay)
    }

    /// The slot of `url`'s host.
    pub fn slot(&self, url: &Url) -> Arc<tokio::sync::Mutex<Slot>> {
        let host = host_key(url);
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots
            .entry(host.clone())
            .or_insert_with(|| {
                let delay = self
                    .host_delays
                    .get(&host)
                    .copied()
                    .unwrap_or(self.default_delay)
                    .max(self.default_delay);
                Arc::new(tokio::sync::Mutex::new(Slot {
                    next_allowed: None,
                    delay,
                    robots: HashMap::new(),
                    last_start: None,
                }))
            })
            .clone()
    }
}

/// Parses a fetched robots.txt; an unparsable file allows everything.
pub fn parse_robots(body: &[u8]) -> Option<Box<Robot>> {
    match Robot::new(settings::ROBOTSTXT_AGENT, body) {
        Ok(r) => Some(Box::new(r)),
        Err(e) => {
            tracing::warn!("robots.txt could not be parsed ({e}); allowing all");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_rules_and_crawl_delay() {
        let r = parse_robots(b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n").unwrap();
        assert!(!r.allowed("http://127.0.0.1:8080/private/a.pdf"));
        assert!(r.allowed("http://127.0.0.1:8080/list.html"));
        assert_eq!(r.delay, Some(0.3));
        let r =
            parse_robots(b"User-agent: gongkai\nDisallow: /\n\nUser-agent: *\nAllow: /\n").unwrap();
        assert!(!r.allowed("http://x.cn/a"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(30);
        for attempt in 0..10 {
            let d = backoff(base, max, attempt);
            let full = base.saturating_mul(1 << attempt).min(max);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn jitter_never_shortens_the_delay() {
        let d = Duration::from_millis(200);
        for _ in 0..100 {
            let j = jittered(d);
            assert!(j >= d && j < d.mul_f64(1.5));
        }
    }

    #[test]
    fn retry_after_seconds_or_date() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("999999"), Some(settings::RETRY_AFTER_MAX));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after("soon"), None);
    }

    #[tokio::test]
    async fn slots_are_per_host_and_keep_the_delay() {
        let p = Polite::new(Duration::from_millis(50), HashMap::new());
        let a = Url::parse("http://a.cn/x").unwrap();
        let a2 = Url::parse("https://A.cn:8443/y").unwrap();
        assert!(Arc::ptr_eq(&p.slot(&a), &p.slot(&a2)));
        let slot = p.slot(&a);
        let mut g = slot.lock().await;
        g.wait_turn().await;
        let t0 = g.last_start.unwrap();
        g.done();
        g.wait_turn().await;
        assert!(g.last_start.unwrap() - t0 >= Duration::from_millis(50));
    }
}
