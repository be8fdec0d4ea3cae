use std::fmt;
use std::hash::{Hash, Hasher};

/// An ARM resource id, compared case-insensitively as Azure does (it returns lower-cased
/// segments such as `resourcegroups` in some answers and not in others). The original spelling
/// is kept for display and for building URLs.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ResourceId(String);

impl ResourceId {
    /// Wraps an id as ARM returned it.
    pub fn new(id: impl Into<String>) -> Self {
        ResourceId(id.into())
    }

    /// The id as ARM spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value following `segment` (matched case-insensitively), e.g. `subscriptions` → the id.
    pub fn segment(&self, segment: &str) -> Option<&str> {
        let mut parts = self.0.split('/').filter(|p| !p.is_empty());
        while let Some(p) = parts.next() {
            if p.eq_ignore_ascii_case(segment) {
                return parts.next();
            }
        }
        None
    }

    /// The subscription id in this resource id.
    pub fn subscription(&self) -> Option<&str> {
        self.segment("subscriptions")
    }

    /// The resource group in this resource id.
    pub fn resource_group(&self) -> Option<&str> {
        self.segment("resourceGroups")
    }

    /// The last segment: the resource's own name.
    pub fn name(&self) -> &str {
        self.0
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }

    /// The id of the parent resource (one type/name pair up).
    pub fn parent(&self) -> ResourceId {
        let trimmed = self.0.trim_end_matches('/');
        let mut cut = trimmed;
        for _ in 0..2 {
            cut = cut.rsplit_once('/').map(|(a, _)| a).unwrap_or("");
        }
        ResourceId(cut.to_string())
    }

    /// True when `self` is `other` or lies beneath it.
    pub fn is_within(&self, other: &ResourceId) -> bool {
        let a = self.0.to_ascii_lowercase();
        let b = other.0.trim_end_matches('/').to_ascii_lowercase();
        a == b || a.starts_with(&format!("{b}/"))
    }

    /// The lower-cased form, for use as a map key.
    pub fn key(&self) -> String {
        self.0.trim_end_matches('/').to_ascii_lowercase()
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .trim_end_matches('/')
            .eq_ignore_ascii_case(other.0.trim_end_matches('/'))
    }
}
impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.trim_end_matches('/').bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl PartialOrd for ResourceId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ResourceId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ResourceId;
    use std::collections::HashSet;

    #[test]
    fn ids_differing_only_in_case_are_equal_and_hash_alike() {
        let a = ResourceId::new(
            "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.DevTestLab/labs/Lab1",
        );
        let b = ResourceId::new(
            "/subscriptions/s1/resourcegroups/rg/providers/microsoft.devtestlab/labs/lab1/",
        );
        assert_eq!(a, b);
        let set: HashSet<_> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(a.resource_group(), Some("RG"));
        assert_eq!(a.name(), "Lab1");
    }

    #[test]
    fn parent_and_within_follow_type_name_pairs() {
        let img = ResourceId::new(
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.devtestlab/labs/l/customimages/i",
        );
        let lab = ResourceId::new(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/L",
        );
        assert_eq!(img.parent(), lab);
        assert!(img.is_within(&lab));
        assert!(
            !ResourceId::new(
                "/subscriptions/s/resourcegroups/rg/providers/microsoft.devtestlab/labs/l2"
            )
            .is_within(&lab)
        );
    }
}
