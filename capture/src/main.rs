use clap::Parser;
use trackershark_capture::extcap::{run, Args};

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args, &mut std::io::stdout().lock()) {
        eprintln!("trackershark-capture: {e}");
        std::process::exit(1);
    }
}
