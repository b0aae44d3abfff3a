//! The state file's log (`PATH.log`): one line per batch of changes (what
//! one write guard changed), each line `HASH JSON\n` with `HASH` the 16 hex
//! digits of the JSON's FNV-1a, so a line cut short by a crash is seen as
//! such. The first line names the snapshot the log follows (the hash of the
//! state file's bytes) and the last batch that snapshot holds.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::core::changes::Batch;

/// FNV-1a over bytes: the lines' and the snapshot's checksum.
pub fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The log's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The format: 1.
    pub mockcloud_state_log: u32,
    /// `fnv64` of the state file this log follows, in hex.
    pub snapshot: String,
    /// The last batch the state file holds; the log's batches follow it.
    pub seq: u64,
}

impl Header {
    pub fn new(snapshot: &[u8], seq: u64) -> Header {
        Header {
            mockcloud_state_log: 1,
            snapshot: format!("{:016x}", fnv64(snapshot)),
            seq,
        }
    }

    pub fn follows(&self, snapshot: &[u8]) -> bool {
        self.snapshot == format!("{:016x}", fnv64(snapshot))
    }
}

fn encode_line(out: &mut Vec<u8>, value: &impl Serialize) {
    let json = serde_json::to_vec(value).expect("a log line serializes");
    out.extend_from_slice(format!("{:016x} ", fnv64(&json)).as_bytes());
    out.extend_from_slice(&json);
    out.push(b'\n');
}

/// What a log holds: its header and its whole lines, and how many bytes at
/// the end are not a whole, intact line (a torn tail).
#[derive(Debug)]
pub struct Contents {
    pub header: Header,
    pub batches: Vec<Batch>,
    /// Where the header's line ends, and each batch's.
    header_len: u64,
    ends: Vec<u64>,
    /// Bytes of whole lines, then bytes after them.
    len: u64,
    pub torn: usize,
}

/// Reads a log; `None` when even the header is not whole.
pub fn read(bytes: &[u8]) -> Option<Contents> {
    // Whole lines whose checksum holds, with where each ends.
    let mut lines = Vec::new();
    let mut at = 0;
    while let Some(end) = bytes[at..].iter().position(|&b| b == b'\n') {
        let line = &bytes[at..at + end];
        let intact = line.len() > 17
            && line[16] == b' '
            && format!("{:016x}", fnv64(&line[17..])).as_bytes() == &line[..16];
        if !intact {
            break;
        }
        at += end + 1;
        lines.push((&line[17..], at));
    }
    let mut lines = lines.into_iter();
    let (header, header_len) = lines.next()?;
    let header: Header = serde_json::from_slice(header).ok()?;
    let mut batches: Vec<Batch> = Vec::new();
    let mut ends = Vec::new();
    for (json, end) in lines {
        // A line that does not read, or skips a batch, ends the log.
        match serde_json::from_slice::<Batch>(json) {
            Ok(batch) if batch.seq == header.seq + 1 + batches.len() as u64 => {
                ends.push(end as u64);
                batches.push(batch);
            }
            _ => break,
        }
    }
    let len = ends.last().map_or(header_len as u64, |end| *end);
    Some(Contents {
        header,
        batches,
        header_len: header_len as u64,
        ends,
        len,
        torn: bytes.len() - len as usize,
    })
}

/// `PATH.log` next to the state file `PATH`, and the name it is written
/// under before it replaces the log.
pub fn paths(state_file: &Path) -> (PathBuf, PathBuf) {
    let with = |suffix: &str| {
        let mut name = state_file.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    (with(".log"), with(".log.tmp"))
}

/// The open log, appended to by one writer at a time (it sits behind a
/// mutex): the writer thread, or a compaction rotating it.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    temporary: PathBuf,
    file: File,
    /// Bytes in the file.
    len: u64,
    /// Where the header ends.
    header_len: u64,
    /// The last batch the snapshot holds.
    base: u64,
    /// (batch, the offset its line ends at), for every batch in the file.
    ends: VecDeque<(u64, u64)>,
    /// The last batch in the file, and the last one fsynced.
    pub written: u64,
    pub synced: u64,
    /// Bytes appended since the log was opened (for the benchmark).
    pub appended: u64,
}

impl LogFile {
    /// Bytes of batches in the log (past the header).
    pub fn batch_bytes(&self) -> u64 {
        self.len - self.header_len
    }

    /// Appends batches (in order), without fsync.
    pub fn append(&mut self, batches: Vec<Batch>) -> io::Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        let mut buffer = Vec::new();
        let mut ends = Vec::with_capacity(batches.len());
        for batch in &batches {
            encode_line(&mut buffer, batch);
            ends.push((batch.seq, self.len + buffer.len() as u64));
        }
        self.file.write_all(&buffer)?;
        self.len += buffer.len() as u64;
        self.appended += buffer.len() as u64;
        self.ends.extend(ends);
        self.written = batches.last().map_or(self.written, |b| b.seq);
        Ok(())
    }

    /// Makes what was appended durable.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.synced < self.written {
            self.file.sync_data()?;
            self.synced = self.written;
        }
        Ok(())
    }

    /// A new log that follows `snapshot` (holding batches up to `seq`),
    /// with `tail` (lines of later batches) after its header, fsynced under
    /// the temporary name; `install` then puts it in place.
    fn prepare(
        path: &Path,
        temporary: &Path,
        snapshot: &[u8],
        seq: u64,
        tail: &[u8],
    ) -> io::Result<LogFile> {
        let mut buffer = Vec::new();
        encode_line(&mut buffer, &Header::new(snapshot, seq));
        let header_len = buffer.len() as u64;
        buffer.extend_from_slice(tail);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(temporary)?;
        file.write_all(&buffer)?;
        file.sync_all()?;
        Ok(LogFile {
            path: path.to_path_buf(),
            temporary: temporary.to_path_buf(),
            file,
            len: buffer.len() as u64,
            header_len,
            base: seq,
            ends: VecDeque::new(),
            written: seq,
            synced: seq,
            appended: 0,
        })
    }

    /// Goes on with the log `found` (`contents` read from it) that follows
    /// the state file: under its temporary name (a compaction cut short),
    /// it is put in place; a torn tail is cut off before anything is
    /// appended. The batches it holds become part of the next compaction.
    pub fn resume(state_file: &Path, found: &Path, contents: &Contents) -> io::Result<LogFile> {
        let (path, temporary) = paths(state_file);
        let file = OpenOptions::new().append(true).open(found)?;
        if contents.torn > 0 {
            file.set_len(contents.len)?;
            file.sync_all()?;
        }
        if found != path {
            fs::rename(found, &path)?;
            super::sync_dir(state_file)?;
        }
        let seq = contents.header.seq + contents.batches.len() as u64;
        Ok(LogFile {
            path,
            temporary,
            file,
            len: contents.len,
            header_len: contents.header_len,
            base: contents.header.seq,
            ends: contents
                .batches
                .iter()
                .map(|batch| batch.seq)
                .zip(contents.ends.iter().copied())
                .collect(),
            written: seq,
            synced: seq,
            appended: 0,
        })
    }

    /// A fresh log after the state file `snapshot_bytes` (holding batches
    /// up to `seq`), in place of any log there was.
    pub fn follow(state_file: &Path, snapshot_bytes: &[u8], seq: u64) -> io::Result<LogFile> {
        let (path, temporary) = paths(state_file);
        let log = LogFile::prepare(&path, &temporary, snapshot_bytes, seq, &[])?;
        fs::rename(&log.temporary, &log.path)?;
        super::sync_dir(state_file)?;
        Ok(log)
    }

    /// Puts the state file `snapshot_bytes`, written and fsynced at
    /// `snapshot_temporary`, in place of `state_file`, with a fresh log after
    /// it (holding no batch): how the log starts.
    pub fn start(
        state_file: &Path,
        snapshot_temporary: &Path,
        snapshot_bytes: &[u8],
        seq: u64,
    ) -> io::Result<LogFile> {
        let (path, temporary) = paths(state_file);
        let log = LogFile::prepare(&path, &temporary, snapshot_bytes, seq, &[])?;
        install(snapshot_temporary, state_file, &log)?;
        Ok(log)
    }

    /// Compaction: the state file `snapshot_bytes` (written and fsynced at
    /// `snapshot_temporary`) holds every batch up to `seq`, which are all in
    /// this log. The batches after it move to a new log that follows the new
    /// state file, and both are put in place; at every instant, the state
    /// file on disk has a log that follows it (the old one, or the new one
    /// under its temporary name), so a crash loses nothing.
    pub fn rotate(
        &mut self,
        state_file: &Path,
        snapshot_temporary: &Path,
        snapshot_bytes: &[u8],
        seq: u64,
    ) -> io::Result<()> {
        if seq > self.written || seq < self.base {
            return Err(io::Error::other(format!(
                "cannot compact to batch {seq}: the log holds {} to {}",
                self.base, self.written
            )));
        }
        let from = if seq == self.base {
            self.header_len
        } else {
            self.ends
                .iter()
                .find(|(batch, _)| *batch == seq)
                .map(|(_, end)| *end)
                .ok_or_else(|| io::Error::other(format!("batch {seq} is not in the log")))?
        };
        let mut tail = Vec::with_capacity((self.len - from) as usize);
        let mut reader = File::open(&self.path)?;
        reader.seek(SeekFrom::Start(from))?;
        reader.take(self.len - from).read_to_end(&mut tail)?;
        let mut next = LogFile::prepare(&self.path, &self.temporary, snapshot_bytes, seq, &tail)?;
        let shift = |end: u64| end - from + next.header_len;
        next.ends = self
            .ends
            .iter()
            .filter(|(batch, _)| *batch > seq)
            .map(|&(batch, end)| (batch, shift(end)))
            .collect();
        next.written = self.written;
        next.synced = self.written;
        next.appended = self.appended;
        install(snapshot_temporary, state_file, &next)?;
        *self = next;
        Ok(())
    }
}

/// The snapshot first, then the log that follows it; the directory is
/// fsynced after each rename, so they reach the disk in that order.
fn install(snapshot_temporary: &Path, state_file: &Path, log: &LogFile) -> io::Result<()> {
    fs::rename(snapshot_temporary, state_file)?;
    super::sync_dir(state_file)?;
    fs::rename(&log.temporary, &log.path)?;
    super::sync_dir(state_file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::changes::Change;

    fn batch(seq: u64) -> Batch {
        Batch {
            seq,
            changes: vec![Change::Set {
                section: "grafana".into(),
                field: "rate_limits".into(),
                value: serde_json::value::to_raw_value(&Vec::<u8>::new()).unwrap(),
            }],
        }
    }

    fn log_bytes(seq: u64, batches: &[u64]) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_line(&mut bytes, &Header::new(b"{}", seq));
        for &b in batches {
            encode_line(&mut bytes, &batch(b));
        }
        bytes
    }

    #[test]
    fn whole_lines_read_back_and_a_torn_tail_is_counted() {
        let bytes = log_bytes(4, &[5, 6, 7]);
        let read_back = read(&bytes).unwrap();
        assert!(read_back.header.follows(b"{}"));
        assert_eq!(read_back.batches.len(), 3);
        assert_eq!(read_back.torn, 0);
        for cut in 1..40 {
            let torn = &bytes[..bytes.len() - cut];
            let read_back = read(torn).unwrap();
            assert_eq!(read_back.batches.len(), 2, "cut {cut}");
            assert!(read_back.torn > 0);
        }
        // A flipped byte in the last line: that line is not whole.
        let mut flipped = bytes.clone();
        let at = flipped.len() - 5;
        flipped[at] ^= 1;
        assert_eq!(read(&flipped).unwrap().batches.len(), 2);
        // A gap in the sequence ends the log.
        assert_eq!(read(&log_bytes(4, &[5, 7])).unwrap().batches.len(), 1);
        assert!(read(&bytes[..10]).is_none());
    }
}
