//! Which links are disclosures: link extraction from an HTML page and its
//! classification by the source's rules, the HTML charset, and whether a page
//! is itself a document (tables inline).

use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

use super::frontier::{normalize, Hint};

/// A source's link rules (see [`sources`](super::sources) for the file format).
#[derive(Debug, Clone)]
pub struct Rules {
    /// Anchor texts of pages to follow.
    pub follow_text: Vec<Regex>,
    /// URLs of pages to follow.
    pub follow_url: Vec<Regex>,
    /// Anchor texts of documents.
    pub document_text: Vec<Regex>,
    /// URLs of documents.
    pub document_url: Vec<Regex>,
    /// Anchor texts of next-page links.
    pub pagination_text: Vec<Regex>,
    /// URLs of next-page links.
    pub pagination_url: Vec<Regex>,
    /// URLs never requested.
    pub skip_url: Vec<Regex>,
    /// Titles of pages that carry the tables inline.
    pub inline_title: Regex,
}

/// A link found on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Normalized target.
    pub url: Url,
    /// Link text (or `title`).
    pub text: String,
    /// Document, page or pagination.
    pub hint: Hint,
}

fn any(rs: &[Regex], s: &str) -> bool {
    rs.iter().any(|r| r.is_match(s))
}

/// Classifies one link, or `None` when it is not worth requesting.
pub fn classify(url: &Url, text: &str, rules: &Rules) -> Option<Hint> {
    let u = url.as_str();
    // Match URL rules against the decoded path so rules can be written in Chinese.
    let decoded = percent_decode(u);
    let url_match = |rs: &[Regex]| any(rs, u) || any(rs, &decoded) || any(rs, url.path());
    if url_match(&rules.skip_url) {
        return None;
    }
    if url_match(&rules.document_url) || any(&rules.document_text, text) {
        return Some(Hint::Document);
    }
    if url_match(&rules.pagination_url) || any(&rules.pagination_text, text) {
        return Some(Hint::Pagination);
    }
    if url_match(&rules.follow_url) || any(&rules.follow_text, text) {
        return Some(Hint::Page);
    }
    None
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every classified link of a page, in document order, each URL once
/// (the first classification wins, except that "document" beats "page").
pub fn links(html: &str, page_url: &Url, rules: &Rules) -> Vec<Link> {
    let doc = Html::parse_document(html);
    let base_sel = Selector::parse("base[href]").expect("static selector");
    let base = doc
        .select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| normalize(Some(page_url), h))
        .unwrap_or_else(|| page_url.clone());
    let a_sel = Selector::parse("a[href], area[href]").expect("static selector");
    let frame_sel = Selector::parse("iframe[src], frame[src]").expect("static selector");
    let mut out: Vec<Link> = Vec::new();
    let mut add = |url: Url, text: String, hint: Hint| {
        if let Some(prev) = out.iter_mut().find(|l| l.url == url) {
            if hint == Hint::Document && prev.hint != Hint::Document {
                prev.hint = Hint::Document;
                prev.text = text;
            }
        } else {
            out.push(Link { url, text, hint });
        }
    };
    for a in doc.select(&a_sel) {
        let Some(url) = a
            .value()
            .attr("href")
            .and_then(|h| normalize(Some(&base), h))
        else {
            continue;
        };
        let mut text: String = a
            .text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            text = a.value().attr("title").unwrap_or("").trim().to_string();
        }
        if let Some(hint) = classify(&url, &text, rules) {
            add(url, text, hint);
        }
    }
    for (url, text) in script_pagination(html, &base) {
        if !any(&rules.skip_url, url.as_str()) {
            add(url, text, Hint::Pagination);
        }
    }
    for f in doc.select(&frame_sel) {
        if let Some(url) = f
            .value()
            .attr("src")
            .and_then(|h| normalize(Some(&base), h))
        {
            if !any(&rules.skip_url, url.as_str()) {
                add(url, String::new(), Hint::Page);
            }
        }
    }
    out
}

/// Pages of a list paginated by script, as TRS-built portals do with
/// `createPageHTML(count, current, "index", "html")`: page 0 is `index.html`,
/// page k is `index_k.html`, next to the current page.
pub fn script_pagination(html: &str, base: &Url) -> Vec<(Url, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"createPageHTML\(\s*['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"]"#)
            .expect("static regex")
    });
    let mut out = Vec::new();
    for c in re.captures_iter(html) {
        let count: u32 = c[1].parse().unwrap_or(0);
        let (stem, ext) = (&c[3], &c[4]);
        for k in 0..count.min(super::settings::PAGINATION_LIMIT) {
            let name = if k == 0 {
                format!("{stem}.{ext}")
            } else {
                format!("{stem}_{k}.{ext}")
            };
            if let Some(u) = normalize(Some(base), &name) {
                out.push((u, format!("{}", k + 1)));
            }
        }
    }
    out
}

/// Whether an HTML page carries a disclosure inline: a `<table>` and a title
/// (or first heading) matching the source's `inline_title`.
pub fn is_inline_document(html: &str, rules: &Rules) -> bool {
    let doc = Html::parse_document(html);
    let table = Selector::parse("table").expect("static selector");
    if doc.select(&table).next().is_none() {
        return false;
    }
    let titles = Selector::parse("title, h1, h2").expect("static selector");
    doc.select(&titles)
        .take(3)
        .any(|t| rules.inline_title.is_match(&t.text().collect::<String>()))
}

/// The charset of an HTML page: the HTTP header's, else a `<meta>` tag's in
/// the first 4 KiB, else none (the caller sniffs UTF-8 / GB18030).
pub fn html_charset(header: Option<&str>, head: &[u8]) -> Option<String> {
    if let Some(cs) = header.and_then(charset_param) {
        return Some(cs);
    }
    let head = &head[..head.len().min(4096)];
    let lower: String = head
        .iter()
        .map(|&b| (b as char).to_ascii_lowercase())
        .collect();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("<meta") {
        rest = &rest[i + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(cs) = charset_param(tag) {
            return Some(cs);
        }
    }
    None
}

fn charset_param(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let i = lower.find("charset")?;
    let rest = lower[i + 7..].trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let cs: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!cs.is_empty()).then_some(cs)
}

/// Decodes an HTML page to text by [`html_charset`] then sniffing.
pub fn decode_html(bytes: &[u8], header_content_type: Option<&str>) -> (String, Option<String>) {
    let cs = html_charset(header_content_type, bytes);
    match crate::decode::decode_charset(bytes, cs.as_deref()) {
        Ok(text) => (text, cs),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), cs),
    }
}

#[cfg(test)]
mod tests {
    use super::super::sources::{compile, SourceSpec};
    use super::*;

    fn rules() -> Rules {
        compile(
            &SourceSpec {
                start: vec!["http://xxgk.swu.edu.cn/".into()],
                ..Default::default()
            },
            4,
        )
        .unwrap()
        .rules
    }

    #[test]
    fn swu_attachment_links_are_documents_by_their_text() {
        // Real landing pages of 西南大学's 信息公开 site: the attachment URL is a
        // download.jsp with no extension; only the link text says ".pdf".
        let cases = [
            (
                include_str!("../../tests/fixtures/swu_landing_2023_budget.html"),
                "http://xxgk.swu.edu.cn/info/1118/4587.htm",
                "12148152",
            ),
            (
                include_str!("../../tests/fixtures/swu_landing_2023_final.html"),
                "http://xxgk.swu.edu.cn/info/1118/5001.htm",
                "14960085",
            ),
        ];
        for (html, page, fileid) in cases {
            let page = Url::parse(page).unwrap();
            let found = links(html, &page, &rules());
            let docs: Vec<&Link> = found.iter().filter(|l| l.hint == Hint::Document).collect();
            assert_eq!(docs.len(), 1, "{docs:#?}");
            assert_eq!(docs[0].url.host_str(), Some("xxgk.swu.edu.cn"));
            assert_eq!(docs[0].url.path(), "/system/_content/download.jsp");
            assert!(docs[0]
                .url
                .query()
                .unwrap()
                .contains(&format!("wbfileid={fileid}")));
            assert!(docs[0].text.ends_with(".pdf"));
            // Navigation to 信息公开 pages is followed; the home page is not.
            assert!(found
                .iter()
                .any(|l| l.hint == Hint::Page && l.text.contains("信息公开")));
            assert!(!found.iter().any(|l| l.text == "首页"));
        }
    }

    #[test]
    fn shared_corpus_landing_pages_each_yield_one_document() {
        let dir = std::path::Path::new("/work/shared/corpus/raw/swu-xinan-daxue/landing_pages");
        let Ok(entries) = std::fs::read_dir(dir) else {
            eprintln!("skipped: {} absent", dir.display());
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            let html = std::fs::read(&path).unwrap();
            let (text, _) = decode_html(&html, None);
            let page = Url::parse("http://xxgk.swu.edu.cn/info/1118/4587.htm").unwrap();
            let docs = links(&text, &page, &rules())
                .into_iter()
                .filter(|l| l.hint == Hint::Document)
                .count();
            assert_eq!(docs, 1, "{}", path.display());
        }
    }

    #[test]
    fn classifies_documents_pages_pagination_and_skips() {
        let r = rules();
        let u = |s: &str| Url::parse(s).unwrap();
        let shpt = u("https://www.shpt.gov.cn/zhengwu/qczj/2023/1/123/abcdef.pdf");
        assert_eq!(classify(&shpt, "附件", &r), Some(Hint::Document));
        assert_eq!(
            classify(&u("http://x.cn/a.XLSX"), "", &r),
            Some(Hint::Document)
        );
        assert_eq!(
            classify(&u("http://x.cn/list_2.html"), "下一页", &r),
            Some(Hint::Pagination)
        );
        assert_eq!(
            classify(&u("http://x.cn/list_3.html"), "3", &r),
            Some(Hint::Pagination)
        );
        assert_eq!(
            classify(&u("http://x.cn/c/1.html"), "区财政局2023年部门决算", &r),
            Some(Hint::Page)
        );
        assert_eq!(
            classify(&u("http://x.cn/news/1.html"), "天气预报", &r),
            None
        );
    }

    #[test]
    fn script_pagination_of_trs_portals() {
        let page =
            Url::parse("http://www.example-county.gov.cn/zfxxgk/czyjs/index_1.html").unwrap();
        let html = r#"<script>createPageHTML(3, 1, "index", "html");</script>"#;
        let found = links(html, &page, &rules());
        let urls: Vec<&str> = found.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://www.example-county.gov.cn/zfxxgk/czyjs/index.html",
                "http://www.example-county.gov.cn/zfxxgk/czyjs/index_1.html",
                "http://www.example-county.gov.cn/zfxxgk/czyjs/index_2.html"
            ]
        );
        assert!(found.iter().all(|l| l.hint == Hint::Pagination));
    }

    #[test]
    fn charset_from_header_then_meta() {
        assert_eq!(
            html_charset(Some("text/html; charset=GBK"), b"").as_deref(),
            Some("gbk")
        );
        let page = br#"<html><head><META http-equiv="Content-Type" content="text/html; charset=gb2312"></head>"#;
        assert_eq!(
            html_charset(Some("text/html"), page).as_deref(),
            Some("gb2312")
        );
        assert_eq!(
            html_charset(None, b"<meta charset='utf-8'>").as_deref(),
            Some("utf-8")
        );
        assert_eq!(html_charset(None, b"<p>no meta</p>"), None);
        let (gbk, _, _) = encoding_rs::GBK.encode("<title>2023年部门决算</title>");
        let (text, cs) = decode_html(&gbk, None);
        assert!(text.contains("部门决算"));
        assert_eq!(cs, None);
    }

    #[test]
    fn inline_tables_with_a_budget_title_are_documents() {
        let r = rules();
        assert!(is_inline_document(
            "<title>2023年部门预算公开</title><table><tr><td>1</td></tr></table>",
            &r
        ));
        assert!(!is_inline_document(
            "<title>通知</title><table></table>",
            &r
        ));
        assert!(!is_inline_document(
            "<title>部门预算</title><p>见附件</p>",
            &r
        ));
    }
}
