//! Where pdf-extract runs: in a child process (the `gongkai` binary does
//! this) or in a thread of the calling process (the library default).
//!
//! pdf-extract panics on some fonts, loops on some content streams and can
//! overflow its stack on self-referencing forms. A panic is caught either
//! way; a runaway loop or a stack overflow is only contained by a process:
//!
//! - **process** ([`PdfIsolation::Process`]): the executable is started as
//!   `EXE __pdf-worker PAGES OBJECTS DECODED`, reads the PDF on stdin and
//!   writes the result on stdout (postcard: compact binary serde, exact floats). Past the time limit it is killed;
//!   if it dies (abort, signal, out of memory) the document is
//!   `decoder_failed` and the batch goes on.
//! - **thread**: a worker thread, abandoned past the time limit (Rust cannot
//!   kill a thread: it keeps its core until it ends or the process exits).
//!   At most [`MAX_STUCK_THREADS`] abandoned threads are tolerated; while
//!   that many are still running, further PDFs are refused as `timeout`
//!   instead of piling up more.

use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{extract, panic_message, Extracted, QUIET_PANICS};
use crate::error::{Error, ErrorKind, Result};
use crate::settings::{Limits, PdfIsolation};

/// First argument that turns the `gongkai` binary into a PDF worker.
pub const WORKER_ARG: &str = "__pdf-worker";
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

/// What travels from the worker to the parent.
#[derive(Serialize, Deserialize)]
struct Reply {
    ok: Option<Extracted>,
    err: Option<(ErrorKind, String)>,
}

/// Runs the pdf-extract pass (step 2 of the module doc of
/// [`pdf`](super)) under the configured isolation. The outer error is a
/// timeout or a refused start; the inner result is the pass's own.
pub(super) fn run(
    bytes: &[u8],
    limits: &Limits,
    isolation: &PdfIsolation,
) -> Result<Result<Extracted>> {
    match isolation {
        PdfIsolation::Process(exe) => in_process(exe, bytes, limits),
        PdfIsolation::Thread => in_thread(bytes, limits),
    }
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
            QUIET_PANICS.with(|q| q.set(true));
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

fn in_process(exe: &Path, bytes: &[u8], limits: &Limits) -> Result<Result<Extracted>> {
    let start = Instant::now();
    let child = Command::new(exe)
        .arg(WORKER_ARG)
        .arg(limits.max_pages.to_string())
        .arg(limits.max_objects.to_string())
        .arg(limits.max_decoded_bytes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::new(
                ErrorKind::DecoderFailed,
                format!("cannot start the PDF worker {}: {e}", exe.display()),
            )
        })?;
    let (status, out) =
        match super::child::finish(child, Some(bytes.to_vec()), start, limits.timeout) {
            Ok(done) => done,
            Err(super::child::Stopped::Timeout) => return Err(timeout_error(limits)),
            Err(super::child::Stopped::Wait(e)) => {
                return Ok(Err(Error::new(
                    ErrorKind::DecoderFailed,
                    format!("waiting for the PDF worker failed: {e}"),
                )))
            }
        };
    match postcard::from_bytes::<Reply>(&out) {
        Ok(Reply { ok: Some(x), .. }) => Ok(Ok(x)),
        Ok(Reply {
            err: Some((kind, message)),
            ..
        }) => Ok(Err(Error::new(kind, message))),
        _ => Ok(Err(Error::new(
            ErrorKind::DecoderFailed,
            format!(
                "the PDF decoder crashed on this file ({}); the document was skipped",
                describe(status)
            ),
        ))),
    }
}

#[cfg(unix)]
fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(6) => "aborted: stack overflow or failed allocation".to_string(),
        Some(9) => "killed, probably out of memory".to_string(),
        Some(11) => "segmentation fault".to_string(),
        Some(s) => format!("signal {s}"),
        None => status.to_string(),
    }
}

#[cfg(not(unix))]
fn describe(status: std::process::ExitStatus) -> String {
    status.to_string()
}

/// The worker's side: `args` are what follows [`WORKER_ARG`]; the PDF comes
/// on stdin, the reply goes to stdout.
pub fn serve(args: &[String]) -> ExitCode {
    let defaults = Limits::default();
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let limits = Limits {
        max_pages: arg(0)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(defaults.max_pages),
        max_objects: arg(1).unwrap_or(defaults.max_objects),
        max_decoded_bytes: arg(2).unwrap_or(defaults.max_decoded_bytes),
        ..defaults
    };
    super::install_quiet_hook();
    QUIET_PANICS.with(|q| q.set(true));
    let mut bytes = Vec::new();
    if std::io::stdin().lock().read_to_end(&mut bytes).is_err() {
        return ExitCode::from(3);
    }
    let reply = match contained(&bytes, &limits) {
        Ok(x) => Reply {
            ok: Some(x),
            err: None,
        },
        Err(e) => Reply {
            ok: None,
            err: Some((e.kind, e.message)),
        },
    };
    let mut out = std::io::stdout().lock();
    let written = postcard::to_io(&reply, &mut out)
        .map(drop)
        .map_err(std::io::Error::other);
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(3),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A stand-in worker: a shell script.
    fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap_or_default();
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
        p
    }

    fn limits(secs: f64) -> Limits {
        Limits {
            timeout: Duration::from_secs_f64(secs),
            ..Limits::default()
        }
    }

    #[test]
    fn a_crashing_worker_is_decoder_failed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let segv = script(dir.path(), "segv", "cat >/dev/null; kill -SEGV $$");
        let r = in_process(&segv, b"%PDF-1.4", &limits(10.0));
        let Ok(Err(e)) = r else {
            panic!("{:?}", r.err())
        };
        assert_eq!(e.kind, ErrorKind::DecoderFailed);
        assert!(e.message.contains("segmentation fault"), "{}", e.message);
        let garbage = script(dir.path(), "garbage", "cat >/dev/null; echo '{not json'");
        let r = in_process(&garbage, b"%PDF-1.4", &limits(10.0));
        assert!(matches!(r, Ok(Err(ref e)) if e.kind == ErrorKind::DecoderFailed));
        let missing = dir.path().join("missing");
        let r = in_process(&missing, b"%PDF-1.4", &limits(10.0));
        assert!(matches!(r, Err(ref e) if e.kind == ErrorKind::DecoderFailed));
    }

    #[test]
    fn a_stuck_worker_is_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // Ignores its input and never answers.
        let stuck = script(dir.path(), "stuck", "exec sleep 60");
        let start = Instant::now();
        let r = in_process(&stuck, &vec![b'x'; 1 << 20], &limits(0.5));
        assert!(matches!(r, Err(ref e) if e.kind == ErrorKind::Timeout));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_worker_reply_is_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let reply = Reply {
            ok: None,
            err: Some((ErrorKind::Encrypted, "locked".to_string())),
        };
        let bytes = postcard::to_stdvec(&reply).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("reply.bin");
        std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
        let w = script(
            dir.path(),
            "w",
            &format!("cat >/dev/null; cat '{}'", file.display()),
        );
        let r = in_process(&w, b"%PDF-1.4", &limits(10.0));
        assert!(
            matches!(r, Ok(Err(ref e)) if e.kind == ErrorKind::Encrypted && e.message == "locked")
        );
    }
}
