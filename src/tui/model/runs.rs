//! The runs the console knows: each journal on this machine folded by `RunState::apply` (the
//! one fold `watch` uses), fed line by line as the journal grows, plus runs found only in
//! Azure through the tags of what they made (started on another machine or by a pipeline).

use crate::factory::Inventory;
use crate::factory::builder::background::Liveness;
use crate::factory::builder::journal::{Line, RunState};
use crate::factory::tags;

/// A run, from its journal here or from Azure's tags.
#[derive(Debug, Clone)]
pub struct RunEntry {
    /// The run id, lower-cased.
    pub id: String,
    /// Where it stands (none for a run known only from Azure).
    pub state: Option<RunState>,
    pub liveness: Liveness,
    /// Journal bytes folded so far: a read that starts elsewhere is out of date or ahead.
    pub read_to: u64,
    /// Images and VMs in Azure that carry its tag.
    pub in_azure: Option<(usize, usize)>,
    /// It was going when this console first saw it: its end is worth a message.
    pub followed: bool,
    /// Its journal is being read again from the start: the next read from byte 0 replaces
    /// what was folded (which stays shown until then).
    pub rereading: bool,
}

impl RunEntry {
    /// Whether it may still change.
    pub fn is_live(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.outcome.is_none()) && self.liveness.is_live()
    }
}

/// A read of a journal, from byte `from` to byte `to`, and the run's liveness after it.
#[derive(Debug, Clone)]
pub struct JournalRead {
    pub run: String,
    pub from: u64,
    pub to: u64,
    pub lines: Vec<Line>,
    pub liveness: Liveness,
}

/// What folding a read did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folded {
    /// It was applied.
    Applied,
    /// It was out of date (already folded): dropped.
    Stale,
    /// It starts past what was folded (a read was missed): the journal must be read whole.
    Gap,
}

/// Every run the console knows, in the order it learnt of them.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    pub entries: Vec<RunEntry>,
    /// The journals have been listed once (before that, "no runs" is not yet known).
    pub listed: bool,
}

impl Runs {
    pub fn get(&self, id: &str) -> Option<&RunEntry> {
        self.entries.iter().find(|e| e.id.eq_ignore_ascii_case(id))
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.id.eq_ignore_ascii_case(id))
    }

    /// Runs that may still change.
    pub fn live(&self) -> usize {
        self.entries.iter().filter(|e| e.is_live()).count()
    }

    /// Folds one read of a journal. A read of a run not seen before must start at byte 0
    /// with the run's first line.
    pub fn fold(&mut self, read: JournalRead) -> Folded {
        let at = match self.position(&read.run) {
            Some(at) => at,
            None => {
                if read.from != 0 {
                    return Folded::Gap;
                }
                let Some(state) = RunState::fold(&read.lines) else {
                    // Not a run yet (its first line is still being written): read it again.
                    return Folded::Stale;
                };
                let in_azure = None;
                let entry = RunEntry {
                    id: read.run.to_ascii_lowercase(),
                    // Not ended when first seen: its end is news.
                    followed: state.outcome.is_none(),
                    state: Some(state),
                    liveness: read.liveness,
                    read_to: read.to,
                    in_azure,
                    rereading: false,
                };
                self.insert(entry);
                return Folded::Applied;
            }
        };
        let entry = &mut self.entries[at];
        match entry.state.as_mut() {
            // Read again from the start (a read was missed): the whole journal replaces it.
            Some(_) if entry.rereading && read.from == 0 => {
                entry.state = RunState::fold(&read.lines).or(entry.state.take());
                entry.rereading = false;
            }
            Some(_) if entry.rereading => return Folded::Stale,
            // Known from Azure first: its journal has just appeared.
            None if read.from == 0 => {
                entry.state = RunState::fold(&read.lines);
                entry.followed = entry.state.as_ref().is_some_and(|s| s.outcome.is_none());
                entry.rereading = false;
            }
            None => return Folded::Gap,
            Some(state) => {
                if read.from < entry.read_to {
                    return Folded::Stale;
                }
                if read.from > entry.read_to {
                    return Folded::Gap;
                }
                for line in &read.lines {
                    state.apply(line);
                }
            }
        }
        entry.read_to = read.to;
        entry.liveness = read.liveness;
        // Seen going (a resumed run, say): its end is worth a message.
        entry.followed |= entry.is_live();
        Folded::Applied
    }

    /// Reads a run's journal again from the start: what was folded stays shown until the
    /// whole journal replaces it.
    pub fn reread(&mut self, id: &str) {
        if let Some(at) = self.position(id) {
            self.entries[at].rereading = true;
            self.entries[at].read_to = 0;
        }
    }

    /// Sets what Azure holds of each run (from the inventory's tags); runs known only from
    /// Azure get an entry.
    pub fn found_in_azure(&mut self, inventory: &Inventory) {
        let mut found: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for (_, lab) in inventory.labs() {
            for image in &lab.images {
                if let Some(run) = tags::get(Some(&image.tags), tags::RUN) {
                    found.entry(run.to_ascii_lowercase()).or_default().0 += 1;
                }
            }
            for vm in &lab.vms {
                if let Some(run) = tags::get(Some(&vm.tags), tags::RUN) {
                    found.entry(run.to_ascii_lowercase()).or_default().1 += 1;
                }
            }
        }
        for entry in &mut self.entries {
            entry.in_azure = found.remove(&entry.id);
        }
        for (id, counts) in found {
            self.insert(RunEntry {
                id,
                state: None,
                liveness: Liveness::Elsewhere,
                read_to: 0,
                in_azure: Some(counts),
                followed: false,
                rereading: false,
            });
        }
    }

    /// Adds a run at the end: an entry keeps its index for the session, so that a row that
    /// names it by index stays on it (views order runs newest first themselves).
    fn insert(&mut self, entry: RunEntry) {
        self.entries.push(entry);
    }

    /// The indices of the runs, newest first (run ids sort by their start time).
    pub fn newest_first(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by(|a, b| self.entries[*b].id.cmp(&self.entries[*a].id));
        order
    }
}
