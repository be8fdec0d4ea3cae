//! The lines of a definition's view: what it builds from (base, size, artifacts and their
//! parameters, tags, retention), its file, the labs that receive it and the newest image of it
//! in each.

use super::detail::{field, line};
use super::{DetailKind, DetailLine, DriftStatus, Model};
use crate::config::ImagePath;
use crate::config::write::duration;
use crate::factory::builder::plan::generalize_artifact;
use crate::human::age;

/// The lines of the view of the definition of `path`.
pub fn definition_lines(model: &Model, path: &ImagePath) -> Vec<DetailLine> {
    let Some(config) = &model.config else {
        return vec![line(DetailKind::Note, "no configuration is loaded")];
    };
    let Some(d) = config.images.iter().find(|d| &d.path == path) else {
        return vec![line(
            DetailKind::Note,
            format!("{path} is no longer among the definitions"),
        )];
    };
    let mut out = vec![line(
        DetailKind::Heading,
        format!("Image definition {path}"),
    )];
    out.push(field("File", d.file.display()));
    if !d.description.is_empty() {
        out.push(field("Description", &d.description));
    }
    out.push(field("OS", format!("{:?}", d.os)));
    out.push(field(
        "Base",
        format!(
            "{}/{}/{} ({})",
            d.base.publisher, d.base.offer, d.base.sku, d.base.version
        ),
    ));
    out.push(field(
        "Size",
        match &d.size {
            Some(s) => s.clone(),
            None => format!("{} (the factory's default)", config.defaults.vm_size),
        },
    ));
    let policy = config.retention.with(&d.retention);
    let overridden = d.retention.keep_latest.is_some() || d.retention.min_age.is_some();
    out.push(field(
        "Retention",
        format!(
            "keep the newest {}, none younger than {}{}",
            policy.keep_latest,
            duration(policy.min_age),
            if overridden {
                " (set here)"
            } else {
                " (the factory's)"
            }
        ),
    ));
    out.push(line(
        DetailKind::Heading,
        format!(
            "Artifacts, in order ({} is applied last)",
            generalize_artifact(d.os).name
        ),
    ));
    if d.artifacts.is_empty() {
        out.push(line(DetailKind::Note, "(none)"));
    }
    for (i, a) in d.artifacts.iter().enumerate() {
        out.push(field(
            &format!("{}.", i + 1),
            format!("{}/{}", a.source, a.name),
        ));
        for (k, v) in &a.parameters {
            out.push(field("", format!("  {k} = {v}")));
        }
    }
    out.push(line(DetailKind::Heading, "Tags"));
    if d.tags.is_empty() {
        out.push(line(DetailKind::Note, "(none)"));
    }
    for (k, v) in &d.tags {
        out.push(field(k, v));
    }
    out.push(line(DetailKind::Heading, "Received by"));
    let receivers: Vec<_> = config.labs.iter().filter(|t| t.receives(path)).collect();
    if receivers.is_empty() {
        out.push(line(
            DetailKind::Note,
            "no lab: add the path (or a folder of it) to a [[lab]]'s image_paths",
        ));
    }
    for target in receivers {
        let via = target
            .image_paths
            .iter()
            .find(|p| p.covers(path))
            .map(|p| p.to_string())
            .unwrap_or_default();
        let drift = model.data.as_ref().and_then(|data| {
            data.drift
                .iter()
                .find(|r| &r.path == path && target.lab.is(data.lab(r.lab).id.as_str()))
        });
        let newest = match drift {
            None => "not read yet".to_string(),
            Some(r) => {
                let state = match r.status {
                    DriftStatus::Newest if r.definition_changed => {
                        "newest build, but the definition changed since"
                    }
                    DriftStatus::Newest => "up to date",
                    DriftStatus::Outdated => "outdated",
                    DriftStatus::Missing => "has none",
                };
                match r.lab_newest {
                    Some(at) => format!("newest {} ago: {state}", age(Some(at), model.now)),
                    None => state.to_string(),
                }
            }
        };
        out.push(field(&target.lab.name, format!("(via {via}) {newest}")));
    }
    out
}
