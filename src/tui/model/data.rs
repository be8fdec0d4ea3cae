//! What the console shows, derived once per inventory: flat lists of labs and images in display
//! order, the retention plan, and drift. Views and filters index into these.

use time::OffsetDateTime;

use crate::config::{FactoryConfig, ImagePath};
use crate::factory::{
    Decision, Image, Inventory, LabInventory, RetentionPlan, RetentionState, SubscriptionInventory,
    retention,
};

/// A lab: its subscription's index and its own, in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabAt {
    pub sub: usize,
    pub lab: usize,
}

/// An image: the flat index of its lab, and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageAt {
    pub lab: usize,
    pub image: usize,
}

pub use crate::factory::drift::DriftStatus;

/// One lab and one path it subscribes to.
#[derive(Debug, Clone)]
pub struct DriftRow {
    pub lab: usize,
    pub path: ImagePath,
    pub status: DriftStatus,
    pub lab_newest: Option<OffsetDateTime>,
    pub newest_anywhere: Option<OffsetDateTime>,
    /// The configuration's definition differs from what the newest build was made from.
    pub definition_changed: bool,
}

/// The derived view of one inventory.
#[derive(Debug, Clone)]
pub struct Data {
    pub inventory: Inventory,
    pub plan: RetentionPlan,
    pub labs: Vec<LabAt>,
    pub images: Vec<ImageAt>,
    /// Per flat lab: where its images are in `images` (they are laid out lab by lab).
    pub lab_images: Vec<std::ops::Range<usize>>,
    pub drift: Vec<DriftRow>,
    /// Per flat lab: images due for retirement.
    pub due: Vec<usize>,
    /// Per flat lab: whether it has the newest image of every path it subscribes to (`None`
    /// for labs that subscribe to nothing).
    pub up_to_date: Vec<Option<bool>>,
    /// Flat lab index by lower-cased lab id (rows, drift and plans find labs by id).
    lab_by_id: std::collections::HashMap<String, usize>,
}

impl Data {
    /// What a row is, independent of where it is: the key that finds the same item in other
    /// data (`None` for rows that are positions, not items).
    pub fn row_key(&self, row: super::Row) -> Option<String> {
        use super::Row;
        Some(match row {
            Row::Image(i) => format!("image {}", self.image(*self.images.get(i)?).id.key()),
            Row::Lab(l) => format!("lab {}", self.labs.get(l).map(|_| self.lab(l).id.key())?),
            Row::Sub(s) => format!("sub {}", self.inventory.subscriptions.get(s)?.id),
            Row::Drift(d) => {
                let row = self.drift.get(d)?;
                format!("drift {} {}", self.lab(row.lab).id.key(), row.path.key())
            }
            Row::Problem(p) => format!("problem {}", self.inventory.problems.get(p)?.id),
            // Runs and jobs keep their indices for the session; the others are positions.
            Row::Def(_)
            | Row::Line(_)
            | Row::Message(_)
            | Row::Run(_)
            | Row::RunImage(_)
            | Row::RunTarget(..)
            | Row::Job(_) => return None,
        })
    }

    /// Derives everything from an inventory.
    pub fn new(inventory: Inventory, config: Option<&FactoryConfig>, now: OffsetDateTime) -> Data {
        let plan = retention::plan(&inventory, config, now);
        let mut labs = Vec::new();
        for (s, sub) in inventory.subscriptions.iter().enumerate() {
            for l in 0..sub.labs.len() {
                labs.push(LabAt { sub: s, lab: l });
            }
        }
        let mut images = Vec::new();
        let mut lab_images = Vec::with_capacity(labs.len());
        for (flat, at) in labs.iter().enumerate() {
            let start = images.len();
            for i in 0..inventory.subscriptions[at.sub].labs[at.lab].images.len() {
                images.push(ImageAt {
                    lab: flat,
                    image: i,
                });
            }
            lab_images.push(start..images.len());
        }
        let due = plan
            .labs
            .iter()
            .map(|l| {
                l.decisions
                    .iter()
                    .filter(|d| d.state == RetentionState::Retire)
                    .count()
            })
            .collect();
        let mut data = Data {
            inventory,
            plan,
            labs,
            images,
            lab_images,
            drift: Vec::new(),
            due,
            up_to_date: Vec::new(),
            lab_by_id: Default::default(),
        };
        data.lab_by_id = (0..data.labs.len())
            .map(|l| (data.lab(l).id.key(), l))
            .collect();
        data.drift = config.map(|c| drift(&data, c)).unwrap_or_default();
        // One pass over the drift rows (this runs on every rebuild while an estate streams in).
        let mut up_to_date = vec![None; data.labs.len()];
        for row in &data.drift {
            let newest = row.status == DriftStatus::Newest;
            up_to_date[row.lab] = Some(up_to_date[row.lab].unwrap_or(true) && newest);
        }
        data.up_to_date = up_to_date;
        data
    }

    pub fn sub(&self, lab: usize) -> &SubscriptionInventory {
        &self.inventory.subscriptions[self.labs[lab].sub]
    }

    pub fn lab(&self, lab: usize) -> &LabInventory {
        let at = self.labs[lab];
        &self.inventory.subscriptions[at.sub].labs[at.lab]
    }

    pub fn image(&self, at: ImageAt) -> &Image {
        &self.lab(at.lab).images[at.image]
    }

    /// The plan's decision for an image (the plan keeps the inventory's order).
    pub fn decision(&self, at: ImageAt) -> &Decision {
        &self.plan.labs[at.lab].decisions[at.image]
    }

    /// Labs listed whose contents are still being read.
    pub fn labs_reading(&self) -> usize {
        self.inventory.labs().filter(|(_, l)| l.reading).count()
    }

    /// The flat index of the lab with this id.
    pub fn lab_index(&self, id: &crate::arm::ResourceId) -> Option<usize> {
        self.lab_by_id.get(&id.key()).copied()
    }
}

/// The factory's drift, with each lab as its flat index here.
fn drift(data: &Data, config: &FactoryConfig) -> Vec<DriftRow> {
    crate::factory::drift::drift(&data.inventory, config)
        .into_iter()
        .filter_map(|d| {
            Some(DriftRow {
                lab: data.lab_index(&d.lab)?,
                path: d.path,
                status: d.status,
                lab_newest: d.lab_newest,
                newest_anywhere: d.newest_anywhere,
                definition_changed: d.definition_changed,
            })
        })
        .collect()
}
