//! `gongkai documents --db PATH`: the documents a store holds, one line
//! each (disclosure, version, year, kind, verdict, flags by severity, unit,
//! source), filtered like `export`; `--format` writes the `documents`
//! dataset instead.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use gongkai::export::{export, exporter, Column, Dataset, Exporter, Format, Options, Value};

/// Arguments of `gongkai documents`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset store: an SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: String,
    /// Write the `documents` dataset in this format instead of a listing.
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    filter: super::export::FilterArgs,
}

/// The listing: rows kept, printed aligned at the end.
struct Listing {
    columns: &'static [Column],
    rows: Vec<Vec<Value>>,
}

impl Exporter for Listing {
    fn write(&mut self, row: &[Value]) -> gongkai::export::Result<()> {
        self.rows.push(row.to_vec());
        Ok(())
    }

    fn finish(self: Box<Self>) -> gongkai::export::Result<()> {
        let get = |row: &[Value], name: &str| -> String {
            self.columns
                .iter()
                .position(|c| c.name == name)
                .and_then(|i| row.get(i))
                .map(Value::text)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "-".into())
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<16}  {:>7}  {:>4}  {:<13}  {:<16}  {:>9}  {:<8}  unit / source",
            "disclosure", "version", "year", "kind", "read", "e/w/i", "division"
        );
        for row in &self.rows {
            let flags = format!(
                "{}/{}/{}",
                get(row, "flags_error"),
                get(row, "flags_warning"),
                get(row, "flags_info")
            );
            let read = match get(row, "error_kind").as_str() {
                "-" => get(row, "read_verdict"),
                kind => format!("failed: {kind}"),
            };
            let _ = writeln!(
                out,
                "{:<16}  {:>7}  {:>4}  {:<13}  {:<16}  {:>9}  {:<8}  {}  {}",
                get(row, "disclosure_id"),
                format!("{}/{}", get(row, "version"), get(row, "versions")),
                get(row, "year"),
                get(row, "document_kind"),
                read,
                flags,
                get(row, "division_code"),
                get(row, "unit"),
                get(row, "source"),
            );
        }
        let _ = writeln!(out, "{} documents", self.rows.len());
        std::io::stdout().lock().write_all(out.as_bytes())?;
        Ok(())
    }
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    // A listing shows every version unless asked otherwise.
    let filter = args.filter.filter(gongkai::export::Versions::All)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = super::export::open_existing(&args.db).await?;
        let columns = Dataset::Documents.columns();
        let mut ex: Box<dyn Exporter> = match args.format {
            Some(format) => exporter(
                format,
                columns,
                Options::default(),
                Box::new(std::io::BufWriter::new(std::io::stdout())),
            )?,
            None => Box::new(Listing {
                columns,
                rows: Vec::new(),
            }),
        };
        export(&store, Dataset::Documents, &filter, ex.as_mut()).await?;
        ex.finish()?;
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
