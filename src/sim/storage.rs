//! Storage accounts as ARM serves them: each lab's default storage account, with its blob
//! endpoint (`primaryEndpoints.blob`, this emulator's blob service) and its keys (`listKeys`).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use base64::Engine;

use super::reply::{Answer, ArmFault, json};
use super::state::SimState;
use super::world::{World, uuid_from};
use crate::arm::wire::{
    Endpoints, STORAGE_API_VERSION, StorageAccount, StorageAccountKey, StorageAccountKeys,
    StorageAccountProperties,
};

/// The blob endpoint of `account` on this emulator.
pub fn blob_endpoint(base: &str, account: &str) -> String {
    format!("{base}/blob/{}/", account.to_ascii_lowercase())
}

/// Key `n` (1 or 2) of `account`: 64 bytes, base64, stable for a given name.
pub fn account_key(account: &str, n: u8) -> String {
    let seed = format!("{}#{n}", account.to_ascii_lowercase());
    let bytes: Vec<u8> = (0..4)
        .flat_map(|i| {
            let hex = uuid_from(&format!("{seed}/{i}")).replace('-', "");
            (0..16)
                .map(move |j| u8::from_str_radix(&hex[j * 2..j * 2 + 2], 16).unwrap_or(0))
                .collect::<Vec<_>>()
        })
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The id of the storage account named `name` (lower-cased), if a lab of the world uses it.
pub fn account_id(world: &World, name: &str) -> Option<String> {
    world.labs().find_map(|(_, lab)| {
        lab.lab
            .properties
            .default_storage_account
            .as_deref()
            .filter(|id| {
                id.rsplit('/')
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(str::to_string)
    })
}

/// `.../resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}[/listKeys]`.
pub(super) fn dispatch(
    state: &Arc<SimState>,
    method: &Method,
    api_version: &str,
    seg: &[&str],
    lower: &[&str],
) -> Answer {
    if api_version != STORAGE_API_VERSION {
        return Err(ArmFault::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{api_version}' is invalid. The supported versions are '{STORAGE_API_VERSION}'."
            ),
        ));
    }
    let world = state.world.lock().expect("world lock");
    let (["storageaccounts", _] | ["storageaccounts", _, "listkeys"]) = lower else {
        return Err(ArmFault::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            "The resource type could not be found in the namespace 'Microsoft.Storage'.",
        ));
    };
    let name = seg[1];
    let id = account_id(&world, name)
        .ok_or_else(|| ArmFault::not_found("Microsoft.Storage/storageAccounts", name))?;
    let location = world
        .labs()
        .find(|(_, l)| l.lab.properties.default_storage_account.as_deref() == Some(id.as_str()))
        .map(|(_, l)| l.location());
    match (method.clone(), lower.len()) {
        (Method::GET, 2) => Ok(json(
            StatusCode::OK,
            &StorageAccount {
                name: name.to_ascii_lowercase(),
                id,
                location,
                kind: Some("StorageV2".into()),
                properties: StorageAccountProperties {
                    primary_endpoints: Endpoints {
                        blob: Some(blob_endpoint(&state.base, name)),
                    },
                    provisioning_state: Some("Succeeded".into()),
                    allow_shared_key_access: Some(
                        !world
                            .storage
                            .get(&name.to_ascii_lowercase())
                            .is_some_and(|s| s.forbid_shared_key),
                    ),
                },
            },
        )),
        (Method::POST, 3) => Ok(json(
            StatusCode::OK,
            &StorageAccountKeys {
                keys: (1..=2)
                    .map(|n| StorageAccountKey {
                        key_name: format!("key{n}"),
                        permissions: "FULL".into(),
                        value: account_key(name, n),
                    })
                    .collect(),
            },
        )),
        _ => Err(ArmFault::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested method {method} is not supported."),
        )),
    }
}
