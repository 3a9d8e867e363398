//! What moto cannot judge, judged here: whether a role's statements, with their `Resource` and
//! their `dynamodb:LeadingKeys` conditions, allow a request on a given ARN and partition keys.
//! The template lint runs the check of every function's requests (`aws_iam.rs`,
//! `template_resources_and_conditions_cover_what_each_function_uses`).

use serde_json::Value;

use super::policy::{Statement, glob};

/// One request as IAM sees it: the action, the resource's ARN and, for DynamoDB item calls, the
/// partition keys it touches.
#[derive(Clone, Debug)]
pub struct Request {
    pub action: String,
    pub resource: String,
    pub leading_keys: Vec<String>,
}

impl Request {
    pub fn new(action: &str, resource: impl Into<String>) -> Request {
        Request {
            action: action.to_owned(),
            resource: resource.into(),
            leading_keys: Vec::new(),
        }
    }

    pub fn keys(mut self, keys: &[String]) -> Request {
        self.leading_keys = keys.to_vec();
        self
    }
}

/// The condition operators the template uses; any other is refused (never assumed to pass).
fn condition_holds(condition: &Value, request: &Request) -> Result<bool, String> {
    let operators = condition.as_object().ok_or("Condition is not an object")?;
    for (operator, tests) in operators {
        for (key, wanted) in tests.as_object().ok_or("condition operator body")? {
            if key != "dynamodb:LeadingKeys" {
                return Err(format!("condition key {key} is not modelled"));
            }
            let wanted: Vec<&str> = match wanted {
                Value::String(s) => vec![s.as_str()],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                other => return Err(format!("condition values {other}")),
            };
            // ForAllValues: every key of the request must match one of the values.
            let matches: fn(&str, &str) -> bool = match operator.as_str() {
                "ForAllValues:StringEquals" => |w, k| w == k,
                "ForAllValues:StringLike" => |w, k| glob(w, k),
                other => return Err(format!("condition operator {other} is not modelled")),
            };
            if request.leading_keys.is_empty()
                || !request
                    .leading_keys
                    .iter()
                    .all(|k| wanted.iter().any(|w| matches(w, k)))
            {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Whether some statement allows `request` on its resource, conditions included. Resources
/// match case-sensitively with IAM's `*`/`?`; actions case-insensitively.
pub fn allows(statements: &[Statement], request: &Request) -> Result<bool, String> {
    for s in statements {
        if !s.names(&request.action) || !s.resources.iter().any(|r| glob(r, &request.resource)) {
            continue;
        }
        match &s.condition {
            None => return Ok(true),
            Some(condition) => {
                if condition_holds(condition, request)? {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws_iam_common::policy::statements;

    fn webhook_like() -> Vec<Statement> {
        statements(&json!({"Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:t",
             "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["INTEGRATIONS"]}}},
            {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "arn:t",
             "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["DEDUPE#*"]}}},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:s:p/*/hook-??????"},
        ]}))
        .unwrap()
    }

    #[test]
    fn resources_and_leading_keys_decide() {
        let s = webhook_like();
        let get = |keys: &[&str]| {
            let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            Request::new("dynamodb:GetItem", "arn:t").keys(&keys)
        };
        assert!(allows(&s, &get(&["INTEGRATIONS"])).unwrap());
        assert!(!allows(&s, &get(&["CASE#1"])).unwrap());
        assert!(!allows(&s, &get(&["INTEGRATIONS", "CASE#1"])).unwrap());
        assert!(
            !allows(&s, &get(&[])).unwrap(),
            "a condition on keys needs keys"
        );
        let put = Request::new("dynamodb:PutItem", "arn:t").keys(&["DEDUPE#x".into()]);
        assert!(allows(&s, &put).unwrap());
        assert!(
            !allows(
                &s,
                &Request::new("dynamodb:PutItem", "arn:other").keys(&["DEDUPE#x".into()])
            )
            .unwrap()
        );
        assert!(
            allows(
                &s,
                &Request::new("secretsmanager:GetSecretValue", "arn:s:p/7/hook-AbC123")
            )
            .unwrap()
        );
        assert!(
            !allows(
                &s,
                &Request::new("secretsmanager:GetSecretValue", "arn:s:p/7/token-AbC123")
            )
            .unwrap()
        );
        assert!(!allows(&s, &Request::new("sqs:SendMessage", "arn:t")).unwrap());
    }

    #[test]
    fn unknown_condition_keys_and_operators_are_refused() {
        for condition in [
            json!({"StringEquals": {"dynamodb:LeadingKeys": ["A"]}}),
            json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["A"]}}),
        ] {
            let s = vec![Statement {
                actions: vec!["dynamodb:GetItem".into()],
                resources: vec!["*".into()],
                condition: Some(condition),
            }];
            let request = Request::new("dynamodb:GetItem", "arn:t").keys(&["A".into()]);
            assert!(allows(&s, &request).is_err());
        }
    }
}
