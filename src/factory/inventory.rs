//! Inventory: every visible subscription, its labs, their custom images, VMs and formulas.
//! A subscription or lab that fails is reported with its reason; the rest is still shown.

use futures::StreamExt;
use futures::future::join_all;
use time::OffsetDateTime;

use super::FactoryError;
use super::tags;
use crate::arm::wire::{
    self, CustomImage, DTL_API_VERSION, Formula, LabVirtualMachine, SUBSCRIPTIONS_API_VERSION,
};
use crate::arm::{ArmClient, ArmError, ResourceId};
use crate::config::{FactoryConfig, ImagePath};

/// Everything the factory knows about the estate at one moment. Serialisable, so the console
/// can show the last one at once while it reads a fresh one.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    pub subscriptions: Vec<SubscriptionInventory>,
    /// Subscriptions and labs that could not be read, and why (not kept in caches).
    #[serde(skip)]
    pub problems: Vec<Problem>,
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
}

/// One subscription and its labs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionInventory {
    pub id: String,
    pub name: String,
    pub state: String,
    #[serde(default)]
    pub tenant: Option<String>,
    pub labs: Vec<LabInventory>,
}

/// What a lab is to the factory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabRole {
    /// Where images are built.
    Factory,
    /// Receives images.
    Target,
}

/// One lab and its contents.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LabInventory {
    pub id: ResourceId,
    pub name: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub location: String,
    pub role: Option<LabRole>,
    pub images: Vec<Image>,
    pub vms: Vec<Vm>,
    /// Custom images that the lab's formulas start from.
    pub formula_images: Vec<ResourceId>,
    /// False when some of the lab's lists could not be read (see `Inventory::problems`).
    pub complete: bool,
    /// Why the identity's role at the lab allows no custom image delete, when it does not.
    /// `None` when it does, or when that could not be told (the first 403 then says it).
    #[serde(default)]
    pub denied: Option<String>,
    /// Why the identity's role at the lab allows no custom image to be made there (what a
    /// build needs of a target lab), when it does not.
    #[serde(default)]
    pub build_denied: Option<String>,
    /// Why the lab's subscription refuses every change (it is disabled or deleted), if it does.
    #[serde(default)]
    pub subscription_refuses: Option<String>,
    /// Listed, but its contents are still being read (a reading in progress; never cached).
    #[serde(skip)]
    pub reading: bool,
}

/// Who is told what a reading learns.
pub type Reporter<'a> = dyn Fn(Reading) + Send + Sync + 'a;

/// What a reading of the estate has learnt, as it learns it: first each subscription with its
/// labs (their contents to come), then each lab's contents as its lists arrive.
#[derive(Debug, Clone)]
pub enum Reading {
    /// A subscription and its labs, each marked `reading`.
    Listed(SubscriptionInventory),
    /// One lab, read (with why part of it could not be, if so).
    Lab(Box<LabInventory>, Option<Problem>),
    /// A subscription whose labs could not be listed.
    Failed(Problem),
    /// The subscriptions are all listed: this many, each of which comes as `Listed` or
    /// `Failed` (before or after this), so that the order of every lab is then known.
    Subscriptions(usize),
}

/// Puts subscriptions, and the labs of each, in the order they are shown and printed: by
/// name without case, then by id, so that two of one name keep one order on every run.
pub fn sort(subscriptions: &mut [SubscriptionInventory]) {
    subscriptions.sort_by_cached_key(|s| order_of(&s.name, &s.id));
    for sub in subscriptions {
        sort_labs(&mut sub.labs);
    }
}

/// Puts labs in the order they are shown and printed (see `sort`).
pub fn sort_labs(labs: &mut [LabInventory]) {
    labs.sort_by_cached_key(|l| order_of(&l.name, l.id.as_str()));
}

/// Where a subscription or a lab goes among its kind (see `sort`).
fn order_of(name: &str, id: &str) -> (String, String) {
    (
        name.to_ascii_lowercase(),
        id.trim_end_matches('/').to_ascii_lowercase(),
    )
}

/// A lab's place in the order of `sort` across subscriptions, as one string: each part ends
/// with a NUL, which sorts before any other character.
fn rank_of(subscription: &wire::Subscription, lab: &wire::Lab) -> String {
    let (sub_name, sub_id) = order_of(&subscription.display_name, &subscription.subscription_id);
    let (lab_name, lab_id) = order_of(&lab.name, &lab.id);
    format!("{sub_name}\0{sub_id}\0{lab_name}\0{lab_id}\0")
}

/// A custom image, as the factory sees it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Image {
    pub id: ResourceId,
    pub name: String,
    /// Normalised `ImagePath` tag; `None` when untagged.
    pub image_path: Option<ImagePath>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
    pub os_type: Option<String>,
    pub author: Option<String>,
    pub description: Option<String>,
    /// The pin tag's value, when pinned.
    pub pin: Option<String>,
    /// A VM in the lab was created from it.
    pub in_use: bool,
    pub provisioning_state: Option<String>,
    pub tags: wire::Tags,
}

/// A lab VM.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Vm {
    pub id: ResourceId,
    pub name: String,
    pub custom_image_id: Option<ResourceId>,
    pub owner: Option<String>,
    pub provisioning_state: Option<String>,
    /// Its tags (a build VM carries its run's; `FactoryIgnore` keeps the janitor off it).
    #[serde(default)]
    pub tags: wire::Tags,
    /// When it was made.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
}

/// A part of the estate that could not be read.
#[derive(Debug, Clone)]
pub struct Problem {
    /// `subscription` or `lab`.
    pub scope: &'static str,
    /// The subscription id or lab id.
    pub id: String,
    /// A name a person recognises.
    pub name: String,
    pub error: ArmError,
}

impl Inventory {
    /// Reads the estate: subscriptions, then their labs, then every lab's images, VMs and
    /// formulas, all at once within the client's concurrency bound.
    pub async fn refresh(
        client: &ArmClient,
        config: Option<&FactoryConfig>,
    ) -> Result<Inventory, FactoryError> {
        Inventory::read(client, config, None, None).await
    }

    /// `refresh` of the subscriptions `ids` alone (ids without case; the others are listed,
    /// not read): the setup's labs, in an estate of many subscriptions.
    pub async fn refresh_of(client: &ArmClient, ids: &[String]) -> Result<Inventory, FactoryError> {
        Inventory::read(client, None, None, Some(ids)).await
    }

    /// `refresh`, telling `report` what it learns as it learns it (see `Reading`), so that a
    /// screen can show each subscription's labs as soon as they are listed.
    pub async fn refresh_reporting(
        client: &ArmClient,
        config: Option<&FactoryConfig>,
        report: &Reporter<'_>,
    ) -> Result<Inventory, FactoryError> {
        Inventory::read(client, config, Some(report), None).await
    }

    /// The reading itself; what it learns is copied out only when someone listens (a copy of
    /// every lab costs a headless command a few percent of its time).
    async fn read(
        client: &ArmClient,
        config: Option<&FactoryConfig>,
        report: Option<&Reporter<'_>>,
        only: Option<&[String]>,
    ) -> Result<Inventory, FactoryError> {
        let wanted = |sub: &wire::Subscription| {
            only.is_none_or(|ids| {
                ids.iter()
                    .any(|id| id.eq_ignore_ascii_case(&sub.subscription_id))
            })
        };
        // Each page of subscriptions starts its labs' reads at once, while the next page is
        // still on its way: the list of subscriptions is the one chain nothing can overlap.
        let (found, mut next) = futures::channel::mpsc::unbounded();
        let listing = async move {
            let mut pages = std::pin::pin!(
                client.pages::<wire::Subscription>("/subscriptions", SUBSCRIPTIONS_API_VERSION)
            );
            let mut count = 0;
            while let Some(page) = pages.next().await {
                for sub in page?.into_iter().filter(|s| wanted(s)) {
                    count += 1;
                    let _ = found.unbounded_send(sub);
                }
            }
            if let Some(report) = report {
                report(Reading::Subscriptions(count));
            }
            Ok::<(), ArmError>(())
        };
        let reading = async {
            let mut reads = futures::stream::FuturesUnordered::new();
            let mut done = Vec::new();
            let mut listing_open = true;
            while listing_open || !reads.is_empty() {
                tokio::select! {
                    sub = next.next(), if listing_open => match sub {
                        Some(sub) => reads.push(read_subscription(client, sub, config, report)),
                        None => listing_open = false,
                    },
                    Some(read) = reads.next(), if !reads.is_empty() => done.push(read),
                }
            }
            done
        };
        let (listed, read) = tokio::join!(listing, reading);
        listed.map_err(|e| FactoryError::Subscriptions(Box::new(e)))?;
        let mut problems = Vec::new();
        let mut subscriptions = Vec::new();
        for (sub, mut sub_problems) in read {
            problems.append(&mut sub_problems);
            subscriptions.push(sub);
        }
        sort(&mut subscriptions);
        let mut inventory = Inventory {
            subscriptions,
            problems,
            taken_at: OffsetDateTime::now_utc(),
        };
        if let Some(config) = config {
            inventory.mark_roles(config);
        }
        Ok(inventory)
    }

    /// The labs named `name` (without case) in every visible subscription, read without the
    /// labs' contents: subscriptions, then their lab lists.
    pub async fn find_labs(
        client: &ArmClient,
        name: &str,
    ) -> Result<Vec<ResourceId>, FactoryError> {
        let subs: Vec<wire::Subscription> = client
            .list("/subscriptions", SUBSCRIPTIONS_API_VERSION)
            .await
            .map_err(|e| FactoryError::Subscriptions(Box::new(e)))?;
        let lists = subs.iter().map(|s| {
            let path = format!(
                "/subscriptions/{}/providers/Microsoft.DevTestLab/labs",
                s.subscription_id
            );
            async move { client.list::<wire::Lab>(&path, DTL_API_VERSION).await }
        });
        // A subscription that cannot be read might hold another lab of that name: no guessing.
        let mut found = Vec::new();
        for (sub, labs) in subs.iter().zip(join_all(lists).await) {
            let labs = labs.map_err(|e| FactoryError::Image {
                image: format!(
                    "the labs of subscription {} (needed to find lab {name})",
                    sub.display_name
                ),
                error: Box::new(e),
            })?;
            found.extend(
                labs.into_iter()
                    .filter(|l| l.name.eq_ignore_ascii_case(name))
                    .map(|l| ResourceId::new(l.id)),
            );
        }
        Ok(found)
    }

    /// Every lab, in display order.
    pub fn labs(&self) -> impl Iterator<Item = (&SubscriptionInventory, &LabInventory)> {
        self.subscriptions
            .iter()
            .flat_map(|s| s.labs.iter().map(move |l| (s, l)))
    }

    /// True when nothing failed to read.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
    }

    fn mark_roles(&mut self, config: &FactoryConfig) {
        let mut seen = Vec::new();
        for sub in &mut self.subscriptions {
            for lab in &mut sub.labs {
                lab.role = role_of(config, lab.id.as_str());
                if lab.role.is_some() {
                    seen.push(lab.id.to_string());
                }
            }
        }
        // A configured lab that discovery did not find is a problem worth saying out loud.
        let configured = std::iter::once(&config.factory).chain(config.labs.iter().map(|t| &t.lab));
        for lab in configured {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(&lab.id()))
                && !self
                    .problems
                    .iter()
                    .any(|p| p.id.eq_ignore_ascii_case(&lab.subscription))
            {
                self.problems.push(Problem {
                    scope: "lab",
                    id: lab.id(),
                    name: lab.name.clone(),
                    error: ArmError::Api {
                        method: "GET".into(),
                        resource: lab.id(),
                        status: 404,
                        code: "ConfiguredLabNotFound".into(),
                        message: format!("lab {} in resource group {} is in the configuration ({}) but not among the labs of its subscription; check the name, or your access", lab.name, lab.resource_group, config.path.display()),
                        request_id: None,
                    },
                });
            }
        }
    }
}

impl LabInventory {
    /// A lab as its subscription lists it, its contents still to be read.
    fn listed(subscription: &str, lab: &wire::Lab) -> LabInventory {
        let id = ResourceId::new(lab.id.clone());
        LabInventory {
            resource_group: id.resource_group().unwrap_or_default().to_string(),
            id,
            name: lab.name.clone(),
            subscription_id: subscription.to_string(),
            location: lab.location.clone().unwrap_or_default(),
            role: None,
            images: Vec::new(),
            vms: Vec::new(),
            formula_images: Vec::new(),
            // Nothing in it is known: nothing may be decided on it.
            complete: false,
            denied: None,
            build_denied: None,
            subscription_refuses: None,
            reading: true,
        }
    }

    /// Why nothing here can be deleted by this identity, if that is known: the subscription
    /// refuses changes, or the role does not allow it.
    /// Why a build cannot make an image in this lab, if it cannot: its subscription refuses
    /// changes, or the role does not allow making custom images.
    pub fn build_refusal(&self) -> Option<&str> {
        self.subscription_refuses
            .as_deref()
            .or(self.build_denied.as_deref())
    }

    pub fn refusal(&self) -> Option<&str> {
        self.subscription_refuses
            .as_deref()
            .or(self.denied.as_deref())
    }

    /// Reads this lab again (images, VMs, formulas), for decisions that must not rest on old
    /// data. Fails if any of the three cannot be read.
    pub async fn reread(&self, client: &ArmClient) -> Result<LabInventory, ArmError> {
        let wire = wire::Lab {
            id: self.id.to_string(),
            name: self.name.clone(),
            kind: None,
            location: Some(self.location.clone()),
            tags: None,
            properties: wire::LabProperties::default(),
        };
        // Re-read before deleting: whether the identity may delete is worth one more request.
        // Unranked: a lab read again on its own (before a delete, say) goes before the ranked
        // lists of a reading under way.
        let (mut fresh, problem) =
            read_lab(client, &self.subscription_id, wire, true, String::new()).await;
        if let Some(problem) = problem {
            return Err(problem.error);
        }
        fresh.role = self.role;
        // A disabled subscription is known from the subscription, not from the lab's reads; the
        // role is what the fresh read says.
        fresh.subscription_refuses = self.subscription_refuses.clone();
        Ok(fresh)
    }
}

/// What lab `id` is to the factory of `config`.
fn role_of(config: &FactoryConfig, id: &str) -> Option<LabRole> {
    if config.factory.is(id) {
        Some(LabRole::Factory)
    } else if config.labs.iter().any(|t| t.lab.is(id)) {
        Some(LabRole::Target)
    } else {
        None
    }
}

async fn read_subscription(
    client: &ArmClient,
    sub: wire::Subscription,
    config: Option<&FactoryConfig>,
    report: Option<&Reporter<'_>>,
) -> (SubscriptionInventory, Vec<Problem>) {
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.DevTestLab/labs",
        sub.subscription_id
    );
    let mut inventory = SubscriptionInventory {
        id: sub.subscription_id.clone(),
        name: sub.display_name.clone(),
        state: sub.state.clone(),
        tenant: sub.tenant_id.clone(),
        labs: Vec::new(),
    };
    let mut labs: Vec<wire::Lab> = match client.list(&path, DTL_API_VERSION).await {
        Ok(labs) => labs,
        Err(error) => {
            let problem = Problem {
                scope: "subscription",
                id: sub.subscription_id,
                name: sub.display_name,
                error,
            };
            if let Some(report) = report {
                report(Reading::Failed(problem.clone()));
            }
            return (inventory, vec![problem]);
        }
    };
    // Warned and PastDue subscriptions still take changes; Disabled and Deleted ones do not.
    let disabled = ["Disabled", "Deleted"]
        .iter()
        .any(|s| sub.state.eq_ignore_ascii_case(s))
        .then(|| {
            format!(
                "subscription {} is {}: Azure refuses every change in it",
                sub.display_name, sub.state
            )
        });
    let role = |id: &str| config.and_then(|c| role_of(c, id));
    // In the order they are shown and printed: the list said at once, and the reads started,
    // so that their first pages go out in that order too.
    labs.sort_by_cached_key(|lab| order_of(&lab.name, &lab.id));
    // The labs are known before their contents: said at once, so they can be shown.
    if let Some(report) = report {
        let mut listed = inventory.clone();
        listed.labs = labs
            .iter()
            .map(|lab| {
                let mut shell = LabInventory::listed(&sub.subscription_id, lab);
                shell.role = role(&lab.id);
                shell.subscription_refuses = disabled.clone();
                shell
            })
            .collect();
        report(Reading::Listed(listed));
    }
    let mut reads: futures::stream::FuturesUnordered<_> = labs
        .into_iter()
        .map(|lab| {
            // Only labs the factory manages can be retired from: only they need their access.
            let managed = role(&lab.id).is_some();
            // Labs finish in the order they are shown and printed (see `Priority::Later`).
            let rank = rank_of(&sub, &lab);
            read_lab(client, &sub.subscription_id, lab, managed, rank)
        })
        .collect();
    let mut problems = Vec::new();
    while let Some((mut lab, problem)) = reads.next().await {
        if disabled.is_some() {
            lab.subscription_refuses = disabled.clone();
        }
        lab.role = role(lab.id.as_str());
        if let Some(report) = report {
            report(Reading::Lab(Box::new(lab.clone()), problem.clone()));
        }
        problems.extend(problem);
        inventory.labs.push(lab);
    }
    sort_labs(&mut inventory.labs);
    (inventory, problems)
}

async fn read_lab(
    client: &ArmClient,
    subscription: &str,
    lab: wire::Lab,
    check_access: bool,
    rank: String,
) -> (LabInventory, Option<Problem>) {
    let id = ResourceId::new(lab.id.clone());
    let images_path = format!("{}/customimages", lab.id);
    let vms_path = format!("{}/virtualmachines", lab.id);
    let formulas_path = format!("{}/formulas", lab.id);
    let permissions_path = format!("{}/providers/Microsoft.Authorization/permissions", lab.id);
    let permissions = async {
        if check_access {
            Some(
                client
                    .list_later::<wire::Permission>(
                        &permissions_path,
                        wire::AUTHORIZATION_API_VERSION,
                        &rank,
                    )
                    .await,
            )
        } else {
            None
        }
    };
    // The images are the long chain of pages; the other lists are short and go after them.
    let (images, vms, formulas, permissions) = tokio::join!(
        client.list::<CustomImage>(&images_path, DTL_API_VERSION),
        client.list_later::<LabVirtualMachine>(&vms_path, DTL_API_VERSION, &rank),
        client.list_later::<Formula>(&formulas_path, DTL_API_VERSION, &rank),
        permissions,
    );
    // Permissions that cannot be read leave access unknown: the first 403 will tell.
    let denied = match &permissions {
        Some(Ok(roles)) if !wire::permits(roles, DELETE_IMAGE_ACTION) => Some(format!(
            "the identity's role at this lab does not allow {DELETE_IMAGE_ACTION} (it has {})",
            describe_actions(roles)
        )),
        _ => None,
    };
    let build_denied = match &permissions {
        Some(Ok(roles)) if !wire::permits(roles, WRITE_IMAGE_ACTION) => Some(format!(
            "the identity's role at this lab does not allow {WRITE_IMAGE_ACTION} (it has {})",
            describe_actions(roles)
        )),
        _ => None,
    };
    let mut error = None;
    let images = keep_or_note(images, &mut error);
    let vms = keep_or_note(vms, &mut error);
    let formulas = keep_or_note(formulas, &mut error);
    let vms: Vec<Vm> = vms.into_iter().map(vm_from).collect();
    let formula_images: Vec<ResourceId> = formulas
        .into_iter()
        .filter_map(|f| {
            f.properties
                .formula_content?
                .properties
                .custom_image_id
                .map(ResourceId::new)
        })
        .collect();
    let mut images: Vec<Image> = images
        .into_iter()
        .map(|i| image_from(i, &vms, &formula_images))
        .collect();
    images.sort_by(|a, b| {
        a.image_path
            .as_ref()
            .map(ImagePath::key)
            .cmp(&b.image_path.as_ref().map(ImagePath::key))
            .then(b.created.cmp(&a.created))
    });
    let problem = error.map(|error| Problem {
        scope: "lab",
        id: lab.id.clone(),
        name: lab.name.clone(),
        error,
    });
    let inventory = LabInventory {
        resource_group: id.resource_group().unwrap_or_default().to_string(),
        id,
        name: lab.name,
        subscription_id: subscription.to_string(),
        location: lab.location.unwrap_or_default(),
        role: None,
        images,
        vms,
        formula_images,
        complete: problem.is_none(),
        denied,
        build_denied,
        subscription_refuses: None,
        reading: false,
    };
    (inventory, problem)
}

/// The action a retirement needs on a lab's images.
pub const DELETE_IMAGE_ACTION: &str = "Microsoft.DevTestLab/labs/customImages/delete";
/// What a build needs of a target lab: to make a custom image there.
pub const WRITE_IMAGE_ACTION: &str = "Microsoft.DevTestLab/labs/customImages/write";

/// A role's actions, short: `*/read`, or `*` less some.
pub(crate) fn describe_actions(roles: &[wire::Permission]) -> String {
    let actions: Vec<&str> = roles
        .iter()
        .flat_map(|r| r.actions.iter().map(String::as_str))
        .collect();
    if actions.is_empty() {
        "no actions".into()
    } else {
        actions.join(", ")
    }
}

/// The list, or nothing with the first error kept: a lab whose VMs cannot be read still shows
/// its images.
fn keep_or_note<T>(result: Result<Vec<T>, ArmError>, error: &mut Option<ArmError>) -> Vec<T> {
    result.unwrap_or_else(|e| {
        error.get_or_insert(e);
        Vec::new()
    })
}

fn vm_from(vm: LabVirtualMachine) -> Vm {
    Vm {
        id: ResourceId::new(vm.id),
        name: vm.name,
        custom_image_id: vm.properties.custom_image_id.map(ResourceId::new),
        owner: vm.properties.created_by_user,
        provisioning_state: vm.properties.provisioning_state,
        tags: vm.tags.unwrap_or_default(),
        created: vm.properties.created_date.as_deref().and_then(|d| {
            OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
        }),
    }
}

fn image_from(image: CustomImage, vms: &[Vm], formula_images: &[ResourceId]) -> Image {
    let id = ResourceId::new(image.id.clone());
    let os_type = image.os_type().map(str::to_string);
    let tag_map = image.tags.unwrap_or_default();
    let image_path = tags::get(Some(&tag_map), tags::IMAGE_PATH)
        .map(ImagePath::new)
        .filter(|p| !p.is_empty());
    let pin = tags::get(Some(&tag_map), tags::PIN).map(str::to_string);
    let created = image.properties.creation_date.as_deref().and_then(|d| {
        OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
    });
    Image {
        // A VM created from it, or a formula that starts from it: either one uses it.
        in_use: vms
            .iter()
            .any(|vm| vm.custom_image_id.as_ref() == Some(&id))
            || formula_images.contains(&id),
        id,
        name: image.name,
        image_path,
        created,
        os_type,
        author: image.properties.author,
        description: image.properties.description,
        pin,
        provisioning_state: image.properties.provisioning_state,
        tags: tag_map,
    }
}
