//! Runs outside the process that started them: which host and process run a journal's run and
//! whether it still lives, starting a run in its own session (it outlives the terminal, the SSH
//! session and the console), and reading a journal as it grows.

use std::ffi::OsString;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::journal::{Event, Journal, Line, RunState, Stage};
use super::plan::{BuildPlan, Skip};
use crate::factory::audit::Actor;

/// Where a run stands as seen from this machine.
#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    /// Its process is alive on this machine.
    Running,
    /// It ended.
    Finished,
    /// Its process is gone before the end: `resume` finishes it.
    Stopped,
    /// Its process runs on another machine: this one cannot tell.
    Elsewhere,
}

impl Liveness {
    /// Whether the run may still change.
    pub fn is_live(self) -> bool {
        matches!(self, Liveness::Running | Liveness::Elsewhere)
    }
}

/// A run's liveness from its state (reads the process table). The process must be the one
/// the journal names: alive, and (when the journal says) started when that one was.
pub fn liveness(state: &RunState) -> Liveness {
    if state.outcome.is_some() {
        Liveness::Finished
    } else if state.host != host_name() {
        Liveness::Elsewhere
    } else if runs_it(state) {
        Liveness::Running
    } else {
        Liveness::Stopped
    }
}

/// Whether the process the journal names is alive and is that process (not another one the
/// system has given its pid since).
pub fn runs_it(state: &RunState) -> bool {
    process_alive(state.pid)
        && state
            .process
            .as_ref()
            .is_none_or(|mark| process_mark(state.pid).as_ref() == Some(mark))
}

/// Which process `pid` is: this boot's id and the process's start time (clock ticks since
/// boot), which together no other process shares.
pub fn process_mark(pid: u32) -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, counted after the command name (which may hold spaces) closes.
    let start = stat.rsplit_once(") ")?.1.split_whitespace().nth(19)?;
    Some(format!("{}:{start}", boot.trim()))
}

/// This machine's name.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    if ok {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown".into()
    }
}

/// Whether process `pid` exists on this machine (a zombie, killed and not yet reaped, does not).
pub fn process_alive(pid: u32) -> bool {
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        return !matches!(state, Some('Z' | 'X'));
    }
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    unsafe { libc::kill(pid, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

/// Asks the process running `state` to stop (SIGTERM: a run stops on it as on Ctrl-C, cleaning
/// up). Never this process (a console that started the run and is handing it over), and
/// never a process that is not the one the journal names.
pub fn terminate(state: &RunState) -> std::io::Result<()> {
    if state.pid == std::process::id() {
        return Err(std::io::Error::other(
            "its background process has not taken it over yet",
        ));
    }
    // Without the mark, the pid alone may name any process the system has given it since:
    // never signal on a pid alone (a journal line could name one of yours).
    if state.process.is_none() {
        return Err(std::io::Error::other(format!(
            "the journal does not say which process {} was (no process mark), so it is not signalled; if it is the run's, stop it yourself",
            state.pid
        )));
    }
    if !runs_it(state) {
        return Err(std::io::Error::other(format!(
            "process {} is not the run's any more",
            state.pid
        )));
    }
    let pid = i32::try_from(state.pid).map_err(std::io::Error::other)?;
    // SAFETY: sending a signal to a process id read from our own journal.
    if unsafe { libc::kill(pid, libc::SIGTERM) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Starts this program with `args` in a new session, detached from the terminal, its output
/// in `log`; returns its process id. Nothing waits for it: it is not this process's child for
/// long (the kernel re-parents it when this one exits).
pub fn spawn_detached(launch: &Launch, log: &Path) -> std::io::Result<u32> {
    let args = &launch.args;
    if let Some(dir) = log.parent() {
        crate::files::private_dir(dir)?;
    }
    // Appended to: an earlier process's log says why it stopped, and must stay.
    let mut file = crate::files::append_private(log)?;
    {
        use std::io::Write;
        let _ = writeln!(
            file,
            "--- {} imagefactory {}",
            super::runner::now(),
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let exe = this_program();
    let mut command = std::process::Command::new(exe);
    command
        .args(args)
        .envs(launch.env.iter().map(|(n, v)| (n, v)))
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // A new session: no controlling terminal, so a closed SSH session does not hang it up.
        // SAFETY: setsid is async-signal-safe, the only call between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = command.spawn()?;
    let pid = child.id();
    // Reap it if it ends while this process lives, so it does not linger as a zombie that
    // `process_alive` would have to tell apart.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(pid)
}

/// This program's file. After an upgrade replaced it while this process ran, the new file at
/// the same path; if there is none, the running one (Linux keeps it as /proc/self/exe).
fn this_program() -> PathBuf {
    match std::env::current_exe() {
        Ok(path) if path.is_file() => path,
        Ok(path) => {
            let text = path.to_string_lossy();
            match text.strip_suffix(" (deleted)").map(PathBuf::from) {
                Some(upgraded) if upgraded.is_file() => upgraded,
                _ => PathBuf::from("/proc/self/exe"),
            }
        }
        Err(_) => PathBuf::from("/proc/self/exe"),
    }
}

/// Reads a journal's new complete lines as it grows.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    offset: u64,
    partial: String,
}

impl Tail {
    pub fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_path_buf(),
            offset: 0,
            partial: String::new(),
        }
    }

    /// The bytes of complete lines read so far (a line still being written is not counted,
    /// so that consecutive reads join up at line ends).
    pub fn offset(&self) -> u64 {
        self.offset - self.partial.len() as u64
    }

    /// The complete lines written since the last read (a line cut short waits for its end;
    /// one that is not an event is skipped, as `journal::read` reports it).
    pub fn read(&mut self) -> std::io::Result<Vec<Line>> {
        let mut file = std::fs::File::open(&self.path)?;
        if file.metadata()?.len() == self.offset {
            return Ok(Vec::new());
        }
        file.seek(std::io::SeekFrom::Start(self.offset))?;
        let mut text = String::new();
        let read = file.read_to_string(&mut text)?;
        self.offset += read as u64;
        self.partial.push_str(&text);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.find('\n') {
            let raw: String = self.partial.drain(..=end).collect();
            if let Ok(line) = serde_json::from_str::<Line>(raw.trim()) {
                lines.push(line);
            }
        }
        Ok(lines)
    }
}

/// The global options a background process is started with, so that it reaches the same
/// Azure (or emulator) with the same credential and configuration as the one that started it.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub config: Option<PathBuf>,
    pub endpoint: Option<url::Url>,
    /// The credential mode's name (`managed-identity`, `cli`, ...).
    pub auth: Option<crate::arm::AuthMode>,
    pub concurrency: Option<u16>,
    pub read_only: bool,
    pub allow_plain_http: bool,
    pub verbose: bool,
}

/// How a background process is started: its arguments (which anyone on the machine may read
/// in the process table) and what goes in its environment instead (which only its user may).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Launch {
    pub args: Vec<OsString>,
    pub env: Vec<(&'static str, OsString)>,
}

impl Invocation {
    /// The arguments that carry these options, followed by `command`. An endpoint that holds
    /// a user name or password goes in the environment, never in the arguments.
    pub fn args(&self, command: &[&str]) -> Launch {
        let mut env = Vec::new();
        let mut args: Vec<OsString> = Vec::new();
        if let Some(config) = &self.config {
            // Absolute: the background process may not keep this one's directory in mind.
            let config = std::path::absolute(config).unwrap_or_else(|_| config.clone());
            args.extend(["--config".into(), config.into_os_string()]);
        }
        if let Some(endpoint) = &self.endpoint {
            if endpoint.username().is_empty() && endpoint.password().is_none() {
                args.extend(["--endpoint".into(), endpoint.as_str().into()]);
            } else {
                env.push(("IMAGEFACTORY_ENDPOINT", endpoint.as_str().into()));
            }
        }
        if let Some(auth) = &self.auth {
            args.extend(["--auth".into(), auth.as_str().into()]);
        }
        if let Some(n) = self.concurrency {
            args.extend(["--concurrency".into(), n.to_string().into()]);
        }
        if self.read_only {
            args.push("--read-only".into());
        }
        if self.allow_plain_http {
            args.push("--allow-plain-http".into());
        }
        if self.verbose {
            args.push("--verbose".into());
        }
        args.extend(command.iter().map(OsString::from));
        Launch { args, env }
    }
}

/// The line that says this process runs `plan`: a new run lists its images, a resumed one
/// only takes it over.
pub fn started_here(plan: &BuildPlan, actor: &Actor, resumed: bool) -> Event {
    Event::Started {
        run: plan.run.clone(),
        factory: plan.factory.id(),
        location: plan.factory_location.clone(),
        actor: actor_name(actor),
        host: host_name(),
        pid: std::process::id(),
        process: process_mark(std::process::id()),
        resumed,
        images: if resumed {
            Vec::new()
        } else {
            super::runner::planned(plan)
        },
        left_out: if resumed {
            Vec::new()
        } else {
            plan.skipped
                .iter()
                .filter(|s| s.refused)
                .map(Skip::said)
                .collect()
        },
    }
}

/// Who the journal and the images name: the principal when known, else the OS user.
pub fn actor_name(actor: &Actor) -> String {
    actor
        .principal
        .clone()
        .unwrap_or_else(|| actor.user.clone())
}

/// The first lines of a run's journal: it started, and for a distribution (images that are
/// in the catalogue already) each image at the distributing stage.
pub fn first_lines(plan: &BuildPlan, actor: &Actor, distribution: bool) -> Vec<Line> {
    let now = super::runner::now();
    let mut lines = vec![Line {
        at: now.clone(),
        event: started_here(plan, actor, false),
    }];
    if distribution {
        lines.extend(plan.jobs.iter().map(|j| Line {
            at: now.clone(),
            event: Event::Stage {
                image: j.image_name.clone(),
                stage: Stage::Distributing,
            },
        }));
    }
    lines
}

/// Starts `plan` in the background: its journal's first lines, then `resume` in a process of
/// its own session that takes the run over. Returns the process id and the path of its log.
pub fn start(
    plan: &BuildPlan,
    actor: &Actor,
    distribution: bool,
    invocation: &Invocation,
) -> Result<(u32, PathBuf), String> {
    let dir = super::journal::dir();
    let journal = Journal::open(&dir, &plan.run).map_err(|e| {
        format!(
            "cannot write the run journal in {}: {e}; nothing was created",
            dir.display()
        )
    })?;
    for line in first_lines(plan, actor, distribution) {
        journal
            .append(&line)
            .map_err(|e| format!("cannot write the run journal: {e}; nothing was created"))?;
    }
    // The journal is released before the background process takes it.
    drop(journal);
    let run = plan.run.as_str();
    let log = dir.join(format!("{run}.log"));
    let pid = std::process::id().to_string();
    let args = invocation.args(&["resume", run, "--taking-over", &pid]);
    let child = spawn_detached(&args, &log).map_err(|e| {
        format!("cannot start the background run: {e}; `imagefactory resume {run}` runs it here")
    })?;
    Ok((child, log))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factory::builder::journal::Event;

    fn line(by: &str) -> String {
        let line = Line {
            at: "2026-11-27T10:00:00Z".into(),
            event: Event::CancelAsked { by: by.into() },
        };
        serde_json::to_string(&line).unwrap() + "\n"
    }

    #[test]
    fn a_line_still_being_written_waits_and_the_offsets_join_at_line_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let (first, second) = (line("a"), line("b"));
        let (head, rest) = second.split_at(10);
        std::fs::write(&path, format!("{first}{head}")).unwrap();
        let mut tail = Tail::new(&path);
        assert_eq!(tail.read().unwrap().len(), 1);
        assert_eq!(
            tail.offset(),
            first.len() as u64,
            "the half line is not counted"
        );
        // Nothing new: nothing read, the offset stays.
        assert!(tail.read().unwrap().is_empty());
        assert_eq!(tail.offset(), first.len() as u64);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, rest.as_bytes()).unwrap();
        let lines = tail.read().unwrap();
        assert_eq!(lines.len(), 1);
        assert!(matches!(&lines[0].event, Event::CancelAsked { by } if by == "b"));
        assert_eq!(tail.offset(), (first.len() + second.len()) as u64);
    }

    fn state_of(pid: u32, process: Option<String>) -> RunState {
        let lines = vec![Line {
            at: "2026-11-27T10:00:00Z".into(),
            event: Event::Started {
                run: super::super::RunId::parse("20261127t100000-abcd").unwrap(),
                factory: "/f".into(),
                location: "westeurope".into(),
                actor: "a".into(),
                host: host_name(),
                pid,
                process,
                resumed: false,
                images: Vec::new(),
                left_out: Vec::new(),
            },
        }];
        RunState::fold(&lines).unwrap()
    }

    #[test]
    fn a_run_is_running_only_in_the_very_process_its_journal_names() {
        let me = std::process::id();
        let mark = process_mark(me);
        assert!(mark.is_some(), "this system tells processes apart");
        assert_eq!(liveness(&state_of(me, mark)), Liveness::Running);
        // Older journals name no process: the pid alone decides.
        assert_eq!(liveness(&state_of(me, None)), Liveness::Running);
        // The pid now belongs to another process (started at another time, or another boot):
        // the run is stopped, and that process is not signalled.
        let mut stranger = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let reused = state_of(stranger.id(), Some("another-boot:1".to_string()));
        assert_eq!(liveness(&reused), Liveness::Stopped);
        let error = terminate(&reused).unwrap_err();
        assert!(error.to_string().contains("not the run's"), "{error}");
        assert!(stranger.try_wait().unwrap().is_none(), "still alive");
        // A journal that names the process by its pid alone (an old one, or a line written
        // by someone else) is never signalled, though the pid lives.
        let unmarked = state_of(stranger.id(), None);
        let error = terminate(&unmarked).unwrap_err();
        assert!(error.to_string().contains("no process mark"), "{error}");
        assert!(stranger.try_wait().unwrap().is_none(), "still alive");
        let _ = stranger.kill();
        let _ = stranger.wait();
    }

    #[test]
    fn an_endpoints_user_and_password_never_reach_the_process_table() {
        let mut invocation = Invocation {
            endpoint: Some(url::Url::parse("https://u:p4ss@arm.example.net/").unwrap()),
            ..Invocation::default()
        };
        let launch = invocation.args(&["resume", "r"]);
        assert!(
            launch
                .args
                .iter()
                .all(|a| !a.to_string_lossy().contains("p4ss")),
            "{launch:?}"
        );
        assert_eq!(
            launch.env,
            [(
                "IMAGEFACTORY_ENDPOINT",
                "https://u:p4ss@arm.example.net/".into()
            )]
        );
        invocation.endpoint = Some(url::Url::parse("https://arm.example.net/").unwrap());
        let launch = invocation.args(&["resume", "r"]);
        assert_eq!(launch.args[..2], ["--endpoint", "https://arm.example.net/"]);
        assert!(launch.env.is_empty());
    }

    #[test]
    fn a_process_never_signals_itself() {
        let me = std::process::id();
        let error = terminate(&state_of(me, process_mark(me))).unwrap_err();
        assert!(error.to_string().contains("not taken it over"), "{error}");
    }
}
