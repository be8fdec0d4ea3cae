//! What the setup reads from Azure to offer its choices: who the credential is, the
//! subscriptions it sees and what it may do in each, the labs there with what it may do in
//! each, and what the chosen factory lab offers. Everything here only reads.

use crate::arm::wire::{self, AUTHORIZATION_API_VERSION, SUBSCRIPTIONS_API_VERSION};
use crate::arm::{ArmClient, ArmError, Principal};
use crate::config::{ImagePath, LabRef};
use crate::factory::inventory::{DELETE_IMAGE_ACTION, describe_actions};
use crate::factory::{FactoryError, Inventory};

/// The action a build needs in the factory lab.
pub const CREATE_VM_ACTION: &str = "Microsoft.DevTestLab/labs/virtualMachines/write";
/// The action distribution needs in a target lab.
pub const WRITE_IMAGE_ACTION: &str = "Microsoft.DevTestLab/labs/customImages/write";

/// What the identity may do at a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// It may make the changes asked about.
    Changes,
    /// It may not make them: why, and what would change that.
    ReadOnly(Refusal),
    /// Its permissions could not be read (why): the first change will tell.
    Unknown(String),
}

/// Why the identity may not make changes somewhere, and what would let it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `only */read`, `subscription X is Disabled`: short, for a list.
    pub short: String,
    /// The reason in a sentence.
    pub why: String,
    /// What would let it.
    pub fix: String,
}

impl Access {
    /// From the roles at a scope (`where` names it for the fix): may the identity do every one
    /// of `actions`?
    fn of(
        roles: &Result<Vec<wire::Permission>, ArmError>,
        actions: &[&str],
        scope: &str,
    ) -> Access {
        match roles {
            Ok(roles) if actions.iter().all(|a| wire::permits(roles, a)) => Access::Changes,
            Ok(roles) => {
                let has = describe_actions(roles);
                Access::ReadOnly(Refusal {
                    short: format!("role allows {has}"),
                    why: format!("the identity's role there allows only {has}"),
                    fix: format!("grant it Contributor on {scope}"),
                })
            }
            Err(e) => Access::Unknown(e.short_reason()),
        }
    }

    /// A subscription Azure refuses every change in (`Disabled`, `Deleted`): `why` says so.
    fn refused_by(state: &str, why: String) -> Access {
        Access::ReadOnly(Refusal {
            short: format!("subscription {state}"),
            why,
            fix: "have the subscription enabled".into(),
        })
    }

    /// Whether it is known the identity may only read.
    pub fn read_only(&self) -> bool {
        matches!(self, Access::ReadOnly(_))
    }
}

/// A subscription the credential sees.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionChoice {
    pub id: String,
    pub name: String,
    pub tenant: Option<String>,
    /// `Enabled`, `Warned`, `Disabled`...
    pub state: String,
    /// Whether the identity may create lab VMs and images here.
    pub access: Access,
}

/// Who signed in, and what they see.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub principal: Option<Principal>,
    pub subscriptions: Vec<SubscriptionChoice>,
}

impl SignedIn {
    /// The tenant, from the token or else the first subscription.
    pub fn tenant(&self) -> Option<&str> {
        self.principal
            .as_ref()
            .and_then(|p| p.tenant.as_deref())
            .or_else(|| self.subscriptions.iter().find_map(|s| s.tenant.as_deref()))
    }
}

/// A lab the setup can offer as the factory or a target.
#[derive(Debug, Clone, PartialEq)]
pub struct LabChoice {
    pub lab: LabRef,
    pub location: String,
    pub subscription_name: String,
    /// Whether the identity may create VMs here (what a factory lab needs).
    pub build: Access,
    /// Whether the identity may create and delete images here (what a target lab needs).
    pub receive: Access,
    /// The image paths its images are tagged with today, and how many images it has.
    pub paths: Vec<ImagePath>,
    pub images: usize,
}

/// The identity's roles at each of `scopes` (resource ids), read all at once; a scope whose
/// permissions cannot be read keeps its error.
async fn roles_at(
    client: &ArmClient,
    scopes: &[String],
) -> Vec<Result<Vec<wire::Permission>, ArmError>> {
    let paths: Vec<String> = scopes
        .iter()
        .map(|s| format!("{s}/providers/Microsoft.Authorization/permissions"))
        .collect();
    futures::future::join_all(
        paths
            .iter()
            .map(|p| client.list::<wire::Permission>(p, AUTHORIZATION_API_VERSION)),
    )
    .await
}

/// Signs in with `client`'s credential: who it is, and each subscription it sees with what it
/// may do there.
pub async fn sign_in(client: &ArmClient) -> Result<SignedIn, ArmError> {
    let subscriptions = client
        .list::<wire::Subscription>("/subscriptions", SUBSCRIPTIONS_API_VERSION)
        .await?;
    let principal = client.principal().await;
    let scopes: Vec<String> = subscriptions
        .iter()
        .map(|s| format!("/subscriptions/{}", s.subscription_id))
        .collect();
    let roles = roles_at(client, &scopes).await;
    let mut choices: Vec<SubscriptionChoice> = subscriptions
        .into_iter()
        .zip(roles)
        .map(|(s, roles)| SubscriptionChoice {
            access: if ["Disabled", "Deleted"]
                .iter()
                .any(|d| s.state.eq_ignore_ascii_case(d))
            {
                Access::refused_by(
                    &s.state,
                    format!(
                        "subscription {} is {}: Azure refuses every change in it",
                        s.display_name, s.state
                    ),
                )
            } else {
                Access::of(
                    &roles,
                    &[CREATE_VM_ACTION, WRITE_IMAGE_ACTION],
                    "the subscription (or the labs' resource groups)",
                )
            },
            id: s.subscription_id,
            name: s.display_name,
            tenant: s.tenant_id,
            state: s.state,
        })
        .collect();
    choices.sort_by_key(|s| s.name.to_ascii_lowercase());
    Ok(SignedIn {
        principal,
        subscriptions: choices,
    })
}

/// The estate of the chosen subscriptions, and their labs with what the identity may do in
/// each (one permissions read per lab).
pub async fn labs(
    client: &ArmClient,
    subscriptions: &[String],
) -> Result<(Inventory, Vec<LabChoice>), FactoryError> {
    let inventory = Inventory::refresh_of(client, subscriptions).await?;
    let listed: Vec<(&str, &crate::factory::LabInventory)> = inventory
        .labs()
        .map(|(s, l)| (s.name.as_str(), l))
        .collect();
    let scopes: Vec<String> = listed
        .iter()
        .map(|(_, l)| l.id.as_str().to_string())
        .collect();
    let roles = roles_at(client, &scopes).await;
    let choices = listed
        .iter()
        .zip(roles)
        .map(|((subscription_name, l), roles)| {
            let mut paths: Vec<ImagePath> = Vec::new();
            for path in l.images.iter().filter_map(|i| i.image_path.clone()) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
            let refused = |access: Access| match &l.subscription_refuses {
                Some(why) => Access::refused_by("disabled", why.clone()),
                None => access,
            };
            let scope = format!("resource group {}", l.resource_group);
            LabChoice {
                lab: LabRef {
                    subscription: l.subscription_id.clone(),
                    resource_group: l.resource_group.clone(),
                    name: l.name.clone(),
                },
                location: l.location.clone(),
                subscription_name: subscription_name.to_string(),
                build: refused(Access::of(&roles, &[CREATE_VM_ACTION], &scope)),
                receive: refused(Access::of(
                    &roles,
                    &[WRITE_IMAGE_ACTION, DELETE_IMAGE_ACTION],
                    &scope,
                )),
                paths,
                images: l.images.len(),
            }
        })
        .collect();
    Ok((inventory, choices))
}
