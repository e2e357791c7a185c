//! The frontier: URL normalization, the per-host queues of work, and the
//! delayed (retry) queue. The seen-set and the queue are persisted by the
//! crawl [`state`](super::state) (table `frontier`) so that a killed crawl
//! resumes; this module keeps the in-memory mirror the engine schedules from.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::Instant;

use url::Url;

/// Normalizes `href` (resolved against `base`) for the seen-check: scheme and
/// host lowercased, default port dropped, `..` and `.` resolved, fragment
/// dropped, query parameters sorted (kept byte for byte otherwise), an empty
/// query removed. Only http(s) URLs are kept.
pub fn normalize(base: Option<&Url>, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    url.host_str()?;
    url.set_fragment(None);
    if let Some(q) = url.query() {
        let mut parts: Vec<&str> = q.split('&').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            url.set_query(None);
        } else {
            parts.sort_unstable();
            let joined = parts.join("&");
            url.set_query(Some(&joined));
        }
    }
    // `url` already lowercases the scheme and host, drops default ports and
    // resolves dot segments while parsing.
    Some(url)
}

/// The per-host key of a URL: its host name (one politeness slot per host,
/// whatever the scheme or port).
pub fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or("").to_ascii_lowercase()
}

/// What a link is expected to be, before its content is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// A start URL.
    Start,
    /// A page to search for links.
    Page,
    /// A next-page link of a list.
    Pagination,
    /// A document (attachment) link.
    Document,
}

impl Hint {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Hint::Start => "start",
            Hint::Page => "page",
            Hint::Pagination => "pagination",
            Hint::Document => "document",
        }
    }

    /// Parses [`Hint::as_str`].
    pub fn parse(s: &str) -> Hint {
        match s {
            "start" => Hint::Start,
            "pagination" => Hint::Pagination,
            "document" => Hint::Document,
            _ => Hint::Page,
        }
    }
}

/// One unit of work: a normalized URL and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The normalized URL (the seen-set key).
    pub url: Url,
    /// Links followed from a start URL.
    pub depth: u32,
    /// Pagination hops followed to reach it.
    pub pages: u32,
    /// Index of the source (start URLs or a `[[source]]`) it belongs to.
    pub source: usize,
    /// What the link looked like.
    pub hint: Hint,
    /// The link text (a hint of the file type when the URL has none).
    pub anchor: String,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// In-memory queues: one FIFO per host, scheduled round-robin, plus retries
/// waiting for their time.
#[derive(Debug, Default)]
pub struct Frontier {
    queues: BTreeMap<String, VecDeque<Item>>,
    delayed: Vec<(Instant, Item)>,
    cursor: usize,
}

impl Frontier {
    /// Queues an item (already seen-checked by the store).
    pub fn push(&mut self, item: Item) {
        self.queues
            .entry(host_key(&item.url))
            .or_default()
            .push_back(item);
    }

    /// Queues an item to be taken again at `at`.
    pub fn push_delayed(&mut self, at: Instant, item: Item) {
        self.delayed.push((at, item));
    }

    /// Moves due retries to their host queue (at the front: they were first).
    pub fn release_due(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.delayed.len() {
            if self.delayed[i].0 <= now {
                let (_, item) = self.delayed.swap_remove(i);
                self.queues
                    .entry(host_key(&item.url))
                    .or_default()
                    .push_front(item);
            } else {
                i += 1;
            }
        }
    }

    /// When the next delayed item becomes due.
    pub fn next_due(&self) -> Option<Instant> {
        self.delayed.iter().map(|(t, _)| *t).min()
    }

    /// Takes the next item of a host not in `busy`, rotating over hosts.
    pub fn pop(&mut self, busy: &HashSet<String>) -> Option<Item> {
        let hosts: Vec<String> = self
            .queues
            .iter()
            .filter(|(h, q)| !q.is_empty() && !busy.contains(*h))
            .map(|(h, _)| h.clone())
            .collect();
        if hosts.is_empty() {
            return None;
        }
        self.cursor = (self.cursor + 1) % hosts.len();
        let item = self.queues.get_mut(&hosts[self.cursor])?.pop_front();
        self.queues.retain(|_, q| !q.is_empty());
        item
    }

    /// Items waiting, now or later.
    pub fn len(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum::<usize>() + self.delayed.len()
    }

    /// Nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(None, s)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn normalizes_for_the_seen_check() {
        assert_eq!(
            n("HTTP://WWW.Example.GOV.cn:80/a/./b/../c.pdf#p=2"),
            "http://www.example.gov.cn/a/c.pdf"
        );
        assert_eq!(n("https://x.cn:443/?b=2&a=1"), "https://x.cn/?a=1&b=2");
        assert_eq!(n("https://x.cn:8443/p?"), "https://x.cn:8443/p");
        assert_eq!(n("ftp://x.cn/a"), "");
        assert_eq!(n("javascript:void(0)"), "");
        assert_eq!(n("mailto:a@b.cn"), "");
        let base = Url::parse("http://xxgk.swu.edu.cn/info/1118/4587.htm").unwrap();
        assert_eq!(
            normalize(Some(&base), "../../xxgksx.htm").unwrap().as_str(),
            "http://xxgk.swu.edu.cn/xxgksx.htm"
        );
        assert_eq!(
            normalize(
                Some(&base),
                "/system/_content/download.jsp?wbfileid=12148152&urltype=news.DownloadAttachUrl&owner=1747819574"
            )
            .unwrap()
            .as_str(),
            "http://xxgk.swu.edu.cn/system/_content/download.jsp?owner=1747819574&urltype=news.DownloadAttachUrl&wbfileid=12148152"
        );
    }

    #[test]
    fn only_http_and_dot_segments_resolved_within_the_host() {
        let base = Url::parse("http://x.cn/a/b/list.html").unwrap();
        let j = |h: &str| normalize(Some(&base), h).map(|u| u.to_string());
        // Dot segments, literal or percent-encoded, never climb above the root.
        assert_eq!(
            j("../../../../etc/passwd").as_deref(),
            Some("http://x.cn/etc/passwd")
        );
        assert_eq!(
            j("/a/%2e%2e/%2E%2E/%2e%2e/etc/passwd").as_deref(),
            Some("http://x.cn/etc/passwd")
        );
        assert_eq!(j(".%2e/.%2E/x.pdf").as_deref(), Some("http://x.cn/x.pdf"));
        // An encoded slash stays inside one segment.
        assert_eq!(
            j("/d/..%2f..%2fx.pdf").as_deref(),
            Some("http://x.cn/d/..%2f..%2fx.pdf")
        );
        for bad in [
            "file:///etc/passwd",
            "FILE://localhost/etc/passwd",
            "javascript:alert(1)",
            " JavaScript:location='http://x.cn/a.pdf'",
            "data:application/pdf;base64,JVBERi0=",
            "ftp://x.cn/budget.pdf",
            "mailto:a@x.cn",
            "http://",
            "//",
        ] {
            assert_eq!(j(bad), None, "{bad}");
        }
        // Scheme-relative links keep the page's scheme.
        assert_eq!(j("//y.cn/a.pdf").as_deref(), Some("http://y.cn/a.pdf"));
    }

    #[test]
    fn non_ascii_paths_are_percent_encoded_once() {
        let a = n("http://x.cn/公开/预算.pdf");
        let b = n("http://x.cn/%E5%85%AC%E5%BC%80/%E9%A2%84%E7%AE%97.pdf");
        assert_eq!(a, b);
    }

    #[test]
    fn round_robin_skips_busy_hosts() {
        let mut f = Frontier::default();
        for u in ["http://a.cn/1", "http://a.cn/2", "http://b.cn/1"] {
            f.push(Item {
                url: Url::parse(u).unwrap(),
                depth: 0,
                pages: 0,
                source: 0,
                hint: Hint::Page,
                anchor: String::new(),
                attempts: 0,
            });
        }
        let mut busy = HashSet::new();
        busy.insert("a.cn".to_string());
        assert_eq!(f.pop(&busy).unwrap().url.as_str(), "http://b.cn/1");
        assert!(f.pop(&busy).is_none());
        busy.clear();
        assert_eq!(f.pop(&busy).unwrap().url.as_str(), "http://a.cn/1");
        assert_eq!(f.len(), 1);
    }
}
