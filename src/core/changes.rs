//! Changes to the stored world, as `--state-file`'s log records them: each
//! mutation says which stored records it changed (their new state, or that
//! they are gone), under the same write guard as the change itself, so the
//! log's order is the order the changes were made in. What a change costs to
//! record is the size of the records it touched, never the size of the world.
//!
//! The core knows records only as JSON under a section, a list and a key:
//! which lists there are and what their records look like is each vendor's
//! (its snapshot section). Nothing is recorded unless a log is attached
//! ([`Changes::is_enabled`]), so a server without a state file pays nothing.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::watch;

use super::ids::IdsState;

/// One change to the state document (`crate::snapshot`), in the log as
/// `{"upsert": {...}}` (externally tagged: raw JSON values cannot be read
/// through serde's buffering of internally tagged enums).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// The record of `section.list` whose fields match `key` (an object of
    /// field values) is now `value`; appended when there is none.
    Upsert {
        section: String,
        list: String,
        key: Box<RawValue>,
        value: Box<RawValue>,
    },
    /// The record of `section.list` matching `key` is gone.
    Delete {
        section: String,
        list: String,
        key: Box<RawValue>,
    },
    /// `section.field` is now `value`, whole.
    Set {
        section: String,
        field: String,
        value: Box<RawValue>,
    },
    /// Where the id generators stand.
    Ids { ids: IdsState },
    /// The whole document (reset, scenario load, state import).
    Replace { document: Box<RawValue> },
}

fn raw(value: &impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("stored records serialize to JSON")
}

/// The changes made under the current write guard, not yet handed to the
/// log. Lives in the world so that every mutation can reach it.
#[derive(Debug, Default)]
pub struct Changes {
    enabled: bool,
    pending: Vec<Change>,
}

impl Changes {
    /// Whether a log wants changes; when not, recording them is skipped.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn enable(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    pub(crate) fn take(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.pending)
    }

    /// `value` is now the record of `section.list` with `key`.
    pub fn upsert(
        &mut self,
        section: &str,
        list: &str,
        key: &impl Serialize,
        value: &impl Serialize,
    ) {
        if self.enabled {
            self.pending.push(Change::Upsert {
                section: section.to_string(),
                list: list.to_string(),
                key: raw(key),
                value: raw(value),
            });
        }
    }

    /// The record of `section.list` with `key` is gone.
    pub fn delete(&mut self, section: &str, list: &str, key: &impl Serialize) {
        if self.enabled {
            self.pending.push(Change::Delete {
                section: section.to_string(),
                list: list.to_string(),
                key: raw(key),
            });
        }
    }

    /// `section.field` is now `value`.
    pub fn set(&mut self, section: &str, field: &str, value: &impl Serialize) {
        if self.enabled {
            self.pending.push(Change::Set {
                section: section.to_string(),
                field: field.to_string(),
                value: raw(value),
            });
        }
    }
}

/// Changes made under one write guard: applied whole or not at all.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub seq: u64,
    pub changes: Vec<Change>,
}

tokio::task_local! {
    /// The newest batch the current request made, so that its answer waits
    /// until that batch is durable (`0`: none).
    pub static WRITTEN: Cell<u64>;
}

/// How far the log is; `failed` once it cannot be written.
#[derive(Debug, Clone, Default)]
pub struct Durable {
    pub seq: u64,
    pub failed: Option<String>,
}

/// The queue between the write guards and the log writer: batches get
/// their sequence number when queued (under the world's write lock, so in
/// the order they were made) and are written, in order, by one writer.
#[derive(Debug)]
pub struct ChangeQueue {
    pending: Mutex<Pending>,
    wake: Condvar,
    durable: watch::Sender<Durable>,
}

#[derive(Debug, Default)]
struct Pending {
    /// The last sequence number given out.
    last: u64,
    batches: Vec<Batch>,
    stopping: bool,
}

impl ChangeQueue {
    /// A queue whose next batch is `after + 1`.
    pub fn new(after: u64) -> Self {
        ChangeQueue {
            pending: Mutex::new(Pending {
                last: after,
                ..Pending::default()
            }),
            wake: Condvar::new(),
            durable: watch::Sender::new(Durable {
                seq: after,
                failed: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a batch; its sequence number. Called under the world's
    /// write lock.
    pub fn push(&self, changes: Vec<Change>) -> u64 {
        let mut pending = self.lock();
        pending.last += 1;
        let seq = pending.last;
        pending.batches.push(Batch { seq, changes });
        drop(pending);
        self.wake.notify_one();
        let _ = WRITTEN.try_with(|written| written.set(written.get().max(seq)));
        seq
    }

    /// The last sequence number given out: under a read guard of the world
    /// no batch can be queued, so the world read is exactly up to it.
    pub fn last(&self) -> u64 {
        self.lock().last
    }

    /// Waits up to `timeout` for a batch to be queued; `false` once
    /// stopping with nothing queued.
    pub fn wait(&self, timeout: Duration) -> bool {
        let mut pending = self.lock();
        if pending.batches.is_empty() && !pending.stopping {
            pending = self
                .wake
                .wait_timeout(pending, timeout)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        !(pending.batches.is_empty() && pending.stopping)
    }

    /// Everything queued so far, without waiting.
    pub fn take_now(&self) -> Vec<Batch> {
        std::mem::take(&mut self.lock().batches)
    }

    /// Asks the writer to finish what is queued and stop.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.wake.notify_all();
    }

    /// Batches up to `seq` are durable.
    pub fn mark_durable(&self, seq: u64) {
        self.durable
            .send_modify(|durable| durable.seq = durable.seq.max(seq));
    }

    /// The log cannot be written: whoever waits gets `message`.
    pub fn mark_failed(&self, message: String) {
        self.durable
            .send_modify(|durable| durable.failed = Some(message.clone()));
    }

    /// Waits until batch `seq` is durable, or the log has failed.
    pub async fn wait_durable(&self, seq: u64) -> Result<(), String> {
        let mut durable = self.durable.subscribe();
        let reached = durable
            .wait_for(|durable| durable.seq >= seq || durable.failed.is_some())
            .await
            .map(|durable| durable.clone());
        match reached {
            Ok(Durable { seq: done, .. }) if done >= seq => Ok(()),
            Ok(Durable { failed, .. }) => Err(failed.unwrap_or_default()),
            Err(_) => Err("the state file's writer stopped".to_string()),
        }
    }
}
