//! Tracker events inside pcapng: each event line is one packet of link type `WIRESHARK_UPPER_PDU`
//! whose export tags name the `tracker` dissector, followed by the line's bytes exactly as read.
//! That makes the pcapng self-describing (any Wireshark with the plugin dissects it, `mergecap` and
//! `editcap` keep it) and the conversion lossless: the original lines come back byte for byte.

use std::borrow::Cow;
use std::io::{BufRead, Read, Write};
use std::time::Duration;

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::{Block, PcapNgReader, PcapNgWriter};
use pcap_file::DataLink;

use crate::line::{classify, LineKind};

/// Name of the dissector the export tags point at.
pub const DISSECTOR_NAME: &str = "tracker";
const TAG_END: u16 = 0;
const TAG_PROTO_NAME: u16 = 12;
/// Link-layer type number of `WIRESHARK_UPPER_PDU`.
pub const LINKTYPE_UPPER_PDU: u32 = 252;

#[derive(Debug, thiserror::Error)]
pub enum PcapngError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("pcapng error: {0}")]
    Pcap(#[from] pcap_file::PcapError),
}

/// The bytes that precede every event line in a packet: a protocol-name tag and the end tag.
pub fn frame_header() -> Vec<u8> {
    let mut name = DISSECTOR_NAME.as_bytes().to_vec();
    name.push(0);
    while name.len() % 4 != 0 {
        name.push(0);
    }
    let mut h = Vec::with_capacity(8 + name.len());
    h.extend_from_slice(&TAG_PROTO_NAME.to_be_bytes());
    h.extend_from_slice(&(name.len() as u16).to_be_bytes());
    h.extend_from_slice(&name);
    h.extend_from_slice(&TAG_END.to_be_bytes());
    h.extend_from_slice(&0u16.to_be_bytes());
    h
}

/// The event line inside a packet, if the packet is one of ours.
pub fn event_payload(packet: &[u8]) -> Option<&[u8]> {
    let mut off = 0;
    let mut proto: Option<&[u8]> = None;
    loop {
        let tag = u16::from_be_bytes(packet.get(off..off + 2)?.try_into().ok()?);
        let len = u16::from_be_bytes(packet.get(off + 2..off + 4)?.try_into().ok()?) as usize;
        off += 4;
        if tag == TAG_END {
            break;
        }
        let value = packet.get(off..off + len)?;
        if tag == TAG_PROTO_NAME {
            proto = Some(value.split(|&b| b == 0).next().unwrap_or(value));
        }
        off += len;
    }
    (proto == Some(DISSECTOR_NAME.as_bytes())).then(|| &packet[off..])
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ConvertStats {
    pub events: u64,
    /// Tracker's own log lines, left out.
    pub log_lines: u64,
    pub blank_lines: u64,
    /// Lines that are not events; kept as packets (the dissector flags them).
    pub malformed: u64,
    /// Packets of other kinds skipped while extracting.
    pub other_packets: u64,
}

/// Writes event lines as packets, one at a time: the converter and the live capture share it, so
/// a captured event is the same packet as the converted one. Log lines and blank lines are left out
/// and counted; anything else is kept (the dissector flags what is no event). A line without a
/// time keeps the previous one, so the capture stays in order.
pub struct EventWriter<W: Write> {
    writer: PcapNgWriter<W>,
    header: Vec<u8>,
    last_time: Duration,
    pub stats: ConvertStats,
}

impl<W: Write> EventWriter<W> {
    /// Writes the section header and the events' interface.
    pub fn new(output: W) -> Result<Self, PcapngError> {
        let mut writer = PcapNgWriter::new(output)?;
        let mut idb = InterfaceDescriptionBlock::new(DataLink::WIRESHARK_UPPER_PDU, 0);
        idb.options = vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed("tracker")),
            InterfaceDescriptionOption::IfDescription(Cow::Borrowed("Tracker events (JSON)")),
            InterfaceDescriptionOption::IfTsResol(9),
        ];
        writer.write_pcapng_block(idb)?;
        Ok(EventWriter { writer, header: frame_header(), last_time: Duration::ZERO, stats: ConvertStats::default() })
    }

    /// Writes one line (without its terminator); `fallback` is the time of a line that has none
    /// (e.g. the time the event was received), else the previous line's is kept.
    pub fn write_line(&mut self, line: &[u8], fallback: Option<Duration>) -> Result<(), PcapngError> {
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
        let time = info.time.filter(|t| t.secs >= 0).map(|t| Duration::new(t.secs as u64, t.nanos));
        if let Some(t) = time.or(fallback) {
            self.last_time = t;
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
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), PcapngError> {
        Ok(self.writer.get_mut().flush()?)
    }

    pub fn into_inner(self) -> W {
        self.writer.into_inner()
    }
}

/// Writes every line of a Tracker JSON log as a packet (see [`EventWriter`]). `progress` is called
/// with the bytes read so far.
pub fn json_to_pcapng<R: BufRead, W: Write>(
    mut input: R,
    output: W,
    mut progress: impl FnMut(u64),
) -> Result<ConvertStats, PcapngError> {
    let mut writer = EventWriter::new(output)?;
    let mut buf = Vec::new();
    let mut read = 0u64;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        writer.write_line(strip_newline(&buf), None)?;
        progress(read);
    }
    writer.flush()?;
    Ok(writer.stats)
}

fn strip_newline(buf: &[u8]) -> &[u8] {
    buf.strip_suffix(b"\n").unwrap_or(buf)
}

/// Writes the event lines found in a pcapng (ours, or merged/edited from ours), one per line.
pub fn pcapng_to_json<R: Read, W: Write>(input: R, mut output: W) -> Result<ConvertStats, PcapngError> {
    let mut reader = PcapNgReader::new(input)?;
    let mut stats = ConvertStats::default();
    // link types of the current section's interfaces, by interface id
    let mut linktypes: Vec<DataLink> = reader.interfaces().iter().map(|i| i.linktype).collect();
    while let Some(block) = reader.next_block() {
        let payload = match block? {
            Block::SectionHeader(_) => {
                linktypes.clear();
                continue;
            }
            Block::InterfaceDescription(idb) => {
                linktypes.push(idb.linktype);
                continue;
            }
            Block::EnhancedPacket(epb) => {
                let is_upper_pdu = linktypes.get(epb.interface_id as usize) == Some(&DataLink::WIRESHARK_UPPER_PDU);
                match is_upper_pdu.then(|| event_payload(&epb.data)).flatten() {
                    Some(p) => p.to_vec(),
                    None => {
                        stats.other_packets += 1;
                        continue;
                    }
                }
            }
            Block::SimplePacket(_) | Block::Packet(_) => {
                stats.other_packets += 1;
                continue;
            }
            _ => continue,
        };
        stats.events += 1;
        output.write_all(&payload)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let mut packet = frame_header();
        assert_eq!(packet.len(), 16);
        packet.extend_from_slice(b"{\"eventName\":\"x\"}");
        assert_eq!(event_payload(&packet), Some(&b"{\"eventName\":\"x\"}"[..]));
        assert_eq!(event_payload(b"\x00\x0c\x00\x04abc\x00\x00\x00\x00\x00{}"), None);
        assert_eq!(event_payload(b"\x00"), None);
    }

    #[test]
    fn json_lines_survive_pcapng_byte_for_byte() {
        let input = "{\"eventName\":\"a\",\"timestamp\":1000000001}\r\n\n{\"level\":\"info\",\"msg\":\"hi\"}\n[pod/p/c] {\"eventName\":\"b\",\"timestamp\":2}\nnot json\n{\"eventName\":\"c\"}";
        let mut pcap = Vec::new();
        let stats = json_to_pcapng(input.as_bytes(), &mut pcap, |_| {}).unwrap();
        assert_eq!((stats.events, stats.log_lines, stats.blank_lines, stats.malformed), (3, 1, 1, 1));
        let mut out = Vec::new();
        let back = pcapng_to_json(&pcap[..], &mut out).unwrap();
        assert_eq!(back.events, 4);
        let expected = "{\"eventName\":\"a\",\"timestamp\":1000000001}\r\n[pod/p/c] {\"eventName\":\"b\",\"timestamp\":2}\nnot json\n{\"eventName\":\"c\"}\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
