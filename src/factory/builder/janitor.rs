//! The janitor's plan (the original factory's CleanUpFactory, safer): what runs that are no
//! longer running left behind, and nothing else. Only what carries a run's tag or metadata is
//! ever a candidate; a VM tagged `FactoryIgnore` is never touched; a run that may still be
//! going keeps what it has. Pure: listings and the runs' liveness in, a plan out.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::arm::wire::Tags;
use crate::factory::tags;

/// The tag that keeps the janitor off a VM (the original factory's name).
pub const IGNORE_TAG: &str = "FactoryIgnore";

/// A VM of the factory lab.
#[derive(Debug, Clone)]
pub struct VmSeen {
    pub id: String,
    pub name: String,
    pub tags: Tags,
    pub created: Option<OffsetDateTime>,
}

/// Where a blob lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobPlace {
    /// The factory lab's catalogue of captured VHDs.
    Catalogue,
    /// A target lab's staging container.
    Staging,
}

/// A blob a run may have left.
#[derive(Debug, Clone)]
pub struct BlobSeen {
    /// The lab whose storage holds it (its name).
    pub lab: String,
    pub place: BlobPlace,
    pub name: String,
    /// The run id in its metadata, if it has one.
    pub run: Option<String>,
    /// Whether its copy finished successfully.
    pub complete: bool,
    pub created: Option<OffsetDateTime>,
}

/// Whether a run is known to be going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunLiveness {
    /// Its process is alive (a journal on this machine says so).
    Running,
    /// It ended, or its process is gone.
    Over,
    /// No journal here: it may run elsewhere.
    Unknown,
}

/// Something the janitor removes, or keeps, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Vm {
        id: String,
        name: String,
        run: String,
        why: String,
    },
    Blob {
        lab: String,
        place: BlobPlace,
        name: String,
        run: Option<String>,
        why: String,
    },
}

impl Item {
    pub fn why(&self) -> &str {
        match self {
            Item::Vm { why, .. } | Item::Blob { why, .. } => why,
        }
    }
}

/// The janitor's plan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanPlan {
    pub remove: Vec<Item>,
    pub keep: Vec<Item>,
}

/// Plans the clean-up. `grace` is how long a run unknown here may still be going (the sum of
/// the build timeouts): what it made is kept until then.
pub fn plan(
    vms: &[VmSeen],
    blobs: &[BlobSeen],
    liveness: &dyn Fn(&str) -> RunLiveness,
    now: OffsetDateTime,
    grace: Duration,
) -> CleanPlan {
    let mut out = CleanPlan::default();
    let recent = |created: Option<OffsetDateTime>| {
        created.is_none_or(|c| {
            now - c < time::Duration::try_from(grace).unwrap_or(time::Duration::MAX)
        })
    };
    // Whether what `run` made (at `created`) may still be in use, and if so why.
    let in_use = |run: &str, created: Option<OffsetDateTime>| -> Option<String> {
        match liveness(run) {
            RunLiveness::Running => Some(format!("run {run} is running")),
            RunLiveness::Over => None,
            RunLiveness::Unknown if recent(created) => Some(format!(
                "run {run} is not known on this machine and may still be going elsewhere (kept for {} after it was made)",
                crate::human::duration(grace)
            )),
            RunLiveness::Unknown => None,
        }
    };
    for vm in vms {
        let Some(run) = tags::get(Some(&vm.tags), tags::RUN) else {
            continue;
        };
        let item = |why: String| Item::Vm {
            id: vm.id.clone(),
            name: vm.name.clone(),
            run: run.to_string(),
            why,
        };
        if tags::get(Some(&vm.tags), IGNORE_TAG).is_some() {
            out.keep.push(item(format!("tagged {IGNORE_TAG}")));
        } else if let Some(why) = in_use(run, vm.created) {
            out.keep.push(item(why));
        } else {
            out.remove.push(item(format!(
                "build VM of run {run}, which is no longer running"
            )));
        }
    }
    for blob in blobs {
        let item = |why: String| Item::Blob {
            lab: blob.lab.clone(),
            place: blob.place,
            name: blob.name.clone(),
            run: blob.run.clone(),
            why,
        };
        let Some(run) = blob.run.as_deref() else {
            // Not a run's: someone else's blob.
            continue;
        };
        if let Some(why) = in_use(run, blob.created) {
            out.keep.push(item(why));
            continue;
        }
        match (blob.place, blob.complete) {
            // A finished capture is the catalogue itself: retention trims it, not the janitor.
            (BlobPlace::Catalogue, true) => {}
            (BlobPlace::Catalogue, false) => out.remove.push(item(format!(
                "unfinished capture of run {run}, which is no longer running"
            ))),
            (BlobPlace::Staging, _) => out.remove.push(item(format!(
                "staging copy of run {run}, which is no longer running"
            ))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(name: &str, tags: &[(&str, &str)], hours_ago: i64) -> VmSeen {
        VmSeen {
            id: format!("/labs/f/virtualmachines/{name}"),
            name: name.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            created: Some(now() - time::Duration::hours(hours_ago)),
        }
    }

    fn blob(place: BlobPlace, run: Option<&str>, complete: bool) -> BlobSeen {
        BlobSeen {
            lab: "Dev".into(),
            place,
            name: "x.vhd".into(),
            run: run.map(str::to_string),
            complete,
            created: Some(now() - time::Duration::hours(1)),
        }
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-27 12:00 UTC)
    }

    fn names(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Item::Vm { name, .. } => name.clone(),
                Item::Blob { place, run, .. } => {
                    format!("{place:?}:{}", run.as_deref().unwrap_or("-"))
                }
            })
            .collect()
    }

    #[test]
    fn only_what_runs_no_longer_running_made_is_removed() {
        let vms = [
            vm("mine-old", &[("ImageFactoryRun", "over")], 30),
            vm("running", &[("ImageFactoryRun", "live")], 30),
            vm(
                "ignored",
                &[("ImageFactoryRun", "over"), ("FactoryIgnore", "")],
                30,
            ),
            vm("someone", &[], 30),
            vm("elsewhere-new", &[("ImageFactoryRun", "far")], 1),
            vm("elsewhere-old", &[("ImageFactoryRun", "far")], 30),
        ];
        let blobs = [
            blob(BlobPlace::Catalogue, Some("over"), true),
            blob(BlobPlace::Catalogue, Some("over"), false),
            blob(BlobPlace::Staging, Some("over"), true),
            blob(BlobPlace::Staging, Some("live"), false),
            blob(BlobPlace::Staging, None, false),
        ];
        let liveness = |run: &str| match run {
            "live" => RunLiveness::Running,
            "over" => RunLiveness::Over,
            _ => RunLiveness::Unknown,
        };
        let plan = plan(
            &vms,
            &blobs,
            &liveness,
            now(),
            Duration::from_secs(12 * 3600),
        );
        assert_eq!(
            names(&plan.remove),
            [
                "mine-old",
                "elsewhere-old",
                "Catalogue:over",
                "Staging:over"
            ]
        );
        assert_eq!(
            names(&plan.keep),
            ["running", "ignored", "elsewhere-new", "Staging:live"]
        );
        assert!(plan.keep[1].why().contains("FactoryIgnore"));
        // Exactly the grace after it was made, a run unknown here is taken as over.
        let boundary = [vm("elsewhere-edge", &[("ImageFactoryRun", "far")], 12)];
        let edge = super::plan(
            &boundary,
            &[],
            &liveness,
            now(),
            Duration::from_secs(12 * 3600),
        );
        assert_eq!(names(&edge.remove), ["elsewhere-edge"]);
        assert!(plan.keep[2].why().contains("12h"), "{}", plan.keep[2].why());
    }
}
