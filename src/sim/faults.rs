//! Deterministic fault injection: random faults from `--faults` (decided by a hash of the seed,
//! the request and how many times that request was seen, so a rerun with the same seed fails
//! the same way whatever the interleaving) and scripted rules that tests set.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// What to do to a request instead of serving it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with this `Retry-After` value.
    Throttle { retry_after: String },
    /// This status with an ARM error envelope.
    Status(u16),
    /// Send headers, then cut the connection before the body.
    Drop,
    /// Answer only after this long (longer than a client's timeout: a hung request).
    Stall(std::time::Duration),
}

/// A scripted fault: the next `times` requests whose path contains `path_contains` (and whose
/// method matches, when given) get `fault`.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub method: Option<String>,
    pub path_contains: String,
    pub fault: Fault,
    pub times: u32,
}

/// Rates of random faults, from `--faults`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    pub throttle: f64,
    pub error_500: f64,
    pub error_503: f64,
    pub drop: f64,
    /// A random 429 repeats for this many requests to the same subscription in all.
    pub burst: u32,
    /// The `Retry-After` of random 429s.
    pub retry_after: String,
    /// Builds: the artifact (by name) that fails on every VM that applies it.
    pub artifact: Option<String>,
    /// Builds: how a lab VM whose artifact failed reports itself (`artifact-vm=`).
    pub artifact_vm: crate::sim::world::FailedVmShape,
    /// Builds: a lab VM's `stop` answers 409 Conflict while DevTest Labs is deallocating it
    /// already (`stop=conflict`).
    pub stop_conflict: bool,
    /// Builds: Compute refuses to make lab VMs, `quota` or `sku` (`vm-create=`).
    pub vm_create: Option<String>,
    /// Builds: when the lab VM PUT's operation ends (`vm-operation=`).
    pub vm_operation: crate::sim::world::VmOperationEnd,
    /// Builds: a disk's read access (the capture) fails.
    pub capture_fails: bool,
    /// Builds: blob copies stall or fail...
    pub copy: Option<crate::sim::world::CopyFault>,
    /// ...only into storage accounts whose name contains this (all when `None`).
    pub copy_into: Option<String>,
}

impl FaultPlan {
    /// Parses `429=5%,500=1%,503=1%,drop=1%,burst=3,retry-after=1`, and build faults:
    /// `artifact=NAME` (that artifact fails) with `artifact-vm=succeeded|failed` (how its VM
    /// reports it), `vm-create=quota|sku` (Compute refuses the VM), `vm-operation=applied|created` (when a lab VM PUT's operation ends),
    /// `stop=conflict` (a stop while deallocating is refused), `capture=fail`, `copy=stall|fail` with `copy-into=ACCOUNT` (copies into accounts whose
    /// name holds it).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut plan = FaultPlan {
            burst: 1,
            retry_after: "1".into(),
            ..FaultPlan::default()
        };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("fault {part:?}: expected KEY=VALUE, for example 429=5%"))?;
            let rate = || -> Result<f64, String> {
                let v = value.trim_end_matches('%');
                let n: f64 = v
                    .parse()
                    .map_err(|_| format!("fault {part:?}: {value:?} is not a percentage"))?;
                if !(0.0..=100.0).contains(&n) {
                    return Err(format!("fault {part:?}: a rate is between 0% and 100%"));
                }
                Ok(n / 100.0)
            };
            match key.trim() {
                "429" => plan.throttle = rate()?,
                "500" => plan.error_500 = rate()?,
                "503" => plan.error_503 = rate()?,
                "drop" => plan.drop = rate()?,
                "burst" => {
                    plan.burst = value
                        .parse()
                        .map_err(|_| format!("fault {part:?}: burst is a count"))?
                }
                "retry-after" => plan.retry_after = value.to_string(),
                "artifact" => plan.artifact = Some(value.to_string()),
                "artifact-vm" => {
                    plan.artifact_vm = match value {
                        "succeeded" => crate::sim::world::FailedVmShape::Succeeded,
                        "failed" => crate::sim::world::FailedVmShape::Failed,
                        _ => {
                            return Err(format!(
                                "fault {part:?}: artifact-vm is succeeded or failed"
                            ));
                        }
                    }
                }
                "vm-create" if ["quota", "sku"].contains(&value) => {
                    plan.vm_create = Some(value.to_string())
                }
                "vm-operation" => {
                    plan.vm_operation = match value {
                        "applied" => crate::sim::world::VmOperationEnd::Applied,
                        "created" => crate::sim::world::VmOperationEnd::Created,
                        _ => {
                            return Err(format!(
                                "fault {part:?}: vm-operation is applied or created"
                            ));
                        }
                    }
                }
                "capture" if value == "fail" => plan.capture_fails = true,
                "stop" if value == "conflict" => plan.stop_conflict = true,
                "copy" => {
                    plan.copy = Some(match value {
                        "stall" => crate::sim::world::CopyFault::Stall,
                        "fail" => crate::sim::world::CopyFault::Fail,
                        _ => return Err(format!("fault {part:?}: copy is stall or fail")),
                    })
                }
                "copy-into" => plan.copy_into = Some(value.to_ascii_lowercase()),
                other => {
                    return Err(format!(
                        "unknown fault {other:?}: expected one of 429, 500, 503, drop, burst, retry-after, artifact, artifact-vm, vm-create (quota, sku), vm-operation, stop (conflict), capture, copy, copy-into"
                    ));
                }
            }
        }
        Ok(plan)
    }

    fn is_quiet(&self) -> bool {
        self.throttle + self.error_500 + self.error_503 + self.drop == 0.0
    }
}

/// Decides faults for requests.
#[derive(Default)]
pub struct Injector {
    plan: FaultPlan,
    seed: u64,
    rules: Vec<FaultRule>,
    seen: HashMap<String, u64>,
    bursts: HashMap<String, u32>,
}

impl Injector {
    /// An injector for `plan`, deterministic by `seed`.
    pub fn new(plan: FaultPlan, seed: u64) -> Self {
        Injector {
            plan,
            seed,
            ..Injector::default()
        }
    }

    /// Adds a scripted rule.
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    /// The fault for this request, if any. `scope` groups bursts (the subscription).
    pub fn decide(&mut self, method: &str, path_and_query: &str, scope: &str) -> Option<Fault> {
        let path_lower = path_and_query.to_ascii_lowercase();
        if let Some(rule) = self.rules.iter_mut().find(|r| {
            r.times > 0
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path_lower.contains(&r.path_contains.to_ascii_lowercase())
        }) {
            rule.times -= 1;
            return Some(rule.fault.clone());
        }
        if self.plan.is_quiet() {
            return None;
        }
        if let Some(left) = self.bursts.get_mut(scope)
            && *left > 0
        {
            *left -= 1;
            return Some(Fault::Throttle {
                retry_after: self.plan.retry_after.clone(),
            });
        }
        let key = format!("{method} {path_and_query}");
        let n = self.seen.entry(key.clone()).or_insert(0);
        *n += 1;
        let mut h = DefaultHasher::new();
        (self.seed, &key, *n).hash(&mut h);
        let roll = (h.finish() % 1_000_000) as f64 / 1_000_000.0;
        let p = &self.plan;
        if roll < p.throttle {
            self.bursts
                .insert(scope.to_string(), p.burst.saturating_sub(1));
            Some(Fault::Throttle {
                retry_after: p.retry_after.clone(),
            })
        } else if roll < p.throttle + p.error_500 {
            Some(Fault::Status(500))
        } else if roll < p.throttle + p.error_500 + p.error_503 {
            Some(Fault::Status(503))
        } else if roll < p.throttle + p.error_500 + p.error_503 + p.drop {
            Some(Fault::Drop)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_spec_parses_rates_and_rejects_unknown_keys() {
        let plan = FaultPlan::parse("429=5%,500=1,drop=0.5%,burst=3,retry-after=2").unwrap();
        assert_eq!(plan.throttle, 0.05);
        assert_eq!(plan.error_500, 0.01);
        assert_eq!(plan.drop, 0.005);
        assert_eq!(plan.burst, 3);
        assert_eq!(plan.retry_after, "2");
        let err = FaultPlan::parse("404=1%").unwrap_err();
        assert!(err.contains("unknown fault \"404\""), "{err}");
        assert!(FaultPlan::parse("429=150%").is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let plan = FaultPlan::parse("429=20%,500=10%,drop=10%").unwrap();
        let run = |seed| {
            let mut inj = Injector::new(plan.clone(), seed);
            (0..200)
                .map(|i| inj.decide("GET", &format!("/p/{}", i % 17), "s"))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().any(|f| f.is_some()));
    }

    #[test]
    fn scripted_rules_fire_exactly_their_count() {
        let mut inj = Injector::new(FaultPlan::default(), 1);
        inj.add(FaultRule {
            method: Some("GET".into()),
            path_contains: "/customimages".into(),
            fault: Fault::Status(503),
            times: 2,
        });
        assert_eq!(
            inj.decide("GET", "/x/customImages?api-version=1", "s"),
            Some(Fault::Status(503))
        );
        assert_eq!(inj.decide("DELETE", "/x/customimages/a", "s"), None);
        assert_eq!(
            inj.decide("GET", "/x/customimages", "s"),
            Some(Fault::Status(503))
        );
        assert_eq!(inj.decide("GET", "/x/customimages", "s"), None);
    }
}
