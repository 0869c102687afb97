//! The old side's running task definitions: translated for a service whose playbook gives no
//! file (ECS-on-EC2 sources), and compared with the ones the plan registers.

use std::collections::BTreeMap;

use migrate_playbook::{Playbook, RUNNING_TASK_DEFINITION};

use crate::sizing::old_service_for;
use crate::snapshot::Snapshot;

/// Why a plan cannot be made from the playbook and the account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "service {service} gives no task_definition: plan online (without --offline) so that \
         migrate translates the one its old ECS service runs now, or give a file in \
         target.services[].task_definition"
    )]
    NeedsTheAccount { service: String },
    #[error(
        "service {service} gives no task_definition, and no old ECS service of the playbook \
         ({old}) pairs with it (same name, `<prefix>-{service}`, or the same position); give a \
         file in target.services[].task_definition"
    )]
    NoOldService { service: String, old: String },
    #[error("service {service}: the task definition {arn} that {old} runs could not be read")]
    NotRead {
        service: String,
        old: String,
        arn: String,
    },
    #[error("service {service}: the task definition {arn} that {old} runs cannot be planned: {problems}")]
    Untranslatable {
        service: String,
        old: String,
        arn: String,
        problems: String,
    },
    #[error(
        "the new load balancer cannot behave as the old one: {parts}; acknowledge each part by \
         its name in target.load_balancer.acknowledge to create the new load balancer without it"
    )]
    Uncopyable { parts: String },
    #[error("the connection budget: {0}")]
    OverBudget(String),
}

/// Refuses, with the numbers, a plan whose overlap no sequence keeps within a data store's
/// `max_connections`, with the old side as the snapshot read it (apply checks again in
/// `check-connection-budget`, with the old side as it runs then).
pub fn check_connection_budget(playbook: &Playbook, snapshot: &Snapshot) -> Result<(), PlanError> {
    let Some(groups) = crate::budget::old_groups_from_snapshot(playbook, snapshot) else {
        return Ok(());
    };
    crate::budget::plan(playbook, &groups)
        .map(|_| ())
        .map_err(PlanError::OverBudget)
}

/// Refuses a plan whose old load balancer has parts the new one cannot be given and that the
/// playbook does not acknowledge (when the account was read: an offline plan is checked by the
/// step that copies).
pub fn check_behaviour_copy(playbook: &Playbook, snapshot: &Snapshot) -> Result<(), PlanError> {
    let Some(behaviour) = &snapshot.load_balancer_behaviour else {
        return Ok(());
    };
    crate::behaviour::copy_listeners(
        behaviour,
        &playbook.target.load_balancer.acknowledge,
        "the new target group",
    )
    .map(|_| ())
    .map_err(|problems| PlanError::Uncopyable {
        parts: problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })
}

/// The services whose task definition is to be read from the account: the playbook gives none.
pub fn services_needing_the_account(playbook: &Playbook) -> Vec<String> {
    playbook
        .target
        .services
        .iter()
        .filter(|s| s.task_definition_origin == RUNNING_TASK_DEFINITION)
        .map(|s| s.name.clone())
        .collect()
}

/// Whether a service's task definition comes from the account, read now or at an earlier plan
/// (`migrate apply --refresh` translates it again).
fn from_the_account(origin: &str) -> bool {
    origin.starts_with(RUNNING_TASK_DEFINITION)
}

/// `playbook` with every service that gives no task-definition file filled from the task
/// definition its old service runs in `snapshot`, translated as validation translates a file.
pub fn fill_running(playbook: &Playbook, snapshot: &Snapshot) -> Result<Playbook, PlanError> {
    let mut filled = playbook.clone();
    let old_names = || {
        snapshot
            .old_services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for service in filled
        .target
        .services
        .iter_mut()
        .filter(|s| from_the_account(&s.task_definition_origin))
    {
        let name = service.name.clone();
        let old =
            old_service_for(playbook, snapshot, &name).ok_or_else(|| PlanError::NoOldService {
                service: name.clone(),
                old: old_names(),
            })?;
        let definition = old
            .task_definition
            .as_ref()
            .ok_or_else(|| PlanError::NotRead {
                service: name.clone(),
                old: old.name.clone(),
                arn: old.task_definition_arn.clone(),
            })?;
        let untranslatable = |problems: String| PlanError::Untranslatable {
            service: name.clone(),
            old: old.name.clone(),
            arn: old.task_definition_arn.clone(),
            problems,
        };
        let (definition, changes, log_groups) = migrate_playbook::translate_running(
            playbook,
            &name,
            &old.task_definition_arn,
            definition,
        )
        .map_err(|problems| {
            untranslatable(
                problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        if let Some(web) = &service.web {
            let containers = images(&definition);
            if !containers.contains_key(&web.container) {
                return Err(untranslatable(format!(
                    "it has no container `{}` (it has: {})",
                    web.container,
                    containers.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        service.task_definition = definition;
        service.task_definition_changes = changes;
        service.log_groups = log_groups;
        service.task_definition_origin = format!(
            "{RUNNING_TASK_DEFINITION} of {} ({})",
            old.name, old.task_definition_arn
        );
    }
    Ok(filled)
}

/// Each container's image in a task definition (`containerDefinitions[].name/image`).
pub fn images(task_definition: &serde_json::Value) -> BTreeMap<String, String> {
    task_definition
        .get("containerDefinitions")
        .and_then(serde_json::Value::as_array)
        .map(|containers| {
            containers
                .iter()
                .filter_map(|c| {
                    Some((
                        c.get("name")?.as_str()?.to_string(),
                        c.get("image")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// For each playbook service paired with an old service, how the images of the task definition
/// the plan registers differ from the ones running now, one sentence per container.
pub fn image_differences(
    playbook: &Playbook,
    snapshot: &Snapshot,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for service in &playbook.target.services {
        let Some(old) = old_service_for(playbook, snapshot, &service.name) else {
            continue;
        };
        let planned = images(&service.task_definition);
        let mut differences = Vec::new();
        for (container, image) in &planned {
            match old.images.get(container) {
                Some(running) if running != image => differences.push(format!(
                    "container {container}: the plan registers image {image}, {} runs {running}",
                    old.name
                )),
                Some(_) => {}
                None => differences.push(format!(
                    "container {container} ({image}) is not in the running task definition of {}",
                    old.name
                )),
            }
        }
        for (container, running) in old.images.iter().filter(|(c, _)| !planned.contains_key(*c)) {
            differences.push(format!(
                "container {container} ({running}) runs in {} but is not in the plan's task definition",
                old.name
            ));
        }
        if !differences.is_empty() {
            out.insert(service.name.clone(), differences);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ServiceSnapshot;

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The demo playbook with no task-definition file for web: what `ecs-ec2` users may write.
    fn playbook_without_the_web_file() -> Playbook {
        let text = std::fs::read_to_string(root().join("playbooks/demo.yaml"))
            .unwrap()
            .replace("      task_definition: taskdefs/web.json\n", "");
        let dir = root().join("playbooks");
        let files = migrate_playbook::Directory(&dir);
        Playbook::from_yaml(&text, "demo.yaml without web's file", &files).unwrap()
    }

    /// The old web service running the demo's web task definition (as ECS describes it).
    fn running_web() -> ServiceSnapshot {
        let definition: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("playbooks/taskdefs/web.json")).unwrap(),
        )
        .unwrap();
        ServiceSnapshot {
            name: "shop-web".into(),
            desired: 2,
            running: 2,
            task_definition_arn:
                "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/shop-web-ec2:7".into(),
            task_cpu: None,
            task_memory_mib: Some(1024),
            images: images(&definition),
            task_definition: Some(definition),
        }
    }

    #[test]
    fn a_service_without_a_file_is_planned_from_the_running_task_definition() {
        let playbook = playbook_without_the_web_file();
        assert_eq!(services_needing_the_account(&playbook), vec!["web"]);
        let offline = crate::build(&playbook);
        assert!(offline.playbook.target.services[0]
            .task_definition
            .is_null());

        let snapshot = Snapshot {
            old_services: vec![running_web()],
            ..Snapshot::default()
        };
        let plan = crate::build_with_account(&playbook, snapshot.clone()).unwrap();
        // The id is the playbook's: reading the account does not make another plan.
        assert_eq!(plan.id, offline.id);
        let web = &plan.playbook.target.services[0];
        assert_eq!(web.task_definition["requiresCompatibilities"][0], "FARGATE");
        assert!(web
            .task_definition_origin
            .starts_with("the running task definition of shop-web (arn:aws:ecs:"));
        assert!(!web.task_definition_changes.is_empty());
        // Its log groups are created like a given file's.
        assert!(!web.log_groups.is_empty());
        assert!(plan.steps.iter().any(|s| s.id == "create-log-groups"));
        // The same images as the running ones: no difference to report.
        assert!(plan
            .snapshot
            .as_ref()
            .unwrap()
            .task_definition_differences
            .is_empty());
        // The running definition itself is not kept in the plan (it may hold secrets).
        assert!(plan
            .snapshot
            .as_ref()
            .unwrap()
            .old_services
            .iter()
            .all(|s| s.task_definition.is_none()));
        // A refresh translates it again and keeps the id.
        let again = plan.replan(snapshot).unwrap();
        assert_eq!(again.id, plan.id);
        assert_eq!(again.playbook, plan.playbook);
    }

    #[test]
    fn a_service_without_a_file_and_no_running_definition_is_an_error_naming_it() {
        let playbook = playbook_without_the_web_file();
        let none = crate::build_with_account(&playbook, Snapshot::default()).unwrap_err();
        assert!(matches!(&none, PlanError::NoOldService { service, .. } if service == "web"));
        let unread = Snapshot {
            old_services: vec![ServiceSnapshot {
                task_definition: None,
                ..running_web()
            }],
            ..Snapshot::default()
        };
        let error = crate::build_with_account(&playbook, unread).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("shop-web-ec2:7 that shop-web runs could not be read"),
            "{error}"
        );
        let offline = PlanError::NeedsTheAccount {
            service: "web".into(),
        };
        assert!(offline
            .to_string()
            .contains("plan online (without --offline)"));
    }

    #[test]
    fn images_that_differ_from_the_running_ones_are_named() {
        let playbook = crate::tests::demo_playbook();
        let web = &playbook.target.services[0];
        let planned = images(&web.task_definition);
        let (container, image) = planned.iter().next().unwrap();
        let mut running = planned.clone();
        running.insert(container.clone(), format!("{image}-old"));
        running.insert("sidecar".into(), "envoy:1".into());
        let snapshot = Snapshot {
            old_services: vec![ServiceSnapshot {
                name: "shop-web".into(),
                desired: 2,
                running: 2,
                task_definition_arn: "arn:td/shop-web:3".into(),
                task_cpu: None,
                task_memory_mib: None,
                images: running,
                task_definition: None,
            }],
            ..Snapshot::default()
        };
        let differences = image_differences(&playbook, &snapshot);
        let web_differences = &differences["web"];
        assert_eq!(web_differences.len(), 2, "{web_differences:?}");
        assert!(web_differences[0].contains(&format!("shop-web runs {image}-old")));
        assert!(web_differences[1].contains("sidecar (envoy:1) runs in shop-web"));
        // The same images make no difference.
        let mut same = snapshot.clone();
        same.old_services[0].images = planned;
        assert!(image_differences(&playbook, &same).is_empty());
    }

    #[test]
    fn an_old_rule_that_cannot_be_copied_is_a_plan_error_unless_acknowledged() {
        use crate::behaviour::{
            ListenerBehaviour, ListenerRule, LoadBalancerBehaviour, RuleAction, RuleCondition,
            TargetGroupBehaviour, WeightedTargetGroup,
        };
        let forward = |arn: &str| RuleAction::Forward {
            target_groups: vec![WeightedTargetGroup {
                arn: arn.into(),
                weight: None,
            }],
            stickiness_secs: None,
        };
        let old_tg = "arn:aws:elasticloadbalancing:r:1:targetgroup/old/1";
        let admin_tg = "arn:aws:elasticloadbalancing:r:1:targetgroup/admin/2";
        let behaviour = LoadBalancerBehaviour {
            listeners: vec![ListenerBehaviour {
                port: 80,
                protocol: "HTTP".into(),
                ssl_policy: None,
                default_certificate: None,
                sni_certificates: vec![],
                default_actions: vec![forward(old_tg)],
                rules: vec![ListenerRule {
                    priority: 7,
                    conditions: vec![RuleCondition {
                        field: "path-pattern".into(),
                        http_header_name: None,
                        values: vec!["/admin*".into()],
                    }],
                    actions: vec![forward(admin_tg)],
                }],
            }],
            target_group: Some(TargetGroupBehaviour {
                arn: old_tg.into(),
                attributes: std::collections::BTreeMap::new(),
                health_check: None,
            }),
            ..LoadBalancerBehaviour::default()
        };
        let snapshot = Snapshot {
            load_balancer_behaviour: Some(behaviour),
            ..Snapshot::default()
        };
        let mut playbook = playbook_without_the_web_file();
        let error = check_behaviour_copy(&playbook, &snapshot).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("HTTP:80 rule 7"), "{message}");
        assert!(message.contains(admin_tg), "{message}");
        assert!(!message.contains("HTTP:80 default"), "{message}");
        playbook.target.load_balancer.acknowledge = vec!["HTTP:80 rule 7".into()];
        let acknowledged = check_behaviour_copy(&playbook, &snapshot);
        assert!(acknowledged.is_ok(), "{acknowledged:?}");
        // A snapshot without the behaviour (an offline plan) is left to the step.
        assert!(check_behaviour_copy(&playbook, &Snapshot::default()).is_ok());
    }
}
