//! The least-privilege IAM policy a migration plan needs.
//!
//! Every planned [`Action`](migrate_plan::Action) maps to the IAM actions its forward action,
//! its reconciliation and its compensation call, scoped to the resources the plan names (ECS
//! cluster, services and task-definition families; the load balancer, listeners and target
//! group; the alarms; the old Auto Scaling group and services; the hosted zone and record) and,
//! where AWS evaluates tags, to the plan's `migrate:plan-id` tag (`aws:RequestTag` on creates,
//! `aws:ResourceTag` on deletes of resources whose id is known only at run time). A playbook
//! with a `state:` adds what the S3 state backend needs.
//!
//! Action names, resource types and condition keys follow the Service Authorization Reference
//! ("Actions, resources, and condition keys for …"):
//! - ECS: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html>
//!   and tag-on-create with `ecs:CreateAction`:
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html>
//! - ELBv2: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html>
//!   and tag-on-create with `elasticloadbalancing:CreateAction`:
//!   <https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/tagging-resources-during-creation.html>
//! - EC2 (`ec2:CreateAction` on `ec2:CreateTags`): <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html>
//! - Route53 (`route53:ChangeResourceRecordSetsNormalizedRecordNames`): <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html>
//! - Auto Scaling: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html>
//! - CloudWatch: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html>
//! - Elastic Beanstalk: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticbeanstalk.html>
//! - S3: <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>
//! - IAM (`iam:PassedToService`, `iam:AWSServiceName`): <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>
//!
//! The ARNs use the `aws` partition and any account (`*`): the policy is written before anyone
//! says which account it is attached in.

mod cleanup;
mod document;
mod needs;

use migrate_plan::Plan;

pub use cleanup::cleanup_policy;
pub use document::{wildcard_match, Condition, PolicyDocument, Statement, POLICY_VERSION};
pub use needs::TAG_PLAN_ID;

/// The policy the plan's steps, their undo and its state backend need.
pub fn policy(plan: &Plan) -> PolicyDocument {
    let scope = needs::Scope::new(plan);
    let mut document = PolicyDocument::default();
    for step in &plan.steps {
        for statement in needs::needs(&step.action, &scope) {
            document.add(statement);
        }
    }
    if let Some(url) = &plan.playbook.state {
        for statement in state_backend(url) {
            document.add(statement);
        }
    }
    document
}

/// What the S3 state backend calls: GetObject, PutObject (conditional writes), DeleteObject (the
/// lock's release) on the objects under the prefix, and ListBucket on the bucket, without which
/// S3 answers a missing object with 403 instead of 404 and a fresh state cannot be told apart
/// from a refusal. ListBucket has no `s3:prefix` condition: the 404-or-403 decision on a GET is
/// made without a prefix in the request context, so such a condition would never match it.
fn state_backend(url: &str) -> Vec<Statement> {
    // The playbook's validation has already checked the URL's form; what is not `s3://` here
    // is a local path, which needs no policy.
    let Some(rest) = url.strip_prefix("s3://") else {
        return Vec::new();
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_matches('/');
    let objects = if prefix.is_empty() {
        format!("arn:aws:s3:::{bucket}/*")
    } else {
        format!("arn:aws:s3:::{bucket}/{prefix}/*")
    };
    vec![
        Statement::new("StateObjects")
            .actions(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
            .resources([objects]),
        Statement::new("StateBucketListing")
            .actions(["s3:ListBucket"])
            .resources([format!("arn:aws:s3:::{bucket}")]),
    ]
}

#[cfg(test)]
mod tests;
