//! The source list (`--sources FILE`): portals to crawl, each with its start
//! URLs, the extra hosts it may visit, its link rules, depth limit and rate.
//!
//! ```toml
//! [[source]]
//! name = "shpt"                                  # shown in logs
//! start = ["https://www.shpt.gov.cn/zhengwu/"]   # start URLs
//! allow_hosts = ["files.shpt.gov.cn"]            # besides the start URLs' hosts
//! max_depth = 3                                  # links from a start URL
//! delay = 2.0                                    # seconds between requests to its hosts
//! follow_text = ["预算|决算|公开|三公"]           # anchor texts of pages to follow
//! follow_url = ["/zhengwu/"]                     # or URLs of pages to follow
//! document_text = ['\.pdf\s*$']                  # anchor texts of documents
//! document_url = ['/zhengwu/.+\.pdf$']           # or URLs of documents
//! pagination_text = ["下一页"]                    # next-page links (same depth)
//! pagination_url = ['index_\d+\.html$']
//! skip_url = ['/login']                          # never requested
//! ```
//!
//! Every rule is a list of regular expressions (any may match); an absent
//! rule falls back to the defaults in [`settings`](super::settings).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use url::Url;

use super::discover::Rules;
use super::frontier::normalize;
use super::settings;

/// One `[[source]]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// A name for logs.
    #[serde(default)]
    pub name: Option<String>,
    /// Start URLs.
    pub start: Vec<String>,
    /// Hosts allowed besides those of the start URLs.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Depth limit.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// Seconds between requests to this source's hosts (never below `--delay`).
    #[serde(default)]
    pub delay: Option<f64>,
    /// Anchor texts of pages to follow.
    #[serde(default)]
    pub follow_text: Option<Vec<String>>,
    /// URLs of pages to follow.
    #[serde(default)]
    pub follow_url: Option<Vec<String>>,
    /// Anchor texts of documents.
    #[serde(default)]
    pub document_text: Option<Vec<String>>,
    /// URLs of documents.
    #[serde(default)]
    pub document_url: Option<Vec<String>>,
    /// Anchor texts of next-page links.
    #[serde(default)]
    pub pagination_text: Option<Vec<String>>,
    /// URLs of next-page links.
    #[serde(default)]
    pub pagination_url: Option<Vec<String>>,
    /// URLs never requested.
    #[serde(default)]
    pub skip_url: Vec<String>,
    /// Title of HTML pages that carry the tables inline.
    #[serde(default)]
    pub inline_title: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    source: Vec<SourceSpec>,
}

/// A source ready to crawl.
#[derive(Debug, Clone)]
pub struct Source {
    /// Name for logs.
    pub name: String,
    /// Normalized start URLs.
    pub start: Vec<Url>,
    /// Hosts its links may go to (lowercase, without port): what
    /// politeness is kept per.
    pub hosts: BTreeSet<String>,
    /// Origins its links may go to: host and port (`None`, the scheme's
    /// default). http and https count as one at their default ports (portals
    /// link both ways); another port of the same host is another site.
    pub origins: BTreeSet<(String, Option<u16>)>,
    /// Link rules.
    pub rules: Rules,
    /// Depth limit.
    pub max_depth: u32,
    /// Delay for its hosts, when set.
    pub delay: Option<Duration>,
}

impl Source {
    /// Whether `url` stays within this source's origins.
    pub fn in_scope(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https")
            && url
                .host_str()
                .is_some_and(|h| self.origins.contains(&(h.to_ascii_lowercase(), url.port())))
    }
}

/// Reads and validates a source file; errors name the file and the source.
pub fn load(path: &Path, default_depth: u32) -> Result<Vec<Source>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: SourceFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    file.source
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            compile(spec, default_depth).map_err(|e| {
                format!(
                    "{}: source {} ({}): {e}",
                    path.display(),
                    i + 1,
                    spec.name.as_deref().unwrap_or("unnamed")
                )
            })
        })
        .collect()
}

fn regexes(list: &Option<Vec<String>>, default: &[&str], what: &str) -> Result<Vec<Regex>, String> {
    let owned: Vec<String>;
    let src: &[String] = match list {
        Some(l) => l,
        None => {
            owned = default.iter().map(|s| s.to_string()).collect();
            &owned
        }
    };
    src.iter()
        .map(|p| Regex::new(p).map_err(|e| format!("{what}: {e}")))
        .collect()
}

/// Compiles one source spec.
pub fn compile(spec: &SourceSpec, default_depth: u32) -> Result<Source, String> {
    if spec.start.is_empty() {
        return Err("no start URLs".into());
    }
    let mut start = Vec::new();
    let mut hosts = BTreeSet::new();
    let mut origins = BTreeSet::new();
    for s in &spec.start {
        let u = normalize(None, s).ok_or_else(|| format!("{s:?} is not an http(s) URL"))?;
        let host = u.host_str().unwrap_or("").to_ascii_lowercase();
        origins.insert((host.clone(), u.port()));
        hosts.insert(host);
        start.push(u);
    }
    for h in &spec.allow_hosts {
        // HOST or HOST:PORT.
        let h = h.trim().to_ascii_lowercase();
        let u = Url::parse(&format!("http://{h}/"))
            .ok()
            .filter(|u| u.host_str().is_some())
            .ok_or_else(|| format!("allow_hosts: {h:?} is not a host or host:port"))?;
        let host = u.host_str().unwrap_or("").to_string();
        origins.insert((host.clone(), u.port()));
        hosts.insert(host);
    }
    let doc_ext = format!(r"(?i)\.({})$", settings::DOCUMENT_EXTENSIONS.join("|"));
    let doc_text = format!(r"(?i)\.({})\s*$", settings::DOCUMENT_EXTENSIONS.join("|"));
    let delay = match spec.delay {
        Some(d) if !(d.is_finite() && d >= 0.0) => {
            return Err(format!("delay {d} is not a number of seconds"))
        }
        Some(d) => Some(Duration::from_secs_f64(d)),
        None => None,
    };
    let rules = Rules {
        follow_text: regexes(&spec.follow_text, &[settings::FOLLOW_TEXT], "follow_text")?,
        follow_url: regexes(&spec.follow_url, &[], "follow_url")?,
        document_text: regexes(&spec.document_text, &[&doc_text], "document_text")?,
        document_url: regexes(&spec.document_url, &[&doc_ext], "document_url")?,
        pagination_text: regexes(
            &spec.pagination_text,
            &[settings::PAGINATION_TEXT],
            "pagination_text",
        )?,
        pagination_url: regexes(&spec.pagination_url, &[], "pagination_url")?,
        skip_url: regexes(&Some(spec.skip_url.clone()), &[], "skip_url")?,
        inline_title: Regex::new(
            spec.inline_title
                .as_deref()
                .unwrap_or(settings::INLINE_TITLE),
        )
        .map_err(|e| format!("inline_title: {e}"))?,
    };
    Ok(Source {
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| start[0].host_str().unwrap_or("").to_string()),
        start,
        hosts,
        origins,
        rules,
        max_depth: spec.max_depth.unwrap_or(default_depth),
        delay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_source_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns/sources");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let sources = load(&path, 4).unwrap_or_else(|e| panic!("{e}"));
                assert!(!sources.is_empty(), "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 3, "expected example source files in {}", dir.display());
    }

    #[test]
    fn errors_name_the_source_and_key() {
        let spec = SourceSpec {
            name: Some("bad".into()),
            start: vec!["http://x.cn/".into()],
            follow_url: Some(vec!["(".into()]),
            ..Default::default()
        };
        let e = compile(&spec, 4).unwrap_err();
        assert!(e.starts_with("follow_url"), "{e}");
        let spec = SourceSpec {
            start: vec!["ftp://x.cn/".into()],
            ..Default::default()
        };
        assert!(compile(&spec, 4).is_err());
    }

    #[test]
    fn scope_is_start_hosts_plus_allowed() {
        let spec = SourceSpec {
            start: vec!["http://WWW.a.gov.cn/x".into()],
            allow_hosts: vec!["files.a.gov.cn".into(), "FILES.a.gov.cn:8443".into()],
            ..Default::default()
        };
        let s = compile(&spec, 4).unwrap();
        assert!(s.in_scope(&Url::parse("https://www.a.gov.cn/y").unwrap()));
        assert!(s.in_scope(&Url::parse("http://www.a.gov.cn:80/y").unwrap()));
        // Another port of the same host is another origin.
        assert!(!s.in_scope(&Url::parse("https://www.a.gov.cn:8080/y").unwrap()));
        assert!(!s.in_scope(&Url::parse("http://127.0.0.1:9/").unwrap()));
        assert!(s.in_scope(&Url::parse("http://files.a.gov.cn/y.pdf").unwrap()));
        assert!(s.in_scope(&Url::parse("https://files.a.gov.cn:8443/y.pdf").unwrap()));
        assert!(!s.in_scope(&Url::parse("http://files.a.gov.cn:8080/y.pdf").unwrap()));
        assert!(!s.in_scope(&Url::parse("http://example.invalid/").unwrap()));
        let bad = SourceSpec {
            start: vec!["http://x.cn/".into()],
            allow_hosts: vec!["a b".into()],
            ..Default::default()
        };
        assert!(compile(&bad, 4).is_err());
    }
}
