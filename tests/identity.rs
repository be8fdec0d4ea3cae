//! A token comes from the emulator through the real `azure_identity` managed-identity
//! credential (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, the App Service protocol), and the
//! client caches it. One test in its own binary, because it sets process environment.

mod common;

use common::*;
use imagefactory::arm::wire::{DTL_API_VERSION, Lab};
use imagefactory::arm::{ArmClient, AuthMode, TokenSource};

#[tokio::test]
async fn managed_identity_token_from_the_emulator_signs_real_requests() {
    let sim = start(demo_world(), recording()).await;
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("IDENTITY_ENDPOINT", sim.identity_endpoint.as_str());
        std::env::set_var("IDENTITY_HEADER", &sim.identity_header);
    }
    let http = ArmClient::http_client().unwrap();
    let tokens = TokenSource::new(AuthMode::ManagedIdentity, http.clone()).unwrap();
    let client = ArmClient::new(http, tokens, client_options(&sim));
    assert_eq!(client.auth_mode(), Some(AuthMode::ManagedIdentity));

    let lab: Lab = client.get(DEV_LAB, DTL_API_VERSION).await.unwrap();
    assert_eq!(lab.name, "Dev-WestEurope");
    let labs: Vec<Lab> = client
        .list(
            &format!("/subscriptions/{IMAGING}/providers/Microsoft.DevTestLab/labs"),
            DTL_API_VERSION,
        )
        .await
        .unwrap();
    assert_eq!(labs.len(), 3);

    let recorded = sim.recorded();
    let token_calls: Vec<_> = recorded.iter().filter(|r| r.path == "/msi/token").collect();
    assert_eq!(token_calls.len(), 1, "the token is cached across requests");

    // The token says who signs in: the principal the emulator's 403 messages also name.
    let principal = client
        .principal()
        .await
        .expect("the token names its principal");
    assert_eq!(principal.name, "factory@contoso.com");
    assert_eq!(
        principal.tenant.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    let query = token_calls[0].query.as_deref().unwrap_or("");
    assert!(query.contains("api-version=2019-08-01"), "{query}");
    assert!(
        query.contains(&format!(
            "resource={}",
            urlencode(sim.endpoint.as_str().trim_end_matches('/'))
        )),
        "the scope is the endpoint's own: {query}"
    );

    // A wrong secret is refused by the token endpoint, and the error says why.
    unsafe {
        std::env::set_var("IDENTITY_HEADER", "wrong-secret");
    }
    let http = ArmClient::http_client().unwrap();
    let tokens = TokenSource::new(AuthMode::ManagedIdentity, http.clone()).unwrap();
    let client = ArmClient::new(http, tokens, client_options(&sim));
    let err = client
        .get::<Lab>(DEV_LAB, DTL_API_VERSION)
        .await
        .unwrap_err();
    assert!(
        matches!(err, imagefactory::arm::ArmError::Auth { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("authentication failed (managed-identity)"),
        "{text}"
    );
    assert!(
        text.contains("X-IDENTITY-HEADER is missing or wrong"),
        "{text}"
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
