//! `--state-file PATH`: the world kept on disk, and every acknowledged
//! change with it.
//!
//! - `PATH` is a snapshot: the state document (`GET /__admin/state`), as it
//!   always was. `PATH.log` is an append-only log of the changes made since
//!   (`log`): every mutation records the records it touched, under its write
//!   guard (`core::changes`), and one writer thread appends them, a line per
//!   write, and fsyncs; writes made while it syncs go in the next sync
//!   (group commit). A request that changed something is answered once its
//!   changes are durable (`acknowledge`), so a 2xx means on disk.
//! - In the background the log is compacted: the world is written whole to
//!   a new snapshot (under a read guard, so writes wait but reads do not)
//!   once the log reaches half the snapshot's size (at least
//!   [`COMPACT_MIN_BYTES`]), or [`COMPACT_AFTER`] after the last one if
//!   anything changed (token uses, which reads record, are saved this way),
//!   and at shutdown. A write costs the size of what it changed; the
//!   snapshots add at most twice that, amortized.
//! - At start the snapshot is read and the log replayed onto it (`replay`);
//!   a torn last line, a write cut short by a crash, is ignored with a
//!   warning (it was never acknowledged). Then a fresh snapshot is written
//!   and the log starts again.

mod log;
mod replay;

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use self::log::LogFile;
use crate::core::changes::{ChangeQueue, WRITTEN};
use crate::engine::Engine;
use crate::snapshot::{self, Snapshot};

/// How often the compactor looks at the log.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(200);

/// The log is never compacted below this size, however small the world.
pub const COMPACT_MIN_BYTES: u64 = 1024 * 1024;

/// A snapshot is written this long after the last one when anything
/// changed, even if the log is still small.
pub const COMPACT_AFTER: Duration = Duration::from_secs(60);

/// In `write` mode, how often the log is fsynced.
pub const WRITE_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// When a change counts as saved (`--state-sync`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateSync {
    /// The change is fsynced to the log before its 2xx is sent: it survives
    /// `kill -9`, an OS crash and a power cut. The default.
    #[default]
    Fsync,
    /// The change is written to the log (handed to the OS) before its 2xx
    /// is sent, and fsynced within a second: it survives `kill -9`, but an
    /// OS crash or a power cut may lose the last second.
    Write,
    /// The 2xx is sent at once; the change is written and fsynced by the
    /// next group commit, a few milliseconds later: a `kill -9` may lose
    /// them.
    None,
}

impl std::str::FromStr for StateSync {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "fsync" => Ok(StateSync::Fsync),
            "write" => Ok(StateSync::Write),
            "none" => Ok(StateSync::None),
            _ => Err(format!(
                "unknown state sync mode {text:?}: one of fsync, write, none"
            )),
        }
    }
}

fn lock(log: &Mutex<LogFile>) -> MutexGuard<'_, LogFile> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

/// What was found at start.
enum Recovered {
    /// No state file yet.
    Nothing,
    /// A state file without a log that follows it.
    Snapshot(Vec<u8>),
    /// A state file and the log that follows it (at `PathBuf`), replayed.
    Logged(Vec<u8>, PathBuf, log::Contents),
}

/// Reads the state file and replays its log into `engine`. A file that
/// does not load, or a log that does not replay, is an error, and both are
/// left as they are.
fn recover(path: &Path, engine: &Engine) -> Result<Recovered, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Recovered::Nothing),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let invalid = |e: String| format!("invalid state file {}: {e}", path.display());
    let (log_path, log_temporary) = log::paths(path);
    // The log, or (after a crash in the middle of a compaction) the new log
    // still under its temporary name: whichever follows this snapshot.
    let mut found = None;
    let mut stale = false;
    for candidate in [&log_path, &log_temporary] {
        let Ok(contents) = fs::read(candidate) else {
            continue;
        };
        match log::read(&contents) {
            Some(contents) if contents.header.follows(&bytes) => {
                found = Some((candidate.clone(), contents));
                break;
            }
            _ => stale |= candidate == &log_path,
        }
    }
    let Some((log_file, mut contents)) = found else {
        if stale {
            eprintln!(
                "mockcloud: warning: {} does not follow {} (was the state file replaced?); \
                 it is ignored and replaced",
                log_path.display(),
                path.display()
            );
        }
        snapshot::parse(&bytes)
            .and_then(|snapshot| engine.import(snapshot))
            .map_err(|e| invalid(e.to_string()))?;
        return Ok(Recovered::Snapshot(bytes));
    };
    if contents.torn > 0 {
        eprintln!(
            "mockcloud: warning: {} ends with {} bytes that are not a whole change \
             (a write cut short by a crash, never acknowledged); ignored",
            log_file.display(),
            contents.torn
        );
    }
    let document = if contents.batches.is_empty() {
        bytes.clone()
    } else {
        let mut document = replay::Document::parse(&bytes).map_err(invalid)?;
        for batch in &mut contents.batches {
            let at = batch.seq;
            for change in std::mem::take(&mut batch.changes) {
                document.apply(change).map_err(|e| {
                    format!(
                        "cannot replay change {at} of {} onto {}: {e}",
                        log_file.display(),
                        path.display()
                    )
                })?;
            }
        }
        document.to_bytes()
    };
    snapshot::parse(&document)
        .and_then(|snapshot| engine.import(snapshot))
        .map_err(|e| {
            format!(
                "invalid state after replaying {} onto {}: {e}",
                log_file.display(),
                path.display()
            )
        })?;
    Ok(Recovered::Logged(bytes, log_file, contents))
}

/// `.NAME.tmp` next to `path`: where a snapshot is written before it
/// replaces the state file.
fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} names no file", path.display())))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(".tmp");
    Ok(directory(path).join(temporary_name))
}

fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a rename in `path`'s directory durable.
#[cfg(unix)]
fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(directory(path))?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// The world whole, as the state file holds it.
fn snapshot_bytes(snapshot: &Snapshot) -> io::Result<Vec<u8>> {
    serde_json::to_vec_pretty(snapshot).map_err(io::Error::other)
}

/// The state file at work: the log writer and the compactor, two threads.
#[derive(Debug)]
pub struct Durability {
    queue: Arc<ChangeQueue>,
    sync: StateSync,
    stop: Option<mpsc::Sender<()>>,
    compactor: Option<JoinHandle<()>>,
}

impl Durability {
    /// Loads the state file (replaying its log) into `engine`, writes a
    /// fresh snapshot with an empty log after it, and from then on logs
    /// every change.
    pub fn open(path: PathBuf, engine: Arc<Engine>, sync: StateSync) -> Result<Self, String> {
        let shown = path.display().to_string();
        let cannot = |e: io::Error| format!("cannot write state file {shown}: {e}");
        // What the first compaction, at once in the background, is for: a
        // replayed log, or a state file written by someone else.
        let (log, compact_first, snapshot_len) = match recover(&path, &engine)? {
            Recovered::Nothing => {
                let bytes = snapshot_bytes(&engine.export()).map_err(cannot)?;
                let temporary = temporary_path(&path).map_err(cannot)?;
                write_synced(&temporary, &bytes).map_err(cannot)?;
                let log = LogFile::start(&path, &temporary, &bytes, 0).map_err(cannot)?;
                (log, false, bytes.len())
            }
            Recovered::Snapshot(bytes) => {
                let log = LogFile::follow(&path, &bytes, 0).map_err(cannot)?;
                (log, true, bytes.len())
            }
            Recovered::Logged(bytes, found, contents) => {
                let log = LogFile::resume(&path, &found, &contents).map_err(cannot)?;
                let replayed = !contents.batches.is_empty() || contents.torn > 0;
                (log, replayed, bytes.len())
            }
        };
        let seq = log.written;
        let log = Arc::new(Mutex::new(log));
        let queue = Arc::new(ChangeQueue::new(seq));
        engine.attach_log(queue.clone());
        let writer = {
            let (queue, log) = (queue.clone(), log.clone());
            std::thread::Builder::new()
                .name("mockcloud-log".into())
                .spawn(move || write_log(&queue, &log, sync))
                .map_err(cannot)?
        };
        let (stop, stopped) = mpsc::channel();
        let compactor = {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("mockcloud-compactor".into())
                .spawn(move || {
                    compact_in_background(
                        &path,
                        &engine,
                        &queue,
                        &log,
                        &stopped,
                        snapshot_len as u64,
                        compact_first,
                    );
                    queue.stop();
                    let _ = writer.join();
                })
                .map_err(cannot)?
        };
        Ok(Durability {
            queue,
            sync,
            stop: Some(stop),
            compactor: Some(compactor),
        })
    }

    /// The queue changes go to, for [`acknowledge`].
    pub fn queue(&self) -> Arc<ChangeQueue> {
        self.queue.clone()
    }

    /// Whether answers wait for their changes to be saved.
    pub fn acknowledges(&self) -> bool {
        self.sync != StateSync::None
    }

    /// Writes a last snapshot (if anything changed) and waits for it.
    pub async fn finish(mut self) {
        self.stop.take();
        if let Some(compactor) = self.compactor.take() {
            let _ = tokio::task::spawn_blocking(move || compactor.join()).await;
        }
    }
}

impl Drop for Durability {
    /// The threads write a last snapshot and stop on their own.
    fn drop(&mut self) {
        self.stop.take();
    }
}

/// The log writer: appends what is queued, fsyncs (group commit), and says
/// how far the log is durable; until the queue stops and is empty.
fn write_log(queue: &ChangeQueue, log: &Mutex<LogFile>, sync: StateSync) {
    let mut synced_at = Instant::now();
    let mut failed = false;
    loop {
        let more = queue.wait(SAVE_INTERVAL);
        let mut log = lock(log);
        // Taken under the log's lock, as a compaction does: in order.
        let batches = queue.take_now();
        if failed {
            if !more {
                break;
            }
            continue;
        }
        let result = log.append(batches).and_then(|()| match sync {
            StateSync::Write => {
                queue.mark_durable(log.written);
                if synced_at.elapsed() >= WRITE_SYNC_INTERVAL || !more {
                    synced_at = Instant::now();
                    log.sync()
                } else {
                    Ok(())
                }
            }
            StateSync::Fsync | StateSync::None => {
                log.sync()?;
                queue.mark_durable(log.written);
                Ok(())
            }
        });
        if let Err(e) = result {
            failed = true;
            let message = format!("cannot write the state file's log: {e}");
            eprintln!("mockcloud: {message}; changes are no longer saved");
            queue.mark_failed(message);
        }
        if !more {
            break;
        }
    }
}

fn compact_in_background(
    path: &Path,
    engine: &Engine,
    queue: &ChangeQueue,
    log: &Mutex<LogFile>,
    stopped: &mpsc::Receiver<()>,
    mut snapshot_len: u64,
    mut compact_now: bool,
) {
    let mut compacted_at = Instant::now();
    let mut counted = engine.changes();
    loop {
        let stopping = !compact_now
            && !matches!(
                stopped.recv_timeout(SAVE_INTERVAL),
                Err(RecvTimeoutError::Timeout)
            );
        let logged = lock(log).batch_bytes();
        let moved = engine.changes() != counted;
        let due = logged >= (snapshot_len / 2).max(COMPACT_MIN_BYTES)
            || (moved && compacted_at.elapsed() >= COMPACT_AFTER)
            || (stopping && (moved || logged > 0))
            || std::mem::take(&mut compact_now);
        if due {
            match compact(path, engine, queue, log) {
                Ok((len, changes)) => {
                    snapshot_len = len;
                    counted = changes;
                    compacted_at = Instant::now();
                }
                Err(e) => eprintln!("mockcloud: cannot save the state file: {e}"),
            }
        }
        if stopping {
            break;
        }
    }
}

/// Writes the world whole as the new snapshot and starts the log again
/// after it; the snapshot's size and the change count it holds.
fn compact(
    path: &Path,
    engine: &Engine,
    queue: &ChangeQueue,
    log: &Mutex<LogFile>,
) -> io::Result<(u64, u64)> {
    // Read before the world: a change made after is saved next time.
    let counted = engine.changes();
    let (snapshot, seq) = {
        // No batch can be queued under a read guard: the world read is
        // exactly up to `seq`.
        let world = engine.read();
        (Snapshot::of(&world), queue.last())
    };
    let bytes = snapshot_bytes(&snapshot)?;
    drop(snapshot);
    let temporary = temporary_path(path)?;
    write_synced(&temporary, &bytes)?;
    let mut log = lock(log);
    log.append(queue.take_now())?;
    log.rotate(path, &temporary, &bytes, seq)?;
    queue.mark_durable(log.written);
    Ok((bytes.len() as u64, counted))
}

/// Holds a request's answer until the changes it made are durable; a
/// change that cannot be saved gets a 500 instead of its 2xx.
pub async fn acknowledge(
    State(queue): State<Arc<ChangeQueue>>,
    request: Request,
    next: Next,
) -> Response {
    let (response, written) = WRITTEN
        .scope(Cell::new(0), async move {
            let response = next.run(request).await;
            (response, WRITTEN.with(Cell::get))
        })
        .await;
    if written == 0 {
        return response;
    }
    match queue.wait_durable(written).await {
        Ok(()) => response,
        Err(problem) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({
                "error": format!("the change was made but not saved: {problem}")
            })),
        )
            .into_response(),
    }
}
