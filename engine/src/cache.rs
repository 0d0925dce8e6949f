//! A bounded cache of recent dissections, for front ends that dissect the same event again:
//! Wireshark re-dissects the packet an analyst clicks on, and `tshark -2` dissects every packet
//! twice. Direct-mapped by frame number, so its size is fixed and a lookup costs one comparison of
//! the line; an entry is served only for the same frame, the same line bytes and the same
//! enrichment generation (a hot reload of the rules must show on the next dissection).

use std::sync::Arc;

use crate::Dissection;

/// Lines longer than this are not kept: the cache stays small whatever the file holds.
pub const MAX_CACHED_LINE: usize = 16 * 1024;

pub struct DissectionCache {
    slots: Vec<Option<Slot>>,
    pub hits: u64,
    pub misses: u64,
}

struct Slot {
    frame: u32,
    generation: u64,
    line: Vec<u8>,
    dissection: Arc<Dissection>,
}

impl DissectionCache {
    pub fn new(slots: usize) -> DissectionCache {
        DissectionCache { slots: (0..slots.max(1)).map(|_| None).collect(), hits: 0, misses: 0 }
    }

    fn index(&self, frame: u32) -> usize {
        frame as usize % self.slots.len()
    }

    /// The dissection kept for this frame, if it was of the same line under the same rules.
    pub fn get(&mut self, frame: u32, generation: u64, line: &[u8]) -> Option<Arc<Dissection>> {
        let found = match &self.slots[self.index(frame)] {
            Some(s) if s.frame == frame && s.generation == generation && s.line == line => Some(s.dissection.clone()),
            _ => None,
        };
        if found.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        found
    }

    pub fn put(&mut self, frame: u32, generation: u64, line: &[u8], dissection: Arc<Dissection>) {
        if line.len() > MAX_CACHED_LINE {
            return;
        }
        let i = self.index(frame);
        match &mut self.slots[i] {
            // reuse the slot's buffer: no allocation once the cache is warm
            Some(s) => {
                s.frame = frame;
                s.generation = generation;
                s.line.clear();
                s.line.extend_from_slice(line);
                s.dissection = dissection;
            }
            empty => *empty = Some(Slot { frame, generation, line: line.to_vec(), dissection }),
        }
    }

    /// Entries currently held (at most the number of slots).
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dissection(line: &[u8]) -> Arc<Dissection> {
        Arc::new(crate::dissect(line))
    }

    const A: &[u8] = br#"{"timestamp":1,"eventName":"open","args":[]}"#;
    const B: &[u8] = br#"{"timestamp":2,"eventName":"close","args":[]}"#;

    #[test]
    fn serves_the_same_frame_line_and_generation_only() {
        let mut c = DissectionCache::new(4);
        assert!(c.get(1, 0, A).is_none());
        let d = dissection(A);
        c.put(1, 0, A, d.clone());
        assert!(Arc::ptr_eq(&c.get(1, 0, A).unwrap(), &d));
        assert!(c.get(1, 0, B).is_none(), "another line under the same frame number (another file)");
        assert!(c.get(1, 1, A).is_none(), "the rules were reloaded since");
        assert!(c.get(2, 0, A).is_none(), "another frame");
        assert_eq!((c.hits, c.misses), (1, 4));
    }

    #[test]
    fn holds_at_most_its_slots_and_skips_long_lines() {
        let mut c = DissectionCache::new(8);
        for frame in 0..1000 {
            c.put(frame, 0, A, dissection(A));
        }
        assert_eq!(c.len(), 8);
        assert!(c.get(999, 0, A).is_some() && c.get(991, 0, A).is_none(), "the newest frame of a slot wins");
        let long = vec![b' '; MAX_CACHED_LINE + 1];
        c.put(5000, 0, &long, dissection(&long));
        assert!(c.get(5000, 0, &long).is_none());
    }
}
