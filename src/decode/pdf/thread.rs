//! Where pdf-extract runs in the decoding process: a worker thread,
//! abandoned past the time limit (Rust cannot kill a thread: it keeps its
//! core until it ends or the process exits). Inside the decode worker of
//! [`isolate`](crate::decode::isolate) the process itself is killed at the
//! limit; in a library caller's process at most [`MAX_STUCK_THREADS`]
//! abandoned threads are tolerated, and while that many are still running
//! further PDFs are refused as `timeout` instead of piling up more.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use super::{extract, Extracted};
use crate::decode::{panic_message, quiet_panics};
use crate::error::{Error, ErrorKind, Result};
use crate::settings::Limits;

/// Abandoned (timed-out, still running) decoder threads tolerated in thread mode.
pub const MAX_STUCK_THREADS: usize = 4;

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

static STUCK_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Abandoned decoder threads still running (thread mode).
pub fn stuck_threads() -> usize {
    STUCK_THREADS.load(Ordering::SeqCst)
}

/// Set in a decode worker process: the process is the isolation (killed at
/// the time limit by its parent), so the pass runs inline, without a
/// thread and a copy of the file.
static INLINE: AtomicBool = AtomicBool::new(false);

/// Makes this process run the pass inline (the decode worker does).
pub fn run_inline() {
    INLINE.store(true, Ordering::SeqCst);
}

/// Runs the pdf-extract pass (step 2 of the module doc of
/// [`pdf`](super)) in a thread, or inline in a decode worker. The outer
/// error is a timeout or a refused start; the inner result is the pass's
/// own.
pub(super) fn run(bytes: &[u8], limits: &Limits) -> Result<Result<Extracted>> {
    if INLINE.load(Ordering::SeqCst) {
        return Ok(contained(bytes, limits));
    }
    in_thread(bytes, limits)
}

fn timeout_error(limits: &Limits) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "decoding the PDF took longer than {} s (raise --timeout to wait longer)",
            limits.timeout.as_secs_f64()
        ),
    )
}

fn in_thread(bytes: &[u8], limits: &Limits) -> Result<Result<Extracted>> {
    let stuck = STUCK_THREADS.load(Ordering::SeqCst);
    if stuck >= MAX_STUCK_THREADS {
        return Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "not decoded: {stuck} PDF decoder threads are still stuck on earlier documents \
                 (run the gongkai binary, which decodes PDFs in killable worker processes)"
            ),
        ));
    }
    let owned = bytes.to_vec();
    let limits_owned = limits.clone();
    // RUNNING, then FINISHED (set by the thread) or ABANDONED (set by us):
    // whoever comes second undoes nothing, so the count stays exact.
    let state = Arc::new(AtomicU8::new(RUNNING));
    let state_in_thread = Arc::clone(&state);
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("gongkai-pdf".into())
        .spawn(move || {
            quiet_panics();
            let result = contained(&owned, &limits_owned);
            // The receiver may have given up (timeout): nothing to do then.
            let _ = tx.send(result);
            if state_in_thread.swap(FINISHED, Ordering::SeqCst) == ABANDONED {
                STUCK_THREADS.fetch_sub(1, Ordering::SeqCst);
            }
        });
    if let Err(e) = spawned {
        return Err(Error::new(
            ErrorKind::DecoderFailed,
            format!("cannot start the PDF decoder thread: {e}"),
        ));
    }
    match rx.recv_timeout(limits.timeout) {
        Ok(r) => Ok(r),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Counted before the state changes, so the thread's decrement
            // never comes first.
            STUCK_THREADS.fetch_add(1, Ordering::SeqCst);
            if state.swap(ABANDONED, Ordering::SeqCst) == FINISHED {
                // It finished (and sent) in the meantime after all.
                STUCK_THREADS.fetch_sub(1, Ordering::SeqCst);
                if let Ok(r) = rx.try_recv() {
                    return Ok(r);
                }
            }
            Err(timeout_error(limits))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Ok(Err(Error::new(
            ErrorKind::DecoderFailed,
            "the PDF decoder thread ended without a result",
        ))),
    }
}

/// The pass with its panics caught.
fn contained(bytes: &[u8], limits: &Limits) -> Result<Extracted> {
    panic::catch_unwind(AssertUnwindSafe(|| extract(bytes, limits))).unwrap_or_else(|payload| {
        Err(Error::new(
            ErrorKind::DecoderFailed,
            format!("pdf-extract failed: {}", panic_message(&payload)),
        ))
    })
}
