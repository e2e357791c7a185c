//! `gongkai schema`: prints the JSON Schema of the extract record, or with
//! `--dictionary` the data dictionary of the exports (Markdown, what
//! `docs/data-dictionary.md` holds).

use std::process::ExitCode;

use anyhow::Result;

/// Arguments of `gongkai schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the data dictionary of the export datasets instead (Markdown).
    #[arg(long)]
    dictionary: bool,
}

/// The heading of `docs/data-dictionary.md`, before the generated tables.
pub const DICTIONARY_HEAD: &str = "# Data dictionary of the exports

Written by `gongkai schema --dictionary > docs/data-dictionary.md`; a test keeps it in
step with the code. What each dataset is, how versions are chosen and how to read the
files: [exports](exports.md).

";

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.dictionary {
        print!("{DICTIONARY_HEAD}{}", gongkai::export::dictionary());
    } else {
        println!("{}", gongkai::record::json_schema());
    }
    Ok(ExitCode::SUCCESS)
}
