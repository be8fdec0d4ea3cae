//! Colour themes: TOML files in `themes/` (built in), a user's overrides merged over the one they
//! name, and mono when `NO_COLOR` is set.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::ConsoleError;

/// Every style the console draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Drawn before the selected row: the selection must show without colour.
    pub marker: String,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub header: Style,
    pub crumbs: Style,
    pub heading: Style,
    pub selected: Style,
    pub marked: Style,
    pub badge_emulator: Style,
    pub badge_read_only: Style,
    pub key: Style,
    pub state_current: Style,
    pub state_kept: Style,
    pub state_pinned: Style,
    pub state_in_use: Style,
    pub state_too_young: Style,
    pub state_retire: Style,
    pub state_unmanaged: Style,
    pub drift_newest: Style,
    pub drift_outdated: Style,
    pub drift_missing: Style,
    pub flash_info: Style,
    pub flash_warn: Style,
    pub flash_error: Style,
    pub dialog: Style,
    pub button: Style,
    pub button_focused: Style,
    pub danger: Style,
}

/// The built-in themes, by name.
pub const BUILT_IN: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// A theme file: a marker and styles by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeFile {
    pub marker: Option<String>,
    #[serde(default)]
    pub styles: BTreeMap<String, StyleSpec>,
}

/// One style: colours and modifiers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    pub fg: Option<String>,
    pub bg: Option<String>,
    #[serde(default)]
    pub modifiers: Vec<String>,
}

impl Theme {
    /// A built-in theme.
    pub fn built_in(name: &str) -> Result<Theme, ConsoleError> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            let hint = crate::human::nearest(name, &names)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_else(|| format!("; built in: {}", names.join(", ")));
            ConsoleError::Setting {
                key: "theme".into(),
                message: format!("no theme `{name}`{hint}"),
            }
        })?;
        let file: ThemeFile = toml::from_str(text)
            .map_err(|e| ConsoleError::Settings(format!("theme {name}: {e}")))?;
        let mut theme = Theme::blank(name);
        theme.apply(&file)?;
        Ok(theme)
    }

    /// The theme to use: mono under `NO_COLOR`, else `name` (default dark) with `overrides`.
    pub fn choose(
        name: Option<&str>,
        overrides: Option<&ThemeFile>,
        no_color: bool,
    ) -> Result<Theme, ConsoleError> {
        if no_color {
            return Theme::built_in("mono");
        }
        let mut theme = Theme::built_in(name.unwrap_or("dark"))?;
        if let Some(o) = overrides {
            theme.apply(o)?;
        }
        Ok(theme)
    }

    fn blank(name: &str) -> Theme {
        let s = Style::default();
        Theme {
            name: name.into(),
            marker: ">".into(),
            text: s,
            dim: s,
            title: s,
            border: s,
            header: s,
            crumbs: s,
            heading: s,
            selected: s,
            marked: s,
            badge_emulator: s,
            badge_read_only: s,
            key: s,
            state_current: s,
            state_kept: s,
            state_pinned: s,
            state_in_use: s,
            state_too_young: s,
            state_retire: s,
            state_unmanaged: s,
            drift_newest: s,
            drift_outdated: s,
            drift_missing: s,
            flash_info: s,
            flash_warn: s,
            flash_error: s,
            dialog: s,
            button: s,
            button_focused: s,
            danger: s,
        }
    }

    /// Merges a theme file over this theme.
    pub fn apply(&mut self, file: &ThemeFile) -> Result<(), ConsoleError> {
        if let Some(m) = &file.marker {
            // The marker is what shows the selection without colour (NO_COLOR, mono).
            if m.trim().is_empty() {
                return Err(ConsoleError::Setting {
                    key: "marker".into(),
                    message: "marker must be at least one visible character: the selection must never rely on colour alone".into(),
                });
            }
            self.marker = m.clone();
        }
        for (name, spec) in &file.styles {
            let style = spec.to_style().map_err(|e| ConsoleError::Setting {
                key: name.clone(),
                message: format!("[styles] {name}: {e}"),
            })?;
            let slot = self.slot(name).ok_or_else(|| {
                let hint = crate::human::nearest(name, &style_names())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                ConsoleError::Setting {
                    key: name.clone(),
                    message: format!("[styles]: unknown style `{name}`{hint}"),
                }
            })?;
            *slot = style;
        }
        Ok(())
    }

    fn slot(&mut self, name: &str) -> Option<&mut Style> {
        let (_, field) = SLOTS.iter().find(|(n, _)| *n == name)?;
        Some(field(self))
    }
}

/// A style's name in theme files, and where it lives in `Theme`: the one list of style names.
type Slot = (&'static str, fn(&mut Theme) -> &mut Style);

const SLOTS: [Slot; 29] = [
    ("text", |t| &mut t.text),
    ("dim", |t| &mut t.dim),
    ("title", |t| &mut t.title),
    ("border", |t| &mut t.border),
    ("header", |t| &mut t.header),
    ("crumbs", |t| &mut t.crumbs),
    ("heading", |t| &mut t.heading),
    ("selected", |t| &mut t.selected),
    ("marked", |t| &mut t.marked),
    ("badge_emulator", |t| &mut t.badge_emulator),
    ("badge_read_only", |t| &mut t.badge_read_only),
    ("key", |t| &mut t.key),
    ("state_current", |t| &mut t.state_current),
    ("state_kept", |t| &mut t.state_kept),
    ("state_pinned", |t| &mut t.state_pinned),
    ("state_in_use", |t| &mut t.state_in_use),
    ("state_too_young", |t| &mut t.state_too_young),
    ("state_retire", |t| &mut t.state_retire),
    ("state_unmanaged", |t| &mut t.state_unmanaged),
    ("drift_newest", |t| &mut t.drift_newest),
    ("drift_outdated", |t| &mut t.drift_outdated),
    ("drift_missing", |t| &mut t.drift_missing),
    ("flash_info", |t| &mut t.flash_info),
    ("flash_warn", |t| &mut t.flash_warn),
    ("flash_error", |t| &mut t.flash_error),
    ("dialog", |t| &mut t.dialog),
    ("button", |t| &mut t.button),
    ("button_focused", |t| &mut t.button_focused),
    ("danger", |t| &mut t.danger),
];

/// Every style name a theme file may set.
fn style_names() -> Vec<&'static str> {
    SLOTS.iter().map(|(n, _)| *n).collect()
}

impl StyleSpec {
    fn to_style(&self) -> Result<Style, String> {
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(Color::from_str(fg).map_err(|_| format!("`{fg}` is not a colour"))?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(Color::from_str(bg).map_err(|_| format!("`{bg}` is not a colour"))?);
        }
        for m in &self.modifiers {
            style = style.add_modifier(match m.as_str() {
                "bold" => Modifier::BOLD,
                "dim" => Modifier::DIM,
                "italic" => Modifier::ITALIC,
                "underlined" => Modifier::UNDERLINED,
                "reversed" => Modifier::REVERSED,
                other => return Err(format!("`{other}` is not a modifier; expected bold, dim, italic, underlined or reversed")),
            });
        }
        Ok(style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads_and_sets_every_style() {
        for (name, _) in BUILT_IN {
            let theme = Theme::built_in(name).unwrap();
            let file: ThemeFile =
                toml::from_str(BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1).unwrap();
            assert_eq!(file.styles.len(), SLOTS.len(), "{name} sets every style");
            assert!(!theme.marker.is_empty());
        }
    }

    #[test]
    fn no_color_means_mono_and_mono_has_no_colours() {
        let theme = Theme::choose(Some("light"), None, true).unwrap();
        assert_eq!(theme.name, "mono");
        for style in [
            theme.selected,
            theme.state_retire,
            theme.flash_error,
            theme.badge_emulator,
        ] {
            assert_eq!((style.fg, style.bg), (None, None));
        }
        assert_eq!(theme.marker, ">");
    }

    #[test]
    fn user_overrides_merge_and_typos_are_caught() {
        let file: ThemeFile =
            toml::from_str("[styles]\nstate_retire = { fg = \"magenta\" }\n").unwrap();
        let theme = Theme::choose(None, Some(&file), false).unwrap();
        assert_eq!(theme.state_retire.fg, Some(Color::Magenta));
        assert_eq!(
            theme.state_kept,
            Theme::built_in("dark").unwrap().state_kept
        );
        let bad: ThemeFile = toml::from_str("[styles]\nstate_retyre = { fg = \"red\" }\n").unwrap();
        let err = Theme::choose(None, Some(&bad), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `state_retire`?"), "{err}");
    }
}
