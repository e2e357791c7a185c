//! Real-world documents from the shared corpus (`../shared/corpus`, next to
//! the crate). Every test skips cleanly when the corpus is absent.

use std::path::{Path, PathBuf};
use std::time::Instant;

use gongkai::model::{Block, Decoded};
use gongkai::settings::{DecodeOptions, Limits};
use gongkai::text::squash;

const CORPUS: &str = "../shared/corpus";

fn corpus() -> Option<PathBuf> {
    let p = Path::new(CORPUS);
    if p.is_dir() {
        Some(p.to_path_buf())
    } else {
        eprintln!("{CORPUS} absent: skipped");
        None
    }
}

fn decode(path: &Path) -> gongkai::Result<Decoded> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    gongkai::decode::pdf::decode(&bytes, &Limits::default(), &DecodeOptions::default())
}

/// Grid rows with covered slots blanked, squashed, trailing empties dropped.
fn rows(d: &Decoded) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in &d.blocks {
        if let Block::Grid(g) = b {
            for r in &g.rows {
                let mut row: Vec<String> = r
                    .iter()
                    .map(|c| {
                        if c.origin {
                            squash(&c.text)
                        } else {
                            String::new()
                        }
                    })
                    .collect();
                while row.last().is_some_and(String::is_empty) {
                    row.pop();
                }
                out.push(row);
            }
        }
    }
    out
}

fn assert_rows(d: &Decoded, name: &str, expected: &[&[&str]]) {
    let all = rows(d);
    let missing: Vec<String> = expected
        .iter()
        .filter(|want| {
            !all.iter()
                .any(|r| r.iter().map(String::as_str).eq(want.iter().copied()))
        })
        .map(|want| want.join("|"))
        .collect();
    assert!(
        missing.is_empty(),
        "{name}: rows not found:\n{}",
        missing.join("\n")
    );
}

#[test]
fn shanghai_putuo_finance_bureau_final_accounts() {
    let Some(root) = corpus() else { return };
    let d =
        decode(&root.join("raw/govbudgetchecker/上海市普陀区财政局2024年度部门决算.pdf")).unwrap();
    assert_eq!(d.engine, "pdf-extract");
    assert_rows(
        &d,
        "财政局",
        &[
            // 01 收入支出决算总表
            &[
                "一、一般公共预算财政拨款收入",
                "2,940.05",
                "一、一般公共服务支出",
                "2,106.66",
            ],
            &["总计", "2,995.39", "总计", "2,995.39"],
            // 02 收入决算表 (split 类/款/项 columns)
            &[
                "201",
                "06",
                "01",
                "行政运行",
                "1,511.90",
                "1,511.89",
                "",
                "",
                "",
                "",
                "0.01",
            ],
            &[
                "208",
                "05",
                "05",
                "机关事业单位基本养老保险缴费支出",
                "160.75",
                "160.75",
            ],
            // 03 支出决算表
            &[
                "201",
                "06",
                "01",
                "行政运行",
                "1,511.89",
                "1,503.52",
                "8.37",
            ],
            &[
                "201",
                "06",
                "08",
                "财政委托业务支出",
                "449.52",
                "",
                "449.52",
            ],
            // 04 财政拨款收入支出决算总表
            &[
                "本年收入合计",
                "2,940.05",
                "本年支出合计",
                "2,940.05",
                "2,940.05",
            ],
            &["", "", "十九、住房保障支出", "445.69", "445.69"],
            // 05 一般公共预算财政拨款支出决算表
            &["221", "02", "03", "购房补贴", "258.50", "258.50"],
            &["合计", "", "", "", "2,940.05", "2,336.91", "603.14"],
            // 06 一般公共预算财政拨款基本支出决算表
            &[
                "301",
                "02",
                "津贴补贴",
                "1,238.58",
                "302",
                "02",
                "印刷费",
                "7.61",
            ],
            &[
                "人员经费合计",
                "",
                "",
                "2,152.26",
                "公用经费合计",
                "",
                "",
                "184.65",
            ],
            // 07 三公经费
            &["0.95", "", "", "", "", "", "", "", "", "", "0.95"],
            // 08, 09: no data, headers only
            &["类", "款", "项", "", "", "", "", "", "", ""][..3],
        ],
    );
    let titles = [
        "政府性基金预算财政拨款收入支出决算表",
        "国有资本经营预算财政拨款收入支出决算表",
    ];
    for t in titles {
        let at = d
            .blocks
            .iter()
            .position(|b| matches!(b, Block::Text(l) if squash(&l.text) == t))
            .unwrap_or_else(|| panic!("title {t}"));
        assert!(
            d.blocks[at..]
                .iter()
                .take(3)
                .any(|b| matches!(b, Block::Grid(_))),
            "{t}: no grid"
        );
    }
}

#[test]
fn shanghai_putuo_planning_bureau_final_accounts() {
    let Some(root) = corpus() else { return };
    let d = decode(
        &root.join("raw/govbudgetchecker/上海市普陀区规划和自然资源局 2024 年度部门决算.pdf"),
    )
    .unwrap();
    assert_eq!(d.engine, "pdf-extract");
    assert_rows(
        &d,
        "规划和自然资源局",
        &[
            // 01
            &[
                "一、一般公共预算财政拨款收入",
                "9746.50",
                "一、一般公共服务支出",
            ],
            &["总计", "9859.38", "总计", "9859.38"],
            // 02
            &["2120101", "行政运行", "1092.80", "1092.80"],
            &["合计", "", "9746.50", "9746.50"],
            // 03
            &["2120101", "行政运行", "1105.68", "1096.91", "8.77"],
            &["合计", "", "9759.38", "5377.64", "4381.74"],
            // 04
            &[
                "本年收入合计",
                "9746.50",
                "本年支出合计",
                "9746.50",
                "9746.50",
            ],
            // 05
            &["2200150", "事业运行", "4416.67", "2339.58", "2077.09"],
            &["合计", "", "9746.50", "5364.75", "4381.74"],
            // 06
            &["30107", "绩效工资", "1594.02", "30205", "水费", "0.92"],
            &["人员经费合计", "", "4884.09", "公用经费合计", "", "480.66"],
            // 07
            &[
                "2.85", "0.39", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00",
                "2.85", "0.39",
            ],
            // 08, 09 (no data)
            &["合计", "", "", "", "合计", "基本支出", "项目支出"],
        ],
    );
}

/// A rotated (`/Rotate 90`) page in SimSun, whose `/W` range entries
/// pdf-extract misreads unless repaired: the amounts stay in their cells.
#[test]
fn jiangsu_rotated_pages_with_range_widths() {
    let Some(root) = corpus() else { return };
    let d = decode(&root.join(
        "raw/open-budget-jiangsu/江苏省人大办公厅/江苏省人大常委会办公厅2019年部门预算公开表.pdf",
    ))
    .unwrap();
    assert_eq!(d.engine, "pdf-extract", "{:?}", d.warnings);
    assert_rows(
        &d,
        "江苏省人大常委会办公厅2019",
        &[
            &[
                "一、财政拨款",
                "18,330.37",
                "一、一般公共服务支出",
                "13,907.78",
                "一、基本支出",
                "9,312.90",
            ],
            &["", "", "十八、住房保障支出", "3,301.20"],
            &["收入总计", "", "18,330.37"],
        ],
    );
}

/// A document without grids but with this many text lines holding three or
/// more amounts has tables that were missed. (Some Jiangsu documents are the
/// explanatory text only, their tables published as a separate file.)
const MAX_TABULAR_TEXT_LINES: usize = 5;

/// Every PDF of the corpus decodes without a panic or an error.
#[test]
fn whole_corpus_decodes() {
    let Some(root) = corpus() else { return };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
        .collect();
    files.sort();
    let amounts = regex::Regex::new(r"\d\.\d{2}\b").unwrap();
    let start = Instant::now();
    let (mut pages, mut grids, mut ruled) = (0, 0, 0);
    let mut errors = Vec::new();
    let mut no_grid = Vec::new();
    for f in &files {
        let t = Instant::now();
        match decode(f) {
            Ok(d) => {
                let g: Vec<bool> = d
                    .blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::Grid(g) => Some(g.spans_known),
                        Block::Text(_) => None,
                    })
                    .collect();
                eprintln!(
                    "{:>6.0} ms {:>3} pages {:>3} grids ({} ruled) {} {}",
                    t.elapsed().as_secs_f64() * 1000.0,
                    d.pages,
                    g.len(),
                    g.iter().filter(|s| **s).count(),
                    d.engine,
                    f.strip_prefix(&root).unwrap_or(f).display()
                );
                pages += d.pages;
                grids += g.len();
                ruled += g.iter().filter(|s| **s).count();
                // Budget tables left as text: lines with three or more amounts.
                let tabular = d
                    .blocks
                    .iter()
                    .filter(
                        |b| matches!(b, Block::Text(t) if amounts.find_iter(&t.text).count() >= 3),
                    )
                    .count();
                let name = f.to_string_lossy();
                let budget_set = name.contains("jiangsu") || name.contains("govbudgetchecker");
                if budget_set && g.is_empty() && tabular >= MAX_TABULAR_TEXT_LINES {
                    no_grid.push(format!("{name}: {tabular} text lines with amounts"));
                }
            }
            Err(e) => errors.push(format!("{}: {:?}: {}", f.display(), e.kind, e.message)),
        }
    }
    eprintln!(
        "corpus: {} files, {pages} pages, {grids} grids ({ruled} ruled), {} errors, {:.1} s",
        files.len(),
        errors.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(errors.is_empty(), "errors:\n{}", errors.join("\n"));
    assert!(
        no_grid.is_empty(),
        "budget tables not found as grids:\n{}",
        no_grid.join("\n")
    );
}
