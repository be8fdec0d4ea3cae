//! The lines of a detail view: properties, tags, then the raw resource JSON.

use super::{Model, View};
use crate::human::{age, rfc3339};

/// What a detail line is, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    Heading,
    Field,
    Json,
    Note,
}

/// One line of a detail view.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailLine {
    pub kind: DetailKind,
    pub text: String,
}

pub(super) fn line(kind: DetailKind, text: impl Into<String>) -> DetailLine {
    DetailLine {
        kind,
        text: text.into(),
    }
}

pub(super) fn field(name: &str, value: impl std::fmt::Display) -> DetailLine {
    // A name as long as the column (a VM's) still gets a space before its value.
    line(DetailKind::Field, format!("{name:<15} {value}"))
}

/// The lines of the detail view on top of the stack (empty for other views).
pub fn detail_lines(model: &Model) -> Vec<DetailLine> {
    match model.routes.last().map(|r| &r.view) {
        Some(View::Detail { id }) => lines_for(model, id),
        Some(View::RunImage { .. }) => super::run_image_lines(model),
        Some(View::Definition { path }) => super::definition_lines(model, path),
        Some(View::Check) => super::check_lines(model),
        _ => Vec::new(),
    }
}

/// The lines of a detail view of `id`.
pub fn lines_for(model: &Model, id: &crate::arm::ResourceId) -> Vec<DetailLine> {
    let Some(data) = &model.data else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(at) = data
        .images
        .iter()
        .copied()
        .find(|at| &data.image(*at).id == id)
    {
        let image = data.image(at);
        let decision = data.decision(at);
        let lab = data.lab(at.lab);
        out.push(line(
            DetailKind::Heading,
            format!("Custom image {}", image.name),
        ));
        out.push(field("Lab", &lab.name));
        out.push(field(
            "Subscription",
            format!("{} ({})", data.sub(at.lab).name, data.sub(at.lab).id),
        ));
        out.push(field(
            "Image path",
            image
                .image_path
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "(untagged: not managed)".into()),
        ));
        let created = image
            .created
            .map(|c| format!("{} ({} ago)", rfc3339(c), age(Some(c), model.now)))
            .unwrap_or_else(|| "unknown".into());
        out.push(field("Created", created));
        out.push(field("OS", image.os_type.as_deref().unwrap_or("?")));
        out.push(field("Author", image.author.as_deref().unwrap_or("")));
        out.push(field(
            "Description",
            image.description.as_deref().unwrap_or(""),
        ));
        out.push(field(
            "Provisioning",
            image.provisioning_state.as_deref().unwrap_or("?"),
        ));
        let state = match decision.reason {
            Some(r) => format!(
                "{} ({}): {}",
                decision.state.as_str(),
                r.as_str(),
                decision.detail
            ),
            None => format!("{}: {}", decision.state.as_str(), decision.detail),
        };
        out.push(field("Retention", state));
        out.push(field("Pinned", image.pin.as_deref().unwrap_or("no")));
        let mut users: Vec<String> = lab
            .vms
            .iter()
            .filter(|vm| vm.custom_image_id.as_ref() == Some(&image.id))
            .map(|vm| format!("VM {}", vm.name))
            .collect();
        let formulas = lab
            .formula_images
            .iter()
            .filter(|f| **f == image.id)
            .count();
        if formulas > 0 {
            users.push(format!(
                "{formulas} formula{}",
                if formulas == 1 { "" } else { "s" }
            ));
        }
        out.push(field(
            "In use by",
            if users.is_empty() {
                "nothing (no VM, no formula)".to_string()
            } else {
                users.join(", ")
            },
        ));
        out.push(field("Id", image.id.as_str()));
        out.push(line(DetailKind::Heading, "Tags"));
        if image.tags.is_empty() {
            out.push(line(DetailKind::Note, "(none)"));
        }
        for (k, v) in &image.tags {
            out.push(field(k, v));
        }
    } else if let Some(l) = data.lab_index(id) {
        let lab = data.lab(l);
        out.push(line(DetailKind::Heading, format!("Lab {}", lab.name)));
        out.push(field(
            "Subscription",
            format!("{} ({})", data.sub(l).name, data.sub(l).id),
        ));
        out.push(field("Resource group", &lab.resource_group));
        out.push(field("Location", &lab.location));
        let role = match lab.role {
            Some(crate::factory::LabRole::Factory) => "factory lab",
            Some(crate::factory::LabRole::Target) => "target lab",
            None => "not in the configuration",
        };
        out.push(field("Role", role));
        out.push(field(
            "Images",
            format!("{} ({} due for retirement)", lab.images.len(), data.due[l]),
        ));
        out.push(field("VMs", lab.vms.len()));
        if let Some(target) = model
            .config
            .as_ref()
            .and_then(|c| c.labs.iter().find(|t| t.lab.is(lab.id.as_str())))
        {
            let paths: Vec<String> = target.image_paths.iter().map(|p| p.to_string()).collect();
            out.push(field("Subscribes to", paths.join(", ")));
        }
        out.push(field("Id", lab.id.as_str()));
        out.push(line(DetailKind::Heading, "Virtual machines"));
        if lab.vms.is_empty() {
            out.push(line(DetailKind::Note, "(none)"));
        }
        for vm in &lab.vms {
            let from = vm
                .custom_image_id
                .as_ref()
                .map(|i| format!("from {}", i.name()))
                .unwrap_or_else(|| "from a gallery image".into());
            out.push(field(
                &vm.name,
                format!("{} {from}", vm.provisioning_state.as_deref().unwrap_or("?")),
            ));
        }
    } else {
        out.push(line(
            DetailKind::Note,
            format!("{id} is no longer in the inventory"),
        ));
    }
    out.push(line(DetailKind::Heading, "Resource JSON"));
    match model
        .detail
        .as_ref()
        .filter(|d| &d.id == id)
        .and_then(|d| d.json.as_ref())
    {
        None => out.push(line(DetailKind::Note, "loading…")),
        Some(Err(e)) => out.push(line(DetailKind::Note, format!("could not be read: {e}"))),
        Some(Ok(json)) => out.extend(json.lines().map(|l| line(DetailKind::Json, l))),
    }
    out
}
