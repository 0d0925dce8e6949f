//! `trackershark`: installs the Wireshark plugin and works with Tracker event logs from the terminal.

mod convert;
mod install;
mod merge;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "trackershark", version, about = "Tracker (Tracee) events in Wireshark and tshark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the Wireshark plugin (and its engine module) for the Wireshark found on this machine.
    Install(install::InstallArgs),
    /// Remove what `install` put in place.
    Uninstall(install::InstallArgs),
    /// Convert between Tracker JSON lines and pcapng (direction from the input's content).
    Convert {
        /// Input file: Tracker JSON lines, or a pcapng holding Tracker events.
        input: PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Merge Tracker events and network captures into one pcapng, in time order, losslessly.
    Merge {
        /// Inputs: Tracker JSON lines, pcapng (ours, Tracker's `--capture network` files or any
        /// other), pcap, or directories (every *.pcap, *.pcapng, *.json, *.jsonl and *.log inside).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output pcapng file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print events as dissection trees (what Wireshark shows), without Wireshark.
    Show {
        /// Tracker JSON lines file ("-" for standard input).
        input: PathBuf,
        /// Print only the summary line of each event.
        #[arg(long)]
        brief: bool,
        /// Run the enrichers of this rules file (e.g. the installed
        /// `<plugin dir>/trackershark/enrichers/rules.toml`).
        #[arg(long, value_name = "RULES")]
        enrichers: Option<PathBuf>,
    },
    /// List every field the plugin registers (the names to use in display filters).
    Fields {
        /// Print a Markdown table.
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Message(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Pcapng(#[from] trackershark_engine::pcapng::PcapngError),
}

pub fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io { path: path.to_path_buf(), source }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Install(args) => install::install(&args),
        Command::Uninstall(args) => install::uninstall(&args),
        Command::Convert { input, output } => convert::convert(&input, &output),
        Command::Merge { inputs, output } => merge::merge(&inputs, &output),
        Command::Show { input, brief, enrichers } => show::show(&input, brief, enrichers.as_deref()),
        Command::Fields { markdown } => show::fields(markdown),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trackershark: {e}");
            ExitCode::FAILURE
        }
    }
}
