//! Reads what the checks need. Only reads: nothing here changes the account.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use migrate_playbook::{Playbook, SourceKind};

use super::{role_name, Facts, PermissionFact, RoleFact, ECS_SERVICE_LINKED_ROLE};
use crate::ports::{CallerIdentity, Cloud, CloudError, CloudResult, ErrorKind};

/// How many times a read is tried when it fails transiently (throttling, a 5xx, a time-out), and
/// the wait before the second try; each further wait doubles (0.2 s to 3.2 s, 6.2 s in all). The
/// preflight reads outside the step machine's per-call retry (`migrate preflight` runs it
/// without a step), so it retries its reads itself, on the cloud's clock: one throttled read of
/// a dozen must not fail the whole check, nor restart it. The [`lenient`] reads are not retried:
/// their failure is only a warning, and an endpoint that answers them with a 5xx every time
/// (moto's `SimulatePrincipalPolicy`) would hold the preflight up for nothing.
const READ_ATTEMPTS: u32 = 6;
const FIRST_WAIT: Duration = Duration::from_millis(200);

/// `call`, tried again after a transient failure; any other answer (and the last) as it came.
async fn read<T, F, Fut>(cloud: &Cloud, mut call: F) -> CloudResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = CloudResult<T>>,
{
    let mut wait = FIRST_WAIT;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if e.kind.is_transient() && attempt < READ_ATTEMPTS => {
                cloud.clock.sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A read whose failure is a finding rather than the end of the preflight. Transient errors and
/// interruptions are still returned, so that the caller retries or stops.
fn soft<T>(result: CloudResult<T>) -> Result<Result<T, String>, CloudError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(e) if e.kind.is_transient() || e.kind == ErrorKind::Interrupted => Err(e),
        Err(e) => Ok(Err(format!("{} failed: {}", e.operation, e.message))),
    }
}

/// A read that only informs a warning (a simulation, the quota): every failure but an
/// interruption is its answer, so that a service the caller cannot reach (or that the endpoint
/// does not implement) does not hold the preflight up.
fn lenient<T>(result: CloudResult<T>) -> Result<Result<T, String>, CloudError> {
    match result {
        Err(e) if e.kind == ErrorKind::Interrupted => Err(e),
        other => soft(other.map_err(|mut e| {
            if e.kind.is_transient() {
                e.kind = ErrorKind::Other;
            }
            e
        })),
    }
}

pub async fn gather(cloud: &Cloud, playbook: &Playbook) -> Result<Facts, CloudError> {
    let account = &cloud.account;
    let caller = read(cloud, || account.caller_identity()).await?;

    let mut roles = BTreeMap::new();
    for reference in super::role_references(playbook) {
        let fact = role_fact(cloud, &caller, &reference).await?;
        roles.insert(reference, fact);
    }

    let mut permissions = Vec::new();
    for service in &playbook.target.services {
        let Some(role) = service.task_definition["executionRoleArn"].as_str() else {
            continue;
        };
        let Some(RoleFact::Found { arn }) = roles.get(role) else {
            continue;
        };
        for need in needs_of(&caller, playbook, &service.task_definition) {
            let evaluations = lenient(account.simulate(arn, &need.actions, &need.resource).await)?;
            permissions.push(PermissionFact {
                role: role.to_string(),
                resource: need.resource,
                purpose: need.purpose,
                evaluations,
            });
        }
    }

    let service_linked_role =
        match soft(read(cloud, || account.find_role(ECS_SERVICE_LINKED_ROLE)).await)? {
            Ok(Some(role)) => RoleFact::Found { arn: role.arn },
            Ok(None) => RoleFact::Missing,
            Err(why) => RoleFact::Unchecked(why),
        };

    let network = &playbook.network;
    let mut subnet_ids = network.subnets.clone();
    for id in &network.load_balancer_subnets {
        if !subnet_ids.contains(id) {
            subnet_ids.push(id.clone());
        }
    }
    let subnets = soft(read(cloud, || account.subnets(&subnet_ids)).await)?;
    let route_tables = soft(read(cloud, || account.route_tables(&network.vpc)).await)?;
    let endpoints = soft(read(cloud, || account.vpc_endpoints(&network.vpc)).await)?;
    let vcpu_quota = lenient(account.fargate_vcpu_quota().await)?;
    let instance_profile = instance_profile(cloud, playbook).await?;

    Ok(Facts {
        caller,
        roles,
        permissions,
        service_linked_role,
        subnets,
        route_tables,
        endpoints,
        vcpu_quota,
        instance_profile,
    })
}

async fn role_fact(
    cloud: &Cloud,
    caller: &CallerIdentity,
    reference: &str,
) -> Result<RoleFact, CloudError> {
    if reference.starts_with("arn:") {
        let account = reference.split(':').nth(4).unwrap_or_default();
        if account != caller.account {
            return Ok(RoleFact::Unchecked(format!(
                "it is in account {account}, not in the caller's account {}",
                caller.account
            )));
        }
    }
    Ok(
        match soft(read(cloud, || cloud.account.find_role(role_name(reference))).await)? {
            Ok(Some(role)) => RoleFact::Found { arn: role.arn },
            Ok(None) => RoleFact::Missing,
            Err(why) => RoleFact::Unchecked(why),
        },
    )
}

/// What an execution role must be allowed to do on one resource.
pub(super) struct Need {
    pub actions: Vec<String>,
    pub resource: String,
    pub purpose: String,
}

/// What the execution role of `definition` needs: read each secret it injects, decrypt them, and
/// pull each image it takes from ECR.
pub(super) fn needs_of(
    caller: &CallerIdentity,
    playbook: &Playbook,
    definition: &serde_json::Value,
) -> Vec<Need> {
    let partition = &caller.partition;
    let region = playbook.region.as_deref().unwrap_or("*");
    let mut needs: Vec<Need> = Vec::new();
    let mut push = |actions: &[&str], resource: String, purpose: String| {
        if !needs.iter().any(|n| n.resource == resource) {
            needs.push(Need {
                actions: actions.iter().map(|a| a.to_string()).collect(),
                resource,
                purpose,
            });
        }
    };
    let containers = definition["containerDefinitions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut secrets = false;
    let mut images = false;
    for container in containers {
        let name = container["name"].as_str().unwrap_or("?");
        for secret in container["secrets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(value_from) = secret["valueFrom"].as_str() else {
                continue;
            };
            let key = secret["name"].as_str().unwrap_or("?");
            let purpose = format!("secret {key} of container {name}");
            secrets = true;
            if value_from.contains(":secretsmanager:") {
                // `arn:P:secretsmanager:R:A:secret:NAME[:json-key:stage:version]`: the secret
                // is the first seven fields.
                let arn = value_from.split(':').take(7).collect::<Vec<_>>().join(":");
                push(&["secretsmanager:GetSecretValue"], arn, purpose);
            } else if value_from.starts_with("arn:") {
                push(&["ssm:GetParameters"], value_from.to_string(), purpose);
            } else {
                let name = value_from.trim_start_matches('/');
                push(
                    &["ssm:GetParameters"],
                    format!(
                        "arn:{partition}:ssm:{region}:{}:parameter/{name}",
                        caller.account
                    ),
                    purpose,
                );
            }
        }
        if let Some(image) = container["image"].as_str() {
            if let Some(repository) = ecr_repository(partition, image) {
                images = true;
                push(
                    &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    repository,
                    format!("image of container {name}"),
                );
            }
        }
    }
    if images {
        push(
            &["ecr:GetAuthorizationToken"],
            "*".into(),
            "ECR sign-in (resource *)".into(),
        );
    }
    if secrets {
        push(
            &["kms:Decrypt"],
            format!("arn:{partition}:kms:{region}:{}:key/*", caller.account),
            "secrets encrypted with a customer managed key".into(),
        );
    }
    needs
}

/// The repository ARN of an ECR image (`ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO[:TAG]`).
fn ecr_repository(partition: &str, image: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let repository = path.split(['@', ':']).next()?;
    Some(format!(
        "arn:{partition}:ecr:{region}:{account}:repository/{repository}"
    ))
}

/// The old side's Auto Scaling group (as the playbook names it or discovery would find it) and
/// its instance profile.
async fn instance_profile(
    cloud: &Cloud,
    playbook: &Playbook,
) -> Result<Result<Option<(String, String)>, String>, CloudError> {
    let source = &playbook.source;
    let group = match &source.auto_scaling_group {
        Some(name) => Some(name.clone()),
        None => match source.kind {
            SourceKind::EcsEc2 => {
                let cluster = source.ecs_cluster.clone().unwrap_or_default();
                match soft(
                    read(cloud, || {
                        cloud.containers.container_instance_groups(&cluster)
                    })
                    .await,
                )? {
                    Ok(groups) => groups.into_iter().next(),
                    Err(why) => return Ok(Err(why)),
                }
            }
            SourceKind::Beanstalk => {
                let environment = source.beanstalk_environment.clone().unwrap_or_default();
                match soft(
                    read(cloud, || {
                        cloud.environments.environment_resources(&environment)
                    })
                    .await,
                )? {
                    Ok(resources) => resources.auto_scaling_groups.into_iter().next(),
                    Err(why) => return Ok(Err(why)),
                }
            }
            // A plain instance's profile is not read: the instances are named, not a group,
            // and the preflight compares one profile with the task role.
            SourceKind::Asg | SourceKind::Ec2 => None,
        },
    };
    let Some(group) = group else {
        return Ok(Ok(None));
    };
    Ok(
        soft(read(cloud, || cloud.account.instance_profile_of_group(&group)).await)?
            .map(|profile| profile.map(|p| (group, p))),
    )
}
