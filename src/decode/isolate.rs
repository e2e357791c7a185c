//! Where a document is decoded: in a child process of its own (the `gongkai`
//! binary does this for every format) or in the calling process (the library
//! default).
//!
//! Decoders are third-party parsers fed by strangers: pdf-extract panics on
//! some fonts, loops on some content streams and overflows its stack on
//! self-referencing forms; calamine allocates whatever a sheet's dimension
//! declares; html5ever and our span expansion grow with what a page claims.
//! A panic is caught either way. An abort, a stack overflow, a failed
//! allocation or a runaway loop is only contained by a process:
//!
//! - **process** ([`Isolation::Process`]): the executable is started as
//!   `EXE __decode-worker` in a process group of its own. It reads the job
//!   (name, charset, limits, pdftotext) and the document on stdin, decodes
//!   it in-process, and writes the [`Decoded`] blocks (or the error) on
//!   stdout in postcard (compact binary serde, exact floats). Before it
//!   reads anything it limits its own address space to
//!   [`Limits::max_memory`], asks the kernel for SIGKILL when its parent dies,
//!   and starts two watchdogs: its stdin, which the parent keeps open until
//!   it has the reply, reaching end-of-file means the parent is gone; and a
//!   deadline of its own past the time limit. Either kills its process group
//!   (pdftotext with it). The parent kills the group past the time limit; if
//!   the worker dies (abort, signal, out of memory) the document is
//!   `decoder_failed` or `too_large`, named from the end of its stderr, and
//!   the batch goes on.
//! - **thread** ([`Isolation::Thread`]): the decoders run in the calling
//!   thread (pdf-extract in a thread of its own, abandoned past the time
//!   limit); panics are caught, memory is not limited.

use std::io::{Read, Write};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::child;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Decoded;
use crate::settings::{DecodeOptions, Isolation, Limits};

/// First argument that turns the `gongkai` binary into a decode worker.
pub const WORKER_ARG: &str = "__decode-worker";
/// How long past the time limit a worker gives itself before it ends
/// itself (the parent normally kills it first, at the limit).
pub const WORKER_GRACE: Duration = Duration::from_secs(10);
/// Largest job description accepted by a worker (name, charset, limits).
const MAX_JOB: u64 = 1 << 20;

/// What the parent sends ahead of the document.
#[derive(Serialize, Deserialize)]
struct Job {
    name: String,
    charset: Option<String>,
    limits: Limits,
    pdftotext: Option<std::path::PathBuf>,
    soffice: Option<std::path::PathBuf>,
    /// The glyphs and rules of a PDF's pages ([`super::pdf::pages`], for a
    /// report's drawings) instead of the decoded document.
    pages: bool,
}

/// What travels from the worker to the parent.
#[derive(Serialize, Deserialize)]
enum Reply {
    Decoded(Decoded),
    Pages(Vec<crate::model::Page>, String, Vec<String>),
    Failed(ErrorKind, String),
}

/// Decodes one document in a worker process running `exe` (see the module
/// doc).
pub(super) fn in_process(
    exe: &std::path::Path,
    bytes: &[u8],
    name: &str,
    charset: Option<&str>,
    limits: &Limits,
    options: &DecodeOptions,
) -> Result<Decoded> {
    let job = Job {
        name: name.to_string(),
        charset: charset.map(str::to_string),
        limits: limits.clone(),
        pdftotext: options.pdftotext.clone(),
        soffice: options.soffice.clone(),
        pages: false,
    };
    match run_worker(exe, bytes, &job, limits)? {
        Reply::Decoded(d) => Ok(d),
        Reply::Failed(kind, message) => Err(Error::new(kind, message)),
        Reply::Pages(..) => Err(Error::new(
            ErrorKind::DecoderFailed,
            "the decode worker answered with pages",
        )),
    }
}

/// The pages of a PDF (glyphs and ruling lines), read in a worker process
/// running `exe` under the same limits as a decode.
pub(super) fn pdf_pages_in_process(
    exe: &std::path::Path,
    bytes: &[u8],
    limits: &Limits,
    options: &DecodeOptions,
) -> Result<super::pdf::PdfPages> {
    let job = Job {
        name: String::new(),
        charset: None,
        limits: limits.clone(),
        pdftotext: options.pdftotext.clone(),
        soffice: options.soffice.clone(),
        pages: true,
    };
    match run_worker(exe, bytes, &job, limits)? {
        Reply::Pages(pages, engine, warnings) => Ok(super::pdf::PdfPages {
            engine: if engine == super::pdf::ENGINE_PDF_EXTRACT {
                super::pdf::ENGINE_PDF_EXTRACT
            } else {
                super::pdf::pdftotext::ENGINE
            },
            pages,
            warnings,
        }),
        Reply::Failed(kind, message) => Err(Error::new(kind, message)),
        Reply::Decoded(_) => Err(Error::new(
            ErrorKind::DecoderFailed,
            "the decode worker answered with a document",
        )),
    }
}

/// Runs one job in a worker and reads its reply.
fn run_worker(exe: &std::path::Path, bytes: &[u8], job: &Job, limits: &Limits) -> Result<Reply> {
    let start = Instant::now();
    let header = postcard::to_stdvec(job).map_err(|e| {
        Error::new(
            ErrorKind::DecoderFailed,
            format!("cannot describe the job to the decode worker: {e}"),
        )
    })?;
    let mut input = Vec::with_capacity(16 + header.len() + bytes.len());
    input.extend_from_slice(&(header.len() as u64).to_le_bytes());
    input.extend_from_slice(&header);
    input.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    input.extend_from_slice(bytes);
    let mut command = Command::new(exe);
    command
        .arg(WORKER_ARG)
        .arg(std::process::id().to_string())
        // Few malloc arenas: each reserves address space the limit counts.
        .env("MALLOC_ARENA_MAX", "2")
        // Its stderr is read for why it died, not for a backtrace.
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let worker = command.spawn().map_err(|e| {
        Error::new(
            ErrorKind::DecoderFailed,
            format!("cannot start the decode worker {}: {e}", exe.display()),
        )
    })?;
    let run = child::Run {
        input: Some(input),
        hold_stdin: true,
        start,
        timeout: limits.timeout,
        max_output: limits.max_memory,
        group: true,
    };
    let done = match child::finish(worker, run) {
        Ok(done) => done,
        Err(child::Stopped::Timeout) => return Err(timeout_error(limits)),
        Err(child::Stopped::Overflow) => {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the decoded document is larger than the memory limit of {} \
                     (raise --max-memory to read it)",
                    shown_bytes(limits.max_memory)
                ),
            ))
        }
        Err(child::Stopped::Wait(e)) => {
            return Err(Error::new(
                ErrorKind::DecoderFailed,
                format!("waiting for the decode worker failed: {e}"),
            ))
        }
    };
    match postcard::from_bytes::<Reply>(&done.stdout) {
        Ok(reply @ (Reply::Decoded(_) | Reply::Pages(..))) if done.status.success() => Ok(reply),
        Ok(reply @ Reply::Failed(..)) => Ok(reply),
        _ => Err(died(done.status, &done.stderr, limits)),
    }
}

fn timeout_error(limits: &Limits) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "decoding took longer than {} s (raise --timeout to wait longer)",
            limits.timeout.as_secs_f64()
        ),
    )
}

/// Why a worker ended without a reply, from its status and the end of its
/// stderr (the Rust runtime names a failed allocation and a stack overflow
/// there before it aborts).
fn died(status: ExitStatus, stderr: &[u8], limits: &Limits) -> Error {
    let said = String::from_utf8_lossy(stderr);
    let last = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if said.contains("memory allocation of") || said.contains("out of memory") {
        let last = said
            .lines()
            .find(|l| l.contains("memory allocation of") || l.contains("out of memory"))
            .unwrap_or(last)
            .trim();
        return Error::new(
            ErrorKind::TooLarge,
            format!(
                "decoding needed more memory than the limit of {} ({last}); \
                 raise --max-memory to read it",
                shown_bytes(limits.max_memory)
            ),
        );
    }
    if said.contains("has overflowed its stack") {
        return Error::new(
            ErrorKind::DecoderFailed,
            "the decoder overflowed its stack on this file (deeply nested or self-referencing \
             structures); the document was skipped",
        );
    }
    let how = describe(status);
    let detail = if last.is_empty() {
        String::new()
    } else {
        format!(": {last}")
    };
    Error::new(
        ErrorKind::DecoderFailed,
        format!("the decoder crashed on this file ({how}{detail}); the document was skipped"),
    )
}

#[cfg(unix)]
fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(6) => "aborted".to_string(),
        Some(9) => "killed, probably out of memory".to_string(),
        Some(11) => "segmentation fault".to_string(),
        Some(s) => format!("signal {s}"),
        None => status.to_string(),
    }
}

#[cfg(not(unix))]
fn describe(status: ExitStatus) -> String {
    status.to_string()
}

/// A byte count as a user would write it for `--max-memory`.
pub fn shown_bytes(n: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if n >= GIB && n.is_multiple_of(GIB) {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// Exit code of a worker whose parent went away.
const ORPHANED: u8 = 70;
/// Exit code of a worker that could not read its job.
const BAD_JOB: u8 = 3;

/// The worker's side: `args` are what follows [`WORKER_ARG`] (the parent's
/// process id); the job comes on stdin, the reply goes to stdout.
pub fn serve(args: &[String]) -> ExitCode {
    let parent: Option<u32> = args.first().and_then(|a| a.parse().ok());
    die_with_parent(parent);
    let mut stdin = std::io::stdin().lock();
    let Some(header) = read_frame(&mut stdin, MAX_JOB) else {
        return ExitCode::from(BAD_JOB);
    };
    let Ok(job) = postcard::from_bytes::<Job>(&header) else {
        return ExitCode::from(BAD_JOB);
    };
    limit_memory(job.limits.max_memory);
    spawn_deadline(job.limits.timeout + WORKER_GRACE);
    let Some(bytes) = read_frame(&mut stdin, job.limits.max_bytes) else {
        return ExitCode::from(BAD_JOB);
    };
    drop(stdin);
    watch_parent();
    let options = DecodeOptions {
        isolation: Isolation::Thread,
        pdftotext: job.pdftotext,
        soffice: job.soffice,
    };
    super::install_quiet_hook();
    super::quiet_panics();
    super::pdf::thread::run_inline();
    let reply = if job.pages {
        match super::pdf_pages_here(&bytes, &job.limits, &options) {
            Ok(p) => Reply::Pages(p.pages, p.engine.to_string(), p.warnings),
            Err(e) => Reply::Failed(e.kind, e.message),
        }
    } else {
        match super::decode_here(
            &bytes,
            &job.name,
            job.charset.as_deref(),
            &job.limits,
            &options,
        ) {
            Ok(d) => Reply::Decoded(d),
            Err(e) => Reply::Failed(e.kind, e.message),
        }
    };
    drop(bytes);
    let mut out = std::io::stdout().lock();
    let written = postcard::to_io(&reply, &mut out)
        .map(drop)
        .map_err(std::io::Error::other);
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(BAD_JOB),
    }
}

/// Reads a frame: a little-endian u64 length, then that many bytes (at most `max`).
fn read_frame(input: &mut impl Read, max: u64) -> Option<Vec<u8>> {
    let mut len = [0u8; 8];
    input.read_exact(&mut len).ok()?;
    let len = u64::from_le_bytes(len);
    if len > max {
        return None;
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).ok()?);
    input.take(len).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 == len).then_some(buf)
}

/// Ends this worker and whatever it started (its process group).
fn end_all() -> ! {
    #[cfg(unix)]
    {
        let group = rustix::process::getpgrp();
        if group == rustix::process::getpid() {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
    }
    std::process::exit(i32::from(ORPHANED));
}

/// SIGKILL from the kernel when the parent dies (Linux), and an exit now if
/// it already has (the parent's id is not ours to wait for any more).
fn die_with_parent(parent: Option<u32>) {
    #[cfg(target_os = "linux")]
    {
        let _ =
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
        let now = rustix::process::getppid().map(|p| p.as_raw_nonzero().get() as u32);
        if parent.is_some() && now != parent {
            end_all();
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
}

/// The rest of stdin is the parent's lifeline: end-of-file (or an error)
/// means it closed the pipe or died.
fn watch_parent() {
    let _ = std::thread::Builder::new()
        .name("gongkai-lifeline".into())
        .stack_size(64 * 1024)
        .spawn(|| {
            let mut buf = [0u8; 64];
            let mut stdin = std::io::stdin();
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => end_all(),
                    Ok(_) => {}
                }
            }
        });
}

/// The worker's own deadline, whatever its parent does.
fn spawn_deadline(after: Duration) {
    let _ = std::thread::Builder::new()
        .name("gongkai-deadline".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            std::thread::sleep(after);
            end_all();
        });
}

/// Limits this process's address space (Unix): an allocation past it fails,
/// and the Rust runtime aborts naming its size.
fn limit_memory(max: u64) {
    #[cfg(unix)]
    {
        use rustix::process::{setrlimit, Resource, Rlimit};
        let _ = setrlimit(
            Resource::As,
            Rlimit {
                current: Some(max),
                maximum: Some(max),
            },
        );
    }
    #[cfg(not(unix))]
    let _ = max;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::path::Path;

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

    fn run(exe: &Path, secs: f64) -> Result<Decoded> {
        let options = DecodeOptions {
            isolation: Isolation::Process(exe.to_path_buf()),
            pdftotext: None,
            soffice: None,
        };
        crate::decode::decode(b"%PDF-1.4", "x.pdf", None, &limits(secs), &options)
    }

    #[test]
    fn a_crashing_worker_is_decoder_failed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let segv = script(dir.path(), "segv", "kill -SEGV $$");
        let e = run(&segv, 10.0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DecoderFailed);
        assert!(e.message.contains("segmentation fault"), "{}", e.message);
        let garbage = script(dir.path(), "garbage", "echo '{not postcard'");
        let e = run(&garbage, 10.0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DecoderFailed);
        let missing = dir.path().join("missing");
        let e = run(&missing, 10.0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DecoderFailed);
        assert!(e.message.contains("cannot start"), "{}", e.message);
    }

    #[test]
    fn a_failed_allocation_is_too_large() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let oom = script(
            dir.path(),
            "oom",
            "echo 'memory allocation of 549755813888 bytes failed' >&2; kill -ABRT $$",
        );
        let e = run(&oom, 10.0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{}", e.message);
        assert!(e.message.contains("--max-memory"), "{}", e.message);
        assert!(e.message.contains("549755813888"), "{}", e.message);
    }

    #[test]
    fn a_stuck_worker_and_its_group_are_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let marker = dir.path().join("grandchild.pid");
        // Starts a grandchild in its group, then never answers.
        let stuck = script(
            dir.path(),
            "stuck",
            &format!("sleep 60 & echo $! > '{}'; wait", marker.display()),
        );
        let start = Instant::now();
        let e = run(&stuck, 0.5).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let pid = std::fs::read_to_string(&marker).unwrap_or_default();
        let pid = pid.trim();
        assert!(!pid.is_empty());
        // Killed with the group (a zombie until init reaps it at most).
        let gone = (0..100).any(|_| {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let alive = state
                .rsplit(')')
                .next()
                .is_some_and(|s| !s.trim_start().starts_with('Z'));
            if alive {
                std::thread::sleep(Duration::from_millis(20));
            }
            !alive
        });
        assert!(gone, "the worker's child {pid} outlived the timeout");
    }

    #[test]
    fn a_worker_reply_is_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let reply = Reply::Failed(ErrorKind::Encrypted, "locked".to_string());
        let bytes = postcard::to_stdvec(&reply).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("reply.bin");
        std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
        let w = script(dir.path(), "w", &format!("cat '{}'", file.display()));
        let e = run(&w, 10.0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Encrypted);
        assert_eq!(e.message, "locked");
    }

    #[test]
    fn frames_are_bounded() {
        let mut framed = Vec::new();
        framed.extend_from_slice(&5u64.to_le_bytes());
        framed.extend_from_slice(b"hello");
        assert_eq!(
            read_frame(&mut framed.as_slice(), 10).as_deref(),
            Some(b"hello".as_slice())
        );
        assert_eq!(read_frame(&mut framed.as_slice(), 4), None);
        assert_eq!(read_frame(&mut &framed[..9], 10), None);
        assert_eq!(shown_bytes(2 << 30), "2 GiB");
        assert_eq!(shown_bytes(512 << 20), "512 MiB");
    }
}
