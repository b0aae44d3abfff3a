//! `--state-file`: the world kept on disk. Loaded at start when the file
//! exists; saved whenever the world changed (looked at every
//! [`SAVE_INTERVAL`]) and once more at shutdown. Each save writes a
//! temporary file in the same directory, fsyncs it, renames it over the
//! target and fsyncs the directory, so a crash at any moment leaves the old
//! file or the new one, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::snapshot;

/// How often the saver looks for changes.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(200);

/// Replaces the engine's world with the file's; `Ok(false)` when there is
/// no file yet. A file that does not load is an error, never overwritten.
pub fn load(path: &Path, engine: &Engine) -> Result<bool, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    snapshot::parse(&bytes)
        .and_then(|snapshot| engine.import(snapshot))
        .map_err(|e| format!("invalid state file {}: {e}", path.display()))?;
    Ok(true)
}

/// Writes the engine's world to `path`, atomically.
pub fn save(path: &Path, engine: &Engine) -> io::Result<()> {
    let document = serde_json::to_vec_pretty(&engine.export()).map_err(io::Error::other)?;
    write_atomically(path, &document)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} names no file", path.display())))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(".tmp");
    let temporary = dir.join(temporary_name);
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    sync_dir(dir)
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The background task that keeps the file up to date.
#[derive(Debug)]
pub struct Saver {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Saver {
    pub fn spawn(path: PathBuf, engine: Arc<Engine>) -> Saver {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut saved = None;
            loop {
                // Stops on `finish` and when the saver is dropped.
                let stopping = tokio::select! {
                    _ = &mut stopped => true,
                    _ = tokio::time::sleep(SAVE_INTERVAL) => false,
                };
                // Read before exporting: a change made during the export
                // moves the count again and is saved next time.
                let changes = engine.changes();
                if saved != Some(changes) {
                    let (path, engine) = (path.clone(), engine.clone());
                    let result = tokio::task::spawn_blocking(move || save(&path, &engine)).await;
                    match result {
                        Ok(Ok(())) => saved = Some(changes),
                        Ok(Err(e)) => eprintln!("mockcloud: cannot save the state file: {e}"),
                        Err(e) => eprintln!("mockcloud: cannot save the state file: {e}"),
                    }
                }
                if stopping {
                    break;
                }
            }
        });
        Saver {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Saves a last time (if anything changed) and waits for it.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
