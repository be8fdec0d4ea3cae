use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, ImageDefinition, ImagePath, LabRefFile, is_guid};

/// A lab named by subscription, resource group and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabRef {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
}

impl LabRef {
    /// The lab's ARM id.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DevTestLab/labs/{}",
            self.subscription, self.resource_group, self.name
        )
    }

    /// Whether this names the lab with `id` (compared case-insensitively).
    pub fn is(&self, id: &str) -> bool {
        // Segment by segment, without building the id: this runs for every lab on every
        // rebuild of the console's data.
        let expected = [
            "",
            "subscriptions",
            &self.subscription,
            "resourceGroups",
            &self.resource_group,
            "providers",
            "Microsoft.DevTestLab",
            "labs",
            &self.name,
        ];
        let mut parts = id.trim_end_matches('/').split('/');
        expected
            .iter()
            .all(|e| parts.next().is_some_and(|p| p.eq_ignore_ascii_case(e)))
            && parts.next().is_none()
    }
}

/// A lab that receives images, and the image paths it subscribes to.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetLab {
    pub lab: LabRef,
    pub image_paths: Vec<ImagePath>,
}

impl TargetLab {
    /// Whether this lab receives images of `path`.
    pub fn receives(&self, path: &ImagePath) -> bool {
        self.image_paths.iter().any(|p| p.covers(path))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TargetLabFile {
    subscription: Spanned<String>,
    resource_group: Spanned<String>,
    name: Spanned<String>,
    image_paths: Spanned<Vec<Spanned<String>>>,
}

type At<'a> = dyn Fn(std::ops::Range<usize>, String) -> ConfigError + 'a;

pub(super) fn lab_ref(file: &LabRefFile, at: &At) -> Result<LabRef, ConfigError> {
    check_lab_fields(&file.subscription, &file.resource_group, &file.lab, at)?;
    Ok(LabRef {
        subscription: file.subscription.get_ref().clone(),
        resource_group: file.resource_group.get_ref().clone(),
        name: file.lab.get_ref().clone(),
    })
}

fn check_lab_fields(
    subscription: &Spanned<String>,
    resource_group: &Spanned<String>,
    name: &Spanned<String>,
    at: &At,
) -> Result<(), ConfigError> {
    if !is_guid(subscription.get_ref()) {
        return Err(at(
            subscription.span(),
            format!(
                "subscription `{}` is not a subscription id; expected a GUID like 0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01 (see `imagefactory labs`)",
                subscription.get_ref()
            ),
        ));
    }
    for (value, what) in [(resource_group, "resource_group"), (name, "name")] {
        if value.get_ref().trim().is_empty() {
            return Err(at(value.span(), format!("{what} is empty")));
        }
        if value.get_ref().contains(['/', '\\', '?', '#']) {
            return Err(at(
                value.span(),
                format!("{what} `{}` cannot contain / \\ ? or #", value.get_ref()),
            ));
        }
    }
    Ok(())
}

pub(super) fn target_labs(
    files: Vec<TargetLabFile>,
    images: &[ImageDefinition],
    at: &At,
) -> Result<Vec<TargetLab>, ConfigError> {
    let mut labs: Vec<TargetLab> = Vec::new();
    for file in files {
        check_lab_fields(&file.subscription, &file.resource_group, &file.name, at)?;
        let lab = LabRef {
            subscription: file.subscription.get_ref().clone(),
            resource_group: file.resource_group.get_ref().clone(),
            name: file.name.get_ref().clone(),
        };
        if labs
            .iter()
            .any(|l| l.lab.id().eq_ignore_ascii_case(&lab.id()))
        {
            return Err(at(
                file.name.span(),
                format!(
                    "lab `{}` in resource group `{}` is listed twice; merge its image_paths into one [[lab]]",
                    lab.name, lab.resource_group
                ),
            ));
        }
        if file.image_paths.get_ref().is_empty() {
            return Err(at(
                file.image_paths.span(),
                format!(
                    "lab `{}` subscribes to no image paths; list at least one, for example image_paths = [\"win2022\"]",
                    lab.name
                ),
            ));
        }
        let mut image_paths = Vec::new();
        for raw in file.image_paths.into_inner() {
            let path = ImagePath::parse(raw.get_ref()).map_err(|e| at(raw.span(), e))?;
            if image_paths.contains(&path) {
                return Err(at(
                    raw.span(),
                    format!(
                        "`{path}` is in lab `{}`'s image_paths twice; list it once",
                        lab.name
                    ),
                ));
            }
            if !images.iter().any(|d| path.covers(&d.path)) {
                let known: Vec<&str> = images.iter().map(|d| d.path.as_str()).collect();
                let hint = crate::human::nearest(path.as_str(), &known)
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_else(|| {
                        if known.is_empty() {
                            "; there are no image definitions under images/".into()
                        } else {
                            format!("; known paths: {}", known.join(", "))
                        }
                    });
                return Err(at(
                    raw.span(),
                    format!("image path `{path}` matches no image definition{hint}"),
                ));
            }
            image_paths.push(path);
        }
        labs.push(TargetLab { lab, image_paths });
    }
    Ok(labs)
}

#[cfg(test)]
mod tests {
    use super::LabRef;

    #[test]
    fn a_lab_ref_names_its_id_in_any_case_and_nothing_else() {
        let lab = LabRef {
            subscription: "s1".into(),
            resource_group: "rg".into(),
            name: "Dev".into(),
        };
        assert!(lab.is(&lab.id()));
        assert!(
            lab.is("/SUBSCRIPTIONS/S1/resourcegroups/RG/providers/microsoft.devtestlab/labs/dev/")
        );
        for other in [
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/Dev2",
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.DevTestLab/labs",
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/Dev/customimages/x",
            "/subscriptions/s2/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/Dev",
            "subscriptions/s1/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/Dev",
            "",
        ] {
            assert!(!lab.is(other), "{other}");
        }
    }
}
