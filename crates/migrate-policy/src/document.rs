//! The policy document: statements merged by `Sid`, rendered as IAM JSON in a fixed order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

/// The only policy language version IAM accepts for documents that use policy variables and
/// condition operators; `2008-10-17` is legacy.
pub const POLICY_VERSION: &str = "2012-10-17";

/// A condition block: operator (`StringEquals`, …) → condition key → allowed values.
pub type Condition = BTreeMap<&'static str, BTreeMap<String, BTreeSet<String>>>;

/// One `Allow` statement. Statements with the same `Sid` are merged: their actions and
/// resources are united, so a `Sid` must always come with the same condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: &'static str,
    pub actions: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    pub condition: Condition,
}

impl Statement {
    pub(crate) fn new(sid: &'static str) -> Self {
        Self {
            sid,
            actions: BTreeSet::new(),
            resources: BTreeSet::new(),
            condition: Condition::new(),
        }
    }

    pub(crate) fn actions<I, S>(mut self, actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    pub(crate) fn resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources.extend(resources.into_iter().map(Into::into));
        self
    }

    pub(crate) fn when<I, S>(
        mut self,
        operator: &'static str,
        key: impl Into<String>,
        values: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.condition
            .entry(operator)
            .or_default()
            .entry(key.into())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("Sid".into(), json!(self.sid));
        out.insert("Effect".into(), json!("Allow"));
        out.insert("Action".into(), json!(self.actions));
        out.insert("Resource".into(), json!(self.resources));
        if !self.condition.is_empty() {
            let condition: Map<String, Value> = self
                .condition
                .iter()
                .map(|(operator, keys)| {
                    let keys: Map<String, Value> = keys
                        .iter()
                        .map(|(key, values)| (key.clone(), json!(values)))
                        .collect();
                    ((*operator).to_string(), Value::Object(keys))
                })
                .collect();
            out.insert("Condition".into(), Value::Object(condition));
        }
        Value::Object(out)
    }
}

/// A whole policy: one statement per concern, in `Sid` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyDocument {
    statements: BTreeMap<&'static str, Statement>,
}

impl PolicyDocument {
    pub(crate) fn add(&mut self, statement: Statement) {
        match self.statements.get_mut(statement.sid) {
            Some(existing) => {
                existing.actions.extend(statement.actions);
                existing.resources.extend(statement.resources);
                for (operator, keys) in statement.condition {
                    let target = existing.condition.entry(operator).or_default();
                    for (key, values) in keys {
                        target.entry(key).or_default().extend(values);
                    }
                }
            }
            None => {
                self.statements.insert(statement.sid, statement);
            }
        }
    }

    pub fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.values()
    }

    pub fn statement(&self, sid: &str) -> Option<&Statement> {
        self.statements.get(sid)
    }

    /// Every action named in the document (wildcards as written), sorted.
    pub fn actions(&self) -> BTreeSet<&str> {
        self.statements
            .values()
            .flat_map(|s| s.actions.iter().map(String::as_str))
            .collect()
    }

    /// Whether some statement names `action` (`ecs:CreateCluster`), a wildcard such as
    /// `ec2:Describe*` included. IAM compares action names without regard to case.
    pub fn allows_action(&self, action: &str) -> bool {
        self.actions()
            .iter()
            .any(|pattern| wildcard_match(pattern, action))
    }

    pub fn to_json(&self) -> Value {
        json!({
            "Version": POLICY_VERSION,
            "Statement": self.statements.values().map(Statement::to_json).collect::<Vec<_>>(),
        })
    }

    /// The document as IAM takes it (`aws iam create-policy --policy-document file://…`).
    pub fn to_json_pretty(&self) -> String {
        // Serialising a `Value` built from strings cannot fail; the fallback keeps that
        // certainty out of a panic.
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }
}

/// IAM's action matching: `*` matches any run of characters, `?` one; case-insensitive.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let name: Vec<char> = name.to_ascii_lowercase().chars().collect();
    // Classic two-pointer glob with backtracking to the last star.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard_match(
            "ec2:Describe*",
            "ec2:DescribeSecurityGroups"
        ));
        assert!(wildcard_match(
            "ec2:describe*",
            "EC2:DescribeSecurityGroups"
        ));
        assert!(wildcard_match("ecs:CreateCluster", "ecs:CreateCluster"));
        assert!(!wildcard_match("ecs:CreateCluster", "ecs:CreateClusters"));
        assert!(!wildcard_match("ec2:Describe*", "ec2:CreateSecurityGroup"));
        assert!(wildcard_match("s3:*Object", "s3:GetObject"));
        assert!(wildcard_match("ecs:Describe?asks", "ecs:DescribeTasks"));
    }

    #[test]
    fn statements_with_one_sid_merge() {
        let mut doc = PolicyDocument::default();
        doc.add(Statement::new("A").actions(["x:One"]).resources(["r1"]));
        doc.add(
            Statement::new("A")
                .actions(["x:Two"])
                .resources(["r1", "r2"]),
        );
        let a = doc.statement("A").unwrap();
        assert_eq!(a.actions.len(), 2);
        assert_eq!(a.resources.len(), 2);
        assert_eq!(doc.statements().count(), 1);
    }
}
