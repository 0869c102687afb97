//! `migrate discover`'s read of one region: every service's part read concurrently, each list
//! paginated, each fan-out (a describe per cluster, per target group, per file system) bounded
//! to [`CONCURRENT_REQUESTS`] requests in flight per service, with the SDK's adaptive retry
//! (from [`crate::config::loader`]). A part that cannot be read (a missing permission, a service
//! the region does not offer) is recorded in [`Inventory::unread`] with its reason, and the
//! rest of the inventory is still returned.

mod beanstalk;
mod compute;
mod data_stores;
mod dns;
mod ecs;
mod images;
mod load_balancing;

use std::future::Future;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use futures::stream::{self, StreamExt};
use migrate_inventory::{Inventory, ReadProgress, UnreadPart};

use crate::counter::ApiCalls;

pub use images::{ecr_image_exists, EcrImage};

/// Requests in flight at once per service during a fan-out: enough to hide latency, few enough
/// that an account with hundreds of services does not meet the APIs' rate limits head on.
pub const CONCURRENT_REQUESTS: usize = 8;

/// The clients the read uses, each counting its calls into one counter.
#[derive(Clone)]
pub(crate) struct Clients {
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub beanstalk: aws_sdk_elasticbeanstalk::Client,
    pub route53: aws_sdk_route53::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub efs: aws_sdk_efs::Client,
}

macro_rules! counted_client {
    ($krate:ident, $sdk:expr, $calls:expr, $name:literal) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from($sdk)
                .interceptor($calls.interceptor($name))
                .build(),
        )
    };
}

impl Clients {
    fn new(sdk: &SdkConfig, calls: &ApiCalls) -> Self {
        Clients {
            elb: counted_client!(
                aws_sdk_elasticloadbalancingv2,
                sdk,
                calls,
                "elasticloadbalancing"
            ),
            autoscaling: counted_client!(aws_sdk_autoscaling, sdk, calls, "autoscaling"),
            ec2: counted_client!(aws_sdk_ec2, sdk, calls, "ec2"),
            ecs: counted_client!(aws_sdk_ecs, sdk, calls, "ecs"),
            beanstalk: counted_client!(aws_sdk_elasticbeanstalk, sdk, calls, "elasticbeanstalk"),
            route53: counted_client!(aws_sdk_route53, sdk, calls, "route53"),
            rds: counted_client!(aws_sdk_rds, sdk, calls, "rds"),
            elasticache: counted_client!(aws_sdk_elasticache, sdk, calls, "elasticache"),
            efs: counted_client!(aws_sdk_efs, sdk, calls, "elasticfilesystem"),
        }
    }
}

/// Reads the inventory of the region `sdk` is configured for. Never fails as a whole: what
/// cannot be read is listed in the result's `unread`.
pub async fn read(sdk: &SdkConfig, progress: &dyn ReadProgress) -> (Inventory, ApiCalls) {
    let calls = ApiCalls::default();
    let clients = Clients::new(sdk, &calls);
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    let mut inventory = Inventory::new(region, chrono::Utc::now());

    let (load_balancing, groups, instances, security_groups, clusters, environments, zones, stores) = tokio::join!(
        part(progress, "load balancers", load_balancing::read(&clients)),
        part(
            progress,
            "auto scaling groups",
            compute::auto_scaling_groups(&clients)
        ),
        part(progress, "instances", compute::instances(&clients)),
        part(
            progress,
            "security groups",
            compute::security_groups(&clients)
        ),
        part(progress, "ecs", ecs::read(&clients)),
        part(progress, "elastic beanstalk", beanstalk::read(&clients)),
        part(progress, "route53", dns::read(&clients)),
        part(progress, "data stores", data_stores::read(&clients)),
    );
    let unread = &mut inventory.unread;
    if let Some((balancers, target_groups)) = keep(load_balancing, unread) {
        inventory.load_balancers = balancers;
        inventory.target_groups = target_groups;
    }
    inventory.auto_scaling_groups = keep(groups, unread).unwrap_or_default();
    inventory.instances = keep(instances, unread).unwrap_or_default();
    inventory.security_groups = keep(security_groups, unread).unwrap_or_default();
    inventory.ecs_clusters = keep(clusters, unread).unwrap_or_default();
    inventory.beanstalk_environments = keep(environments, unread).unwrap_or_default();
    inventory.hosted_zones = keep(zones, unread).unwrap_or_default();
    inventory.data_stores = keep(stores, unread).unwrap_or_default();
    dns::keep_records_of(&mut inventory);
    inventory.api_calls = calls.total().attempts;
    (inventory, calls)
}

/// What a part's read answers: its value and the sub-parts that could not be read (a part may
/// read partly, e.g. the data stores when RDS answers and ElastiCache refuses).
pub(crate) struct PartRead<T> {
    pub value: T,
    pub unread: Vec<UnreadPart>,
}

impl<T> PartRead<T> {
    pub fn whole(value: T) -> Self {
        PartRead {
            value,
            unread: Vec::new(),
        }
    }
}

async fn part<T>(
    progress: &dyn ReadProgress,
    name: &str,
    read: impl Future<Output = Result<PartRead<T>, UnreadPart>>,
) -> Result<PartRead<T>, UnreadPart> {
    progress.part_started(name);
    let result = read.await;
    progress.part_finished(name, result.is_ok());
    result
}

fn keep<T>(result: Result<PartRead<T>, UnreadPart>, unread: &mut Vec<UnreadPart>) -> Option<T> {
    match result {
        Ok(read) => {
            unread.extend(read.unread);
            Some(read.value)
        }
        Err(part) => {
            unread.push(part);
            None
        }
    }
}

/// The reason an operation failed, as the inventory records it (code and message; never the
/// request's credentials).
pub(crate) fn unread<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> UnreadPart
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let reason = match err {
        SdkError::ServiceError(service) => match (service.err().code(), service.err().message()) {
            (Some(code), Some(text)) => format!("{code}: {text}"),
            (Some(code), None) => code.to_string(),
            _ => format!("HTTP {}", service.raw().status().as_u16()),
        },
        other => DisplayErrorContext(other).to_string(),
    };
    UnreadPart {
        part: operation.to_string(),
        reason,
    }
}

/// Every item of a list call that pages by token or marker: `fetch` asks for the page after
/// `token` (none for the first) and answers its items and the next token.
pub(crate) async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, UnreadPart>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), UnreadPart>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let (page, next) = fetch(token).await?;
        items.extend(page);
        match next {
            Some(next) => token = Some(next),
            None => return Ok(items),
        }
    }
}

/// Runs `each` over `items` with at most [`CONCURRENT_REQUESTS`] in flight, keeping the input
/// order; the first error stops the fan-out.
pub(crate) async fn fan_out<I, T, F, Fut>(items: Vec<I>, each: F) -> Result<Vec<T>, UnreadPart>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, UnreadPart>>,
{
    stream::iter(items.into_iter().map(each))
        .buffered(CONCURRENT_REQUESTS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}
