//! Plan → report: the summary, the changes grouped by resource, and the rollback plan.
//! Security and risks have their own modules.

use migrate_plan::{Action, ChangeKind, Plan};
use migrate_playbook::{CutoverStrategy, SourceKind};

use crate::model::{Compensation, Existing, Mark, ResourceChange, ResourceChanges, Summary};
use crate::timeline::StepKind;

/// How a plan change reads in the report; reads and waits are not changes. The match is
/// exhaustive on purpose: a new change kind (a delete, say) must decide how it is counted.
fn mark_of(kind: ChangeKind) -> Option<Mark> {
    match kind {
        ChangeKind::Create => Some(Mark::Create),
        ChangeKind::Modify => Some(Mark::Modify),
        ChangeKind::Read | ChangeKind::Wait => None,
    }
}

/// Whether a rollback can no longer restore the old side once the step has run. Every action of
/// today's plans has a compensation (the old side's clean-up is a separate command after the
/// soak), so none is; the exhaustive match makes a new action decide.
fn irreversible(action: &Action) -> bool {
    match action {
        Action::Preflight
        | Action::DiscoverSource
        | Action::CheckConnectionBudget
        | Action::ShrinkOldSide
        | Action::GrowNewSide
        | Action::CreateCluster
        | Action::CreateLogGroups { .. }
        | Action::RegisterTaskDefinition { .. }
        | Action::CreateServiceSecurityGroup
        | Action::CreateLoadBalancerSecurityGroup
        | Action::AllowLoadBalancerToService
        | Action::OpenDataStore { .. }
        | Action::CreateTargetGroup
        | Action::CreateBridgeTargetGroup
        | Action::CreateLoadBalancer
        | Action::CreateListener { .. }
        | Action::CopyLoadBalancerBehaviour
        | Action::CreateService { .. }
        | Action::CreateServiceScaling { .. }
        | Action::VerifyHealth
        | Action::LowerTtl
        | Action::CutoverDns
        | Action::ShiftWeight { .. }
        | Action::ShiftListenerWeight { .. }
        | Action::WatchNewSide { .. }
        | Action::Drain
        | Action::ScaleDownAutoScalingGroup
        | Action::ScaleDownOldService { .. }
        | Action::ScaleDownBeanstalkEnvironment
        | Action::StopOldInstances
        | Action::CreateAlarms => false,
    }
}

pub(crate) fn summary(plan: &Plan) -> Summary {
    let count = |wanted: Mark| {
        plan.steps
            .iter()
            .flat_map(|s| &s.changes)
            .filter(|c| mark_of(c.kind) == Some(wanted))
            .count()
    };
    Summary {
        to_create: count(Mark::Create),
        to_modify: count(Mark::Modify),
        // No change kind of a plan deletes anything (see `mark_of`).
        to_delete: 0,
        steps: plan.steps.len(),
        point_of_no_return: plan
            .steps
            .iter()
            .find(|s| irreversible(&s.action))
            .map(|s| s.id.clone()),
        source_to_target: source_to_target(plan),
    }
}

fn ramp_text(steps: &[u8]) -> String {
    steps
        .iter()
        .map(|w| format!("{w}%"))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn source_to_target(plan: &Plan) -> String {
    let playbook = &plan.playbook;
    let source = &playbook.source;
    let from = match source.kind {
        SourceKind::EcsEc2 => {
            let mut text = format!(
                "ECS on EC2 (cluster {}, service{} {}",
                source.ecs_cluster.as_deref().unwrap_or("(discovered)"),
                if source.ecs_services.len() == 1 {
                    ""
                } else {
                    "s"
                },
                list(&source.ecs_services)
            );
            if let Some(asg) = &source.auto_scaling_group {
                text.push_str(&format!(
                    "; container instances in Auto Scaling group {asg}"
                ));
            }
            text.push(')');
            text
        }
        SourceKind::Asg => format!(
            "the Auto Scaling group {}",
            source
                .auto_scaling_group
                .as_deref()
                .unwrap_or("(discovered)")
        ),
        SourceKind::Beanstalk => format!(
            "the Elastic Beanstalk environment {}",
            source
                .beanstalk_environment
                .as_deref()
                .unwrap_or("(discovered)")
        ),
        SourceKind::Ec2 if source.instances.is_empty() => {
            "the plain EC2 instances behind the old load balancer (discovered)".to_string()
        }
        SourceKind::Ec2 => format!("the plain EC2 instances {}", list(&source.instances)),
    };
    let behind = source.load_balancer.as_deref().map_or_else(
        || "its load balancer (discovered)".to_string(),
        |lb| format!("load balancer {lb}"),
    );
    let services: Vec<String> = playbook
        .target
        .services
        .iter()
        .map(|s| {
            format!(
                "{} ({} task{}{})",
                s.name,
                s.desired_count,
                if s.desired_count == 1 { "" } else { "s" },
                if s.web.is_some() {
                    format!(" behind the new load balancer {}", plan.names.load_balancer)
                } else {
                    String::new()
                }
            )
        })
        .collect();
    let cutover = match &playbook.cutover.strategy {
        CutoverStrategy::Alias => "switched by one Route53 alias change".to_string(),
        CutoverStrategy::Weighted { steps, .. } => {
            format!("moved by weighted records ({})", ramp_text(steps))
        }
        CutoverStrategy::Listener { steps, .. } => format!(
            "moved on the old load balancer's listeners by weighted forwards ({}), then switched \
             by one Route53 alias change",
            ramp_text(steps)
        ),
    };
    let region = playbook
        .region
        .as_deref()
        .map_or_else(String::new, |r| format!(" in {r}"));
    format!(
        "Moves `{}` from {from} behind {behind} onto ECS Fargate (cluster {}: {}){region}; \
         {} is {cutover}.",
        plan.name,
        plan.names.cluster,
        list(&services),
        playbook.cutover.record
    )
}

/// What the playbook says exists, for the section that would show the snapshot.
pub(crate) fn existing_offline(plan: &Plan, because: Option<&str>) -> Existing {
    let playbook = &plan.playbook;
    let source = &playbook.source;
    let mut declared = vec![format!("source kind: {}", source.kind.as_str())];
    if let Some(lb) = &source.load_balancer {
        declared.push(format!("load balancer {lb}"));
    }
    if let Some(asg) = &source.auto_scaling_group {
        declared.push(format!("Auto Scaling group {asg}"));
    }
    if let Some(cluster) = &source.ecs_cluster {
        declared.push(format!(
            "ECS cluster {cluster} with {}",
            list(&source.ecs_services)
        ));
    }
    if let Some(env) = &source.beanstalk_environment {
        declared.push(format!("Beanstalk environment {env}"));
    }
    declared.push(format!("DNS record {}", playbook.cutover.record));
    for store in &playbook.network.data_stores {
        declared.push(format!(
            "data store {} ({:?}, group {}, port {})",
            store.name, store.kind, store.security_group, store.port
        ));
    }
    Existing::NotRead {
        reason: format!(
            "The account was not read ({}): capacity, listeners, records and data-store rules as \
             they are now are unknown. The playbook declares the old side as listed; risks that \
             need the account say so.",
            because.unwrap_or("offline plan")
        ),
        declared,
    }
}

/// Groups every create and modify by the resource it touches, in plan order. A task definition's
/// translation edits (`… (from taskdefs/web.json)`) belong to the definition they edit.
pub(crate) fn changes(plan: &Plan) -> Vec<ResourceChanges> {
    let mut groups: Vec<ResourceChanges> = Vec::new();
    for step in &plan.steps {
        for change in &step.changes {
            let Some(mark) = mark_of(change.kind) else {
                continue;
            };
            let resource = change
                .resource
                .split_once(" (from ")
                .map_or(change.resource.as_str(), |(head, _)| head);
            let entry = ResourceChange {
                step: step.id.clone(),
                mark,
                detail: change.detail.clone(),
            };
            match groups.iter_mut().find(|g| g.resource == resource) {
                Some(group) => {
                    if mark == Mark::Create {
                        group.mark = Mark::Create;
                    }
                    group.changes.push(entry);
                }
                None => groups.push(ResourceChanges {
                    resource: resource.to_string(),
                    mark,
                    changes: vec![entry],
                }),
            }
        }
    }
    groups
}

/// The compensations of every step that changes something, newest first, as a rollback after
/// the last step would run them.
pub(crate) fn rollback(plan: &Plan) -> Vec<Compensation> {
    plan.steps
        .iter()
        .rev()
        .filter(|s| s.changes_account())
        .map(|s| Compensation {
            step: s.id.clone(),
            undo: s.undo.clone(),
        })
        .collect()
}

/// How a step is drawn: creating, changing, or waiting and reading.
pub(crate) fn step_kind(plan: &Plan, step: &str) -> StepKind {
    let marks: Vec<Mark> = plan
        .step(step)
        .map(|s| s.changes.iter().filter_map(|c| mark_of(c.kind)).collect())
        .unwrap_or_default();
    if marks.contains(&Mark::Create) {
        StepKind::Create
    } else if marks.contains(&Mark::Modify) {
        StepKind::Modify
    } else {
        StepKind::Wait
    }
}
