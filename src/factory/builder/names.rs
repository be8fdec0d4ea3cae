//! Names of what a build run creates, derived from the run id and the image path, so that every
//! PUT of a run can be repeated (a resumed run asks for the same names) and nothing a run makes
//! can be mistaken for another run's.

use std::collections::BTreeSet;
use std::fmt;

use time::OffsetDateTime;

use crate::config::{ImagePath, OsType};

/// A build run's id: its UTC start (to the second) and four hex digits, e.g.
/// `20261127t091500-a1b2`. Lower case, as it goes into resource names and tags.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct RunId(String);

impl RunId {
    /// A run id for a run started at `at`, with `salt` for the suffix (random in practice).
    pub fn new(at: OffsetDateTime, salt: u16) -> RunId {
        let at = at.to_offset(time::UtcOffset::UTC);
        RunId(format!(
            "{:04}{:02}{:02}t{:02}{:02}{:02}-{salt:04x}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        ))
    }

    /// Parses a run id as written by `Display` (`runs`, tags, journals).
    pub fn parse(text: &str) -> Option<RunId> {
        let text = text.trim().to_ascii_lowercase();
        let (stamp, salt) = text.split_once('-')?;
        let well_formed = stamp.len() == 15
            && stamp.as_bytes()[8] == b't'
            && stamp
                .chars()
                .enumerate()
                .all(|(i, c)| i == 8 || c.is_ascii_digit())
            && salt.len() == 4
            && salt.chars().all(|c| c.is_ascii_hexdigit());
        well_formed.then_some(RunId(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Six characters that tell runs apart in short names: the minute and the salt's end.
    fn short(&self) -> String {
        let (stamp, salt) = self.0.split_once('-').unwrap_or((&self.0, ""));
        format!(
            "{}{}",
            &stamp[11..13.min(stamp.len())],
            &salt[..4.min(salt.len())]
        )
    }

    /// The date and time part, for image names: `202611270915`.
    fn minute(&self) -> String {
        let stamp = self.0.split('-').next().unwrap_or_default();
        stamp.replace('t', "").chars().take(12).collect()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest lab VM name DevTest Labs accepts for Windows (its computer name) and Linux.
pub const WINDOWS_VM_NAME_MAX: usize = 15;
pub const LINUX_VM_NAME_MAX: usize = 62;
/// The longest custom image name used (DevTest Labs accepts more; shorter names read better).
pub const IMAGE_NAME_MAX: usize = 64;

/// Letters and digits of `text`, lower-cased.
fn alnum(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `name` may go into an ARM path as a resource's name: `^[A-Za-z0-9][A-Za-z0-9._-]*$`
/// (what every name we make is). A name read back from Azure (a catalogue blob's metadata, an
/// original factory's sidecar) is checked before it reaches a URL: `../x` or `a?b` would
/// address another resource than it says.
pub fn is_resource_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.len() <= 80
}

/// The name of the factory VM that builds job `index` of `run` for `path`: starts with a
/// letter, letters, digits and hyphens only, no longer than the OS allows (15 for Windows).
pub fn vm_name(run: &RunId, index: usize, path: &ImagePath, os: OsType) -> String {
    let max = match os {
        OsType::Windows => WINDOWS_VM_NAME_MAX,
        OsType::Linux => LINUX_VM_NAME_MAX,
    };
    let tail = format!("-{}{:02}", run.short(), index % 100);
    let room = max - tail.len() - 1;
    let mut hint = alnum(path.as_str());
    hint.truncate(room);
    format!("f{hint}{tail}")
}

/// The custom image name a run gives `path`: the path's segments joined by hyphens and the
/// run's minute, e.g. `win2022-vs2022-202611270915`; suffixed `-2`, `-3`, … when `taken`
/// (names already in any lab the image goes to) holds it.
pub fn image_name(run: &RunId, path: &ImagePath, taken: &BTreeSet<String>) -> String {
    let stem: Vec<String> = path
        .as_str()
        .split('/')
        .map(|segment| {
            segment
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
                .trim_matches('-')
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let minute = run.minute();
    let mut stem = stem.join("-");
    stem.truncate(IMAGE_NAME_MAX - minute.len() - 4);
    let stem = stem.trim_end_matches('-');
    let base = format!("{stem}-{minute}");
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunId {
        let at = OffsetDateTime::from_unix_timestamp(1_795_770_900).unwrap();
        RunId::new(at, 0xa1b2)
    }

    #[test]
    fn only_plain_names_reach_an_arm_path() {
        for good in ["win2022-base-20261208t0101", "a", "A.b_c-d"] {
            assert!(is_resource_name(good), "{good}");
        }
        for bad in [
            "",
            "../x",
            "a/b",
            "a?b",
            "-a",
            ".a",
            "a b",
            "a%2fb",
            &"x".repeat(81),
        ] {
            assert!(!is_resource_name(bad), "{bad}");
        }
    }

    #[test]
    fn run_ids_read_back_and_sort_by_time() {
        let id = run();
        assert_eq!(id.as_str(), "20261127t091500-a1b2");
        assert_eq!(RunId::parse("20261127T091500-A1B2"), Some(id.clone()));
        assert_eq!(RunId::parse("20261127-091500"), None);
        assert_eq!(RunId::parse("nonsense"), None);
        // Each part must be right on its own.
        for bad in [
            "20261127x091500-a1b2",
            "2026112tt091500-a1b2",
            "20261127t09150x-a1b2",
            "20261127t0915000-a1b2",
            "20261127t091500-a1b",
            "20261127t091500-zzzz",
        ] {
            assert_eq!(RunId::parse(bad), None, "{bad}");
        }
        assert_eq!(format!("{id}"), id.as_str());
        let later = RunId::new(
            OffsetDateTime::from_unix_timestamp(1_795_770_960).unwrap(),
            0,
        );
        assert!(later > id);
    }

    #[test]
    fn vm_names_fit_windows_and_start_with_a_letter() {
        let path = ImagePath::new("Win2022/VS2022 Enterprise");
        let name = vm_name(&run(), 3, &path, OsType::Windows);
        assert_eq!(name, "fwin20-15a1b203");
        assert!(name.len() <= WINDOWS_VM_NAME_MAX, "{name}");
        let linux = vm_name(&run(), 3, &path, OsType::Linux);
        assert!(linux.starts_with("fwin2022vs2022enterprise-"), "{linux}");
    }

    #[test]
    fn image_names_come_from_the_path_and_minute_and_never_repeat() {
        let path = ImagePath::new("Win2016\\Datacenter.json");
        let name = image_name(&run(), &path, &BTreeSet::new());
        assert_eq!(name, "win2016-datacenter-202611270915");
        let taken = BTreeSet::from([name.clone(), format!("{name}-2")]);
        assert_eq!(image_name(&run(), &path, &taken), format!("{name}-3"));
        let long = ImagePath::new(&"x".repeat(200));
        assert!(image_name(&run(), &long, &BTreeSet::new()).len() <= IMAGE_NAME_MAX);
    }
}
