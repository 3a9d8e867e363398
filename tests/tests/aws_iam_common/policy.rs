//! Each function's IAM statements as `template.yaml` gives them (SAM-expanded), resolved to a
//! test stack's names, and translated into what moto can enforce.
//!
//! moto (5.2.5, `moto/iam/access_control.py`) checks the action of each request by the API
//! call's name and evaluates every non-S3 request against the resource `*`: a statement scoped
//! to an ARN never matches there, and it cannot evaluate conditions such as
//! `dynamodb:LeadingKeys`. So [`to_moto`] keeps the same actions on the resource `*` without
//! conditions (the static check, [`super::coverage`], judges resources and conditions), and
//! turns AWS's rules for batch and transaction calls into moto's names: granted exactly when
//! AWS would grant the call, explicitly denied otherwise (moto's Deny wins over any Allow, so
//! a wildcard like `sqs:Send*` cannot grant more on moto than on AWS).

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// API calls that AWS authorises by other actions (the Service Authorization Reference:
/// SQS batch calls by their single action; DynamoDB transactions by the action of each item
/// inside). A call is granted when the role holds every action listed for it.
///
/// `TransactWriteItems` may hold any of the four item kinds; moto cannot see which a request
/// holds, so it is granted only to a role that holds all four (then AWS grants every such
/// transaction). A role with some of them is judged stricter than AWS would: it gets no
/// transactions at all on moto, and a flow that needs one fails the suite instead of passing.
pub const AUTHORISED_BY: [(&str, &[&str]); 5] = [
    ("sqs:SendMessageBatch", &["sqs:SendMessage"]),
    ("sqs:DeleteMessageBatch", &["sqs:DeleteMessage"]),
    (
        "sqs:ChangeMessageVisibilityBatch",
        &["sqs:ChangeMessageVisibility"],
    ),
    ("dynamodb:TransactGetItems", &["dynamodb:GetItem"]),
    (
        "dynamodb:TransactWriteItems",
        &[
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ],
    ),
];

/// One Allow statement of a role, after resolution.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub condition: Option<Value>,
}

impl Statement {
    /// Whether the statement names `action` (IAM matches actions case-insensitively, with `*`
    /// and `?` wildcards).
    pub fn names(&self, action: &str) -> bool {
        self.actions
            .iter()
            .any(|pattern| glob(&pattern.to_lowercase(), &action.to_lowercase()))
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` exactly one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{what}: {v} is not a string (unresolved?)"))
            })
            .collect(),
        other => Err(format!("{what}: {other} is neither a string nor a list")),
    }
}

/// The statements of a resolved policy document. Only what the suite can model is accepted:
/// Allow statements with `Action` and `Resource` (a Deny, `NotAction` or `NotResource` would
/// need moto to judge resources).
pub fn statements(document: &Value) -> Result<Vec<Statement>, String> {
    let list = match &document["Statement"] {
        Value::Array(list) => list.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        other => return Err(format!("Statement is {other}")),
    };
    list.iter()
        .map(|s| {
            if s["Effect"] != "Allow" {
                return Err(format!("only Allow statements are modelled: {s}"));
            }
            if s.get("NotAction").is_some() || s.get("NotResource").is_some() {
                return Err(format!("NotAction/NotResource are not modelled: {s}"));
            }
            Ok(Statement {
                actions: strings(&s["Action"], "Action")?,
                resources: strings(&s["Resource"], "Resource")?,
                condition: s.get("Condition").cloned(),
            })
        })
        .collect()
}

/// Whether the role's statements grant `action` somewhere (resources and conditions aside).
pub fn holds(statements: &[Statement], action: &str) -> bool {
    statements.iter().any(|s| s.names(action))
}

/// The policy document moto enforces for a role with these statements: the same actions on
/// `*`, no conditions, and the calls of [`AUTHORISED_BY`] allowed exactly when the role holds
/// their actions, denied otherwise.
pub fn to_moto(statements: &[Statement]) -> Value {
    let derived: Vec<&str> = AUTHORISED_BY.iter().map(|(call, _)| *call).collect();
    let mut allowed: Vec<String> = Vec::new();
    for s in statements {
        for action in &s.actions {
            // A derived call named literally is no IAM action: it grants nothing on AWS.
            let literal_call = derived.iter().any(|d| d.eq_ignore_ascii_case(action));
            if !literal_call && !allowed.contains(action) {
                allowed.push(action.clone());
            }
        }
    }
    let (mut granted, mut denied) = (Vec::new(), Vec::new());
    for (call, needs) in AUTHORISED_BY {
        if needs.iter().all(|a| holds(statements, a)) {
            granted.push(call);
        } else {
            denied.push(call);
        }
    }
    allowed.extend(granted.into_iter().map(str::to_owned));
    let mut out = Vec::new();
    if !allowed.is_empty() {
        out.push(json!({"Effect": "Allow", "Action": allowed, "Resource": "*"}));
    }
    if !denied.is_empty() {
        out.push(json!({"Effect": "Deny", "Action": denied, "Resource": "*"}));
    }
    json!({"Version": "2012-10-17", "Statement": out})
}

/// The names a test stack gives the template's resources and parameters.
#[derive(Clone, Debug)]
pub struct Stack {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub table: String,
    pub queue_url: String,
    pub dlq_url: String,
    /// Template parameters (`Stage`, `MaxReceiveCount`, ...).
    pub parameters: BTreeMap<String, String>,
}

impl Stack {
    fn queue_name(url: &str) -> &str {
        url.rsplit('/').next().unwrap_or(url)
    }

    fn reference(&self, name: &str) -> Result<String, String> {
        Ok(match name {
            "AWS::Partition" => self.partition.clone(),
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => self.account.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "SyncTable" => self.table.clone(),
            "SyncQueue" => self.queue_url.clone(),
            "SyncDeadLetterQueue" => self.dlq_url.clone(),
            other => self
                .parameters
                .get(other)
                .cloned()
                .ok_or_else(|| format!("no value for Ref {other}"))?,
        })
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, String> {
        let (p, r, a) = (&self.partition, &self.region, &self.account);
        let queue = |url: &str| match attribute {
            "Arn" => Ok(format!("arn:{p}:sqs:{r}:{a}:{}", Self::queue_name(url))),
            "QueueName" => Ok(Self::queue_name(url).to_owned()),
            "QueueUrl" => Ok(url.to_owned()),
            other => Err(format!("no attribute {other} of a queue")),
        };
        match (resource, attribute) {
            ("SyncTable", "Arn") => Ok(format!("arn:{p}:dynamodb:{r}:{a}:table/{}", self.table)),
            ("SyncQueue", _) => queue(&self.queue_url),
            ("SyncDeadLetterQueue", _) => queue(&self.dlq_url),
            _ => Err(format!("no value for GetAtt {resource}.{attribute}")),
        }
    }

    /// `${Name}`, `${Resource.Attribute}` and `${!Literal}` of an `Fn::Sub` string.
    fn substitute(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = vars.get(name) {
                out.push_str(value);
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(resource, attribute)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Resolves `Ref`, `Fn::GetAtt` and `Fn::Sub` everywhere in `value`; any other intrinsic
    /// function is an error (the suite never guesses a value).
    pub fn resolve(&self, value: &Value) -> Result<Value, String> {
        match value {
            Value::Array(items) => items.iter().map(|v| self.resolve(v)).collect(),
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => {
                        let name = arg.as_str().ok_or("Ref of a non-string")?;
                        Ok(Value::String(self.reference(name)?))
                    }
                    "Fn::GetAtt" => {
                        let (resource, attribute) = match arg {
                            Value::String(s) => s.split_once('.').ok_or("GetAtt without .")?,
                            Value::Array(pair) if pair.len() == 2 => (
                                pair[0].as_str().ok_or("GetAtt resource")?,
                                pair[1].as_str().ok_or("GetAtt attribute")?,
                            ),
                            other => return Err(format!("GetAtt of {other}")),
                        };
                        Ok(Value::String(self.attribute(resource, attribute)?))
                    }
                    "Fn::Sub" => {
                        let (text, vars) = match arg {
                            Value::String(s) => (s.as_str(), BTreeMap::new()),
                            Value::Array(pair) if pair.len() == 2 => {
                                let mut vars = BTreeMap::new();
                                for (name, v) in pair[1].as_object().ok_or("Sub variables")? {
                                    let v = self.resolve(v)?;
                                    let v = v.as_str().ok_or("Sub variable not a string")?;
                                    vars.insert(name.clone(), v.to_owned());
                                }
                                (pair[0].as_str().ok_or("Sub text")?, vars)
                            }
                            other => return Err(format!("Sub of {other}")),
                        };
                        Ok(Value::String(self.substitute(text, &vars)?))
                    }
                    other if other.starts_with("Fn::") || other == "Condition" => {
                        Err(format!("{other} is not resolved by the suite"))
                    }
                    _ => Ok(Value::Object(
                        [(key.clone(), self.resolve(arg)?)].into_iter().collect(),
                    )),
                }
            }
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.resolve(v)?)))
                .collect::<Result<serde_json::Map<_, _>, String>>()
                .map(Value::Object),
            other => Ok(other.clone()),
        }
    }
}

/// The SAM-expanded template (`scripts/expand-template.sh`).
pub struct Template(pub Value);

/// A function's role as the expanded template defines it.
pub struct Role {
    /// Inline policy documents, unresolved.
    pub inline: Vec<Value>,
    /// Managed policies SAM attaches (e.g. `AWSLambdaSQSQueueExecutionRole` for an SQS event).
    pub managed: Vec<String>,
}

impl Template {
    /// Reads the file `ZSYNC_EXPANDED_TEMPLATE` names. Fails (never skips): without it the suite
    /// would prove nothing about template.yaml.
    pub fn load() -> Template {
        let path = std::env::var("ZSYNC_EXPANDED_TEMPLATE").unwrap_or_default();
        assert!(
            !path.is_empty(),
            "ZSYNC_EXPANDED_TEMPLATE is not set: run scripts/test.sh, or \
             `scripts/expand-template.sh /tmp/expanded.json` and export it"
        );
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading the expanded template {path}: {e}"));
        Template(serde_json::from_str(&text).expect("the expanded template is JSON"))
    }

    fn resource(&self, logical_id: &str) -> &Value {
        let resource = &self.0["Resources"][logical_id];
        assert!(resource.is_object(), "no resource {logical_id} in template");
        resource
    }

    /// The role of the function `function` (a logical id such as `MapperFunction`).
    pub fn role(&self, function: &str) -> Role {
        let role_ref = &self.resource(function)["Properties"]["Role"]["Fn::GetAtt"];
        let role_id = role_ref[0]
            .as_str()
            .unwrap_or_else(|| panic!("{function}'s Role is not a GetAtt of a role: {role_ref}"));
        let properties = &self.resource(role_id)["Properties"];
        let inline = properties["Policies"]
            .as_array()
            .map(|p| p.iter().map(|p| p["PolicyDocument"].clone()).collect())
            .unwrap_or_default();
        let managed = properties["ManagedPolicyArns"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|arn| arn.as_str().expect("managed policy ARN").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        Role { inline, managed }
    }

    /// The function's environment variables that resolve for `stack` (those behind a
    /// condition, like `ZSYNC_PUBLIC_URL`, are left to the caller).
    pub fn environment(&self, function: &str, stack: &Stack) -> BTreeMap<String, String> {
        let vars = &self.resource(function)["Properties"]["Environment"]["Variables"];
        vars.as_object()
            .expect("the function has environment variables")
            .iter()
            .filter_map(|(name, value)| {
                let value = stack.resolve(value).ok()?;
                Some((name.clone(), value.as_str()?.to_owned()))
            })
            .collect()
    }

    /// Every function's logical id.
    pub fn functions(&self) -> Vec<String> {
        self.0["Resources"]
            .as_object()
            .expect("Resources")
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::Lambda::Function")
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(actions: &[&str]) -> Statement {
        Statement {
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources: vec!["arn:aws:sqs:us-east-1:1:q".into()],
            condition: Some(json!({"StringEquals": {"aws:SourceVpc": "vpc-1"}})),
        }
    }

    /// What moto decides for `action` under a translated document, by moto's own rules: a
    /// matching Deny wins, else a matching Allow (on `*`, no conditions) grants.
    fn moto_grants(document: &Value, action: &str) -> bool {
        let statements = document["Statement"].as_array().unwrap();
        let matches = |s: &Value| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| glob(a.as_str().unwrap(), action))
        };
        for s in statements {
            assert_eq!(s["Resource"], "*", "moto only judges the resource *");
            assert!(s.get("Condition").is_none(), "moto cannot judge conditions");
        }
        !statements
            .iter()
            .any(|s| s["Effect"] == "Deny" && matches(s))
            && statements
                .iter()
                .any(|s| s["Effect"] == "Allow" && matches(s))
    }

    #[test]
    fn batch_calls_are_granted_exactly_by_their_single_action() {
        for (call, single) in [
            ("sqs:SendMessageBatch", "sqs:SendMessage"),
            ("sqs:DeleteMessageBatch", "sqs:DeleteMessage"),
            (
                "sqs:ChangeMessageVisibilityBatch",
                "sqs:ChangeMessageVisibility",
            ),
            ("dynamodb:TransactGetItems", "dynamodb:GetItem"),
        ] {
            assert!(moto_grants(&to_moto(&[allow(&[single])]), call), "{call}");
            assert!(moto_grants(&to_moto(&[allow(&[single])]), single));
            assert!(!moto_grants(&to_moto(&[allow(&["sqs:GetQueueUrl"])]), call));
            // Named literally it is no IAM action, so it grants nothing.
            assert!(!moto_grants(&to_moto(&[allow(&[call])]), call), "{call}");
        }
    }

    #[test]
    fn a_wildcard_grants_a_batch_call_only_through_its_single_action() {
        let send = to_moto(&[allow(&["sqs:Send*"])]);
        assert!(moto_grants(&send, "sqs:SendMessageBatch"));
        // Matches the call's name but no real action: AWS denies, so must moto.
        let batch_only = to_moto(&[allow(&["sqs:SendMessageB*"])]);
        assert!(!moto_grants(&batch_only, "sqs:SendMessageBatch"));
        assert!(moto_grants(
            &to_moto(&[allow(&["sqs:*"])]),
            "sqs:DeleteMessageBatch"
        ));
        assert!(moto_grants(
            &to_moto(&[allow(&["SQS:sendmessage"])]),
            "sqs:SendMessageBatch"
        ));
    }

    #[test]
    fn transact_write_needs_every_item_action_and_batch_write_is_its_own_action() {
        let items = [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ];
        assert!(moto_grants(
            &to_moto(&[allow(&items)]),
            "dynamodb:TransactWriteItems"
        ));
        for left_out in items {
            let some: Vec<&str> = items.iter().copied().filter(|a| *a != left_out).collect();
            let document = to_moto(&[allow(&some)]);
            assert!(
                !moto_grants(&document, "dynamodb:TransactWriteItems"),
                "{left_out}"
            );
        }
        // Split over statements counts as held.
        let split = to_moto(&[allow(&items[..2]), allow(&items[2..])]);
        assert!(moto_grants(&split, "dynamodb:TransactWriteItems"));
        // BatchWriteItem is authorised by dynamodb:BatchWriteItem, not by PutItem/DeleteItem.
        assert!(!moto_grants(
            &to_moto(&[allow(&items)]),
            "dynamodb:BatchWriteItem"
        ));
        let batch = to_moto(&[allow(&["dynamodb:BatchWriteItem"])]);
        assert!(moto_grants(&batch, "dynamodb:BatchWriteItem"));
        assert!(!moto_grants(&batch, "dynamodb:PutItem"));
        assert!(!moto_grants(
            &to_moto(&[allow(&["dynamodb:GetItem"])]),
            "dynamodb:BatchGetItem"
        ));
    }

    #[test]
    fn resources_and_conditions_become_star_and_nothing_else_is_granted() {
        let document = to_moto(&[allow(&[
            "dynamodb:GetItem",
            "secretsmanager:GetSecretValue",
        ])]);
        assert!(moto_grants(&document, "dynamodb:GetItem"));
        assert!(moto_grants(&document, "secretsmanager:GetSecretValue"));
        for other in [
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "sqs:SendMessage",
            "secretsmanager:CreateSecret",
        ] {
            assert!(!moto_grants(&document, other), "{other}");
        }
        assert!(!moto_grants(&to_moto(&[]), "sqs:SendMessage"));
    }

    #[test]
    fn only_modelled_statements_are_accepted() {
        let ok = json!({"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"}]});
        assert_eq!(statements(&ok).unwrap()[0].actions, vec!["sqs:SendMessage"]);
        for bad in [
            json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": {"Fn::If": ["c", "a", "b"]}}]}),
        ] {
            assert!(statements(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn glob_follows_iam_wildcards() {
        assert!(glob("a*c", "abbbc") && glob("a*", "a") && glob("*", ""));
        assert!(glob("x-??????", "x-AbC123") && !glob("x-??????", "x-AbC12"));
        assert!(!glob("a*c", "abd") && !glob("abc", "abcd"));
        assert!(glob(
            "*/integrations/*/api-token-??????",
            "p/integrations/7/api-token-abcdef"
        ));
    }

    fn stack() -> Stack {
        Stack {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            table: "t1".into(),
            queue_url: "http://h/123456789012/q1".into(),
            dlq_url: "http://h/123456789012/q1-dlq".into(),
            parameters: [("Stage".to_owned(), "s1".to_owned())]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn resolves_ref_getatt_and_sub_and_refuses_the_rest() {
        let s = stack();
        let v = json!([
            {"Ref": "SyncTable"},
            {"Fn::GetAtt": ["SyncQueue", "Arn"]},
            {"Fn::GetAtt": "SyncDeadLetterQueue.Arn"},
            {"Fn::Sub": "${SyncTable.Arn}/index/*"},
            {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:zendesk-sync/${Stage}/x-${!Literal}"},
            {"Fn::Sub": ["${A}/${Stage}", {"A": {"Ref": "SyncQueue"}}]},
        ]);
        assert_eq!(
            s.resolve(&v).unwrap(),
            json!([
                "t1",
                "arn:aws:sqs:us-east-1:123456789012:q1",
                "arn:aws:sqs:us-east-1:123456789012:q1-dlq",
                "arn:aws:dynamodb:us-east-1:123456789012:table/t1/index/*",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:zendesk-sync/s1/x-${Literal}",
                "http://h/123456789012/q1/s1",
            ])
        );
        for bad in [
            json!({"Ref": "Unknown"}),
            json!({"Fn::If": ["c", 1, 2]}),
            json!({"Fn::GetAtt": ["SyncTable", "StreamArn"]}),
            json!({"Fn::Sub": "${Nope}"}),
        ] {
            assert!(s.resolve(&bad).is_err(), "{bad}");
        }
    }
}
