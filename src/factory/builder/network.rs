//! The lab network a build VM is created in. DevTest Labs wants the VM's
//! `labVirtualNetworkId` and `labSubnetName` (the spec's `VirtualMachines_CreateOrUpdate`
//! example; the original factory's golden-image templates send `Dtl{lab}` and
//! `Dtl{lab}Subnet`). `az lab vm create` (`Azure/azure-cli`, `command_modules/lab/validators.py`)
//! takes the first network and its first subnet override; a lab may also have subnets that its
//! owner closed to VM creation, so here the first subnet whose `useInVmCreationPermission` is
//! `Allow` is taken, and a lab without one is refused before anything is created.

use super::plan::OfferProblem;
use crate::arm::wire::{DTL_API_VERSION, LabVirtualNetwork, SubnetOverride};
use crate::arm::{ArmClient, ArmError};
use crate::config::LabRef;

/// Where in the lab a build VM goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabSubnet {
    /// The lab virtual network's id, as the lab gives it.
    pub network_id: String,
    /// The subnet's name within the lab.
    pub subnet: String,
    /// Sent as `disallowPublicIpAddress`: true unless the subnet allows public IPs (as
    /// `az lab vm create` decides it); a build VM needs none.
    pub disallow_public_ip: bool,
}

/// The subnet a build VM goes in, or why the lab has none (to say in a plan and in `check`).
pub fn choose(lab: &str, networks: &[LabVirtualNetwork]) -> Result<LabSubnet, OfferProblem> {
    let allows = |permission: &Option<String>| {
        permission
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("allow"))
    };
    let usable = |s: &&SubnetOverride| {
        allows(&s.use_in_vm_creation_permission)
            && s.lab_subnet_name.as_deref().is_some_and(|n| !n.is_empty())
    };
    for network in networks {
        if let Some(subnet) = network.properties.subnet_overrides.iter().find(usable) {
            return Ok(LabSubnet {
                network_id: network.id.clone(),
                subnet: subnet.lab_subnet_name.clone().unwrap_or_default(),
                disallow_public_ip: !allows(&subnet.use_public_ip_address_permission),
            });
        }
    }
    const WHERE: &str = "in the portal: the lab's Configuration and policies > Virtual networks";
    if networks.is_empty() {
        return Err(OfferProblem {
            message: format!("the lab {lab} has no virtual network for build VMs"),
            fix: format!("add one to the lab ({WHERE})"),
        });
    }
    Err(OfferProblem {
        message: format!(
            "no subnet of the lab {lab}'s virtual networks ({}) allows VM creation",
            networks
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        fix: format!("set \"Use in virtual machine creation\" to Yes on a subnet ({WHERE})"),
    })
}

/// Reads `lab`'s virtual networks and chooses the subnet: an error from ARM, or the answer of
/// `choose`.
pub async fn read(
    client: &ArmClient,
    lab: &LabRef,
) -> Result<Result<LabSubnet, OfferProblem>, ArmError> {
    let path = format!("{}/virtualnetworks", lab.id());
    let networks: Vec<LabVirtualNetwork> = client.list(&path, DTL_API_VERSION).await?;
    Ok(choose(&lab.name, &networks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::wire::LabVirtualNetworkProperties;

    fn network(name: &str, subnets: &[(&str, &str, &str)]) -> LabVirtualNetwork {
        LabVirtualNetwork {
            id: format!("/labs/x/virtualnetworks/{name}"),
            name: name.into(),
            properties: LabVirtualNetworkProperties {
                external_provider_resource_id: None,
                subnet_overrides: subnets
                    .iter()
                    .map(|(n, vm, ip)| SubnetOverride {
                        resource_id: None,
                        lab_subnet_name: Some((*n).into()),
                        use_in_vm_creation_permission: Some((*vm).into()),
                        use_public_ip_address_permission: Some((*ip).into()),
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn the_first_subnet_that_allows_vm_creation_is_chosen() {
        let networks = [
            network(
                "a",
                &[("closed", "Deny", "Allow"), ("default", "Default", "Allow")],
            ),
            network(
                "b",
                &[("open", "allow", "Deny"), ("later", "Allow", "Allow")],
            ),
        ];
        assert_eq!(
            choose("Lab", &networks),
            Ok(LabSubnet {
                network_id: "/labs/x/virtualnetworks/b".into(),
                subnet: "open".into(),
                disallow_public_ip: true,
            })
        );
    }

    #[test]
    fn a_public_ip_is_left_to_subnets_that_allow_one() {
        let chosen = choose("Lab", &[network("a", &[("s", "Allow", "Allow")])]).unwrap();
        assert!(!chosen.disallow_public_ip);
        for ip in ["Default", "Deny", ""] {
            let chosen = choose("Lab", &[network("a", &[("s", "Allow", ip)])]).unwrap();
            assert!(chosen.disallow_public_ip, "{ip:?}");
        }
    }

    #[test]
    fn a_lab_without_a_usable_subnet_says_what_to_change() {
        let why = choose("Factory", &[network("Dtl", &[("s", "Deny", "Allow")])])
            .unwrap_err()
            .sentence();
        assert_eq!(
            why,
            "no subnet of the lab Factory's virtual networks (Dtl) allows VM creation; set \"Use in virtual machine creation\" to Yes on a subnet (in the portal: the lab's Configuration and policies > Virtual networks)"
        );
        let why = choose("Factory", &[]).unwrap_err().sentence();
        assert!(
            why.starts_with("the lab Factory has no virtual network"),
            "{why}"
        );
        let unnamed = choose("Factory", &[network("Dtl", &[("", "Allow", "Allow")])]);
        assert!(unnamed.is_err());
    }
}
