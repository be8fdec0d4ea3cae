//! The configuration writer: what it writes loads back to the same configuration, for generated
//! configurations with every setting and awkward text (quotes, backslashes, non-ASCII, spaces).

use std::path::Path;
use std::time::Duration;

use imagefactory::arm::AuthMode;
use imagefactory::config::{
    self, ArtifactRef, AzureSettings, BaseImage, BuildSettings, Defaults, FactoryConfig,
    ImageDefinition, ImagePath, LabRef, OsType, RetentionOverride, RetentionPolicy, StorageAuth,
    StorageType, TargetLab, write,
};
use proptest::prelude::*;

/// Text a user may type anywhere: quotes, backslashes, `#`, newlines, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        Just(String::new()),
        Just("say \"hi\" \\ # not a comment".to_string()),
        Just("line one\nline two\ttab".to_string()),
        Just("Größe ☃ 日本".to_string()),
        Just("'single' and \"\"\"triple\"\"\"".to_string()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_.()-]{0,10}( [A-Za-z0-9]{1,4})?"
}

fn guid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

fn lab_ref() -> impl Strategy<Value = LabRef> {
    (guid(), name(), name()).prop_map(|(subscription, resource_group, name)| LabRef {
        subscription,
        resource_group,
        name,
    })
}

fn duration(min_secs: u64) -> impl Strategy<Value = Duration> {
    prop_oneof![
        (min_secs..100_000u64).prop_map(Duration::from_secs),
        (1u64..60).prop_map(|m| Duration::from_secs(m * 60)),
        (1u64..30).prop_map(|d| Duration::from_secs(d * 86_400)),
        (1u64..8).prop_map(|w| Duration::from_secs(w * 7 * 86_400)),
    ]
}

fn segment() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,6}( [A-Za-z0-9]{1,3})?"
}

fn definition() -> impl Strategy<Value = ImageDefinition> {
    (
        prop::collection::vec(segment(), 1..3),
        text(),
        prop::bool::ANY,
        (
            "[A-Za-z]{1,8}",
            "[A-Za-z0-9-]{1,8}",
            "[A-Za-z0-9-]{1,8}",
            "latest|[0-9.]{1,6}",
        ),
        prop::option::of("Standard_[A-Z][0-9]s_v[3-5]"),
        prop::collection::vec(
            (
                name(),
                name(),
                prop::collection::btree_map("[a-zA-Z_]{1,6}", text(), 0..3),
            ),
            0..3,
        ),
        prop::collection::btree_map("[A-Za-z][A-Za-z0-9 -]{0,6}", text(), 0..3),
        (prop::option::of(1usize..9), prop::option::of(duration(0))),
    )
        .prop_map(
            |(segments, description, linux, base, size, artifacts, tags, retention)| {
                let path = ImagePath::new(&segments.join("/"));
                let (publisher, offer, sku, version) = base;
                ImageDefinition {
                    file: Path::new("images").join(format!("{path}.toml")),
                    path,
                    description,
                    os: if linux {
                        OsType::Linux
                    } else {
                        OsType::Windows
                    },
                    base: BaseImage {
                        publisher,
                        offer,
                        sku,
                        version,
                    },
                    // The disk type follows from the size's name, so that both shapes are written.
                    storage_type: size.as_ref().map(|_| StorageType::Premium),
                    size,
                    artifacts: artifacts
                        .into_iter()
                        .map(|(source, name, parameters)| ArtifactRef {
                            source,
                            name,
                            parameters,
                            secret: Vec::new(),
                        })
                        .collect(),
                    tags,
                    retention: RetentionOverride {
                        keep_latest: retention.0,
                        min_age: retention.1,
                    },
                }
            },
        )
}

fn build_settings() -> impl Strategy<Value = BuildSettings> {
    prop_oneof![
        Just(BuildSettings::default()),
        (
            1usize..=256,
            prop::bool::ANY,
            prop::collection::vec(duration(1), 6),
            prop_oneof![
                Just(StorageType::Standard),
                Just(StorageType::StandardSsd),
                Just(StorageType::Premium)
            ],
            prop_oneof![
                Just(StorageAuth::Auto),
                Just(StorageAuth::Entra),
                Just(StorageAuth::Keys)
            ],
        )
            .prop_map(
                |(max_copies, keep_failed_vms, t, storage_type, storage_auth)| BuildSettings {
                    max_copies,
                    keep_failed_vms,
                    vm_timeout: t[0],
                    generalize_timeout: t[1],
                    capture_timeout: t[2],
                    copy_timeout: t[3],
                    image_timeout: t[4],
                    cleanup_timeout: t[5],
                    storage_type,
                    storage_auth,
                }
            ),
    ]
}

fn azure() -> impl Strategy<Value = AzureSettings> {
    (
        prop::option::of(prop_oneof![
            Just("https://management.azure.com/"),
            Just("https://management.chinacloudapi.cn/"),
            Just("http://127.0.0.1:41234/"),
        ]),
        prop::option::of(prop::sample::select(AuthMode::ALL.to_vec())),
        prop::option::of(1usize..=256),
        prop::bool::ANY,
    )
        .prop_map(|(endpoint, auth, concurrency, read_only)| AzureSettings {
            endpoint: endpoint.map(|e| url::Url::parse(e).expect("a URL")),
            auth,
            concurrency,
            read_only,
        })
}

fn configuration() -> impl Strategy<Value = FactoryConfig> {
    (
        lab_ref(),
        azure(),
        ("[A-Za-z0-9_]{1,16}", 1usize..=256),
        build_settings(),
        (
            1usize..9,
            duration(0),
            prop::bool::ANY,
            prop::bool::ANY,
            prop::bool::ANY,
        ),
        prop::collection::vec(definition(), 0..5),
        prop::collection::vec(
            (
                lab_ref(),
                prop::collection::vec(any::<prop::sample::Index>(), 1..3),
            ),
            0..4,
        ),
    )
        .prop_map(|(factory, azure, defaults, build, r, definitions, labs)| {
            // Image paths compare without case: keep the first of each.
            let mut images: Vec<ImageDefinition> = Vec::new();
            for d in definitions {
                if !images.iter().any(|i| i.path == d.path) {
                    images.push(d);
                }
            }
            images.sort_by(|a, b| a.file.cmp(&b.file));
            // A lab subscribes to a definition's path or one of its folders; labs are unique.
            let mut targets: Vec<TargetLab> = Vec::new();
            if !images.is_empty() {
                for (lab, picks) in labs {
                    if targets
                        .iter()
                        .any(|t| t.lab.id().eq_ignore_ascii_case(&lab.id()))
                    {
                        continue;
                    }
                    // Each path once (a path twice is refused, as it should be).
                    let mut image_paths: Vec<ImagePath> = Vec::new();
                    for i in &picks {
                        let path = images[i.index(images.len())].path.as_str();
                        let segments: Vec<&str> = path.split('/').collect();
                        let path =
                            ImagePath::new(&segments[..1 + i.index(segments.len())].join("/"));
                        if !image_paths.contains(&path) {
                            image_paths.push(path);
                        }
                    }
                    targets.push(TargetLab { lab, image_paths });
                }
            }
            FactoryConfig {
                path: "factory.toml".into(),
                factory,
                azure,
                defaults: Defaults {
                    vm_size: defaults.0,
                    parallelism: defaults.1,
                },
                build,
                retention: RetentionPolicy {
                    keep_latest: r.0,
                    min_age: r.1,
                    protect_in_use: r.2,
                    retire_removed_definitions: r.3,
                    retire_unsubscribed: r.4,
                },
                labs: targets,
                images,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn what_is_written_loads_back_the_same(config in configuration()) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        write::write(dir.path(), &write::files(&config), false).expect("written");
        let loaded = config::load(&dir.path().join("factory.toml"));
        let loaded = match loaded {
            Ok(c) => c,
            Err(e) => {
                let text = std::fs::read_to_string(dir.path().join("factory.toml")).unwrap_or_default();
                return Err(TestCaseError::fail(format!("{e}\n{text}")));
            }
        };
        let mut expected = config.clone();
        expected.path = dir.path().join("factory.toml");
        for d in &mut expected.images {
            d.file = dir.path().join(&d.file);
        }
        prop_assert_eq!(loaded, expected);
    }
}

fn sample() -> FactoryConfig {
    let definition = ImageDefinition::new(
        ImagePath::new("win2022/base"),
        OsType::Windows,
        BaseImage::latest("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter"),
    );
    FactoryConfig {
        path: "factory.toml".into(),
        factory: LabRef {
            subscription: "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01".into(),
            resource_group: "rg-imagefactory".into(),
            name: "ImageFactory".into(),
        },
        azure: AzureSettings::default(),
        defaults: Defaults {
            vm_size: "Standard_D4s_v5".into(),
            parallelism: 4,
        },
        build: BuildSettings::default(),
        retention: RetentionPolicy::default(),
        labs: vec![TargetLab {
            lab: LabRef {
                subscription: "0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01".into(),
                resource_group: "rg-dev".into(),
                name: "Dev".into(),
            },
            image_paths: vec![ImagePath::new("win2022")],
        }],
        images: vec![definition],
    }
}

#[test]
fn factory_toml_reads_as_a_person_would_write_it() {
    let text = write::factory_toml(&sample(), &["Written by imagefactory init.".into()]);
    assert_eq!(
        text,
        "# Written by imagefactory init.\n\n\
         [factory]\n\
         subscription = \"0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01\"\n\
         resource_group = \"rg-imagefactory\"\n\
         lab = \"ImageFactory\"\n\n\
         [defaults]\n\
         vm_size = \"Standard_D4s_v5\"\n\
         parallelism = 4\n\n\
         [retention]\n\
         keep_latest = 2\n\
         min_age = \"7d\"\n\
         protect_in_use = true\n\
         retire_removed_definitions = false\n\
         retire_unsubscribed = false\n\n\
         [[lab]]\n\
         subscription = \"0b1f6471-1bf0-4dda-aec3-5c7a1e2f9d01\"\n\
         resource_group = \"rg-dev\"\n\
         name = \"Dev\"\n\
         image_paths = [\"win2022\"]\n"
    );
}

#[test]
fn writing_over_an_existing_file_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("factory.toml"), "mine").expect("written");
    let error = write::write(dir.path(), &write::files(&sample()), false)
        .expect_err("refused")
        .to_string();
    assert!(error.contains("factory.toml"), "{error}");
    assert!(
        error.contains("already exists; nothing was written"),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("factory.toml")).expect("read"),
        "mine"
    );
    assert!(!dir.path().join("images").exists());
    write::write(dir.path(), &write::files(&sample()), true).expect("overwritten when asked");
    assert!(config::load(&dir.path().join("factory.toml")).is_ok());
}

#[test]
fn durations_take_the_largest_exact_unit() {
    let cases = [
        (0, "0s"),
        (45, "45s"),
        (5400, "90m"),
        (7200, "2h"),
        (86_400, "1d"),
        (1_209_600, "14d"),
        (90_061, "90061s"),
    ];
    for (secs, text) in cases {
        assert_eq!(write::duration(Duration::from_secs(secs)), text);
    }
}
