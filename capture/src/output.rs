//! Events to pcapng, one packet each and flushed at once so Wireshark shows them live: the
//! engine's [`EventWriter`], which the converter uses too, so a captured event is the same packet
//! as the converted line.

use std::io::Write;
use std::time::Duration;

pub use trackershark_engine::pcapng::EventWriter;
use trackershark_engine::pcapng::PcapngError;

/// Where events go; shared by every connection of the receiver.
pub trait EventSink: Send {
    /// Writes one event line; `fallback` is the time to use when the line has none.
    fn event(&mut self, line: &[u8], fallback: Option<Duration>) -> Result<(), PcapngError>;
}

/// The capture's pcapng output: each event flushed as it is written.
pub struct PcapngSink<W: Write>(pub EventWriter<W>);

impl<W: Write> PcapngSink<W> {
    /// Writes the section header and the interface at once (Wireshark waits for them).
    pub fn new(output: W) -> Result<Self, PcapngError> {
        let mut writer = EventWriter::new(output)?;
        writer.flush()?;
        Ok(PcapngSink(writer))
    }

    pub fn into_inner(self) -> W {
        self.0.into_inner()
    }
}

impl<W: Write + Send> EventSink for PcapngSink<W> {
    fn event(&mut self, line: &[u8], fallback: Option<Duration>) -> Result<(), PcapngError> {
        self.0.write_line(line, fallback)?;
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trackershark_engine::pcapng::json_to_pcapng;

    #[test]
    fn same_bytes_as_the_converter() {
        let input = "{\"eventName\":\"a\",\"timestamp\":1000000001}\n\n{\"level\":\"info\",\"msg\":\"hi\"}\n[pod/p/c] {\"eventName\":\"b\",\"timestamp\":2}\nnot json\n{\"eventName\":\"c\"}\n";
        let mut expected = Vec::new();
        let want = json_to_pcapng(input.as_bytes(), &mut expected, |_| {}).unwrap();
        let mut sink = PcapngSink::new(Vec::new()).unwrap();
        for line in input.lines() {
            sink.event(line.as_bytes(), None).unwrap();
        }
        assert_eq!(sink.0.stats, want);
        assert_eq!(sink.into_inner(), expected);
    }
}
