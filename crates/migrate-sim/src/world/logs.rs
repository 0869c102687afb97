//! CloudWatch Logs as the world holds it: the log groups the tasks' awslogs driver writes to.
//!
//! A Fargate task whose task definition names an awslogs group that does not exist never
//! starts, unless the definition sets `awslogs-create-group: "true"` (default false): ECS stops
//! it with `ResourceInitializationError: failed to validate logger args: ... The specified log
//! group does not exist.` Moto starts no task and so cannot show this; the simulator does, so
//! that a rehearsal fails where AWS would. Sources: the `awslogs-create-group` option ("If this
//! option isn't specified, it defaults to false") in the ECS `LogConfiguration` reference,
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LogConfiguration.html> (found
//! as its SDK copy, <https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ecs/aws.sdk.kotlin.services.ecs.model/-log-configuration/options.html>);
//! and ECS's troubleshooting page for the stopped reason,
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html>
//! (not in our search corpus: the reason's wording follows the stopped reasons users quote).

use std::collections::BTreeMap;

use migrate_engine::ports::Tags;

#[derive(Debug, Clone)]
pub(crate) struct LogGroupRec {
    pub name: String,
    pub retention_days: Option<u32>,
    pub tags: Tags,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Logs {
    pub groups: BTreeMap<String, LogGroupRec>,
}

/// Why a task running `definition` cannot start for want of a log group, as ECS words it; `None`
/// when every awslogs group it names exists or is created by the driver itself.
pub(crate) fn missing_log_group(logs: &Logs, definition: &serde_json::Value) -> Option<String> {
    let containers = definition["containerDefinitions"].as_array()?;
    containers.iter().find_map(|container| {
        let log = &container["logConfiguration"];
        if log["logDriver"] != "awslogs" {
            return None;
        }
        let options = &log["options"];
        let group = options["awslogs-group"].as_str()?;
        if options["awslogs-create-group"] == "true" || logs.groups.contains_key(group) {
            return None;
        }
        Some(format!(
            "ResourceInitializationError: failed to validate logger args: create stream has been \
             retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: \
             The specified log group does not exist. : exit status 1 (container {}, log group {group})",
            container["name"].as_str().unwrap_or("?")
        ))
    })
}
