//! `gongkai patterns check DIR` / `gongkai patterns export DIR`: the pattern
//! set as files a user edits, with no rebuild.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use gongkai::Patterns;

/// Arguments of `gongkai patterns`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Compile every pattern file under DIR as `--patterns DIR` would, and print what it
    /// defines; an invalid file is reported with its file and key (exit status 1).
    Check {
        /// The folder of pattern files.
        dir: PathBuf,
    },
    /// Write the bundled pattern set under DIR (created when missing; files there are
    /// overwritten): a starting point for a variant.
    Export {
        /// The folder to write.
        dir: PathBuf,
    },
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.action {
        Action::Check { dir } => match Patterns::from_dir(&dir) {
            Ok(p) => {
                print!("{}", describe(&p));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("gongkai: invalid patterns: {}", e.message);
                Ok(ExitCode::from(super::EXIT_SOME_FAILED))
            }
        },
        Action::Export { dir } => {
            let n = Patterns::export_bundled(&dir)
                .with_context(|| format!("writing the bundled patterns to {}", dir.display()))?;
            eprintln!("gongkai: wrote {n} pattern files to {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What a pattern set defines, as text.
fn describe(p: &Patterns) -> String {
    let mut out = String::new();
    out.push_str(&format!("fingerprint {}\n", p.fingerprint));
    let mut by_document: BTreeMap<String, Vec<&gongkai::patterns::TablePattern>> = BTreeMap::new();
    for t in &p.tables.kinds {
        let dk = serde_json::to_value(t.document)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        by_document.entry(dk).or_default().push(t);
    }
    for (dk, kinds) in &by_document {
        out.push_str(&format!("{dk}: {} table kinds\n", kinds.len()));
        for t in kinds {
            out.push_str(&format!(
                "  {:<40} {}{}: {} titles, {} columns, {} lines\n",
                t.kind,
                t.name,
                if t.required { " (required)" } else { "" },
                t.titles.0.len(),
                t.columns.len(),
                t.lines.len()
            ));
        }
    }
    for f in &p.families.templates {
        out.push_str(&format!(
            "family {}: requires {}\n",
            f.id,
            f.required.join(", ")
        ));
    }
    let c = &p.checks;
    out.push_str(&format!(
        "checks: {} column sums, {} hierarchies, {} equalities, {} per-code, {} narrative\n",
        c.column_sum.len(),
        c.hierarchy.len(),
        c.equal.len(),
        c.each_code.len(),
        c.fact_table.len()
            + c.fact_share.len()
            + c.fact_change.len()
            + c.fact_ratio.len()
            + c.fact_sum.len()
            + c.fact_table_share.len()
            + c.fact_same_change.len()
    ));
    out.push_str(&format!(
        "narrative: {} rules, {} heading levels\n",
        p.narrative.rules.len(),
        p.narrative.structure.headings.len()
    ));
    out
}
