//! The blob calls a build makes, against Azurite (Microsoft's storage emulator), which checks
//! SAS signatures, versions and headers independently of our own emulator: containers, a copy
//! from a SAS URL with its status and metadata, listing, deletion, and refusals of a bad
//! signature and of a SAS without the permission.
//!
//! The Azurite run needs `AZURITE_BLOB_URL` (the CI script starts `azurite-blob` and sets it to
//! `http://127.0.0.1:PORT/devstoreaccount1`), so plain `cargo test` lists it as ignored. The
//! same calls run against our emulator's blob service in every `cargo test`: both must agree.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use azure_core::http::RequestContent;
use azure_storage_blob::BlobClient;
use imagefactory::arm::storage::{Access, BlobAccount, CopyStatus, blob};

/// Azurite's well-known development account and key (public, documented by Microsoft).
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn endpoint() -> String {
    let url = std::env::var("AZURITE_BLOB_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("set AZURITE_BLOB_URL to Azurite's blob endpoint with its account (.ci/run does)");
    format!("{}/", url.trim_end_matches('/'))
}

#[tokio::test]
#[ignore = "needs AZURITE_BLOB_URL (Azurite's blob service); run with --include-ignored"]
async fn every_blob_call_of_a_build_is_accepted_by_azurite() {
    let account = BlobAccount::new(&endpoint(), ACCOUNT, KEY).unwrap();
    let forged = BlobAccount::new(&endpoint(), ACCOUNT, "a2V5").unwrap();
    exercise(account, forged).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulators_blob_service_answers_the_same_calls_the_same_way() {
    let sim = common::start(common::demo_world(), common::fast()).await;
    let client = common::client(&sim);
    let factory = imagefactory::config::LabRef {
        subscription: "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01".into(),
        resource_group: "rg-imagefactory".into(),
        name: "ImageFactory".into(),
    };
    let account = imagefactory::factory::builder::steps::lab_storage(
        &client,
        &factory,
        imagefactory::config::StorageAuth::Auto,
    )
    .await
    .unwrap();
    let endpoint = account.public_url("x", "y");
    let endpoint = endpoint.trim_end_matches("x/y");
    let forged = BlobAccount::new(endpoint, account.name(), "a2V5").unwrap();
    exercise(account, forged).await;
}

/// A build's blob calls, and the refusals a wrong SAS gets, against one blob service.
async fn exercise(account: BlobAccount, forged: BlobAccount) {
    let ttl = time::Duration::hours(1);
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (catalogue, staging) = (
        format!("vhds{}", &suffix[..8]),
        format!("uploads{}", &suffix[..8]),
    );

    // Containers: made once, and made again without complaint (an account SAS); a service SAS
    // cannot make its own container.
    let scoped = account.container(&catalogue, Access::List, ttl).unwrap();
    let refused = blob::create_container(&scoped)
        .await
        .expect_err("a service SAS cannot create");
    assert_eq!(refused.status(), Some(403), "{refused}");
    for name in [&catalogue, &staging] {
        let url = account.container_to_create(name, ttl).unwrap();
        blob::create_container(&url).await.unwrap();
        blob::create_container(&url).await.unwrap();
    }

    // A source blob (the stand-in for a disk's export), written with our SAS.
    let source = account
        .blob(&catalogue, "source.vhd", Access::Copy, ttl)
        .unwrap();
    let content = vec![7u8; 4096];
    BlobClient::new(source.expose().clone(), None, None)
        .unwrap()
        .upload(RequestContent::from(content), None)
        .await
        .expect("Azurite accepts a write with our SAS");

    // A copy from a read-only SAS URL, with metadata, followed to its end.
    let target = account
        .blob(&staging, "win2022-base.vhd", Access::Copy, ttl)
        .unwrap();
    let read = account
        .blob(&catalogue, "source.vhd", Access::Read, ttl)
        .unwrap();
    let metadata = BTreeMap::from([
        ("imagepath".to_string(), "win2022/base".to_string()),
        ("runid".to_string(), "20261127t100000-abcd".to_string()),
    ]);
    blob::start_copy(&target, &read, &metadata).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (copy, seen) = loop {
        let (copy, seen) = blob::copy_state(&target)
            .await
            .unwrap()
            .expect("the copy's blob");
        let copy = copy.expect("a copy status");
        if copy.status != CopyStatus::Pending || Instant::now() > deadline {
            break (copy, seen);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(copy.status, CopyStatus::Success, "{copy:?}");
    assert_eq!(copy.percent(), 100);
    assert_eq!(seen["imagepath"], "win2022/base");
    assert_eq!(seen["runid"], "20261127t100000-abcd");

    // Listing with metadata and copy state.
    let listed = blob::list(
        &account.container(&staging, Access::List, ttl).unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "win2022-base.vhd");
    assert_eq!(listed[0].metadata["runid"], "20261127t100000-abcd");
    assert_eq!(listed[0].size, 4096);
    assert_eq!(
        listed[0].copy.as_ref().map(|c| c.status),
        Some(CopyStatus::Success)
    );

    // A SAS that only reads cannot delete; a wrong key is refused outright.
    let denied = blob::delete(&read)
        .await
        .expect_err("a read SAS cannot delete");
    assert_eq!(denied.status(), Some(403), "{denied}");
    let refused = blob::copy_state(
        &forged
            .blob(&staging, "win2022-base.vhd", Access::Copy, ttl)
            .unwrap(),
    )
    .await
    .expect_err("a signature from another key is refused");
    assert_eq!(refused.status(), Some(403), "{refused}");
    assert!(
        !refused.to_string().contains("sig="),
        "no SAS in the error: {refused}"
    );

    // Each SAS allows only its use: a copy's destination cannot be deleted through it.
    let denied = blob::delete(&target)
        .await
        .expect_err("a copy SAS cannot delete");
    assert_eq!(denied.status(), Some(403), "{denied}");

    // Deletion, and deletion of what is not there.
    let deletable = account
        .blob(&staging, "win2022-base.vhd", Access::Delete, ttl)
        .unwrap();
    assert!(blob::delete(&deletable).await.unwrap());
    assert!(!blob::delete(&deletable).await.unwrap());
    assert!(blob::copy_state(&target).await.unwrap().is_none());
}
