//! Where the binary's log lines go: a shared buffer that request threads
//! append a formatted line to, and one thread that writes what has piled
//! up to stderr (part of the `mockcloud` binary, not the library).
//!
//! tracing-appender's writer hands each line over a channel, so under load
//! its thread is woken for every line: on a small machine those wake-ups
//! and the context switches they cause cost more than the lines
//! themselves. Here a line costs an append under a short lock; the writer
//! thread is woken only when it sleeps with nothing to write, and after
//! each write it lets 10 ms of lines gather before the next.
//! A quiet server's line is written at once; a busy one's in batches.
//!
//! A stderr nobody reads never blocks a request: past [`MAX_PENDING`]
//! bytes waiting, lines are dropped and counted, and the count is written
//! when stderr takes lines again.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Lines waiting beyond this many bytes are dropped (and counted).
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// After a write, how long the writer lets lines gather.
const GATHER: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    dropped: u64,
    /// The writer waits for lines (a new one must wake it).
    idle: bool,
    closed: bool,
}

/// Where lines go: `out` until the writer thread takes it.
type Out = Box<dyn Write + Send>;

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// The writer thread runs (read per line, without a lock).
    started: AtomicBool,
    /// stderr, until the writer thread takes it.
    out: Mutex<Option<Out>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn relock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while appending leaves whole lines or none: carry on.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        relock(&self.pending)
    }

    /// Starts the writer thread with the first line, not at start-up (a
    /// thread's start is a tenth of a millisecond). Should the system
    /// refuse a thread, what is pending is written here and now, and the
    /// next line tries again.
    fn start_writer(self: &Arc<Self>) {
        let mut thread = relock(&self.thread);
        if self.started.load(Ordering::Acquire) {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("mockcloud-log".to_string())
            .spawn({
                let shared = self.clone();
                move || {
                    let out = relock(&shared.out).take();
                    if let Some(out) = out {
                        write_lines(&shared, out);
                    }
                }
            });
        match spawned {
            Ok(handle) => {
                *thread = Some(handle);
                self.started.store(true, Ordering::Release);
            }
            Err(_) => self.write_here(),
        }
    }

    /// Writes what is pending on this thread (no writer thread runs).
    fn write_here(&self) {
        let (lines, dropped) = {
            let mut pending = self.lock();
            (
                std::mem::take(&mut pending.lines),
                std::mem::take(&mut pending.dropped),
            )
        };
        if let Some(out) = relock(&self.out).as_mut() {
            write_batch(out, &lines, dropped);
        }
    }
}

/// What `tracing_subscriber::fmt` writes lines to.
#[derive(Clone)]
pub struct LogSink(Arc<Shared>);

/// Flushes what is pending and stops the writer thread when dropped.
pub struct Guard {
    shared: Arc<Shared>,
}

/// A sink over `out` (stderr); its writer thread starts with the first
/// line.
pub fn start(out: impl Write + Send + 'static) -> (LogSink, Guard) {
    let shared = Arc::new(Shared {
        pending: Mutex::default(),
        wake: Condvar::new(),
        started: AtomicBool::new(false),
        out: Mutex::new(Some(Box::new(out))),
        thread: Mutex::new(None),
    });
    (LogSink(shared.clone()), Guard { shared })
}

fn write_batch(out: &mut impl Write, lines: &[u8], dropped: u64) {
    if dropped > 0 {
        let _ = writeln!(
            out,
            "mockcloud: {dropped} log line(s) dropped: stderr was not read fast enough"
        );
    }
    // A write error (stderr closed) loses these lines, nothing else.
    let _ = out.write_all(lines).and_then(|()| out.flush());
}

fn write_lines(shared: &Shared, mut out: impl Write) {
    let mut batch = Vec::new();
    loop {
        let (dropped, closed) = {
            let mut pending = shared.lock();
            while pending.lines.is_empty() && pending.dropped == 0 && !pending.closed {
                pending.idle = true;
                pending = shared
                    .wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            pending.idle = false;
            std::mem::swap(&mut pending.lines, &mut batch);
            (std::mem::take(&mut pending.dropped), pending.closed)
        };
        write_batch(&mut out, &batch, dropped);
        batch.clear();
        if closed {
            let rest = std::mem::take(&mut shared.lock().lines);
            write_batch(&mut out, &rest, 0);
            return;
        }
        std::thread::sleep(GATHER);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        let thread = relock(&self.shared.thread).take();
        match thread {
            Some(thread) => {
                let _ = thread.join();
            }
            // No line came (or no thread could start): whatever is
            // pending is written here.
            None => self.shared.write_here(),
        }
    }
}

impl LogSink {
    fn append(&self, line: &[u8]) {
        let mut pending = self.0.lock();
        if pending.lines.len() + line.len() > MAX_PENDING {
            pending.dropped += 1;
        } else {
            pending.lines.extend_from_slice(line);
        }
        if std::mem::take(&mut pending.idle) {
            drop(pending);
            self.0.wake.notify_one();
        } else if !self.0.started.load(Ordering::Acquire) {
            drop(pending);
            self.0.start_writer();
        }
    }
}

/// One event's line: tracing's formatter writes it whole, in one call,
/// appended as it comes; a line written in pieces is kept until its end
/// (or the writer's drop), so it is never split by another thread's.
pub struct Line<'a> {
    sink: &'a LogSink,
    partial: Vec<u8>,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.partial.is_empty() && bytes.ends_with(b"\n") {
            self.sink.append(bytes);
        } else {
            self.partial.extend_from_slice(bytes);
            if self.partial.ends_with(b"\n") {
                self.sink.append(&self.partial);
                self.partial.clear();
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            self.sink.append(&self.partial);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line {
            sink: self,
            partial: Vec::new(),
        }
    }
}

/// The text format's line, as tracing-subscriber's default full format
/// writes it for an event outside any span (`TIMESTAMP  LEVEL target:
/// message field=value ...`), written straight into the line: no styled
/// wrappers, the timestamp's date and time formatted once a second.
pub struct TextLine;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for TextLine
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _context: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        write_timestamp(&mut writer)?;
        let level = *meta.level();
        if writer.has_ansi_escapes() {
            let color = match level {
                tracing::Level::ERROR => "31",
                tracing::Level::WARN => "33",
                tracing::Level::INFO => "32",
                tracing::Level::DEBUG => "34",
                tracing::Level::TRACE => "35",
            };
            write!(writer, " \x1b[{color}m{level:>5}\x1b[0m ")?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        writer.write_str(meta.target())?;
        writer.write_str(":")?;
        let mut fields = Fields {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// `2026-12-02T14:57:43.041016Z`: the part to the second is kept per
/// thread and formatted again only when the second changes.
fn write_timestamp(writer: &mut impl std::fmt::Write) -> std::fmt::Result {
    use std::cell::RefCell;
    use std::fmt::Write as _;
    thread_local! {
        static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    let now = chrono::Utc::now();
    let second = now.timestamp();
    SECOND.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != second {
            cached.1.clear();
            let _ = write!(cached.1, "{}", now.format("%Y-%m-%dT%H:%M:%S"));
            cached.0 = second;
        }
        write!(
            writer,
            "{}.{:06}Z",
            cached.1,
            now.timestamp_subsec_micros().min(999_999)
        )
    })
}

/// An event's fields as `name=value`, the message bare, each after a space;
/// text values quoted and escaped (`Debug`), the rest as they display.
struct Fields<'w, 'a> {
    writer: &'w mut tracing_subscriber::fmt::format::Writer<'a>,
    result: std::fmt::Result,
}

impl Fields<'_, '_> {
    fn field(&mut self, field: &tracing::field::Field, value: std::fmt::Arguments<'_>) {
        if self.result.is_ok() {
            let name = field.name();
            self.result = if name == "message" {
                write!(self.writer, " {value}")
            } else {
                write!(self.writer, " {}={value}", name.trim_start_matches("r#"))
            };
        }
    }
}

impl tracing::field::Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.field(field, format_args!("{value}"));
        } else {
            self.field(field, format_args!("{value:?}"));
        }
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.field(field, format_args!("{value}"));
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.field(field, format_args!("{value}"));
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.field(field, format_args!("{value}"));
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.field(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.field(field, format_args!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_and_the_guard_flushes() {
        use tracing_subscriber::fmt::MakeWriter;
        let out = Collected::default();
        let (sink, guard) = start(out.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        writeln!(sink.make_writer(), "thread {t} line {i}").unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 2000);
        for t in 0..4 {
            let prefix = format!("thread {t} line ");
            let seen: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&prefix))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(seen, (0..500).collect::<Vec<_>>(), "thread {t}'s lines");
        }
    }

    /// A server that logs nothing starts no writer thread; its first line
    /// starts it, and the line is written.
    #[test]
    fn the_writer_thread_starts_with_the_first_line() {
        use tracing_subscriber::fmt::MakeWriter;
        let out = Collected::default();
        let (sink, guard) = start(out.clone());
        assert!(!sink.0.started.load(Ordering::Acquire));
        assert!(relock(&sink.0.thread).is_none());
        writeln!(sink.make_writer(), "first").unwrap();
        assert!(sink.0.started.load(Ordering::Acquire));
        assert!(relock(&sink.0.thread).is_some());
        writeln!(sink.make_writer(), "second").unwrap();
        drop(guard);
        assert_eq!(&*out.0.lock().unwrap(), b"first\nsecond\n");
        assert!(relock(&sink.0.thread).is_none(), "the guard joined it");
    }

    #[test]
    fn a_sink_that_never_wrote_flushes_nothing_and_stops_cleanly() {
        let out = Collected::default();
        let (sink, guard) = start(out.clone());
        drop(guard);
        assert!(out.0.lock().unwrap().is_empty());
        assert!(!sink.0.started.load(Ordering::Acquire));
    }

    #[test]
    fn a_line_written_in_pieces_stays_whole() {
        use tracing_subscriber::fmt::MakeWriter;
        let out = Collected::default();
        let (sink, guard) = start(out.clone());
        {
            let mut line = sink.make_writer();
            line.write_all(b"one ").unwrap();
            line.write_all(b"two ").unwrap();
            line.write_all(b"three\n").unwrap();
        }
        drop(guard);
        assert_eq!(&*out.0.lock().unwrap(), b"one two three\n");
    }

    /// A writer that never returns (a stderr pipe nobody reads) costs lines,
    /// never a request: appends keep returning, beyond the cap they are
    /// counted, and the count is written once the pipe moves again.
    #[test]
    fn a_stuck_stderr_drops_lines_and_says_how_many() {
        use tracing_subscriber::fmt::MakeWriter;
        struct Stuck(Arc<(Mutex<bool>, Condvar)>, Collected);
        impl Write for Stuck {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let (open, moved) = &*self.0;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = moved.wait(open).unwrap();
                }
                self.1.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let out = Collected::default();
        let (sink, guard) = start(Stuck(gate.clone(), out.clone()));
        let line = [b'x'; 1023];
        let lines = 2 * MAX_PENDING / 1024;
        for _ in 0..lines {
            let mut writer = sink.make_writer();
            writer.write_all(&line).unwrap();
            writer.write_all(b"\n").unwrap();
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let written = text.lines().filter(|l| l.starts_with('x')).count();
        let dropped: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("mockcloud: "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("the dropped lines are counted");
        assert!(written < lines, "{written} of {lines} written");
        assert_eq!(written + dropped, lines);
    }
}
