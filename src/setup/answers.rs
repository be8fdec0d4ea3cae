//! What the setup's answers make: the configuration and the first definition, the files to
//! write, and what the retention answers would retire today.

use std::path::PathBuf;

use time::OffsetDateTime;

use super::wizard::{LabPreview, Problem, RetentionPreview, Step, Wizard};
use crate::config::write::{self, ConfigFile};
use crate::config::{
    AzureSettings, BaseImage, BuildSettings, Defaults, FactoryConfig, ImageDefinition, ImagePath,
    RetentionPolicy, TargetLab,
};
use crate::factory::builder::plan::generalize_artifact;

impl Wizard {
    /// What the retention answers would retire today in the chosen target labs.
    pub fn retention_preview(&self, now: OffsetDateTime) -> Result<RetentionPreview, Problem> {
        let retention = self.retention_policy()?;
        let mut config = self.skeleton(retention);
        config.labs = self.target_labs();
        let Some(estate) = &self.estate else {
            return Ok(RetentionPreview { labs: Vec::new() });
        };
        let plan = crate::factory::retention::plan(estate, Some(&config), now);
        let labs = plan
            .labs
            .iter()
            .filter(|l| config.labs.iter().any(|t| t.lab.is(l.lab.as_str())))
            .map(|l| {
                let retire = l
                    .decisions
                    .iter()
                    .filter(|d| d.state == crate::factory::RetentionState::Retire)
                    .count();
                LabPreview {
                    lab: l.lab_name.clone(),
                    retire,
                    images: l.decisions.len(),
                }
            })
            .collect();
        Ok(RetentionPreview { labs })
    }

    /// The target labs the answers make.
    pub fn target_labs(&self) -> Vec<TargetLab> {
        self.targets
            .iter()
            .map(|(&i, paths)| TargetLab {
                lab: self.labs[i].lab.clone(),
                image_paths: split_paths(paths),
            })
            .collect()
    }

    fn skeleton(&self, retention: RetentionPolicy) -> FactoryConfig {
        let factory = self
            .factory
            .and_then(|i| self.labs.get(i))
            .map(|l| l.lab.clone())
            .unwrap_or_else(|| crate::config::LabRef {
                subscription: String::new(),
                resource_group: String::new(),
                name: String::new(),
            });
        FactoryConfig {
            path: self.dir.join("factory.toml"),
            factory,
            azure: AzureSettings {
                auth: self.auth,
                ..AzureSettings::default()
            },
            defaults: Defaults {
                vm_size: crate::config::DEFAULT_VM_SIZE.into(),
                parallelism: crate::config::DEFAULT_PARALLELISM,
            },
            build: BuildSettings::default(),
            retention,
            labs: Vec::new(),
            images: Vec::new(),
        }
    }

    /// The first image definition the answers make.
    pub fn definition(&self) -> Result<ImageDefinition, Problem> {
        self.validate_definition()?;
        let g = self.base_image().cloned().unwrap_or_default();
        let path = ImagePath::new(&self.definition_path);
        let mut definition = ImageDefinition::new(
            path.clone(),
            self.os(),
            BaseImage::latest(&g.publisher, &g.offer, &g.sku),
        );
        definition.file = self.dir.join(write::definition_file(&path));
        definition.description = g.title.clone();
        definition.artifacts = self.definition_artifacts();
        Ok(definition)
    }

    /// The configuration the answers make; the first wrong answer otherwise.
    pub fn configuration(&self) -> Result<FactoryConfig, Problem> {
        for step in &Step::ALL[..Step::Review.index()] {
            self.validate(*step)?;
        }
        let mut config = self.skeleton(self.retention_policy()?);
        config.labs = self.target_labs();
        config.images = vec![self.definition()?];
        Ok(config)
    }

    /// The files the answers make: `factory.toml` and the first definition.
    pub fn files(&self) -> Result<Vec<ConfigFile>, Problem> {
        let config = self.configuration()?;
        let mut files = vec![ConfigFile {
            relative: PathBuf::from("factory.toml"),
            text: write::factory_toml(
                &config,
                &[
                    "Written by `imagefactory init`.".into(),
                    "Image definitions live under images/ (a file's path is its image path)."
                        .into(),
                    "`imagefactory check` checks this against Azure.".into(),
                ],
            ),
        }];
        for d in &config.images {
            let generalize = generalize_artifact(d.os).name;
            files.push(ConfigFile {
                relative: write::definition_file(&d.path),
                text: write::definition_toml(
                    d,
                    &[format!(
                        "Every build applies {generalize} last: it is not listed here."
                    )],
                ),
            });
        }
        Ok(files)
    }
}

/// An image path as typed, or what is wrong with it: folders and a name joined by `/`, none
/// of them `.` or `..`, no characters a file name cannot hold on Windows.
pub fn path_answer(raw: &str) -> Result<ImagePath, String> {
    ImagePath::parse(raw)
}

/// Image paths typed as a list, separated by commas (a path may hold a space).
pub fn split_paths(text: &str) -> Vec<ImagePath> {
    text.split(',')
        .map(ImagePath::new)
        .filter(|p| !p.is_empty())
        .collect()
}
