//! Events to pcapng, one packet each and flushed at once so Wireshark shows them live. The packets
//! are the ones `trackershark_engine::pcapng::json_to_pcapng` writes for the same lines (a test
//! compares the bytes): link type `WIRESHARK_UPPER_PDU`, the engine's `frame_header()` and the line,
//! the time read from the line, Tracker's own log lines and blank lines left out.

use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use trackershark_engine::line::{classify, LineKind};
use trackershark_engine::pcapng::{frame_header, ConvertStats, PcapngError};

/// Where events go; shared by every connection of the receiver.
pub trait EventSink: Send {
    /// Writes one event line; `fallback` is the time to use when the line has none.
    fn event(&mut self, line: &[u8], fallback: Option<Duration>) -> Result<(), PcapngError>;
}

pub struct PcapngSink<W: Write> {
    writer: PcapNgWriter<W>,
    header: Vec<u8>,
    last_time: Duration,
    pub stats: ConvertStats,
}

impl<W: Write> PcapngSink<W> {
    /// Writes the section header and the interface at once (Wireshark waits for them).
    pub fn new(output: W) -> Result<Self, PcapngError> {
        let mut writer = PcapNgWriter::new(output)?;
        let mut idb = InterfaceDescriptionBlock::new(DataLink::WIRESHARK_UPPER_PDU, 0);
        idb.options = vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed("tracker")),
            InterfaceDescriptionOption::IfDescription(Cow::Borrowed("Tracker events (JSON)")),
            InterfaceDescriptionOption::IfTsResol(9),
        ];
        writer.write_pcapng_block(idb)?;
        writer.get_mut().flush()?;
        Ok(PcapngSink { writer, header: frame_header(), last_time: Duration::ZERO, stats: ConvertStats::default() })
    }

    pub fn into_inner(self) -> W {
        self.writer.into_inner()
    }
}

impl<W: Write + Send> EventSink for PcapngSink<W> {
    fn event(&mut self, line: &[u8], fallback: Option<Duration>) -> Result<(), PcapngError> {
        let info = classify(line);
        match info.kind {
            LineKind::Log => {
                self.stats.log_lines += 1;
                return Ok(());
            }
            LineKind::Blank => {
                self.stats.blank_lines += 1;
                return Ok(());
            }
            LineKind::Garbage => self.stats.malformed += 1,
            LineKind::Event => self.stats.events += 1,
        }
        // as the converter: a line without a time keeps the previous one (here: the Forward time)
        match info.time.filter(|t| t.secs >= 0) {
            Some(t) => self.last_time = Duration::new(t.secs as u64, t.nanos),
            None => {
                if let Some(t) = fallback {
                    self.last_time = t;
                }
            }
        }
        let mut data = Vec::with_capacity(self.header.len() + line.len());
        data.extend_from_slice(&self.header);
        data.extend_from_slice(line);
        let epb = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: self.last_time,
            original_len: data.len() as u32,
            data: Cow::Owned(data),
            options: vec![],
        };
        self.writer.write_pcapng_block(epb)?;
        self.writer.get_mut().flush()?;
        Ok(())
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
        assert_eq!(sink.stats, want);
        assert_eq!(sink.into_inner(), expected);
    }
}
