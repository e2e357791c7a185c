//! The store queries behind each dataset: the documents that pass the
//! filter, ranked within their disclosure, joined to what each dataset
//! lists, read into typed [`Value`]s.

use std::str::FromStr;

use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row as _};

use super::{code_system, pool, Dataset, ExportError, Exporter, Filter, Result, Value, Versions};
use crate::store::Store;

fn like_pattern(text: &str) -> String {
    let mut s = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// The documents that pass `filter`, each with its version rank and the
/// number of versions of its disclosure (`ranked`), as a WITH clause; and
/// its arguments, in order.
fn ranked(filter: &Filter) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let mut wh = String::from("1 = 1");
    let mut n = 0;
    let mut next = |args: &mut Vec<Arg>, a: Arg| {
        n += 1;
        args.push(a);
        format!("${n}")
    };
    if let Some(y) = filter.year {
        let p = next(&mut args, Arg::Int(y));
        wh.push_str(&format!(" AND year = {p}"));
    }
    if let Some(k) = &filter.kind {
        let p = next(&mut args, Arg::Text(k.clone()));
        wh.push_str(&format!(" AND kind = {p}"));
    }
    if let Some(u) = &filter.unit {
        let p = next(&mut args, Arg::Text(like_pattern(u)));
        let q = next(&mut args, Arg::Text(like_pattern(u)));
        wh.push_str(&format!(
            " AND (unit LIKE {p} ESCAPE '\\' OR unit_spelling LIKE {q} ESCAPE '\\')"
        ));
    }
    if let Some(v) = &filter.read {
        let p = next(&mut args, Arg::Text(v.clone()));
        wh.push_str(&format!(" AND read_verdict = {p}"));
    }
    if let Some(r) = &filter.region {
        let like = like_pattern(r);
        let ps: Vec<String> = (0..4)
            .map(|_| next(&mut args, Arg::Text(like.clone())))
            .collect();
        let code = next(
            &mut args,
            Arg::Text(format!("{}%", r.replace(['%', '_'], ""))),
        );
        wh.push_str(&format!(
            " AND (region LIKE {} ESCAPE '\\' OR province LIKE {} ESCAPE '\\' OR city LIKE {} ESCAPE '\\' OR county LIKE {} ESCAPE '\\' OR division_code LIKE {code})",
            ps[0], ps[1], ps[2], ps[3]
        ));
    }
    match filter.error.as_deref() {
        None => {}
        Some("any") => wh.push_str(" AND error_kind IS NOT NULL"),
        Some(e) => {
            let p = next(&mut args, Arg::Text(e.to_string()));
            wh.push_str(&format!(" AND error_kind = {p}"));
        }
    }
    let order = match filter.versions {
        Versions::Best | Versions::All => {
            "CASE read_verdict WHEN 'complete' THEN 0 WHEN 'partial' THEN 1
                  WHEN 'not_a_disclosure' THEN 2 ELSE 3 END,
             COALESCE(amounts_captured, -1) DESC, first_seen DESC, id DESC"
        }
        Versions::Latest => "first_seen DESC, id DESC",
    };
    let sql = format!(
        "WITH ranked AS (
           SELECT id,
                  ROW_NUMBER() OVER (PARTITION BY COALESCE(disclosure_id, sha256) ORDER BY {order}) AS version,
                  COUNT(*) OVER (PARTITION BY COALESCE(disclosure_id, sha256)) AS versions
           FROM documents WHERE {wh}
         ),
         chosen AS (SELECT id, version, versions FROM ranked{only})",
        only = if filter.versions == Versions::All {
            ""
        } else {
            " WHERE version = 1"
        }
    );
    (sql, args)
}

#[derive(Debug, Clone)]
enum Arg {
    Int(i64),
    Text(String),
}

/// `q` with `args` bound in order.
fn bound(mut q: Query<'_, Any, AnyArguments>, args: Vec<Arg>) -> Query<'_, Any, AnyArguments> {
    for a in args {
        q = match a {
            Arg::Int(i) => q.bind(i),
            Arg::Text(s) => q.bind(s),
        };
    }
    q
}

fn select(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Amounts => {
            "SELECT d.disclosure_id, d.sha256, d.unit, d.unit_spelling, d.region, d.division_code,
                d.province, d.city, d.county, d.year, d.kind, d.scope,
                t.kind, t.label, t.title, t.amount_unit, r.page, r.code, r.name, r.level,
                r.line, r.line_no, r.side, a.column_key, CAST(a.amount_yuan AS TEXT),
                CAST(a.count AS TEXT), a.printed, a.flags, COALESCE(fc.n, 0), d.read_verdict, d.source
             FROM chosen c
             JOIN documents d ON d.id = c.id
             JOIN tables t ON t.document_id = d.id
             JOIN rows r ON r.table_id = t.id
             JOIN amounts a ON a.row_id = r.id
             LEFT JOIN (SELECT document_id, COUNT(*) AS n FROM flags GROUP BY document_id) fc
                  ON fc.document_id = d.id
             ORDER BY d.id, t.ordinal, r.ordinal, a.id"
        }
        Dataset::Documents => {
            "SELECT d.disclosure_id, d.sha256, d.unit, d.unit_spelling, d.region, d.division_code,
                d.province, d.city, d.county, d.year, d.kind, d.scope,
                c.version, c.versions, d.title, d.format, d.engine, d.pages, d.bytes,
                d.read_verdict, d.amounts_printed, d.amounts_captured,
                (SELECT COUNT(*) FROM tables t WHERE t.document_id = d.id),
                (SELECT COUNT(*) FROM flags f WHERE f.document_id = d.id AND f.severity = 'error'),
                (SELECT COUNT(*) FROM flags f WHERE f.document_id = d.id AND f.severity = 'warning'),
                (SELECT COUNT(*) FROM flags f WHERE f.document_id = d.id AND f.severity = 'info'),
                d.error_kind, d.error_message, d.source, d.first_seen, d.extracted_at
             FROM chosen c JOIN documents d ON d.id = c.id
             ORDER BY COALESCE(d.disclosure_id, d.sha256), c.version"
        }
        Dataset::Flags => {
            "SELECT d.disclosure_id, d.sha256, d.unit, d.division_code, d.province, d.year, d.kind,
                f.flag_id, f.check_id, f.severity, f.message, f.pages, f.locations, f.snippet,
                f.expected, f.found, f.difference, d.source
             FROM chosen c
             JOIN documents d ON d.id = c.id
             JOIN flags f ON f.document_id = d.id
             ORDER BY d.id, f.ordinal"
        }
        Dataset::Facts => {
            "SELECT d.disclosure_id, d.sha256, d.unit, d.division_code, d.province, d.year, d.kind,
                n.ordinal, n.fact, n.section, n.subject, n.project, CAST(n.amount_yuan AS TEXT),
                CAST(n.percent AS TEXT), CAST(n.count AS TEXT), CAST(n.score AS TEXT),
                CAST(n.max_score AS TEXT), n.printed, n.sentence, d.source
             FROM chosen c
             JOIN documents d ON d.id = c.id
             JOIN narrative_facts n ON n.document_id = d.id
             ORDER BY d.id, n.ordinal"
        }
    }
}

/// Streams every row of `dataset` for the documents that pass `filter`
/// into `exporter`; returns the number of rows.
pub async fn export(
    store: &Store,
    dataset: Dataset,
    filter: &Filter,
    exporter: &mut dyn Exporter,
) -> Result<u64> {
    let (with, args) = ranked(filter);
    let sql = format!("{with}\n{}", select(dataset));
    let q = bound(sqlx::query(AssertSqlSafe(sql)), args);
    let mut rows = q.fetch(pool(store));
    let mut count = 0u64;
    while let Some(r) = rows.try_next().await? {
        let values = match dataset {
            Dataset::Amounts => amount_row(&r)?,
            Dataset::Documents => plain_row(&r, dataset)?,
            Dataset::Flags => flag_row(&r)?,
            Dataset::Facts => plain_row(&r, dataset)?,
        };
        exporter.write(&values)?;
        count += 1;
    }
    Ok(count)
}

/// A stored document's record and where it stands among its disclosure's
/// versions (what a report draws).
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// The record as stored (JSON).
    pub record: String,
    /// Its version rank and the number of versions of its disclosure.
    pub version: (i64, i64),
    /// Every path or URL it was seen at, the first first.
    pub sources: Vec<String>,
}

/// Calls `each` with every stored record that passes `filter`, ranked as
/// [`export`] ranks them, in disclosure and version order.
pub async fn records(
    store: &Store,
    filter: &Filter,
    mut each: impl FnMut(StoredRecord) -> Result<()>,
) -> Result<u64> {
    let (with, args) = ranked(filter);
    let sql = format!(
        "{with}
         SELECT d.id, c.version, c.versions, d.source
         FROM chosen c JOIN documents d ON d.id = c.id
         ORDER BY COALESCE(d.disclosure_id, d.sha256), c.version"
    );
    let q = bound(sqlx::query(AssertSqlSafe(sql)), args);
    // The list first (small), then one record at a time: a store's records
    // are never all in memory.
    let rows = q.fetch_all(pool(store)).await?;
    let mut n = 0;
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let first: String = r.try_get(3)?;
        let record: String = sqlx::query("SELECT record FROM documents WHERE id = $1")
            .bind(id)
            .fetch_one(pool(store))
            .await?
            .try_get(0)?;
        let mut sources = vec![first.clone()];
        for s in sqlx::query(
            "SELECT source FROM document_sources WHERE document_id = $1 ORDER BY source",
        )
        .bind(id)
        .fetch_all(pool(store))
        .await?
        {
            let s: String = s.try_get(0)?;
            if s != first {
                sources.push(s);
            }
        }
        each(StoredRecord {
            record,
            version: (r.try_get(1)?, r.try_get(2)?),
            sources,
        })?;
        n += 1;
    }
    Ok(n)
}

fn text(r: &AnyRow, i: usize) -> Result<Value> {
    Ok(Value::from(r.try_get::<Option<String>, _>(i)?))
}

fn int(r: &AnyRow, i: usize) -> Result<Value> {
    Ok(Value::from(r.try_get::<Option<i64>, _>(i)?))
}

fn decimal(r: &AnyRow, i: usize, what: &str) -> Result<Value> {
    let Some(s) = r.try_get::<Option<String>, _>(i)? else {
        return Ok(Value::Null);
    };
    Decimal::from_str(s.trim())
        .map(Value::Decimal)
        .map_err(|e| ExportError::Format(format!("{what} {s:?} is not a decimal: {e}")))
}

/// The printed name of a stored amount unit.
fn printed_unit(unit: Option<String>) -> Value {
    Value::from(unit.map(|u| {
        match u.as_str() {
            "yuan" => "元",
            "thousand_yuan" => "千元",
            "ten_thousand_yuan" => "万元",
            other => other,
        }
        .to_string()
    }))
}

/// A row whose columns map one to one onto the selected values, typed by
/// the dataset's columns.
fn plain_row(r: &AnyRow, dataset: Dataset) -> Result<Vec<Value>> {
    dataset
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| match c.ty {
            super::Type::Text => text(r, i),
            super::Type::Int32 | super::Type::Int64 => int(r, i),
            super::Type::Decimal => decimal(r, i, c.name),
        })
        .collect()
}

fn amount_row(r: &AnyRow) -> Result<Vec<Value>> {
    let mut v = Vec::with_capacity(super::AMOUNTS.len());
    for i in 0..=14 {
        // year (9) is an integer.
        v.push(if i == 9 { int(r, i)? } else { text(r, i)? });
    }
    v.push(printed_unit(r.try_get(15)?));
    v.push(int(r, 16)?);
    let code: Option<String> = r.try_get(17)?;
    let system = code.as_deref().and_then(code_system).map(str::to_string);
    v.push(Value::from(code));
    v.push(Value::from(system));
    for i in 18..=23 {
        v.push(text(r, i)?);
    }
    v.push(decimal(r, 24, "amount_yuan")?);
    let count = match r.try_get::<Option<String>, _>(25)? {
        None => Value::Null,
        Some(s) => {
            let d = Decimal::from_str(s.trim())
                .map_err(|e| ExportError::Format(format!("count {s:?}: {e}")))?;
            let n = i64::try_from(d.normalize())
                .ok()
                .filter(|_| d.fract().is_zero());
            Value::Int(
                n.ok_or_else(|| ExportError::Format(format!("count {s:?} is not a whole number")))?,
            )
        }
    };
    v.push(count);
    v.push(text(r, 26)?);
    v.push(int(r, 27)?);
    v.push(int(r, 28)?);
    v.push(text(r, 29)?);
    v.push(text(r, 30)?);
    Ok(v)
}

fn flag_row(r: &AnyRow) -> Result<Vec<Value>> {
    let mut v = Vec::with_capacity(super::FLAGS.len());
    for i in 0..=10 {
        v.push(if i == 5 { int(r, i)? } else { text(r, i)? });
    }
    let pages: Vec<u32> = r
        .try_get::<Option<String>, _>(11)?
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    v.push(Value::from(pages.first().map(|&p| i64::from(p))));
    v.push(Value::from((!pages.is_empty()).then(|| {
        pages
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    })));
    let locations: Vec<serde_json::Value> = r
        .try_get::<Option<String>, _>(12)?
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    v.push(Value::from(locations.iter().find_map(|l| {
        l.get("table").and_then(|t| t.as_str()).map(str::to_string)
    })));
    for i in 13..=17 {
        v.push(text(r, i)?);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape() {
        assert_eq!(like_pattern("长治"), "%长治%");
        assert_eq!(like_pattern("a%_\\"), "%a\\%\\_\\\\%");
    }

    #[test]
    fn rows_match_their_columns() {
        // The select lists hold as many values as the datasets have
        // columns (amounts: 31 selected, code gives two columns).
        let count = |sql: &str| {
            let mut depth = 0;
            let mut n = 1;
            for (i, c) in sql.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => n += 1,
                    'F' if depth == 0 && sql[i..].starts_with("FROM") => return n,
                    _ => {}
                }
            }
            n
        };
        assert_eq!(
            count(select(Dataset::Amounts)) + 1,
            super::super::AMOUNTS.len()
        );
        assert_eq!(
            count(select(Dataset::Documents)),
            super::super::DOCUMENTS.len()
        );
        assert_eq!(count(select(Dataset::Flags)), super::super::FLAGS.len() - 1);
        assert_eq!(count(select(Dataset::Facts)), super::super::FACTS.len());
    }
}
