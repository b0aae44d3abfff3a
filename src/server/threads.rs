//! The threads connections are served on: one single-threaded runtime
//! per thread, each connection kept on the thread it was given for its
//! whole life (the way actix-web serves, not tokio's work-stealing pool).
//!
//! On a work-stealing pool a connection's task runs on whichever worker
//! found it ready, so its buffers, its futures and every request's
//! allocations cross between cores all the time: measured on two cores,
//! that costs a request of the access-policy API about 2 µs of CPU, some
//! 15% of what it costs in all. Here the task, its memory and its
//! allocator stay on one core.
//!
//! A thread is started when a connection is given out while every
//! started thread already serves one, up to the count asked for (one per
//! CPU by default): a server that was never asked anything starts none. A
//! connection goes to the thread serving the fewest. Work that can take
//! more than a millisecond or two runs on the blocking pool
//! (`vendors::off_the_workers`), so a long request does not hold the
//! other connections of its thread.
//!
//! Dropping [`Threads`] tells every thread to stop: its runtime is dropped
//! on it, which ends the connections still on it.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The connection threads of one server.
pub struct Threads {
    /// As asked (`--threads`): 0 is one per CPU, counted when a second
    /// thread is wanted (reading the CPU quota takes a few file reads).
    asked: usize,
    max: std::sync::OnceLock<usize>,
    started: Mutex<Vec<Worker>>,
}

struct Worker {
    handle: Handle,
    /// Connections given to this thread and not yet ended.
    connections: Arc<AtomicUsize>,
    /// Dropped (with the `Threads`), it ends the thread's runtime.
    _stop: oneshot::Sender<()>,
}

/// How many threads `threads` asks for: 0 is one per CPU.
pub fn count(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

impl Threads {
    /// Up to `asked` threads ([`count`]), none started yet.
    pub fn new(asked: usize) -> Self {
        Threads {
            asked,
            max: std::sync::OnceLock::new(),
            started: Mutex::default(),
        }
    }

    fn max(&self) -> usize {
        *self.max.get_or_init(|| count(self.asked))
    }

    /// How many threads have been started.
    #[cfg(test)]
    fn started(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Worker>> {
        self.started.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves `stream` with `connection` on the thread serving the fewest
    /// connections (a new one if every started thread serves some and
    /// fewer than the most were started). When no thread can be started
    /// (the system refuses one) it is served on the current runtime.
    pub fn spawn<F, Fut>(&self, stream: TcpStream, connection: F)
    where
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Some((handle, connections)) = self.pick() else {
            tokio::spawn(connection(stream));
            return;
        };
        // Registered again with the chosen thread's reactor.
        let Ok(stream) = stream.into_std() else {
            // Already closed: nothing to serve.
            return;
        };
        connections.fetch_add(1, Ordering::Relaxed);
        let ended = Ended(connections);
        handle.spawn(async move {
            let _ended = ended;
            if let Ok(stream) = TcpStream::from_std(stream) {
                connection(stream).await;
            }
        });
    }

    /// The least busy thread, started if it has to be.
    fn pick(&self) -> Option<(Handle, Arc<AtomicUsize>)> {
        let mut started = self.lock();
        let least = started
            .iter()
            .min_by_key(|worker| worker.connections.load(Ordering::Relaxed));
        let idle = least.is_some_and(|worker| worker.connections.load(Ordering::Relaxed) == 0);
        if started.is_empty() || (!idle && started.len() < self.max()) {
            match start(started.len()) {
                Ok(worker) => started.push(worker),
                Err(error) => {
                    tracing::warn!(
                        target: "mockcloud::server",
                        %error,
                        "cannot start a connection thread"
                    );
                }
            }
        }
        started
            .iter()
            .min_by_key(|worker| worker.connections.load(Ordering::Relaxed))
            .map(|worker| (worker.handle.clone(), worker.connections.clone()))
    }
}

/// Counts a connection's end, however its task ends (finished, or
/// dropped with its thread's runtime).
struct Ended(Arc<AtomicUsize>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Starts thread `index`: its runtime is built on it (and dropped on it,
/// never in the async context that asked for it).
fn start(index: usize) -> std::io::Result<Worker> {
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, handle) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(format!("mockcloud-conn-{index}"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = ready.send(Err(error));
                    return;
                }
            };
            let _ = ready.send(Ok(runtime.handle().clone()));
            runtime.block_on(async move {
                let _ = stopped.await;
            });
        })?;
    let handle = handle
        .recv()
        .map_err(|_| std::io::Error::other("the connection thread ended at start"))??;
    Ok(Worker {
        handle,
        connections: Arc::default(),
        _stop: stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A connection that answers with its thread's name, then waits for
    /// the client to close.
    async fn serve_thread_name(mut stream: TcpStream) {
        let name = std::thread::current().name().unwrap_or("").to_string();
        let _ = stream.write_all(format!("{name}\n").as_bytes()).await;
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
    }

    async fn connect(listener: &TcpListener, threads: &Threads) -> (TcpStream, String) {
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (accepted, client) = tokio::join!(listener.accept(), client);
        threads.spawn(accepted.unwrap().0, serve_thread_name);
        let mut client = client.unwrap();
        let mut name = Vec::new();
        loop {
            let byte = client.read_u8().await.unwrap();
            if byte == b'\n' {
                break;
            }
            name.push(byte);
        }
        (client, String::from_utf8(name).unwrap())
    }

    #[tokio::test]
    async fn connections_spread_over_threads_started_when_needed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let threads = Threads::new(2);
        assert_eq!(threads.started(), 0, "none before a connection");
        let (first, first_on) = connect(&listener, &threads).await;
        assert_eq!(threads.started(), 1);
        assert!(first_on.starts_with("mockcloud-conn-"), "{first_on}");
        let (second, second_on) = connect(&listener, &threads).await;
        assert_eq!(threads.started(), 2, "the first thread was busy");
        assert_ne!(first_on, second_on, "each on its own thread");
        let (_third, third_on) = connect(&listener, &threads).await;
        assert_eq!(threads.started(), 2, "no more than asked for");
        assert!([&first_on, &second_on].contains(&&third_on));
        // The first connection ends: its thread is the least busy again.
        drop(first);
        drop(second);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while threads
            .lock()
            .iter()
            .map(|w| w.connections.load(Ordering::Relaxed))
            .sum::<usize>()
            > 1
        {
            assert!(std::time::Instant::now() < deadline, "ends not counted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (_fourth, fourth_on) = connect(&listener, &threads).await;
        assert_ne!(fourth_on, third_on, "given to the idle thread");
        assert_eq!(threads.started(), 2);
    }

    #[tokio::test]
    async fn dropping_the_threads_ends_their_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let threads = Threads::new(1);
        let (mut client, _) = connect(&listener, &threads).await;
        drop(threads);
        // The server side is dropped with the runtime: the client reads EOF.
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut rest))
            .await
            .expect("the connection is closed");
        assert_eq!(read.unwrap(), 0);
    }

    #[test]
    fn zero_threads_is_one_per_cpu() {
        assert_eq!(
            count(0),
            std::thread::available_parallelism().unwrap().get()
        );
        assert_eq!(count(3), 3);
    }
}
