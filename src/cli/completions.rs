//! `gongkai completions SHELL`: a completion script for bash, zsh, fish,
//! PowerShell or elvish on stdout, generated from the command definitions.

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;

/// Arguments of `gongkai completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut command = super::Cli::command();
    clap_complete::generate(args.shell, &mut command, "gongkai", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
