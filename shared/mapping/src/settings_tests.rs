use chrono::TimeZone;
use secrecy::ExposeSecret;
use serde_json::json;

use super::*;

const STRICT: SettingsPolicy = SettingsPolicy {
    allow_insecure_urls: false,
};
const INSECURE: SettingsPolicy = SettingsPolicy {
    allow_insecure_urls: true,
};

fn create_body(overrides: serde_json::Value) -> IntegrationSettings {
    let mut body = json!({
        "type": "zendesk",
        "name": " Demo Zendesk Integration ",
        "url": "https://ACME.zendesk.com/",
        "api_email": "Admin@Acme.com",
        "api_token": "tok-123-secret",
        "default_zendesk_user_email": "Support@Acme.com",
        "owner_id": "u1",
        "two_way_sync": true,
        "sync_priority": "remote"
    });
    if let (Some(base), Some(extra)) = (body.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            if v.is_null() {
                base.remove(k);
            } else {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::from_value(body).expect("test body decodes")
}

fn failed_fields(result: Result<NewIntegrationSettings, FieldErrors>) -> Vec<&'static str> {
    match result {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.fields().collect(),
    }
}

fn stored() -> Integration {
    let now = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let valid = validate_create(create_body(json!({})), STRICT).expect("valid");
    valid
        .settings
        .into_new_integration(IntegrationId::new("i1"), now)
}

fn patch(body: serde_json::Value) -> IntegrationPatch {
    serde_json::from_value(body).expect("test patch decodes")
}

#[test]
fn a_valid_create_is_normalised() {
    let valid = validate_create(create_body(json!({})), STRICT).expect("valid");
    let s = &valid.settings;
    assert_eq!(s.name, "Demo Zendesk Integration");
    assert_eq!(s.url, "https://acme.zendesk.com");
    assert_eq!(s.api_email, "admin@acme.com");
    assert_eq!(
        s.default_zendesk_user_email.as_deref(),
        Some("support@acme.com")
    );
    assert_eq!(s.owner_id, UserId::new("u1"));
    assert!(s.two_way_sync);
    assert_eq!(s.sync_priority, Some(SyncPriority::Remote));
    assert_eq!(valid.api_token.expose_secret(), "tok-123-secret");
}

#[test]
fn new_integrations_are_inactive_with_the_token_marked_set() {
    let integration = stored();
    assert!(!integration.active);
    assert!(integration.api_token_set);
    assert_eq!(integration.webhook_id, None);
}

#[test]
fn each_rule_names_its_field() {
    let long_name = "x".repeat(256);
    for (overrides, field) in [
        (json!({"type": "freshdesk"}), "type"),
        (json!({"type": null}), "type"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long_name}), "name"),
        (json!({"name": null}), "name"),
        (json!({"url": "http://acme.zendesk.com"}), "url"),
        (json!({"url": "https://example.com"}), "url"),
        (json!({"url": null}), "url"),
        (json!({"api_email": "admin"}), "api_email"),
        (json!({"api_email": null}), "api_email"),
        (json!({"api_token": ""}), "api_token"),
        (json!({"api_token": null}), "api_token"),
        (
            json!({"default_zendesk_user_email": "support@"}),
            "default_zendesk_user_email",
        ),
        (json!({"owner_id": null}), "owner_id"),
        (json!({"owner_id": " "}), "owner_id"),
        (json!({"sync_priority": null}), "sync_priority"),
        (json!({"sync_priority": "zendesk"}), "sync_priority"),
    ] {
        let fields = failed_fields(validate_create(create_body(overrides.clone()), STRICT));
        assert_eq!(fields, vec![field], "{overrides}");
    }
}

#[test]
fn boundaries_that_are_allowed() {
    let name_255 = "é".repeat(255);
    for overrides in [
        json!({"name": name_255}),
        json!({"two_way_sync": false, "sync_priority": null}),
        json!({"two_way_sync": null, "sync_priority": null}),
        json!({"default_zendesk_user_email": null}),
        json!({"default_zendesk_user_email": ""}),
        json!({"sync_priority": "local"}),
    ] {
        assert!(
            validate_create(create_body(overrides.clone()), STRICT).is_ok(),
            "{overrides}"
        );
    }
}

#[test]
fn all_errors_are_reported_at_once() {
    let fields = failed_fields(validate_create(IntegrationSettings::default(), STRICT));
    assert_eq!(
        fields,
        vec!["type", "name", "url", "api_email", "api_token", "owner_id"]
    );
    let err = validate_create(IntegrationSettings::default(), STRICT).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("type: is required; name: is required")
    );
}

#[test]
fn insecure_policy_allows_a_loopback_simulator() {
    let body = || create_body(json!({"url": "http://127.0.0.1:8081"}));
    assert_eq!(failed_fields(validate_create(body(), STRICT)), vec!["url"]);
    let valid = validate_create(body(), INSECURE).expect("allowed");
    assert_eq!(valid.settings.url, "http://127.0.0.1:8081");
}

#[test]
fn unknown_fields_are_refused_naming_the_field() {
    let err = serde_json::from_value::<IntegrationSettings>(json!({"name": "x", "active": true}))
        .unwrap_err();
    assert!(err.to_string().contains("`active`"), "{err}");
    let err = serde_json::from_value::<IntegrationPatch>(json!({"colour": "red"})).unwrap_err();
    assert!(err.to_string().contains("`colour`"), "{err}");
}

#[test]
fn the_token_never_shows_in_debug_output() {
    let input = create_body(json!({}));
    assert!(!format!("{input:?}").contains("tok-123-secret"));
    let valid = validate_create(input, STRICT).expect("valid");
    assert!(!format!("{valid:?}").contains("tok-123-secret"));
    let edit = patch(json!({"api_token": "new-secret-token"}));
    assert!(!format!("{edit:?}").contains("new-secret-token"));
}

#[test]
fn an_empty_patch_changes_nothing() {
    let current = stored();
    let edit = validate_patch(&current, patch(json!({})), STRICT).expect("valid");
    let mut after = current.clone();
    edit.settings.apply_to(&mut after, current.updated_at);
    assert_eq!(after, current);
    assert!(edit.api_token.is_none());
}

#[test]
fn a_patch_changes_only_what_it_names() {
    let current = stored();
    let edit = validate_patch(
        &current,
        patch(json!({"name": "Renamed", "api_token": "t2", "default_zendesk_user_email": null})),
        STRICT,
    )
    .expect("valid");
    assert_eq!(edit.settings.name, "Renamed");
    assert_eq!(edit.settings.default_zendesk_user_email, None);
    assert_eq!(edit.settings.url, current.url);
    assert_eq!(
        edit.api_token.map(|t| t.expose_secret().to_owned()),
        Some("t2".into())
    );
}

#[test]
fn patch_rules_name_their_fields() {
    let mut one_way = stored();
    one_way.two_way_sync = false;
    one_way.sync_priority = None;
    for (current, body, field) in [
        (stored(), json!({"type": "other"}), "type"),
        (stored(), json!({"name": ""}), "name"),
        (
            stored(),
            json!({"url": "https://acme.zendesk.com/x"}),
            "url",
        ),
        (stored(), json!({"api_email": "nope"}), "api_email"),
        (stored(), json!({"api_token": " "}), "api_token"),
        (stored(), json!({"owner_id": ""}), "owner_id"),
        (stored(), json!({"sync_priority": null}), "sync_priority"),
        (
            one_way.clone(),
            json!({"two_way_sync": true}),
            "sync_priority",
        ),
    ] {
        let err = validate_patch(&current, patch(body.clone()), STRICT).unwrap_err();
        assert_eq!(err.fields().collect::<Vec<_>>(), vec![field], "{body}");
    }
    // Turning two-way on together with a priority is fine; turning it off keeps the priority.
    let on = validate_patch(
        &one_way,
        patch(json!({"two_way_sync": true, "sync_priority": "local"})),
        STRICT,
    )
    .expect("valid");
    assert_eq!(on.settings.sync_priority, Some(SyncPriority::Local));
    let off =
        validate_patch(&stored(), patch(json!({"two_way_sync": false})), STRICT).expect("valid");
    assert_eq!(off.settings.sync_priority, Some(SyncPriority::Remote));
}

#[test]
fn a_stored_url_is_not_revalidated_when_untouched() {
    let mut current = stored();
    current.url = "http://127.0.0.1:8081".into();
    assert!(validate_patch(&current, patch(json!({"name": "n"})), STRICT).is_ok());
    assert!(
        validate_patch(
            &current,
            patch(json!({"url": "http://127.0.0.1:9"})),
            STRICT
        )
        .is_err()
    );
}
