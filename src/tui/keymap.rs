//! Keys to commands: the command table's defaults, with a user's `[keys]` overrides merged over
//! them. In read-only mode the commands that change Azure are not bound at all.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::ConsoleError;
use super::command::{COMMANDS, CommandId};

/// A key as the key map knows it: code plus ctrl/alt (shift is in the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// The key of a terminal event.
    pub fn of(event: &KeyEvent) -> Key {
        // Shift is not kept: it is in the character itself ('G'), and terminals differ on
        // whether SHIFT comes with it.
        Key {
            code: event.code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parses `q`, `G`, `ctrl-d`, `alt-x`, `space`, `enter`, `esc`, `up`, `pagedown`, `f5`, ...
    pub fn parse(text: &str) -> Option<Key> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "space" => KeyCode::Char(' '),
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "delete" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
            _ => return None,
        };
        Some(Key { code, ctrl, alt })
    }

    /// How the key is written in help and hints.
    pub fn label(text: &str) -> String {
        match text {
            "space" => "␣".into(),
            "enter" => "⏎".into(),
            other => other.to_string(),
        }
    }
}

/// Keys to commands.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: HashMap<Key, CommandId>,
    /// In read-only mode, the keys of the commands that change Azure: not bound, but known,
    /// so that pressing one says why nothing happens.
    refused: HashMap<Key, CommandId>,
    /// The keys of each command, as written (first is shown in hints).
    pub labels: HashMap<CommandId, Vec<String>>,
}

impl KeyMap {
    /// The defaults, with `overrides` (command name → keys) replacing a command's keys.
    pub fn new(
        overrides: &HashMap<String, Vec<String>>,
        read_only: bool,
    ) -> Result<KeyMap, ConsoleError> {
        let mut labels: HashMap<CommandId, Vec<String>> = HashMap::new();
        for (name, keys) in overrides {
            let command = COMMANDS.iter().find(|c| c.name == name).ok_or_else(|| {
                let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
                let hint = crate::human::nearest(name, &names)
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                ConsoleError::Setting {
                    key: name.clone(),
                    message: format!("[keys]: no command `{name}`{hint}"),
                }
            })?;
            for k in keys {
                Key::parse(k).ok_or_else(|| ConsoleError::Setting {
                    key: name.clone(),
                    message: format!("[keys] {name}: `{k}` is not a key; write it like q, G, ctrl-d, space, enter, f5"),
                })?;
            }
            labels.insert(command.id, keys.clone());
        }
        let mut bindings: HashMap<Key, CommandId> = HashMap::new();
        let mut refused = HashMap::new();
        for command in COMMANDS {
            let keys = labels
                .entry(command.id)
                .or_insert_with(|| command.keys.iter().map(|k| k.to_string()).collect());
            for k in keys.iter() {
                let Some(key) = Key::parse(k) else { continue };
                if !command.allowed(read_only) {
                    refused.insert(key, command.id);
                    continue;
                }
                // Two commands on one key: the help would promise what the key does not do.
                if let Some(other) = bindings.insert(key, command.id)
                    && other != command.id
                {
                    let name = |id: CommandId| {
                        COMMANDS
                            .iter()
                            .find(|c| c.id == id)
                            .map(|c| c.name)
                            .unwrap_or("?")
                    };
                    return Err(ConsoleError::Setting {
                        key: command.name.to_string(),
                        message: format!(
                            "[keys]: `{k}` is bound to both `{}` and `{}`; give one of them another key",
                            name(other),
                            name(command.id)
                        ),
                    });
                }
            }
        }
        labels.retain(|id, _| COMMANDS.iter().any(|c| c.id == *id && c.allowed(read_only)));
        Ok(KeyMap {
            bindings,
            refused,
            labels,
        })
    }

    /// The command a key runs, if any.
    pub fn command(&self, event: &KeyEvent) -> Option<CommandId> {
        self.bindings.get(&Key::of(event)).copied()
    }

    /// The command that changes Azure a key would run, were the console not read-only.
    pub fn refused(&self, event: &KeyEvent) -> Option<CommandId> {
        self.refused.get(&Key::of(event)).copied()
    }

    /// The first key of a command, for hints.
    pub fn first_key(&self, id: CommandId) -> Option<String> {
        self.labels
            .get(&id)
            .and_then(|k| k.first())
            .map(|k| Key::label(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn default_keys_follow_k9s_conventions() {
        let map = KeyMap::new(&HashMap::new(), false).unwrap();
        assert_eq!(
            map.command(&press(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(CommandId::Down)
        );
        assert_eq!(
            map.command(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(CommandId::Bottom)
        );
        assert_eq!(
            map.command(&press(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(CommandId::PageDown)
        );
        assert_eq!(
            map.command(&press(KeyCode::Char(':'), KeyModifiers::NONE)),
            Some(CommandId::Palette)
        );
        assert_eq!(
            map.command(&press(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(CommandId::Mark)
        );
    }

    #[test]
    fn read_only_leaves_changing_commands_unbound() {
        let map = KeyMap::new(&HashMap::new(), true).unwrap();
        assert_eq!(
            map.command(&press(KeyCode::Char('D'), KeyModifiers::SHIFT)),
            None
        );
        assert_eq!(
            map.command(&press(KeyCode::Char('p'), KeyModifiers::NONE)),
            None
        );
        assert!(map.first_key(CommandId::TogglePin).is_none());
    }

    #[test]
    fn overrides_replace_a_commands_keys_and_typos_are_caught() {
        let overrides = HashMap::from([("pin".to_string(), vec!["P".to_string()])]);
        let map = KeyMap::new(&overrides, false).unwrap();
        assert_eq!(
            map.command(&press(KeyCode::Char('P'), KeyModifiers::SHIFT)),
            Some(CommandId::TogglePin)
        );
        assert_eq!(
            map.command(&press(KeyCode::Char('p'), KeyModifiers::NONE)),
            None
        );
        let bad = HashMap::from([("pinn".to_string(), vec!["x".to_string()])]);
        assert!(
            KeyMap::new(&bad, false)
                .unwrap_err()
                .to_string()
                .contains("did you mean `pin`?")
        );
        let bad_key = HashMap::from([("pin".to_string(), vec!["ctrl-".to_string()])]);
        assert!(KeyMap::new(&bad_key, false).is_err());
    }
}
