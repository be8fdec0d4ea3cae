//! Definitions in the console: a definition in full, editing its TOML (checked as it is saved,
//! then planned), making a new one (from a template or a lab VM), and the Check view.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::effect::Effect;
use super::super::model::editor::{EditError, Editor};
use super::super::model::{Level, Model, Overlay, ReqId, View};
use super::commands::push;
use crate::config::{BaseImage, ConfigError, FactoryConfig, ImageDefinition, ImagePath, OsType};
use crate::factory::builder::Selection;
use crate::factory::check::Finding;

/// Enter on a definition: the definition in full.
pub fn open(model: &mut Model, index: usize) {
    let Some(path) = model
        .config
        .as_ref()
        .and_then(|c| c.images.get(index))
        .map(|d| d.path.clone())
    else {
        return;
    };
    push(model, View::Definition { path });
}

/// The definition the cursor (or the view) is about.
fn current(model: &Model) -> Option<ImagePath> {
    match (&model.route().view, model.route().current()) {
        (View::Definition { path }, _) => Some(path.clone()),
        (_, Some(super::super::model::Row::Def(i))) => {
            model.config.as_ref()?.images.get(i).map(|d| d.path.clone())
        }
        _ => None,
    }
}

fn images_dir(config: &FactoryConfig) -> std::path::PathBuf {
    config
        .path
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("images")
}

/// A new definition of `path` in the editor, starting from `text`; saved where the
/// configuration's definitions live.
fn edit_new(model: &mut Model, config: &FactoryConfig, path: ImagePath, text: &str) {
    let file = images_dir(config).join(format!("{path}.toml"));
    let editor = Editor::new(path, file, images_dir(config), true, text);
    model.overlay = Overlay::Editor(Box::new(editor));
}

/// `e`: the definition's TOML in the editor, as it is on disk.
pub fn edit(model: &mut Model) -> Vec<Effect> {
    let (Some(path), Some(config)) = (current(model), model.config.clone()) else {
        model.flash(
            Level::Warn,
            "e edits a definition: move to one in the Definitions view (5)",
        );
        return Vec::new();
    };
    let Some(definition) = config.images.iter().find(|d| d.path == path) else {
        return Vec::new();
    };
    match std::fs::read_to_string(&definition.file) {
        Ok(text) => {
            let editor = Editor::new(
                path,
                definition.file.clone(),
                images_dir(&config),
                false,
                &text,
            );
            model.overlay = Overlay::Editor(Box::new(editor));
        }
        Err(e) => model.flash(
            Level::Error,
            format!("{}: cannot read: {e}", definition.file.display()),
        ),
    }
    Vec::new()
}

/// `n`: the palette, ready for the new definition's path (and a lab VM to start from).
pub fn ask_new(model: &mut Model) {
    let mut palette = super::dialogs::new_palette();
    palette.input.insert_str("new ");
    model.overlay = Overlay::Palette(Box::new(palette));
}

/// `:new PATH [LAB/VM]`: a new definition of PATH in the editor, from a template, or from a
/// lab VM's base image and artifacts (read from Azure first).
pub fn new_definition(model: &mut Model, argument: &str) -> Vec<Effect> {
    let Some(config) = model.config.clone() else {
        model.flash(
            Level::Warn,
            "a new definition needs a factory: :init sets one up",
        );
        return Vec::new();
    };
    let mut words = argument.split_whitespace();
    let raw = words.next().unwrap_or("");
    let vm = words.next();
    let Ok(path) = ImagePath::parse(raw) else {
        model.flash(
            Level::Error,
            ":new PATH: an image path like win2022/base (then, to start from a lab VM, LAB/VM)",
        );
        return Vec::new();
    };
    if let Some(other) = config.images.iter().find(|d| d.path == path) {
        model.flash(
            Level::Error,
            format!(
                "{path} is already defined by {} (e edits it)",
                other.file.display()
            ),
        );
        return Vec::new();
    }
    let Some(vm) = vm else {
        let definition = ImageDefinition::new(
            path.clone(),
            OsType::Windows,
            BaseImage::latest("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter"),
        );
        let text = crate::config::write::definition_toml(
            &definition,
            &[
                "A new image definition: change what it builds from, then ctrl-s.".into(),
                "[base] is one of the factory lab's gallery images; artifacts come from its artifact sources.".into(),
            ],
        );
        let text = format!(
            "{text}\n# [[artifact]]\n# source = \"Public Repo\"\n# name = \"windows-chocolatey\"\n# [artifact.parameters]\n# packages = \"git\"\n"
        );
        edit_new(model, &config, path, &text);
        return Vec::new();
    };
    let Some(id) = find_vm(model, vm) else {
        model.flash(
            Level::Error,
            format!("no lab VM {vm}: name it LAB/VM, as the Labs view shows them"),
        );
        return Vec::new();
    };
    let req = model.request("vm-template");
    model.flash(
        Level::Info,
        format!("reading {vm}'s base image and artifacts…"),
    );
    vec![Effect::LoadVmTemplate(req, id, path)]
}

/// The id of the lab VM `spec` names (`LAB/VM`, or a VM name found in one lab only).
fn find_vm(model: &Model, spec: &str) -> Option<crate::arm::ResourceId> {
    let data = model.data.as_ref()?;
    let (lab, vm) = match spec.split_once('/') {
        Some((l, v)) => (Some(l), v),
        None => (None, spec),
    };
    let found: Vec<_> = data
        .inventory
        .labs()
        .filter(|(_, l)| lab.is_none_or(|n| l.name.eq_ignore_ascii_case(n)))
        .flat_map(|(_, l)| l.vms.iter())
        .filter(|v| v.name.eq_ignore_ascii_case(vm))
        .collect();
    match found.as_slice() {
        [one] => Some(one.id.clone()),
        _ => None,
    }
}

/// A lab VM was read: its definition in the editor, or why not.
pub fn vm_template(
    model: &mut Model,
    req: ReqId,
    path: ImagePath,
    result: Result<Box<ImageDefinition>, String>,
) {
    if !model.settle("vm-template", req) {
        return;
    }
    let Some(config) = model.config.clone() else {
        return;
    };
    match result {
        Err(e) => model.flash(Level::Error, e),
        Ok(mut definition) => {
            // Every build applies it last: the VM's copy of it is not the user's to list.
            let generalize = crate::factory::builder::plan::generalize_artifact(definition.os).name;
            definition
                .artifacts
                .retain(|a| !a.name.eq_ignore_ascii_case(&generalize));
            let text = crate::config::write::definition_toml(
                &definition,
                &["From a lab VM's base image and artifacts: check it, then ctrl-s.".into()],
            );
            edit_new(model, &config, path, &text);
        }
    }
}

/// A key in the editor.
pub fn editor_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Editor(editor) = &mut model.overlay else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('s') if ctrl => save(model),
        KeyCode::Esc => {
            if editor.changed() && !editor.leave_asked {
                editor.leave_asked = true;
                return Vec::new();
            }
            model.overlay = Overlay::None;
            Vec::new()
        }
        _ => {
            editor.leave_asked = false;
            editor.text.input(key);
            Vec::new()
        }
    }
}

/// ctrl-c while the editor holds changes: asked once, as Esc is.
pub fn editor_holds_changes(model: &mut Model) -> bool {
    match &mut model.overlay {
        Overlay::Editor(editor) if editor.changed() && !editor.leave_asked => {
            editor.leave_asked = true;
            true
        }
        _ => false,
    }
}

/// ctrl-s: the text is checked as the definition it would be; a problem is shown at its line
/// and nothing is written; else it is written.
fn save(model: &mut Model) -> Vec<Effect> {
    let others: Vec<ImagePath> = model
        .config
        .as_ref()
        .map(|c| c.images.iter().map(|d| d.path.clone()).collect())
        .unwrap_or_default();
    let Overlay::Editor(editor) = &mut model.overlay else {
        return Vec::new();
    };
    let text = editor.content();
    match crate::config::parse_definition(&editor.images_dir, &editor.file, &text) {
        Err(e) => {
            let error = match e {
                ConfigError::At {
                    line,
                    column,
                    message,
                    ..
                } => {
                    editor.text.move_cursor(ratatui_textarea::CursorMove::Jump(
                        line.saturating_sub(1) as u16,
                        column.saturating_sub(1) as u16,
                    ));
                    EditError {
                        at: Some((line, column)),
                        message,
                    }
                }
                other => EditError {
                    at: None,
                    message: other.to_string(),
                },
            };
            editor.error = Some(error);
            Vec::new()
        }
        Ok(definition) if editor.new && others.contains(&definition.path) => {
            editor.error = Some(EditError {
                at: None,
                message: format!(
                    "{} is already defined (image paths compare without case)",
                    definition.path
                ),
            });
            Vec::new()
        }
        Ok(_) => {
            editor.error = None;
            let (path, file, new) = (editor.path.clone(), editor.file.clone(), editor.new);
            let req = model.request("save-definition");
            if let Overlay::Editor(editor) = &mut model.overlay {
                editor.saving = Some(req);
            }
            vec![Effect::SaveDefinition(req, path, file, text, new)]
        }
    }
}

/// The definition was written and the configuration loaded again (or why not): the console
/// takes it, and shows the plan of a build of it.
pub fn saved(
    model: &mut Model,
    req: ReqId,
    path: ImagePath,
    result: Result<Box<FactoryConfig>, String>,
) -> Vec<Effect> {
    if !model.settle("save-definition", req) {
        return Vec::new();
    }
    let config = match result {
        Err(e) => {
            if let Overlay::Editor(editor) = &mut model.overlay {
                editor.saving = None;
                editor.error = Some(EditError {
                    at: None,
                    message: e,
                });
            }
            return Vec::new();
        }
        Ok(config) => Arc::new(*config),
    };
    model.overlay = Overlay::None;
    model.config = Some(config.clone());
    model.rebuild_all();
    model.flash(Level::Info, format!("saved {path}"));
    if !matches!(model.route().view, View::Definition { .. }) {
        push(model, View::Definition { path: path.clone() });
    }
    let mut effects = vec![Effect::UseConfig(config)];
    // What a build of it would do, with anything that would stop it (nothing starts
    // without a confirmation, which starts on Cancel).
    if !model.read_only {
        effects.extend(super::run_plans::build(
            model,
            Some(Selection::Paths(vec![path])),
        ));
    }
    effects
}

/// `8`, `:check`: the Check view, checked now (or when the inventory is read).
pub fn open_check(model: &mut Model) -> Vec<Effect> {
    if !matches!(model.route().view, View::Check) {
        super::commands::switch(model, View::Check);
    }
    start_check(model)
}

/// Starts a check on the inventory shown, if there is one and a configuration.
pub fn start_check(model: &mut Model) -> Vec<Effect> {
    let (Some(_), Some(data)) = (&model.config, &model.data) else {
        return Vec::new();
    };
    if data.labs_reading() > 0 {
        // Checked when the reading ends (see `inventory_read`).
        return Vec::new();
    }
    let inventory = Box::new(data.inventory.clone());
    let req = model.request("check");
    model.check.running = Some(req);
    model.rebuild_top();
    vec![Effect::Check(req, inventory)]
}

/// A new inventory: a Check view open is checked again on it.
pub fn inventory_read(model: &mut Model) -> Vec<Effect> {
    if model.routes.iter().any(|r| matches!(r.view, View::Check)) {
        return start_check(model);
    }
    Vec::new()
}

/// The check answered.
pub fn checked(model: &mut Model, req: ReqId, findings: Vec<Finding>) {
    if !model.settle("check", req) {
        return;
    }
    model.check.running = None;
    model.check.last = Some((Ok(findings), model.now));
    model.rebuild_all();
}
