//! The AWS adapter: every port of `migrate_engine::ports` implemented with the real `aws-sdk-*`
//! clients.
//!
//! This is the only crate of the workspace that depends on an AWS SDK crate (invariant 1: the
//! engine knows no SDK). Each AWS service has its own module, and each module maps the service's
//! answers into the engine's types and its errors into [`CloudError`](migrate_engine::ports::CloudError)
//! with the right [`ErrorKind`](migrate_engine::ports::ErrorKind).
//!
//! Design decisions worth knowing:
//! - One function, [`config::load`], builds the SDK configuration: the standard credential chain,
//!   profile, region, endpoint URL (the flag, or `AWS_ENDPOINT_URL` which aws-config reads itself),
//!   adaptive retries with a bounded number of attempts, and operation and attempt timeouts. The
//!   SDK's own retry loop handles throttling and 5xx answers inside one port call; the engine's
//!   retry policy only sees what is left after that.
//! - Creates are plain creates. Reconciliation (looking a resource up by token, deterministic name
//!   or tags before creating it again) is the engine's job, because only the engine's journal
//!   knows whether an earlier attempt may have taken effect. The adapter supplies the lookups
//!   (`find_*`) and sets every tag at creation, never afterwards.
//! - Compensations must be able to tell "already gone" from a failure, so deletes that AWS
//!   answers with success for an absent resource (`DeleteLoadBalancer`, `DeleteAlarms`) look the
//!   resource up first and answer `NotFound`.
//! - Every API call is counted per service and operation ([`ApiCalls`]), so a run can report
//!   what it cost.

pub mod account;
pub mod autoscaling;
pub mod beanstalk;
pub mod cloudwatch;
pub mod config;
pub mod counter;
pub mod decommission;
pub mod ec2;
pub mod ecs;
pub mod elb;
pub mod elb_behaviour;
pub mod errors;
pub mod instances;
pub mod inventory;
pub mod logs;
pub mod probe;
pub mod route53;
pub mod service_scaling;
pub mod state_s3;
mod tags;
pub mod taskdef;

use std::sync::Arc;

use migrate_engine::ports::{Clock, Cloud, HttpProbe, SystemClock};

pub use aws_types::SdkConfig;
pub use config::AwsOptions;
pub use counter::{ApiCalls, OperationCount};
pub use errors::AwsError;
pub use probe::TcpProbe;

/// A connected adapter: the ports the engine is given, and the counter of the API calls they
/// make.
#[derive(Debug, Clone)]
pub struct Connection {
    pub cloud: Cloud,
    pub calls: ApiCalls,
}

/// Builds the SDK configuration from `options` and answers the ports, with the system clock and
/// a real HTTP probe.
pub async fn connect(options: &AwsOptions) -> Result<Cloud, AwsError> {
    Ok(open(options).await?.cloud)
}

/// As [`connect`], and also answers the counter of API calls, so the CLI can report them.
pub async fn open(options: &AwsOptions) -> Result<Connection, AwsError> {
    let sdk = config::load(options).await?;
    let probe = TcpProbe::new(options.probe_override.as_deref())?;
    Ok(from_sdk_config(
        &sdk,
        Arc::new(probe),
        Arc::new(SystemClock),
    ))
}

/// Builds the ports from an SDK configuration the caller made (tests use this to give static
/// credentials or a probe of their own). Every client counts its calls into the same counter.
pub fn from_sdk_config(
    sdk: &SdkConfig,
    probe: Arc<dyn HttpProbe>,
    clock: Arc<dyn Clock>,
) -> Connection {
    let calls = ApiCalls::default();
    let ecs = aws_sdk_ecs::Client::from_conf(
        aws_sdk_ecs::config::Builder::from(sdk)
            .interceptor(calls.interceptor("ecs"))
            .build(),
    );
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(sdk)
            .interceptor(calls.interceptor("ec2"))
            .build(),
    );
    let elb = aws_sdk_elasticloadbalancingv2::Client::from_conf(
        aws_sdk_elasticloadbalancingv2::config::Builder::from(sdk)
            .interceptor(calls.interceptor("elasticloadbalancing"))
            .build(),
    );
    let route53 = aws_sdk_route53::Client::from_conf(
        aws_sdk_route53::config::Builder::from(sdk)
            .interceptor(calls.interceptor("route53"))
            .build(),
    );
    let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(sdk)
            .interceptor(calls.interceptor("cloudwatch"))
            .build(),
    );
    let autoscaling = aws_sdk_autoscaling::Client::from_conf(
        aws_sdk_autoscaling::config::Builder::from(sdk)
            .interceptor(calls.interceptor("autoscaling"))
            .build(),
    );
    let beanstalk = aws_sdk_elasticbeanstalk::Client::from_conf(
        aws_sdk_elasticbeanstalk::config::Builder::from(sdk)
            .interceptor(calls.interceptor("elasticbeanstalk"))
            .build(),
    );
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
            .interceptor(calls.interceptor("logs"))
            .build(),
    );
    let application_autoscaling = aws_sdk_applicationautoscaling::Client::from_conf(
        aws_sdk_applicationautoscaling::config::Builder::from(sdk)
            .interceptor(calls.interceptor("application-autoscaling"))
            .build(),
    );
    let ecr = aws_sdk_ecr::Client::from_conf(
        aws_sdk_ecr::config::Builder::from(sdk)
            .interceptor(calls.interceptor("ecr"))
            .build(),
    );
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(calls.interceptor("sts"))
            .build(),
    );
    let iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(sdk)
            .interceptor(calls.interceptor("iam"))
            .build(),
    );
    let quotas = aws_sdk_servicequotas::Client::from_conf(
        aws_sdk_servicequotas::config::Builder::from(sdk)
            .interceptor(calls.interceptor("servicequotas"))
            .build(),
    );
    let waf = aws_sdk_wafv2::Client::from_conf(
        aws_sdk_wafv2::config::Builder::from(sdk)
            .interceptor(calls.interceptor("wafv2"))
            .build(),
    );
    let cloud = Cloud {
        account: Arc::new(account::AwsAccount::new(
            sts,
            iam,
            ec2.clone(),
            autoscaling.clone(),
            quotas,
        )),
        containers: Arc::new(ecs::EcsPlatform::new(ecs, autoscaling.clone())),
        network: Arc::new(ec2::Ec2Network::new(ec2.clone())),
        load_balancing: Arc::new(elb::ElbLoadBalancing::new(elb.clone())),
        load_balancer_behaviour: Arc::new(elb_behaviour::ElbBehaviour::new(elb, waf)),
        dns: Arc::new(route53::Route53Dns::new(route53)),
        metrics: Arc::new(cloudwatch::CloudWatchMetrics::new(cloudwatch)),
        scaling: Arc::new(autoscaling::AsgScaling::new(autoscaling.clone())),
        service_scaling: Arc::new(service_scaling::ApplicationAutoScaling::new(
            application_autoscaling,
        )),
        environments: Arc::new(beanstalk::BeanstalkEnvironments::new(beanstalk.clone())),
        instances: Arc::new(instances::Ec2Instances::new(ec2.clone())),
        logs: Arc::new(logs::CloudWatchLogs::new(logs)),
        decommission: Arc::new(decommission::AwsDecommission::new(
            ec2,
            autoscaling,
            beanstalk,
            ecr,
        )),
        probe,
        clock,
    };
    Connection { cloud, calls }
}
