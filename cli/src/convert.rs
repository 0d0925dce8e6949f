//! `trackershark convert`: JSON lines → pcapng and back, losslessly, with progress on big files.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use trackershark_engine::pcapng;

use crate::{io_err, CliError};

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

pub fn convert(input: &Path, output: &Path) -> Result<(), CliError> {
    let mut file = File::open(input).map_err(io_err(input))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut magic = [0u8; 4];
    let is_pcapng = file.read_exact(&mut magic).is_ok() && magic == PCAPNG_MAGIC;
    let file = File::open(input).map_err(io_err(input))?;
    let out = BufWriter::new(File::create(output).map_err(io_err(output))?);
    if is_pcapng {
        let stats = pcapng::pcapng_to_json(BufReader::new(file), out)?;
        eprintln!("{} event line(s) written to {}", stats.events, output.display());
        if stats.other_packets > 0 {
            eprintln!("{} packet(s) that are not Tracker events were left out", stats.other_packets);
        }
    } else {
        let bar = progress_bar(size);
        let stats = pcapng::json_to_pcapng(BufReader::new(file), out, |done| bar.set_position(done))?;
        bar.finish_and_clear();
        eprintln!(
            "{} event(s) written to {}; {} Tracker log line(s) and {} blank line(s) skipped",
            stats.events,
            output.display(),
            stats.log_lines,
            stats.blank_lines
        );
        if stats.malformed > 0 {
            eprintln!("{} line(s) are not Tracker events; kept, and flagged when dissected", stats.malformed);
        }
    }
    Ok(())
}

/// A byte-count progress bar on standard error; hidden when it is not a terminal or the input is small.
pub fn progress_bar(total: u64) -> ProgressBar {
    if total < 8 << 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
