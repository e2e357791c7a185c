//! Running a helper process (pdftotext, our own PDF worker) under a time
//! limit: its input written and its output read on threads so neither pipe
//! can block, its status polled, and the process killed past the limit.

use std::io::{Read, Write};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How often a running child is polled.
const POLL: Duration = Duration::from_millis(5);

/// Why a child did not finish.
#[derive(Debug)]
pub enum Stopped {
    /// It ran past the time limit and was killed.
    Timeout,
    /// Waiting for it failed (it was killed).
    Wait(std::io::Error),
}

/// Feeds `input` (if any) to the child's stdin, collects its stdout, and
/// waits at most `timeout` from `start`.
pub fn finish(
    mut child: Child,
    input: Option<Vec<u8>>,
    start: Instant,
    timeout: Duration,
) -> Result<(ExitStatus, Vec<u8>), Stopped> {
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let (Some(mut s), Some(bytes)) = (stdin, input) {
            // A child that dies early closes the pipe: that shows in its status.
            let _ = s.write_all(&bytes);
        }
    });
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut out);
        }
        out
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                let _ = reader.join();
                return Err(Stopped::Timeout);
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Stopped::Wait(e));
            }
        }
    };
    let _ = writer.join();
    Ok((status, reader.join().unwrap_or_default()))
}
