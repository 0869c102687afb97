//! Elastic Beanstalk environments and the resources EB made for them.

use aws_sdk_elasticbeanstalk::types::EnvironmentStatus;
use migrate_inventory::{BeanstalkEnvironment, UnreadPart};

use super::{fan_out, unread, Clients, PartRead};

pub(super) async fn read(
    clients: &Clients,
) -> Result<PartRead<Vec<BeanstalkEnvironment>>, UnreadPart> {
    let mut environments = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .beanstalk
            .describe_environments()
            .include_deleted(false)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| unread("elasticbeanstalk:DescribeEnvironments", &e))?;
        for env in page.environments() {
            if matches!(
                env.status(),
                Some(EnvironmentStatus::Terminated | EnvironmentStatus::Terminating)
            ) {
                continue;
            }
            environments.push(BeanstalkEnvironment {
                name: env.environment_name().unwrap_or_default().to_string(),
                id: env.environment_id().unwrap_or_default().to_string(),
                application: env.application_name().unwrap_or_default().to_string(),
                tier: env
                    .tier()
                    .and_then(|t| t.name())
                    .unwrap_or("WebServer")
                    .to_string(),
                platform: env
                    .platform_arn()
                    .or(env.solution_stack_name())
                    .map(str::to_string),
                cname: env.cname().map(str::to_string),
                status: env
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                load_balancers: Vec::new(),
                auto_scaling_groups: Vec::new(),
                instances: Vec::new(),
            });
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    // Without its resources an environment is still found through its Auto Scaling group's
    // `elasticbeanstalk:environment-name` tag, so a refusal here leaves the rest usable.
    let resources = fan_out(environments.clone(), |mut env| async move {
        let out = clients
            .beanstalk
            .describe_environment_resources()
            .environment_id(&env.id)
            .send()
            .await
            .map_err(|e| unread("elasticbeanstalk:DescribeEnvironmentResources", &e))?;
        if let Some(resources) = out.environment_resources() {
            env.load_balancers = resources
                .load_balancers()
                .iter()
                .filter_map(|lb| lb.name().map(str::to_string))
                .collect();
            env.auto_scaling_groups = resources
                .auto_scaling_groups()
                .iter()
                .filter_map(|g| g.name().map(str::to_string))
                .collect();
            env.instances = resources
                .instances()
                .iter()
                .filter_map(|i| i.id().map(str::to_string))
                .collect();
        }
        Ok(env)
    })
    .await;
    Ok(match resources {
        Ok(with_resources) => PartRead::whole(with_resources),
        Err(part) => PartRead {
            value: environments,
            unread: vec![part],
        },
    })
}
