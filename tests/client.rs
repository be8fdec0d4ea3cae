//! The ARM client against the emulator over HTTP: paging, long-running operations, throttling,
//! retries, dropped connections, authorization failures and read-only mode.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::*;
use imagefactory::arm::wire::{CustomImage, DTL_API_VERSION};
use imagefactory::arm::{ArmClient, ArmError, TokenSource, scope_for};
use imagefactory::sim::{Fault, FaultRule, SimOptions};

fn images_path() -> String {
    format!("{DEV_LAB}/customimages")
}

/// How many images the emulator holds in the Dev-WestEurope lab.
fn dev_lab_image_count_in_world(sim: &imagefactory::sim::SimHandle) -> usize {
    sim.with_world(|w| {
        w.subscription(IMAGING)
            .unwrap()
            .lab("rg-dev-we", "Dev-WestEurope")
            .unwrap()
            .images
            .len()
    })
}

async fn dev_lab_image_count(client: &ArmClient) -> usize {
    client
        .list::<CustomImage>(&images_path(), DTL_API_VERSION)
        .await
        .expect("list")
        .len()
}

#[tokio::test]
async fn paging_follows_next_link_across_small_pages() {
    let sim = start(
        demo_world(),
        SimOptions {
            page_size: 3,
            ..fast()
        },
    )
    .await;
    let expected = dev_lab_image_count_in_world(&sim);
    let client = client(&sim);
    let images: Vec<CustomImage> = client.list(&images_path(), DTL_API_VERSION).await.unwrap();
    assert_eq!(images.len(), expected);
    let sent = client.log().sent.load(Ordering::Relaxed) as usize;
    assert_eq!(sent, expected.div_ceil(3), "one request per page");
}

#[tokio::test]
async fn paging_tolerates_empty_pages_that_carry_a_next_link() {
    let sim = start(
        demo_world(),
        SimOptions {
            page_size: 4,
            empty_pages: true,
            ..fast()
        },
    )
    .await;
    let expected = dev_lab_image_count_in_world(&sim);
    let client = client(&sim);
    let images: Vec<CustomImage> = client.list(&images_path(), DTL_API_VERSION).await.unwrap();
    assert_eq!(images.len(), expected);
    let mut names: Vec<_> = images.iter().map(|i| i.name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), expected, "no image twice");
    // Each full page after the first is preceded by an empty one.
    assert!(client.log().sent.load(Ordering::Relaxed) as usize > expected.div_ceil(4));
}

#[tokio::test]
async fn paging_stops_on_a_repeated_next_link() {
    let sim = start(
        demo_world(),
        SimOptions {
            page_size: 5,
            looping_next_link: true,
            ..fast()
        },
    )
    .await;
    let expected = dev_lab_image_count_in_world(&sim);
    let client = client(&sim);
    let listing = tokio::time::timeout(
        Duration::from_secs(10),
        client.list::<CustomImage>(&images_path(), DTL_API_VERSION),
    )
    .await;
    let images = listing.expect("the walk ends").unwrap();
    assert_eq!(images.len(), expected, "every image once, then stop");
}

#[tokio::test]
async fn throttling_waits_as_long_as_retry_after_says() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    sim.inject(FaultRule {
        method: Some("GET".into()),
        path_contains: "/customimages".into(),
        fault: Fault::Throttle {
            retry_after: "1".into(),
        },
        times: 1,
    });
    let started = Instant::now();
    let count = dev_lab_image_count(&client).await;
    let waited = started.elapsed();
    assert!(count > 0);
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After: 1 was honoured: waited {waited:?}"
    );
    assert_eq!(client.log().throttled.load(Ordering::Relaxed), 1);
    assert_eq!(client.log().retried.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn throttling_honours_retry_after_as_an_http_date() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    // Three seconds ahead: an HTTP date drops the fraction, so the wait is more than two seconds
    // less whatever passes before the client reads it, and at least one second on any machine.
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    sim.inject(FaultRule {
        method: None,
        path_contains: "/customimages".into(),
        fault: Fault::Throttle { retry_after: when },
        times: 1,
    });
    let started = Instant::now();
    dev_lab_image_count(&client).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_they_pass() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    sim.inject(FaultRule {
        method: Some("GET".into()),
        path_contains: "/customimages".into(),
        fault: Fault::Status(503),
        times: 1,
    });
    sim.inject(FaultRule {
        method: Some("GET".into()),
        path_contains: "/customimages".into(),
        fault: Fault::Status(500),
        times: 1,
    });
    assert!(dev_lab_image_count(&client).await > 0);
    assert_eq!(client.log().retried.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_is_kept() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    sim.inject(FaultRule {
        method: None,
        path_contains: "/customimages".into(),
        fault: Fault::Status(503),
        times: 100,
    });
    let err = client
        .list::<CustomImage>(&images_path(), DTL_API_VERSION)
        .await
        .unwrap_err();
    match &err {
        ArmError::Api {
            status,
            code,
            request_id,
            ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(code, "ServiceUnavailable");
            assert!(request_id.is_some(), "the request id is kept for support");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert_eq!(client.log().sent.load(Ordering::Relaxed), 4, "max_attempts");
}

#[tokio::test]
async fn dropped_connections_are_retried_for_reads() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    sim.inject(FaultRule {
        method: Some("GET".into()),
        path_contains: "/customimages".into(),
        fault: Fault::Drop,
        times: 2,
    });
    assert!(dev_lab_image_count(&client).await > 0);
    assert_eq!(client.log().retried.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn unsafe_requests_are_not_repeated_after_a_server_error() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    let image = format!("{DEV_LAB}/customimages/alice-debug-snapshot");
    sim.inject(FaultRule {
        method: Some("PATCH".into()),
        path_contains: "/customimages/".into(),
        fault: Fault::Status(500),
        times: 1,
    });
    let err = client
        .patch::<_, CustomImage>(
            &image,
            DTL_API_VERSION,
            &serde_json::json!({"tags": {"a": "b"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(client.log().sent.load(Ordering::Relaxed), 1);
}

/// Creates an image and deletes it again through long-running operations; returns the emulator.
async fn create_and_delete(options: SimOptions) -> imagefactory::sim::SimHandle {
    let sim = start(demo_world(), options).await;
    let client = client(&sim);
    let path = format!("{DEV_LAB}/customimages/test-image");
    let created: CustomImage = client
        .put(&path, DTL_API_VERSION, &new_image_body("made by a test"))
        .await
        .unwrap();
    assert_eq!(
        created.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    client.delete(&path, DTL_API_VERSION).await.unwrap();
    let gone = client
        .get::<CustomImage>(&path, DTL_API_VERSION)
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(404));
    assert_eq!(gone.code(), Some("ResourceNotFound"));
    sim
}

#[tokio::test]
async fn long_running_create_and_delete_follow_azure_async_operation() {
    let sim = create_and_delete(SimOptions {
        speed: 300.0,
        record: true,
        ..SimOptions::default()
    })
    .await;
    // Both monitors were offered, at different URLs: only Azure-AsyncOperation's is polled.
    let recorded = sim.recorded();
    let polls = recorded
        .iter()
        .filter(|r| r.path.contains("/operations/"))
        .count();
    assert!(polls >= 2, "both operations were polled: {polls}");
    assert!(
        !recorded
            .iter()
            .any(|r| r.path.to_ascii_lowercase().contains("/operationresults/")),
        "Location is not polled when Azure-AsyncOperation is there"
    );
}

#[tokio::test]
async fn an_operation_is_polled_when_its_retry_after_ms_says_not_at_the_floor() {
    // Create (90 s) and delete (20 s) at speed 300: 0.3 s and 0.07 s, said in
    // `retry-after-ms` since whole seconds cannot say it. The test client's floor is 10 ms: a
    // client that ignored the hint would poll about 35 times.
    let sim = create_and_delete(SimOptions {
        speed: 300.0,
        record: true,
        ..SimOptions::default()
    })
    .await;
    let polls = sim
        .recorded()
        .iter()
        .filter(|r| r.path.contains("/operations/"))
        .count();
    assert!(
        (2..=4).contains(&polls),
        "one poll or so per operation: {polls}"
    );
}

#[tokio::test]
async fn long_running_operations_also_work_with_location_only() {
    let sim = create_and_delete(SimOptions {
        speed: 300.0,
        record: true,
        location_only_operations: true,
        ..SimOptions::default()
    })
    .await;
    let polls = sim
        .recorded()
        .iter()
        .filter(|r| r.path.contains("/operationResults/"))
        .count();
    assert!(
        polls >= 2,
        "both operations were polled through Location, at the URL it gave: {polls}"
    );
}

#[tokio::test]
async fn a_failed_operation_reports_its_error() {
    // 90 simulated seconds at speed 30 = 3 s: ample time, even on a loaded machine, to pull
    // the image away mid-operation.
    let sim = start(
        demo_world(),
        SimOptions {
            speed: 30.0,
            ..SimOptions::default()
        },
    )
    .await;
    let client = client(&sim);
    let path = format!("{DEV_LAB}/customimages/test-image");
    let put = tokio::spawn({
        let client = client.clone();
        let path = path.clone();
        async move {
            client
                .put::<_, CustomImage>(&path, DTL_API_VERSION, &new_image_body("made by a test"))
                .await
        }
    });
    // Wait for the PUT to reach the emulator (the image exists, being created), then pull it.
    let started = Instant::now();
    while !sim.with_world(|w| {
        w.subscription(IMAGING)
            .unwrap()
            .lab("rg-dev-we", "Dev-WestEurope")
            .unwrap()
            .images
            .iter()
            .any(|i| i.name == "test-image")
    }) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the PUT arrives"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    change_lab(&sim, IMAGING, "rg-dev-we", "Dev-WestEurope", |lab| {
        lab.images.retain(|i| i.name != "test-image");
    });
    match put.await.unwrap() {
        Err(ArmError::OperationFailed { status, code, .. }) => {
            assert_eq!(status, "Failed");
            assert_eq!(code, "ResourceNotFound");
        }
        other => panic!("expected the operation to fail, got {other:?}"),
    }
}

#[tokio::test]
async fn deleting_an_image_a_vm_is_being_made_from_is_a_conflict() {
    let sim = start(demo_world(), fast()).await;
    change_lab(&sim, IMAGING, "rg-dev-we", "Dev-WestEurope", |lab| {
        let vm = lab
            .vms
            .iter_mut()
            .find(|v| v.name == "dev-alice-01")
            .unwrap();
        vm.properties.provisioning_state = Some("Creating".into());
    });
    let image = sim.with_world(|w| {
        let lab = w
            .subscription(IMAGING)
            .unwrap()
            .lab("rg-dev-we", "Dev-WestEurope")
            .unwrap();
        let vm = lab.vms.iter().find(|v| v.name == "dev-alice-01").unwrap();
        vm.properties.custom_image_id.clone().unwrap()
    });
    let err = client(&sim)
        .delete(&image, DTL_API_VERSION)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(
        err.code(),
        Some("OperationNotAllowedOnVMImageAsVMsBeingProvisioned")
    );
}

#[tokio::test]
async fn writes_to_a_reader_subscription_are_forbidden() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    let path = format!("{PARTNER_LAB}/customimages/anything");
    let err = client.delete(&path, DTL_API_VERSION).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("AuthorizationFailed"));
    assert!(
        err.to_string().contains("does not have authorization"),
        "{err}"
    );
}

#[tokio::test]
async fn read_only_mode_refuses_changes_before_sending_them() {
    let sim = start(demo_world(), recording()).await;
    let mut options = client_options(&sim);
    options.read_only = true;
    let client = client_with(&sim, options);
    let path = format!("{DEV_LAB}/customimages/alice-debug-snapshot");
    let err = client.delete(&path, DTL_API_VERSION).await.unwrap_err();
    assert!(matches!(err, ArmError::ReadOnly { .. }), "{err:?}");
    assert!(err.to_string().contains("nothing was sent"));
    let err = client
        .patch::<_, CustomImage>(&path, DTL_API_VERSION, &serde_json::json!({"tags": {}}))
        .await
        .unwrap_err();
    assert!(matches!(err, ArmError::ReadOnly { .. }));
    assert!(sim.recorded().is_empty(), "no request reached Azure");
    // Reads still work.
    assert!(
        client
            .get::<CustomImage>(&path, DTL_API_VERSION)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_request_without_a_valid_token_gets_the_arm_envelope() {
    let sim = start(demo_world(), fast()).await;
    let http = ArmClient::http_client().unwrap();
    let tokens = TokenSource::fixed(&scope_for(&sim.endpoint), "not-a-token".into());
    let client = ArmClient::new(http, tokens, client_options(&sim));
    let err = client
        .get::<serde_json::Value>(DEV_LAB, DTL_API_VERSION)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("InvalidAuthenticationToken"));
}

#[tokio::test]
async fn ids_come_back_lower_cased_and_compare_without_case() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    let images: Vec<CustomImage> = client.list(&images_path(), DTL_API_VERSION).await.unwrap();
    let first = &images[0];
    assert_eq!(
        first.id,
        first.id.to_ascii_lowercase(),
        "DevTest Labs returns lower-cased child ids"
    );
    let mixed =
        imagefactory::arm::ResourceId::new(format!("{DEV_LAB}/customImages/{}", first.name));
    assert_eq!(mixed, imagefactory::arm::ResourceId::new(first.id.clone()));
    // A URL built from the returned id works.
    let again: CustomImage = client.get(&first.id, DTL_API_VERSION).await.unwrap();
    assert_eq!(again.name, first.name);
}

#[tokio::test]
async fn an_unsupported_api_version_is_refused_with_a_clear_code() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    let err = client
        .get::<serde_json::Value>(DEV_LAB, "2016-05-15")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("InvalidApiVersionParameter"));
}

#[tokio::test]
async fn random_faults_are_survived_by_the_retries() {
    let plan =
        imagefactory::sim::FaultPlan::parse("429=10%,500=5%,503=5%,drop=5%,retry-after=0").unwrap();
    let sim = start(
        demo_world(),
        SimOptions {
            faults: plan,
            seed: 42,
            ..fast()
        },
    )
    .await;
    let mut options = client_options(&sim);
    options.retry.max_attempts = 8;
    let client = client_with(&sim, options);
    let inventory = imagefactory::factory::Inventory::refresh(&client, None)
        .await
        .unwrap();
    assert!(inventory.is_complete(), "{:?}", inventory.problems);
    let total: usize = inventory.labs().map(|(_, l)| l.images.len()).sum();
    assert_eq!(total, sim.with_world(|w| w.image_count()));
    assert!(
        client.log().retried.load(Ordering::Relaxed) > 0,
        "faults were injected and retried"
    );
}

// ---- The README's claims about the client and the emulator, each under test ----

#[tokio::test]
async fn a_429_pauses_the_whole_subscription_not_others() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    sim.inject(FaultRule {
        method: None,
        path_contains: "/customimages".into(),
        fault: Fault::Throttle {
            retry_after: "1".into(),
        },
        times: 1,
    });
    let started = Instant::now();
    let throttled = tokio::spawn({
        let client = client.clone();
        async move { dev_lab_image_count(&client).await }
    });
    // Wait until the 429 has been answered, then ask something else of the same subscription,
    // and of another one.
    while client.log().throttled.load(Ordering::Relaxed) == 0 {
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let same = async {
        let _: serde_json::Value = client.get(DEV_LAB, DTL_API_VERSION).await.unwrap();
        started.elapsed()
    };
    let other = async {
        let _: serde_json::Value = client.get(PARTNER_LAB, DTL_API_VERSION).await.unwrap();
        started.elapsed()
    };
    let (same, other) = tokio::join!(same, other);
    throttled.await.unwrap();
    assert!(
        same >= Duration::from_millis(900),
        "the same subscription waited out the Retry-After: {same:?}"
    );
    assert!(
        other < same,
        "another subscription did not wait: {other:?} vs {same:?}"
    );
}

#[tokio::test]
async fn a_request_that_hangs_times_out_and_is_retried() {
    let sim = start(demo_world(), fast()).await;
    let mut options = client_options(&sim);
    options.retry.request_timeout = Duration::from_millis(300);
    let client = client_with(&sim, options);
    sim.inject(FaultRule {
        method: Some("GET".into()),
        path_contains: "/customimages".into(),
        fault: Fault::Stall(Duration::from_secs(3)),
        times: 1,
    });
    let started = Instant::now();
    assert_eq!(
        dev_lab_image_count(&client).await,
        dev_lab_image_count_in_world(&sim)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it did not wait for the hung answer"
    );
    assert_eq!(client.log().retried.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn put_and_delete_are_retried_after_a_server_error_as_they_are_idempotent() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    for method in ["PUT", "DELETE"] {
        sim.inject(FaultRule {
            method: Some(method.into()),
            path_contains: "/customimages/retried".into(),
            fault: Fault::Status(503),
            times: 1,
        });
    }
    let path = format!("{DEV_LAB}/customimages/retried");
    let _: CustomImage = client
        .put(&path, DTL_API_VERSION, &new_image_body("retried"))
        .await
        .unwrap();
    client.delete(&path, DTL_API_VERSION).await.unwrap();
    assert_eq!(client.log().retried.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn every_attempt_carries_its_own_client_request_id() {
    let sim = start(demo_world(), recording()).await;
    let client = client(&sim);
    dev_lab_image_count(&client).await;
    let recorded = sim.recorded();
    assert!(recorded.len() >= 3);
    let ids: std::collections::BTreeSet<String> = recorded
        .iter()
        .map(|r| {
            r.client_request_id
                .clone()
                .expect("x-ms-client-request-id sent")
        })
        .collect();
    assert_eq!(ids.len(), recorded.len(), "one id per attempt");
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()));
}

#[tokio::test]
async fn no_more_requests_are_in_flight_than_the_concurrency_bound() {
    let sim = start(
        demo_world(),
        SimOptions {
            latency: Duration::from_millis(40),
            ..fast()
        },
    )
    .await;
    let mut options = client_options(&sim);
    options.concurrency = 3;
    let client = client_with(&sim, options);
    let inventory = imagefactory::factory::Inventory::refresh(&client, None)
        .await
        .unwrap();
    assert!(inventory.labs().count() > 3);
    assert_eq!(
        sim.max_in_flight(),
        3,
        "the bound was used, and never passed"
    );
}

#[tokio::test]
async fn the_client_slows_down_before_arm_throttles_it() {
    // At Azure's own speed: the bucket refills per second of Azure's time.
    let sim = start(demo_world(), SimOptions::default()).await;
    let client = client(&sim);
    // ARM's read bucket holds 250 requests: 300 reads in a row run it low.
    for _ in 0..300 {
        let _: serde_json::Value = client.get(DEV_LAB, DTL_API_VERSION).await.unwrap();
    }
    assert!(client.log().slowed.load(Ordering::Relaxed) > 0);
    assert_eq!(
        client.log().throttled.load(Ordering::Relaxed),
        0,
        "slowing down kept it under the limit"
    );
}

#[tokio::test]
async fn the_emulator_throttles_a_burst_with_the_token_bucket() {
    let sim = start(demo_world(), SimOptions::default()).await;
    let http = reqwest::Client::new();
    let token = sim.mint_token();
    let url = format!(
        "{}{DEV_LAB}?api-version={DTL_API_VERSION}",
        sim.endpoint.as_str().trim_end_matches('/')
    );
    let mut throttled = None;
    for _ in 0..300 {
        let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
        if response.status() == 429 {
            throttled = Some(response);
            break;
        }
    }
    let response = throttled.expect("a burst past the bucket gets 429");
    assert!(response.headers().get("retry-after").is_some());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "SubscriptionRequestsThrottled");
}

#[tokio::test]
async fn a_disabled_subscription_refuses_writes_with_409() {
    let sim = start(demo_world(), fast()).await;
    let client = client(&sim);
    let path = "/subscriptions/f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a04/resourceGroups/rg-oldlab/providers/Microsoft.DevTestLab/labs/OldLab/customimages/x";
    let err = client
        .put::<_, CustomImage>(path, DTL_API_VERSION, &new_image_body("x"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("ReadOnlyDisabledSubscription"));
}

#[tokio::test]
async fn lists_come_in_pages_of_ten_by_default() {
    let sim = start(demo_world(), recording()).await;
    let client = client(&sim);
    let count = dev_lab_image_count(&client).await;
    let pages = sim
        .recorded()
        .iter()
        .filter(|r| r.path.ends_with("/customimages"))
        .count();
    assert_eq!(pages, count.div_ceil(10).max(1), "{count} images");
}

#[tokio::test]
async fn a_location_monitor_is_polled_exactly_as_given() {
    let sim = start(
        demo_world(),
        SimOptions {
            speed: 300.0,
            record: true,
            location_only_operations: true,
            ..SimOptions::default()
        },
    )
    .await;
    let client = client(&sim);
    let path = format!("{DEV_LAB}/customimages/exact");
    let _: CustomImage = client
        .put(&path, DTL_API_VERSION, &new_image_body("exact"))
        .await
        .unwrap();
    let polls: Vec<_> = sim
        .recorded()
        .into_iter()
        .filter(|r| r.path.contains("/operationResults/"))
        .collect();
    assert!(!polls.is_empty());
    assert!(
        polls.iter().all(|p| p
            .query
            .as_deref()
            .is_some_and(|q| q.contains("monitor=true"))),
        "the service's own parameter was kept: {polls:?}"
    );
}

/// A server on another loopback address that records what it is sent: where a stolen token
/// would go.
async fn hostile() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let record = record.clone();
        async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none")
                .to_string();
            record.lock().unwrap().push(auth);
            axum::Json(serde_json::json!({"value": [], "status": "Succeeded"}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), seen)
}

/// A fake ARM whose answers point at `elsewhere`: a list's `nextLink`, and a PUT's
/// `Azure-AsyncOperation` and `Location`.
async fn pointing_at(elsewhere: &str) -> url::Url {
    let next = format!("{elsewhere}/steal?api-version=2018-09-15");
    let monitor = next.clone();
    let app = axum::Router::new()
        .route(
            "/list",
            axum::routing::get(move || {
                let next = next.clone();
                async move {
                    axum::Json(
                        serde_json::json!({"value": [{"id": "/a", "name": "a"}], "nextLink": next}),
                    )
                }
            }),
        )
        .route(
            "/thing",
            axum::routing::put(move || {
                let monitor = monitor.clone();
                async move {
                    (
                        axum::http::StatusCode::CREATED,
                        [
                            ("azure-asyncoperation", monitor.clone()),
                            ("location", monitor),
                        ],
                        axum::Json(serde_json::json!({})),
                    )
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url::Url::parse(&format!("http://{address}/")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_goes_only_to_the_arm_endpoint_whatever_azure_points_at() {
    let (elsewhere, seen) = hostile().await;
    let endpoint = pointing_at(&elsewhere).await;
    let http = ArmClient::http_client().unwrap();
    let tokens = imagefactory::arm::TokenSource::fixed(
        &imagefactory::arm::scope_for(&endpoint),
        "a-secret-token".into(),
    );
    let mut options = imagefactory::arm::ArmClientOptions::new(endpoint);
    options.min_poll_interval = Duration::from_millis(10);
    let client = ArmClient::new(http, tokens, options);

    let listed = client
        .list::<serde_json::Value>("/list", "2018-09-15")
        .await
        .expect_err("a nextLink to another host is refused");
    assert!(
        listed
            .to_string()
            .contains("refused to send the token to http://127.0.0.2"),
        "{listed}"
    );

    let begun = client
        .begin(
            imagefactory::arm::Write::Put,
            "/thing",
            "2018-09-15",
            Some(&serde_json::json!({})),
        )
        .await
        .unwrap();
    let imagefactory::arm::Begun::Pending(op) = begun else {
        panic!("an operation was begun")
    };
    let polled = client
        .wait(&op)
        .await
        .expect_err("its monitor is on another host");
    assert!(
        polled.to_string().contains("refused to send the token"),
        "{polled}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the other host heard: {:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn an_endpoint_over_plain_http_on_another_machine_is_refused() {
    let endpoint = url::Url::parse("http://management.example.net/").unwrap();
    let http = ArmClient::http_client().unwrap();
    let tokens = imagefactory::arm::TokenSource::fixed(
        &imagefactory::arm::scope_for(&endpoint),
        "a-secret-token".into(),
    );
    let client = ArmClient::new(
        http,
        tokens,
        imagefactory::arm::ArmClientOptions::new(endpoint),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refused = runtime
        .block_on(client.get::<serde_json::Value>("/subscriptions", "2022-12-01"))
        .expect_err("plain HTTP away from this machine");
    assert!(
        refused.to_string().contains("token would travel in clear"),
        "{refused}"
    );
}
