//! `check`: what stands between a configuration and a working factory, found before a build or
//! a retirement runs into it. Pure: configuration + inventory + what the factory lab offers →
//! findings, each with what to do about it. The probes behind the inputs change nothing (lists,
//! and the permissions ARM reports for each lab).

use serde::Serialize;

use super::builder::generation::vhd_problem;
use super::builder::plan::{
    FactoryOffer, artifacts_problems, base_problem, disk_problem, generalize_problem,
};
use super::inventory::{Inventory, LabInventory};
use crate::config::{FactoryConfig, LabRef};

/// How much a finding matters: an error stops a build or a retirement; a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One problem, what it concerns, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub level: Level,
    /// What it concerns, in a person's words: `factory lab ImageFactory`, `image win2022/base`.
    pub subject: String,
    pub problem: String,
    pub fix: String,
    /// The file to change, when the fix is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where in the file (1-based line and column), when that is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Finding {
    /// An error about `subject`, fixed in `file` if one is named.
    pub fn error(subject: String, problem: String, fix: String, file: Option<String>) -> Finding {
        Finding {
            level: Level::Error,
            subject,
            problem,
            fix,
            file,
            line: None,
            column: None,
        }
    }

    /// A warning about `subject`.
    pub fn warning(subject: String, problem: String, fix: String, file: Option<String>) -> Finding {
        Finding {
            level: Level::Warning,
            ..Finding::error(subject, problem, fix, file)
        }
    }
}

/// Whether any finding stops a build or a retirement.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.level == Level::Error)
}

/// Checks `config` against the estate as `inventory` read it and what the factory lab offers
/// (`None` when it could not be read: its own finding says why).
pub fn check(
    config: &FactoryConfig,
    inventory: &Inventory,
    offer: Option<&FactoryOffer>,
) -> Vec<Finding> {
    let file = config.path.display().to_string();
    let mut findings = Vec::new();
    let factory = find(
        inventory,
        &config.factory,
        "factory lab",
        &file,
        &mut findings,
    );
    if let Some(lab) = factory {
        if let Some(why) = lab.refusal() {
            findings.push(Finding::error(
                format!("factory lab {}", lab.name),
                format!("the identity cannot create VMs here: {why}"),
                "grant the identity Contributor (or DevTest Labs User and Virtual Machine Contributor) on the lab's resource group".into(),
                None,
            ));
        }
        if let Some(problem) = offer.and_then(|o| o.no_subnet.as_ref()) {
            findings.push(Finding::error(
                format!("factory lab {}", lab.name),
                format!("no build VM can be created: {}", problem.message),
                problem.fix.clone(),
                None,
            ));
        }
        if let Some(offer) = offer {
            let limit = offer.vm_limit.unwrap_or(usize::MAX);
            if lab.vms.len() >= limit && !config.images.is_empty() {
                findings.push(Finding::warning(
                    format!("factory lab {}", lab.name),
                    format!(
                        "the lab allows {limit} VMs and has {}: a build has no room for its VM",
                        lab.vms.len()
                    ),
                    "delete VMs in the lab, or raise its VM limit policy".into(),
                    None,
                ));
            }
        }
    }
    for target in &config.labs {
        let Some(lab) = find(inventory, &target.lab, "lab", &file, &mut findings) else {
            continue;
        };
        // A lab that refuses the identity does not stop a build (it is left out, and the run
        // says so) nor a retirement (it is left alone): a warning, as is what would stop the
        // build once access is granted.
        let refused = lab.refusal();
        if let Some(why) = refused {
            findings.push(Finding::warning(
                format!("lab {}", lab.name),
                format!("builds leave this lab out and retirement leaves its images alone: {why}"),
                format!("grant the identity Contributor on the lab's resource group, or remove its [[lab]] from {file}"),
                Some(file.clone()),
            ));
        }
        if let Some(factory) = factory
            && !lab.location.eq_ignore_ascii_case(&factory.location)
        {
            let paths: Vec<&str> = target.image_paths.iter().map(|p| p.as_str()).collect();
            findings.push(Finding {
                level: if refused.is_some() { Level::Warning } else { Level::Error },
                ..Finding::error(
                    format!("lab {}", lab.name),
                    format!(
                        "it is in {}, the factory lab in {}: images are copied within a region, so it cannot receive {}",
                        lab.location,
                        factory.location,
                        paths.join(", ")
                    ),
                    format!("remove its [[lab]] from {file}, or build for it in a factory lab in {}", lab.location),
                    Some(file.clone()),
                )
            });
        }
    }
    definitions(config, offer, &mut findings);
    findings.sort_by_key(|f| f.level);
    findings
}

/// What the files alone show (`check --offline`): the definitions' own mistakes.
pub fn offline(config: &FactoryConfig) -> Vec<Finding> {
    let mut findings = Vec::new();
    definitions(config, None, &mut findings);
    findings.sort_by_key(|f| f.level);
    findings
}

/// Each definition's findings: what it asks of the factory lab (`offer`, when it was read)
/// and what needs no Azure to find.
fn definitions(config: &FactoryConfig, offer: Option<&FactoryOffer>, findings: &mut Vec<Finding>) {
    let file = config.path.display().to_string();
    for definition in &config.images {
        let subject = format!("image {}", definition.path);
        let definition_file = Some(definition.file.display().to_string());
        if !config.labs.iter().any(|t| t.receives(&definition.path)) {
            findings.push(Finding::warning(
                subject.clone(),
                "no lab receives it: a build would skip it".into(),
                format!(
                    "add `{}` (or a folder of it) to a [[lab]]'s image_paths in {file}",
                    definition.path
                ),
                Some(file.clone()),
            ));
        }
        let problems: Vec<_> = match offer {
            Some(offer) => base_problem(offer, &definition.base, definition.os)
                // What Compute says of a base matters once the lab offers it.
                .or_else(|| match offer.facts_of(&definition.base) {
                    Some(Ok(facts)) => vhd_problem(&definition.base, facts),
                    Some(Err(problem)) => Some(problem.clone()),
                    None => None,
                })
                .into_iter()
                .chain(artifacts_problems(
                    offer,
                    &definition.artifacts,
                    definition.os,
                ))
                .collect(),
            None => generalize_problem(&definition.artifacts)
                .into_iter()
                .collect(),
        };
        let problems = problems.into_iter().chain(disk_problem(config, definition));
        for problem in problems {
            findings.push(Finding::error(
                subject.clone(),
                problem.message,
                problem.fix,
                definition_file.clone(),
            ));
        }
    }
}

/// Reads what the factory lab offers and checks `config` against it and `inventory`: the
/// whole check, as `imagefactory check` and the console's Check view make it.
pub async fn check_estate(
    client: &crate::arm::ArmClient,
    config: &FactoryConfig,
    inventory: &Inventory,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let offered = match super::builder::offer::read(
        client,
        &config.factory,
        inventory,
        &config.bases(),
    )
    .await
    {
        Ok(o) => Some(o),
        Err(e) => {
            // A missing factory lab has its own finding; anything else is said here.
            if e.status() != Some(404) {
                findings.push(Finding::error(
                    format!("factory lab {}", config.factory.name),
                    format!(
                        "what it offers (gallery images, artifact sources) could not be read: {e}"
                    ),
                    "check the identity's access to the lab, then check again".into(),
                    None,
                ));
            }
            None
        }
    };
    findings.extend(check(config, inventory, offered.as_ref()));
    findings.extend(storage_roles(client, config, inventory).await);
    findings.sort_by_key(|f| f.level);
    findings
}

/// Where a build reaches a lab's storage with Entra ID (the account forbids shared keys, or
/// `[build] storage_auth = "entra"`), whether the identity may: a listing of the lab's
/// container is refused without a data role. Reads only (no `listKeys`).
async fn storage_roles(
    client: &crate::arm::ArmClient,
    config: &FactoryConfig,
    inventory: &Inventory,
) -> Vec<Finding> {
    use super::builder::steps::{self, CATALOGUE_CONTAINER, STAGING_CONTAINER};
    let auth = config.build.storage_auth;
    let readable = |lab: &LabRef| {
        inventory
            .labs()
            .any(|(_, l)| lab.is(l.id.as_str()) && l.refusal().is_none())
    };
    let labs = std::iter::once((&config.factory, CATALOGUE_CONTAINER)).chain(
        config
            .labs
            .iter()
            .map(|t| (&t.lab, STAGING_CONTAINER))
            .filter(|(lab, _)| readable(lab)),
    );
    let probes = labs.map(|(lab, container)| async move {
        let account = steps::lab_account(client, lab, auth).await;
        let problem = match account {
            Ok(a) if a.entra => {
                let listed = async {
                    let reach = crate::arm::storage::BlobAccount::entra(&a.endpoint, &a.name, client.clone())?;
                    let url = reach.container(
                        container,
                        crate::arm::storage::Access::List,
                        crate::arm::storage::SHORT_SAS,
                    )?;
                    crate::arm::storage::blob::list(&url, Some("~")).await
                }
                .await;
                match listed {
                    Err(e) if e.status() == Some(403) => Some((
                        format!(
                            "storage account {} is reached with Entra ID (it forbids shared keys, or storage_auth asks for it), and the identity may not use its blobs: {}",
                            a.name,
                            e.short_reason()
                        ),
                        format!(
                            "grant the identity Storage Blob Data Contributor on storage account {}",
                            a.name
                        ),
                    )),
                    _ => None,
                }
            }
            Err(crate::arm::ArmError::Usage(why)) => {
                Some((why, "change [build] storage_auth".to_string()))
            }
            _ => None,
        };
        problem.map(|(problem, fix)| {
            Finding::error(
                format!("lab {}", lab.name),
                problem,
                fix,
                Some(config.path.display().to_string()),
            )
        })
    });
    futures::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The lab `lab` names, or the finding that says why it is not there.
fn find<'i>(
    inventory: &'i Inventory,
    lab: &LabRef,
    what: &str,
    file: &str,
    findings: &mut Vec<Finding>,
) -> Option<&'i LabInventory> {
    let subject = format!("{what} {}", lab.name);
    let Some(subscription) = inventory
        .subscriptions
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&lab.subscription))
    else {
        if let Some(problem) = inventory
            .problems
            .iter()
            // A lab the inventory did not find (404) is said below, in the words of this check.
            .find(|p| {
                p.id.eq_ignore_ascii_case(&lab.subscription)
                    || (lab.is(&p.id) && p.error.status() != Some(404))
            })
        {
            findings.push(Finding::error(
                subject,
                format!("it could not be read: {}", problem.error),
                "check the identity's access, then run check again".into(),
                None,
            ));
            return None;
        }
        findings.push(Finding::error(
            subject,
            format!("its subscription {} is not visible to the identity", lab.subscription),
            format!("grant the identity Reader (or Contributor) on the subscription, or fix the subscription id in {file}"),
            Some(file.to_string()),
        ));
        return None;
    };
    let found = subscription.labs.iter().find(|l| lab.is(l.id.as_str()));
    if found.is_none() {
        let known: Vec<&str> = subscription.labs.iter().map(|l| l.name.as_str()).collect();
        // The name right in another resource group is the likelier mistake than a typo.
        let elsewhere = subscription
            .labs
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(&lab.name));
        let hint = match elsewhere {
            Some(l) => format!(" (there is one in resource group {})", l.resource_group),
            None => crate::human::nearest(&lab.name, &known)
                .map(|n| format!(" (did you mean {n}?)"))
                .unwrap_or_default(),
        };
        findings.push(Finding::error(
            subject,
            format!(
                "no lab {} in resource group {} of subscription {}{hint}",
                lab.name, lab.resource_group, subscription.name
            ),
            format!("fix its subscription, resource_group and name in {file}; `imagefactory labs` lists the labs"),
            Some(file.to_string()),
        ));
    }
    found
}
