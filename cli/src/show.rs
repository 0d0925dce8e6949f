//! `trackershark show` and `trackershark fields`: the engine's view of events, in the terminal.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use trackershark_engine::{self as engine, Catalog, FieldId, LineKind, Value};
use trackershark_enrich::session::Session;

use crate::{io_err, CliError};

pub fn show(input: &Path, brief: bool, enrichers: Option<&Path>) -> Result<(), CliError> {
    let cat = Catalog::get();
    let mut session = match enrichers {
        Some(rules) => {
            if !rules.is_file() {
                return Err(CliError::Message(format!("{}: no such rules file", rules.display())));
            }
            let s = Session::open(rules, cat.fields().len() as FieldId);
            if let Some(why) = s.load_error() {
                // what did load still runs; every event also carries this as expert info
                eprintln!("trackershark: warning: enricher rules: {why}");
            }
            Some(s)
        }
        None => None,
    };
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(input).map_err(io_err(input))?))
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut number = 0;
    let mut skipped = 0;
    for line in reader.split(b'\n') {
        let line = line.map_err(io_err(input))?;
        match engine::classify(&line).kind {
            LineKind::Blank => continue,
            LineKind::Log => {
                skipped += 1;
                continue;
            }
            _ => {}
        }
        number += 1;
        let mut d = engine::dissect(&line);
        if let Some(s) = session.as_mut() {
            s.apply(&mut d, &line);
        }
        let written = (|| -> io::Result<()> {
            writeln!(out, "{number:>6} {:<11} {}", d.protocol, d.info)?;
            if brief {
                return Ok(());
            }
            for (i, item) in d.items.iter().enumerate() {
                // Wireshark's own fields filled from the event are hidden there, and here
                if cat.is_native(item.field) {
                    continue;
                }
                // enricher items (ids after the catalog's) always carry their label
                let text = item.label.clone().unwrap_or_else(|| match (cat.def(item.field), &item.value) {
                    (def, Value::None) => def.name.clone(),
                    (def, Value::Time(t)) => format!("{}: {}", def.name, engine::format_time(*t)),
                    (def, v) => format!("{}: {}", def.name, v.text()),
                });
                writeln!(out, "{}{}", "    ".repeat(item.depth as usize + 1), text)?;
                for e in d.experts.iter().filter(|e| e.item == Some(i)) {
                    writeln!(out, "{}[{}: {}]", "    ".repeat(item.depth as usize + 2), e.kind.title(), e.text)?;
                }
            }
            Ok(())
        })();
        if let Err(e) = written {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(CliError::Io { path: "<stdout>".into(), source: e });
        }
    }
    out.flush().ok();
    if skipped > 0 {
        eprintln!("{skipped} Tracker log line(s) skipped");
    }
    Ok(())
}

pub fn fields(markdown: bool) -> Result<(), CliError> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = (|| -> io::Result<()> {
        if markdown {
            writeln!(out, "| Field | Name | Type |\n| --- | --- | --- |")?;
        }
        for def in Catalog::get().fields() {
            if markdown {
                writeln!(out, "| `{}` | {} | {} |", def.abbrev, def.name.replace('|', "\\|"), def.ftype.name())?;
            } else {
                writeln!(out, "{}\t{}\t{}", def.abbrev, def.ftype.name(), def.name)?;
            }
        }
        out.flush()
    })();
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Io { path: "<stdout>".into(), source: e }),
        _ => Ok(()),
    }
}
