//! Microsoft.Authorization permissions: what the caller may do at a scope (`GET
//! {scope}/providers/Microsoft.Authorization/permissions`), from its role assignments.

use serde::{Deserialize, Serialize};

/// The Authorization api-version of the permissions list.
pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

/// One role's actions at the scope (`Permission` in the Authorization spec).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
}

impl Permission {
    /// Whether this role grants `action` (ARM's rule: matched by some action, by no not-action;
    /// `*` is a wildcard, case does not matter).
    pub fn allows(&self, action: &str) -> bool {
        self.actions.iter().any(|a| wildcard_match(a, action))
            && !self.not_actions.iter().any(|a| wildcard_match(a, action))
    }
}

/// Whether the caller may do `action`, given all its roles at a scope.
pub fn permits(permissions: &[Permission], action: &str) -> bool {
    permissions.iter().any(|p| p.allows(action))
}

fn wildcard_match(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        if last {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(actions: &[&str], not_actions: &[&str]) -> Permission {
        Permission {
            actions: actions.iter().map(|s| s.to_string()).collect(),
            not_actions: not_actions.iter().map(|s| s.to_string()).collect(),
            ..Permission::default()
        }
    }

    const DELETE: &str = "Microsoft.DevTestLab/labs/customImages/delete";

    #[test]
    fn roles_grant_actions_as_arm_matches_them() {
        assert!(role(&["*"], &[]).allows(DELETE));
        assert!(!role(&["*/read"], &[]).allows(DELETE));
        assert!(role(&["*/read"], &[]).allows("Microsoft.DevTestLab/labs/read"));
        assert!(role(&["microsoft.devtestlab/*"], &[]).allows(DELETE));
        assert!(role(&["Microsoft.DevTestLab/labs/customImages/*"], &[]).allows(DELETE));
        assert!(!role(&["Microsoft.DevTestLab/labs/virtualMachines/*"], &[]).allows(DELETE));
        assert!(!role(&["*"], &["Microsoft.DevTestLab/*/delete"]).allows(DELETE));
        assert!(role(&["*"], &["Microsoft.Authorization/*/Delete"]).allows(DELETE));
        assert!(permits(
            &[role(&["*/read"], &[]), role(&["*"], &[])],
            DELETE
        ));
        assert!(!permits(&[], DELETE));
    }
}
