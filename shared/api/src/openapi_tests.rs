//! The generated OpenAPI document against what the handlers answer: the fields the validation
//! requires, the refusals every JSON body can get, and the 404 of a route naming a resource.

use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(super::openapi()).unwrap()
}

/// (method, path, operation) of every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            found.push((method.clone(), path.clone(), op.clone()));
        }
    }
    found
}

fn documents(op: &Value, status: &str) -> bool {
    op["responses"].get(status).is_some()
}

fn schema_of_body<'a>(doc: &'a Value, op: &Value) -> &'a Value {
    let reference = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("no $ref request body: {op}"));
    let name = reference.rsplit('/').next().unwrap();
    &doc["components"]["schemas"][name]
}

fn required(schema: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().map(|n| n.as_str().unwrap()).collect())
        .unwrap_or_default();
    names.sort_unstable();
    names
}

#[test]
fn request_bodies_list_the_fields_the_validation_requires() {
    let doc = document();
    let expected: &[(&str, &str, &[&str])] = &[
        (
            "post",
            "/integrations",
            &["api_email", "api_token", "name", "owner_id", "type", "url"],
        ),
        ("patch", "/integrations/{id}", &[]),
        ("post", "/integrations/{id}/sync", &[]),
        ("post", "/users", &["email", "name"]),
        ("post", "/cases", &["subject"]),
        ("patch", "/cases/{id}", &[]),
        ("post", "/cases/{id}/comments", &["body"]),
        ("post", "/cases/{id}/publish", &["integration_id"]),
    ];
    let with_body: Vec<_> = operations(&doc)
        .into_iter()
        .filter(|(_, path, op)| op.get("requestBody").is_some() && !path.starts_with("/webhooks/"))
        .collect();
    assert_eq!(
        with_body.len(),
        expected.len(),
        "a JSON body route is not listed here"
    );
    for (method, path, fields) in expected {
        let op = &doc["paths"][path][method];
        let schema = schema_of_body(&doc, op);
        assert_eq!(required(schema), *fields, "{method} {path}");
        // A required field is never `null` (that is "is required" too).
        for field in *fields {
            let ty = &schema["properties"][field]["type"];
            assert!(
                ty.is_string() || schema["properties"][field]["$ref"].is_string(),
                "{method} {path} {field}: {ty}"
            );
        }
        assert_eq!(schema["additionalProperties"], false, "{method} {path}");
    }
}

#[test]
fn every_json_body_route_documents_413_and_415() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        if op.get("requestBody").is_none() || path.starts_with("/webhooks/") {
            continue;
        }
        for status in ["400", "413", "415"] {
            assert!(documents(&op, status), "{method} {path} lacks {status}");
        }
    }
}

#[test]
fn every_route_naming_a_resource_documents_404() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        if path.contains('{') {
            assert!(documents(&op, "404"), "{method} {path} lacks 404");
        }
    }
}

#[test]
fn every_refusal_is_documented_as_the_error_body() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

#[test]
fn the_webhook_route_documents_what_intake_answers() {
    let doc = document();
    let op = &doc["paths"]["/webhooks/zendesk/{integration_id}"]["post"];
    for status in ["200", "400", "401", "404", "410", "413", "503"] {
        assert!(documents(op, status), "webhook lacks {status}");
    }
}

#[test]
fn an_empty_limit_is_documented_and_taken_as_the_default() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let Some(params) = op["parameters"].as_array() else {
            continue;
        };
        for param in params.iter().filter(|p| p["name"] == "limit") {
            let accepts_empty = param["schema"]["anyOf"]
                .as_array()
                .is_some_and(|alts| alts.iter().any(|a| a["enum"] == serde_json::json!([""])));
            assert!(accepts_empty, "{method} {path}: {param}");
        }
    }
    assert_eq!(crate::requests::parse_limit(Some("")).unwrap(), 50);
    assert_eq!(crate::requests::parse_limit(Some(" ")).unwrap(), 50);
    assert_eq!(crate::requests::parse_limit(Some("7")).unwrap(), 7);
    let refused = crate::requests::parse_limit(Some("0")).unwrap_err();
    assert_eq!(refused.fields[0].field, "limit");
}

/// The query parameters of a GET operation, by name.
fn query_params(doc: &Value, path: &str) -> Vec<(String, Value)> {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("no parameters on GET {path}"))
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p.clone()))
        .collect()
}

#[test]
fn jobs_and_log_document_their_paging_and_filters_and_cases_the_word_search() {
    let doc = document();
    let names = |path| -> Vec<String> {
        query_params(&doc, path)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    };
    assert_eq!(names("/integrations/{id}/jobs"), ["cursor", "limit"]);
    assert_eq!(
        names("/integrations/{id}/log"),
        ["ticket", "outcome", "cursor", "limit"]
    );
    let log = query_params(&doc, "/integrations/{id}/log");
    let outcome = &log.iter().find(|(n, _)| n == "outcome").unwrap().1;
    let values = outcome["schema"]["enum"].as_array().unwrap();
    assert!(
        values.contains(&Value::from("reopen_withheld")),
        "{outcome}"
    );
    for path in ["/integrations/{id}/jobs", "/integrations/{id}/log"] {
        let ok = &doc["paths"][path]["get"]["responses"]["200"].to_string();
        assert!(
            ok.contains("next_cursor") || ok.contains("PageOf"),
            "{path}: {ok}"
        );
    }
    let cases = query_params(&doc, "/cases");
    let subject = &cases.iter().find(|(n, _)| n == "subject").unwrap().1;
    assert!(
        subject["description"]
            .as_str()
            .unwrap()
            .contains("every word"),
        "{subject}"
    );
    let outcomes = doc["components"]["schemas"]["LogOutcome"].to_string();
    assert!(outcomes.contains("reopen_withheld"), "{outcomes}");
}
