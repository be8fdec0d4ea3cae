//! The real console in a tmux session of its own, against `imagefactory sim` in its own
//! process: for benchmarks that measure what the running console costs (its CPU time).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_imagefactory");

/// A console in tmux and the emulator it reads.
pub struct Session {
    socket: String,
    sim: Child,
}

impl Session {
    /// Starts the emulator with `sim_args` and the console (width x height) with its state
    /// and cache in `state`; waits until the inventory is on screen.
    pub fn start(
        name: &str,
        sim_args: &[&str],
        state: &Path,
        width: u16,
        height: u16,
    ) -> Result<Session, String> {
        let session = Session::launch(name, sim_args, state, width, height, BIN)?;
        session.wait_for("updated", Duration::from_secs(60))?;
        Ok(session)
    }

    /// Waits until the screen shows `text`; how long that took.
    pub fn wait_for(&self, text: &str, limit: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        while !self.screen().contains(text) {
            if started.elapsed() > limit {
                return Err(format!("{text:?} did not show:\n{}", self.screen()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(started.elapsed())
    }

    /// Starts the emulator and the console `bin` (this build's, or another's), without
    /// waiting for anything on screen.
    pub fn launch(
        name: &str,
        sim_args: &[&str],
        state: &Path,
        width: u16,
        height: u16,
        bin: &str,
    ) -> Result<Session, String> {
        let mut sim = Command::new(BIN)
            .arg("sim")
            .args(sim_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = sim.stdout.take().ok_or("no stdout")?;
        let exports: Vec<String> = BufReader::new(stdout)
            .lines()
            .take(4)
            .map(|l| l.unwrap_or_default().replace("export ", ""))
            .collect();
        let session = Session {
            socket: format!("imagefactory-bench-{name}-{}", std::process::id()),
            sim,
        };
        let command = format!(
            "env {} IMAGEFACTORY_STATE_DIR={} XDG_CACHE_HOME={} TERM=xterm-256color {bin}",
            exports.join(" "),
            state.display(),
            state.display()
        );
        let (w, h) = (width.to_string(), height.to_string());
        let started = session
            .tmux(&[
                "new-session",
                "-d",
                "-s",
                "bench",
                "-x",
                &w,
                "-y",
                &h,
                &command,
            ])
            .map_err(|e| format!("tmux: {e}"))?;
        if !started.status.success() {
            return Err("tmux did not start".into());
        }
        Ok(session)
    }

    fn tmux(&self, args: &[&str]) -> std::io::Result<Output> {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "bench"])
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let _ = self.tmux(&["send-keys", "-t", "bench", k]);
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The console's CPU time so far, in seconds (user and system, from /proc).
    pub fn cpu_seconds(&self) -> Result<f64, String> {
        let pid = self
            .tmux(&["list-panes", "-t", "bench", "-F", "#{pane_pid}"])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .map_err(|e| e.to_string())?;
        // The pane runs `env`, which execs the console: same pid.
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .ok_or("bad stat")?
            .1
            .split_whitespace()
            .collect();
        let ticks = |i: usize| fields[i].parse::<f64>().map_err(|e| e.to_string());
        Ok((ticks(11)? + ticks(12)?) / 100.0)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        let _ = self.sim.kill();
        let _ = self.sim.wait();
    }
}
