//! Conformance with Microsoft's spec, checked by a tool we did not write: every kind of
//! DevTest Labs request the client sends (path, query, body) is replayed to Prism serving
//! `dtl-2018-09-15.prism.json` with `--errors`, and none may be rejected.
//!
//! Needs `PRISM_URL` (the CI script starts Prism and sets it), so plain `cargo test` lists it
//! as ignored; `cargo test -- --include-ignored` runs it.

mod common;

use std::collections::BTreeMap;

use common::*;
use imagefactory::arm::wire::{
    Artifact, ArtifactSource, CustomImage, DTL_API_VERSION, GalleryImage, LabVirtualMachine,
};
use imagefactory::factory::Inventory;
use imagefactory::sim::{RecordedRequest, SimOptions};

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/dtl-2018-09-15.prism.json"
);

/// A spec path template: literal segments (matched without case) and `{parameters}`.
struct Template {
    segments: Vec<String>,
}

impl Template {
    /// The request path with the spec's spelling of literal segments, if it matches. ARM matches
    /// paths without case (and returns lower-cased ids, which clients then call); Prism matches
    /// with case, so the spelling is put back before asking it about everything else.
    fn canonical(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut out = String::new();
        for (part, seg) in parts.iter().zip(&self.segments) {
            out.push('/');
            if seg.starts_with('{') {
                out.push_str(part);
            } else if seg.eq_ignore_ascii_case(part) {
                out.push_str(seg);
            } else {
                return None;
            }
        }
        Some(out)
    }
}

fn templates() -> Vec<(String, Template)> {
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SPEC).unwrap()).unwrap();
    spec["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|p| {
            (
                p.clone(),
                Template {
                    segments: p
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                },
            )
        })
        .collect()
}

/// Drives every kind of request the product sends today.
async fn exercise(sim: &imagefactory::sim::SimHandle) {
    let client = client(sim);
    let inventory = Inventory::refresh(&client, None).await.unwrap();
    assert!(inventory.is_complete());
    let lab = DEV_LAB;
    let _: serde_json::Value = client.get(lab, DTL_API_VERSION).await.unwrap();
    let _: Vec<serde_json::Value> = client.list(&format!("/subscriptions/{IMAGING}/resourceGroups/rg-dev-we/providers/Microsoft.DevTestLab/labs"), DTL_API_VERSION).await.unwrap();
    let vm_path =
        format!("{lab}/virtualmachines/dev-alice-01?$expand=properties($expand=artifacts)");
    let _: LabVirtualMachine = client.get(&vm_path, DTL_API_VERSION).await.unwrap();
    let _: Vec<GalleryImage> = client
        .list(&format!("{lab}/galleryimages"), DTL_API_VERSION)
        .await
        .unwrap();
    let sources: Vec<ArtifactSource> = client
        .list(&format!("{lab}/artifactsources"), DTL_API_VERSION)
        .await
        .unwrap();
    let _: Vec<Artifact> = client
        .list(&format!("{}/artifacts", sources[0].id), DTL_API_VERSION)
        .await
        .unwrap();
    let image = format!("{lab}/customimages/conformance-image");
    let body = new_image_body("conformance");
    let created: CustomImage = client.put(&image, DTL_API_VERSION, &body).await.unwrap();
    let _: CustomImage = client.get(&created.id, DTL_API_VERSION).await.unwrap();
    let tags = serde_json::json!({"tags": {"ImagePath": "win2022/base", "ImageFactoryPin": "conformance"}});
    let _: CustomImage = client
        .patch(&created.id, DTL_API_VERSION, &tags)
        .await
        .unwrap();
    client.delete(&created.id, DTL_API_VERSION).await.unwrap();
    build(sim).await;
}

/// A build through the binary, with the sample factory: the lab VM, its artifacts, the
/// factory lab's policies, custom images from a VHD, the VM's deletion.
async fn build(sim: &imagefactory::sim::SimHandle) {
    let home = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_imagefactory"));
    command
        .env_remove("IMAGEFACTORY_CONFIG")
        .env_remove("IMAGEFACTORY_STATE_DIR")
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .envs(sim.exports())
        .arg("--config")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/factory/factory.toml"
        ))
        .args(["build", "win2022/base"]);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    // 3: the read-only partner lab is left out; every other lab got the image.
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One request of each kind: method, spec template and query keys.
fn kinds(
    recorded: &[RecordedRequest],
    templates: &[(String, Template)],
) -> (BTreeMap<String, (RecordedRequest, String)>, Vec<String>) {
    let mut kinds = BTreeMap::new();
    let mut unmatched = Vec::new();
    // DevTest Labs requests only: a lab's Microsoft.Authorization permissions are another
    // spec, and a `Location` monitor is whatever URL the service gave (used exactly as given).
    for r in recorded.iter().filter(|r| {
        let path = r.path.to_ascii_lowercase();
        path.contains("/providers/microsoft.devtestlab")
            && !path.contains("/providers/microsoft.authorization")
            && !path.contains("/operationresults/")
    }) {
        let Some((template, canonical)) = templates
            .iter()
            .find_map(|(t, tpl)| tpl.canonical(&r.path).map(|c| (t, c)))
        else {
            unmatched.push(format!("{} {}", r.method, r.path));
            continue;
        };
        let mut keys: Vec<String> =
            url::form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect();
        keys.sort();
        // A body's shape is part of its kind: an image from a VM and one from a VHD differ.
        let shape: Vec<String> = r
            .body
            .as_ref()
            .and_then(|b| b.get("properties"))
            .and_then(|p| p.as_object())
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        kinds
            .entry(format!("{} {template} {keys:?} {shape:?}", r.method))
            .or_insert((r.clone(), canonical));
    }
    (kinds, unmatched)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PRISM_URL (Prism serving the spec); run with --include-ignored"]
async fn every_request_kind_the_client_sends_is_valid_for_the_spec() {
    let prism = std::env::var("PRISM_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect(
            "set PRISM_URL to a Prism serving tests/data/dtl-2018-09-15.prism.json (.ci/run does)",
        );
    let sim = start(
        demo_world(),
        SimOptions {
            record: true,
            page_size: 5,
            ..fast()
        },
    )
    .await;
    exercise(&sim).await;
    let templates = templates();
    let (kinds, unmatched) = kinds(&sim.recorded(), &templates);
    assert!(
        unmatched.is_empty(),
        "requests to paths the spec does not have: {unmatched:#?}"
    );
    // The README says 23: every kind the client sends today, builds included (a new kind
    // raises this).
    assert!(
        kinds.len() >= 23,
        "expected every kind of request to be exercised, got {}: {:#?}",
        kinds.len(),
        kinds.keys()
    );

    let http = reqwest::Client::new();
    let mut rejected = Vec::new();
    for (kind, (request, canonical)) in &kinds {
        let mut url = format!("{}{canonical}", prism.trim_end_matches('/'));
        if let Some(q) = &request.query {
            url.push('?');
            url.push_str(q);
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
        let mut call = http
            .request(method, &url)
            .bearer_auth("conformance")
            .header("accept", "application/json");
        if let Some(body) = &request.body {
            call = call.json(body);
        }
        let response = call
            .send()
            .await
            .unwrap_or_else(|e| panic!("Prism at {prism} did not answer: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        // 422: the request breaks the spec; 404/405: Prism knows no such operation.
        if matches!(status, 400 | 404 | 405 | 422) {
            rejected.push(format!(
                "{kind}\n  sent {} {url}\n  Prism {status}: {text}",
                request.method
            ));
        }
    }
    assert!(
        rejected.is_empty(),
        "{} of {} request kinds rejected by Prism:\n{}",
        rejected.len(),
        kinds.len(),
        rejected.join("\n")
    );
    eprintln!(
        "conformance: {} request kinds accepted by Prism",
        kinds.len()
    );
}
