//! The `gongkai` command: parses arguments, dispatches to a subcommand,
//! maps failures to exit codes (0 all read, 1 some inputs failed, 2 usage).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
