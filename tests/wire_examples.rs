//! Every example response of Microsoft's spec deserialises into our wire types, and the fields
//! the factory uses come out right.

use std::path::PathBuf;

use imagefactory::arm::wire::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/arm-examples")
}

fn example(name: &str) -> Value {
    let path = examples_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn body<T: DeserializeOwned>(name: &str, status: &str) -> T {
    let v = example(name);
    serde_json::from_value(v["responses"][status]["body"].clone())
        .unwrap_or_else(|e| panic!("{name} {status}: {e}"))
}

/// Which wire type each example's success bodies are.
/// `Ok(false)` for examples of calls the factory does not make.
fn decode_any(name: &str, body: Value) -> Result<bool, String> {
    fn as_<T: DeserializeOwned>(b: Value) -> Result<bool, String> {
        serde_json::from_value::<T>(b)
            .map(|_| true)
            .map_err(|e| e.to_string())
    }
    let kind = name.split('_').next().unwrap_or("");
    let list = name.contains("_List") || name == "GetSubscriptions.json";
    match (kind, list) {
        ("CustomImages", true) => as_::<Page<CustomImage>>(body),
        ("CustomImages", false) => as_::<CustomImage>(body),
        ("Labs", true) if name.starts_with("Labs_ListBy") => as_::<Page<Lab>>(body),
        ("Labs", false) if name.starts_with("Labs_Get") => as_::<Lab>(body),
        ("VirtualMachines", true) => as_::<Page<LabVirtualMachine>>(body),
        ("VirtualMachines", false) => as_::<LabVirtualMachine>(body),
        ("Formulas", true) => as_::<Page<Formula>>(body),
        ("Formulas", false) => as_::<Formula>(body),
        ("GalleryImages", _) => as_::<Page<GalleryImage>>(body),
        ("ArtifactSources", true) => as_::<Page<ArtifactSource>>(body),
        ("ArtifactSources", false) => as_::<ArtifactSource>(body),
        ("Artifacts", true) => as_::<Page<Artifact>>(body),
        ("Artifacts", false) => as_::<Artifact>(body),
        ("GetSubscriptions.json", _) => as_::<Page<Subscription>>(body),
        ("Operations", _) => as_::<OperationResult>(body),
        // Examples of calls the factory does not make (policies, uploads, imports).
        _ => Ok(false),
    }
}

#[test]
fn every_example_body_deserialises() {
    let mut checked = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let v = example(&name);
        for (status, response) in v["responses"].as_object().unwrap() {
            if let Some(body) = response.get("body").filter(|b| !b.is_null())
                && decode_any(&name, body.clone())
                    .unwrap_or_else(|e| panic!("{name} {status}: {e}"))
            {
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} bodies were decoded into wire types"
    );
}

#[test]
fn custom_image_fields_come_out_right() {
    let page: Page<CustomImage> = body("CustomImages_List.json", "200");
    assert!(page.next_link.is_none());
    let image = &page.value[0];
    assert_eq!(image.name, "{customImageName}");
    assert_eq!(image.properties.author.as_deref(), Some("{authorName}"));
    assert_eq!(
        image.properties.creation_date.as_deref(),
        Some("2021-10-10T09:59:28.7985144+00:00")
    );
    assert_eq!(image.os_type(), Some("Linux"));
    let created = time::OffsetDateTime::parse(
        image.properties.creation_date.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(created.year(), 2021);
    assert!(
        image
            .properties
            .vm
            .as_ref()
            .unwrap()
            .source_vm_id
            .as_deref()
            .unwrap()
            .ends_with("/virtualmachines/{vmName}")
    );
}

#[test]
fn custom_image_created_from_a_vhd_reports_its_os() {
    let v = example("CustomImages_CreateOrUpdate.json");
    let request: CustomImage =
        serde_json::from_value(v["parameters"]["customImage"].clone()).unwrap();
    let created: CustomImage = body("CustomImages_CreateOrUpdate.json", "201");
    for image in [&request, &created] {
        assert!(image.properties.vm.is_some() || image.properties.vhd.is_some());
    }
    assert_eq!(
        created
            .tags
            .as_ref()
            .and_then(|t| t.get("tagName1"))
            .map(String::as_str),
        Some("tagValue1")
    );
}

#[test]
fn lab_and_vm_fields_come_out_right() {
    let labs: Page<Lab> = body("Labs_ListBySubscription.json", "200");
    assert_eq!(labs.value.len(), 2);
    assert_eq!(labs.value[0].location.as_deref(), Some("westcentralus"));
    assert_eq!(labs.value[1].location.as_deref(), Some("japaneast"));
    assert!(
        labs.value[0]
            .id
            .contains("/providers/microsoft.devtestlab/labs/")
    );
    let vms: Page<LabVirtualMachine> = body("VirtualMachines_List.json", "200");
    let vm = &vms.value[0];
    assert_eq!(vm.properties.os_type.as_deref(), Some("Linux"));
    assert_eq!(
        vm.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    assert_eq!(
        vm.properties
            .gallery_image_reference
            .as_ref()
            .unwrap()
            .sku
            .as_deref(),
        Some("16.04-LTS")
    );
    let vm: LabVirtualMachine = body("VirtualMachines_Get.json", "200");
    assert!(!vm.name.is_empty());
}

#[test]
fn subscriptions_page_keeps_its_next_link_as_data() {
    let subs: Page<Subscription> = body("GetSubscriptions.json", "200");
    assert_eq!(subs.value.len(), 2);
    assert_eq!(
        subs.value[0].subscription_id,
        "291bba3f-e0a5-47bc-a099-3bdcb2a50a05"
    );
    assert_eq!(subs.value[0].display_name, "Example Subscription");
    assert_eq!(subs.value[0].state, "Enabled");
    // The example's "..." is a placeholder, not a URL: the client must treat it as data and
    // fail clearly rather than follow it.
    assert_eq!(subs.next_link.as_deref(), Some("..."));
}

#[test]
fn formula_names_its_custom_image() {
    let formulas: Page<Formula> = body("Formulas_List.json", "200");
    assert!(!formulas.value.is_empty());
    let formula: Formula = body("Formulas_Get.json", "200");
    let content = formula.properties.formula_content.expect("formula content");
    // Microsoft's example starts from a gallery image: no custom image to protect.
    assert_eq!(content.properties.custom_image_id, None);
    // The same formula started from a custom image names it, and that is what retention reads.
    let mut v = example("Formulas_Get.json")["responses"]["200"]["body"].clone();
    let image = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DevTestLab/labs/l/customImages/golden";
    v["properties"]["formulaContent"]["properties"]["customImageId"] = serde_json::json!(image);
    let formula: Formula = serde_json::from_value(v).unwrap();
    assert_eq!(
        formula
            .properties
            .formula_content
            .unwrap()
            .properties
            .custom_image_id
            .as_deref(),
        Some(image)
    );
}
