//! `gongkai schema`: prints the JSON Schema of the extract record.

use std::process::ExitCode;

use anyhow::Result;

/// Arguments of `gongkai schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> Result<ExitCode> {
    println!("{}", gongkai::record::json_schema());
    Ok(ExitCode::SUCCESS)
}
