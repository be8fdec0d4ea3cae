use std::fmt;

/// An image path: where an image definition lives under `images/` (`win2022/vs2022`), and the
/// value of the `ImagePath` tag on the images built from it. Values written by the original
/// factory (`Win2016\Datacenter.json`) normalise to the same form (`Win2016/Datacenter`).
/// Compared case-insensitively, as the original factory's Windows paths were.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct ImagePath(String);

impl ImagePath {
    /// Normalises a raw value: backslashes to `/`, no `.json` suffix, no empty segments.
    pub fn new(raw: &str) -> Self {
        let forward = raw.trim().replace('\\', "/");
        let trimmed = forward.trim_matches('/');
        let stem = match trimmed.len().checked_sub(5) {
            Some(cut)
                if trimmed.is_char_boundary(cut)
                    && trimmed[cut..].eq_ignore_ascii_case(".json") =>
            {
                &trimmed[..cut]
            }
            _ => trimmed,
        };
        // `.` and `..` never survive, whatever the source (a tag, a blob's metadata): a path
        // becomes a file name under images/, and must stay under it.
        let clean: Vec<&str> = stem
            .split('/')
            .map(str::trim)
            .filter(|s| !matches!(*s, "" | "." | ".."))
            .collect();
        ImagePath(clean.join("/"))
    }

    /// An image path as a person or a file gave it, or why it is not one: folders and a name
    /// joined by `/` (or the original factory's `\`), not starting with one (no absolute
    /// path), none of them `.` or `..`, and no characters a file name cannot hold on Windows
    /// (which also leaves out a drive's `C:`).
    pub fn parse(raw: &str) -> Result<ImagePath, String> {
        let trimmed = raw.trim();
        let absolute = trimmed.starts_with(['/', '\\']);
        let bad = trimmed.split(['/', '\\']).any(|s| {
            matches!(s.trim(), "." | "..")
                || s.contains([':', '*', '?', '"', '<', '>', '|'])
                || s.chars().any(char::is_control)
        });
        let path = ImagePath::new(trimmed);
        if absolute || bad || path.is_empty() {
            return Err(format!(
                "`{}` is not an image path: folders and a name joined by /, like win2022/base (not starting with /, no . or .. folders, no : * ? \" < > |)",
                crate::inert::cell(trimmed)
            ));
        }
        Ok(path)
    }

    /// The normalised path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a lab subscribed to `self` receives `image`: equal, or `self` is a parent folder
    /// of it on a whole segment (`win2022` takes `win2022/vs2022`, not `win2022core/x`).
    pub fn covers(&self, image: &ImagePath) -> bool {
        let (a, b) = (self.0.to_ascii_lowercase(), image.0.to_ascii_lowercase());
        b == a || (b.starts_with(&a) && b.as_bytes().get(a.len()) == Some(&b'/'))
    }

    /// The key used to group images of one path.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// True for an empty path (a tag with nothing in it).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> serde::Deserialize<'de> for ImagePath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer).map(|s| ImagePath::new(&s))
    }
}

impl PartialEq for ImagePath {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for ImagePath {}

impl std::hash::Hash for ImagePath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ImagePath;

    #[test]
    fn legacy_values_normalise() {
        assert_eq!(
            ImagePath::new("Win2016\\Datacenter.json").as_str(),
            "Win2016/Datacenter"
        );
        assert_eq!(
            ImagePath::new("/win2022//vs2022/").as_str(),
            "win2022/vs2022"
        );
        assert_eq!(
            ImagePath::new("Win2012R2\\VS2015 Enterprise with Azure SDK.JSON").as_str(),
            "Win2012R2/VS2015 Enterprise with Azure SDK"
        );
        assert_eq!(
            ImagePath::new("Win2016\\Datacenter.json"),
            ImagePath::new("win2016/datacenter")
        );
    }

    #[test]
    fn a_path_never_leaves_the_images_folder() {
        for raw in [
            "../../x",
            "..\\..\\x.json",
            "win2022/../../etc",
            "./win2022",
            "/abs",
            "\\abs",
            "C:/x",
            "",
            "  ",
            "a/\u{1b}]52;c;x",
        ] {
            let error = ImagePath::parse(raw).unwrap_err();
            assert!(error.contains("is not an image path"), "{raw}: {error}");
        }
        assert_eq!(
            ImagePath::parse("Win2016\\Datacenter.json")
                .unwrap()
                .as_str(),
            "Win2016/Datacenter"
        );
        // Read from Azure or a file without a check, `.` and `..` are dropped all the same.
        assert_eq!(ImagePath::new("../../x").as_str(), "x");
        assert_eq!(ImagePath::new("a/./b/../c").as_str(), "a/b/c");
    }

    #[test]
    fn subscriptions_match_whole_segments_only() {
        let folder = ImagePath::new("win2022");
        assert!(folder.covers(&ImagePath::new("win2022/vs2022")));
        assert!(folder.covers(&ImagePath::new("win2022")));
        assert!(!folder.covers(&ImagePath::new("win2022core/x")));
        assert!(ImagePath::new("Win2016").covers(&ImagePath::new("Win2016\\Datacenter.json")));
        assert!(!ImagePath::new("win2022/vs2022").covers(&ImagePath::new("win2022")));
    }
}
