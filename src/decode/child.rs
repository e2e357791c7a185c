//! Running a helper process (pdftotext, our own decode worker) under a time
//! limit: its input written and its output read on threads so no pipe can
//! block, its status polled, and the process (with its process group, when
//! it leads one) killed past the limit.
//!
//! What it prints is bounded: past `max_output` bytes of standard output the
//! child is killed and the run reported [`Stopped::Overflow`]; of standard
//! error only the first and the last [`STDERR_TAIL`] bytes are kept (they
//! say why a worker aborted).

use std::io::{Read, Write};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a running child is polled.
const POLL: Duration = Duration::from_millis(5);
/// The bytes kept of the start of standard error, and of its end.
pub const STDERR_TAIL: usize = 8 * 1024;

/// What a run is given.
pub struct Run {
    /// Written to the child's stdin (when it was piped).
    pub input: Option<Vec<u8>>,
    /// Keep stdin open after the input, until the child has ended: a worker
    /// that watches its stdin for end-of-file then knows its parent died.
    pub hold_stdin: bool,
    /// When the clock started.
    pub start: Instant,
    /// How long the child may run.
    pub timeout: Duration,
    /// Largest standard output accepted.
    pub max_output: u64,
    /// The child leads its own process group: kill the group, not only it.
    pub group: bool,
}

/// How a child ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output (when piped).
    pub stdout: Vec<u8>,
    /// The start and the end of its standard error (when piped).
    pub stderr: Vec<u8>,
}

/// Why a child did not finish.
#[derive(Debug)]
pub enum Stopped {
    /// It ran past the time limit and was killed.
    Timeout,
    /// It printed more than `max_output` bytes and was killed.
    Overflow,
    /// Waiting for it failed (it was killed).
    Wait(std::io::Error),
}

/// Feeds the input to the child's stdin, collects its stdout and the end of
/// its stderr, and waits at most `run.timeout` from `run.start`.
pub fn finish(mut child: Child, run: Run) -> Result<Finished, Stopped> {
    let stdin = child.stdin.take();
    let input = run.input;
    let hold = run.hold_stdin;
    let writer = std::thread::spawn(move || {
        let mut stdin = stdin;
        if let (Some(s), Some(bytes)) = (stdin.as_mut(), input) {
            // A child that dies early closes the pipe: that shows in its status.
            let _ = s.write_all(&bytes);
            let _ = s.flush();
        }
        // Held: returned, so that it stays open until joined; else closed,
        // which tells the child its input is complete.
        if hold {
            stdin
        } else {
            None
        }
    });
    let overflow = Arc::new(AtomicBool::new(false));
    let reader = {
        let mut stdout = child.stdout.take();
        let max = run.max_output;
        let overflow = Arc::clone(&overflow);
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.take(max.saturating_add(1)).read_to_end(&mut out);
                if out.len() as u64 > max {
                    overflow.store(true, Ordering::SeqCst);
                    out.clear();
                }
            }
            out
        })
    };
    let errors = {
        let mut stderr = child.stderr.take();
        std::thread::spawn(move || {
            let (mut head, mut tail): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
            let mut buf = [0u8; 4096];
            if let Some(s) = stderr.as_mut() {
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut chunk = &buf[..n];
                    if head.len() < STDERR_TAIL {
                        let take = chunk.len().min(STDERR_TAIL - head.len());
                        head.extend_from_slice(&chunk[..take]);
                        chunk = &chunk[take..];
                    }
                    tail.extend_from_slice(chunk);
                    if tail.len() > 2 * STDERR_TAIL {
                        tail.drain(..tail.len() - STDERR_TAIL);
                    }
                }
            }
            if tail.len() > STDERR_TAIL {
                tail.drain(..tail.len() - STDERR_TAIL);
                head.extend_from_slice(b"\n...\n");
            }
            head.extend_from_slice(&tail);
            head
        })
    };
    let pid = child.id();
    let kill = |child: &mut Child| {
        if run.group {
            kill_group(pid);
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if overflow.load(Ordering::SeqCst) || run.start.elapsed() > run.timeout => {
                kill(&mut child);
                let _ = writer.join();
                let _ = reader.join();
                let _ = errors.join();
                return Err(if overflow.load(Ordering::SeqCst) {
                    Stopped::Overflow
                } else {
                    Stopped::Timeout
                });
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                kill(&mut child);
                return Err(Stopped::Wait(e));
            }
        }
    };
    // What a failed child left running in its group goes with it (a
    // worker that succeeded has waited for its own helpers).
    if run.group && !status.success() {
        kill_group(pid);
    }
    let stdin = writer.join().ok().flatten();
    let stdout = reader.join().unwrap_or_default();
    let stderr = errors.join().unwrap_or_default();
    drop(stdin);
    if overflow.load(Ordering::SeqCst) {
        return Err(Stopped::Overflow);
    }
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}

/// Kills the process group `pid` leads (nothing when it is gone).
#[cfg(unix)]
pub fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
pub fn kill_group(_pid: u32) {}
