//! The preflight's reads over the wire. STS, IAM `GetRole`, EC2 subnets, route tables, VPC
//! endpoints and launch templates against moto; IAM `SimulatePrincipalPolicy` (moto 5.2.5
//! answers HTTP 500, "not implemented") and a Service Quotas value for Fargate (moto knows only
//! the `vpc` quotas) against a small loopback stub that checks the request's shape and answers as
//! the API references show.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use migrate_aws::account::AwsAccount;
use migrate_engine::ports::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn account_of(sdk: &aws_types::SdkConfig) -> AwsAccount {
    AwsAccount::new(
        aws_sdk_sts::Client::new(sdk),
        aws_sdk_iam::Client::new(sdk),
        aws_sdk_ec2::Client::new(sdk),
        aws_sdk_autoscaling::Client::new(sdk),
        aws_sdk_servicequotas::Client::new(sdk),
    )
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_roles_routes_endpoints_and_instance_profile_against_moto() {
    let w = common::start().await;
    let a = &w.conn.cloud.account;

    let caller = a.caller_identity().await.unwrap();
    assert_eq!(caller.account, "123456789012");
    assert_eq!(caller.partition, "aws");

    let iam = aws_sdk_iam::Client::new(&w.sdk);
    iam.create_role()
        .role_name("shop-exec")
        .path("/service/")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let role = a.find_role("shop-exec").await.unwrap().unwrap();
    assert_eq!(role.arn, "arn:aws:iam::123456789012:role/service/shop-exec");
    assert_eq!(a.find_role("nobody").await.unwrap(), None);

    let (vpc, subnets) = common::vpc(&w.sdk).await;
    let ec2 = common::ec2(&w.sdk);
    let found = a.subnets(&subnets).await.unwrap();
    let zones: Vec<&str> = found.iter().map(|s| s.availability_zone.as_str()).collect();
    assert_eq!(zones, vec!["ap-northeast-1a", "ap-northeast-1c"]);
    assert!(found.iter().all(|s| s.vpc_id == vpc));
    let missing = a
        .subnets(&["subnet-00000000000000000".to_string()])
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound, "{missing}");

    // A public table for the first subnet (internet gateway); the main table keeps no route out.
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let public = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap()
        .to_string();
    ec2.create_route()
        .route_table_id(&public)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    ec2.associate_route_table()
        .route_table_id(&public)
        .subnet_id(&subnets[0])
        .send()
        .await
        .unwrap();
    let tables = a.route_tables(&vpc).await.unwrap();
    let public_table = tables.iter().find(|t| t.id == public).unwrap();
    assert!(!public_table.main);
    assert_eq!(public_table.subnet_ids, vec![subnets[0].clone()]);
    assert!(public_table.routes.contains(&Route {
        destination: "0.0.0.0/0".into(),
        target: RouteTarget::InternetGateway(igw.clone()),
    }));
    let main = tables.iter().find(|t| t.main).unwrap();
    assert!(main.routes.iter().all(|r| r.destination != "0.0.0.0/0"));

    ec2.create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name("com.amazonaws.ap-northeast-1.ecr.dkr")
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Interface)
        .subnet_ids(&subnets[1])
        .send()
        .await
        .unwrap();
    ec2.create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name("com.amazonaws.ap-northeast-1.s3")
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Gateway)
        .route_table_ids(&main.id)
        .send()
        .await
        .unwrap();
    let endpoints = a.vpc_endpoints(&vpc).await.unwrap();
    let dkr = endpoints
        .iter()
        .find(|e| e.service_name.ends_with(".ecr.dkr"))
        .unwrap();
    assert_eq!(dkr.kind, EndpointKind::Interface);
    assert_eq!(dkr.subnet_ids, vec![subnets[1].clone()]);
    let s3 = endpoints
        .iter()
        .find(|e| e.service_name.ends_with(".s3"))
        .unwrap();
    assert_eq!(s3.kind, EndpointKind::Gateway);
    assert_eq!(s3.route_table_ids, vec![main.id.clone()]);

    // The old group's instance profile, from its launch template.
    ec2.create_launch_template()
        .launch_template_name("shop-app")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-12c6146b")
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .iam_instance_profile(
                    aws_sdk_ec2::types::LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                        .arn("arn:aws:iam::123456789012:instance-profile/shop-app")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let asg = aws_sdk_autoscaling::Client::new(&w.sdk);
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("shop-app-asg")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name("shop-app")
                .build(),
        )
        .min_size(0)
        .max_size(2)
        .desired_capacity(0)
        .vpc_zone_identifier(subnets.join(","))
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.instance_profile_of_group("shop-app-asg").await.unwrap(),
        Some("arn:aws:iam::123456789012:instance-profile/shop-app".to_string())
    );
    let gone = a
        .instance_profile_of_group("no-such-group")
        .await
        .unwrap_err();
    assert_eq!(gone.kind, ErrorKind::NotFound, "{gone}");

    // moto has no Fargate quota: the answer is an error the preflight turns into a warning.
    let quota = a.fargate_vcpu_quota().await.unwrap_err();
    assert_eq!(quota.kind, ErrorKind::NotFound, "{quota}");
}

/// What the stub received: each request's head and body.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A loopback HTTP server that answers IAM's `SimulatePrincipalPolicy` (awsQuery, XML) and
/// Service Quotas' `GetServiceQuota` (awsJson 1.1) with fixed answers and records each request.
async fn stub() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buffer).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_string(), body.to_string());
                        }
                    }
                };
                let (content_type, answer) = if body.contains("Action=SimulatePrincipalPolicy") {
                    ("text/xml", SIMULATION.to_string())
                } else {
                    (
                        "application/x-amz-json-1.1",
                        r#"{"Quota":{"ServiceCode":"fargate","QuotaCode":"L-3032A538","QuotaName":"Fargate On-Demand vCPU resource count","Value":6.0,"Unit":"None"}}"#.to_string(),
                    )
                };
                log.lock().unwrap().push((head, body));
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: stub\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// As the IAM API reference's example of `SimulatePrincipalPolicy` answers, one result per action.
const SIMULATION: &str = r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <SimulatePrincipalPolicyResult>
    <IsTruncated>false</IsTruncated>
    <EvaluationResults>
      <member>
        <EvalActionName>secretsmanager:GetSecretValue</EvalActionName>
        <EvalResourceName>arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf</EvalResourceName>
        <EvalDecision>allowed</EvalDecision>
        <MatchedStatements/>
        <MissingContextValues/>
      </member>
      <member>
        <EvalActionName>kms:Decrypt</EvalActionName>
        <EvalResourceName>arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf</EvalResourceName>
        <EvalDecision>implicitDeny</EvalDecision>
        <MatchedStatements/>
        <MissingContextValues/>
      </member>
    </EvaluationResults>
  </SimulatePrincipalPolicyResult>
  <ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>
</SimulatePrincipalPolicyResponse>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_and_quota_requests_have_the_api_shape() {
    let (url, seen) = stub().await;
    let sdk = common::sdk_config(&url).await;
    let account = account_of(&sdk);

    let role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
    let secret = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf";
    let evaluations = account
        .simulate(
            role,
            &["secretsmanager:GetSecretValue".into(), "kms:Decrypt".into()],
            secret,
        )
        .await
        .unwrap();
    assert_eq!(
        evaluations,
        vec![
            Evaluation {
                action: "secretsmanager:GetSecretValue".into(),
                decision: Decision::Allowed
            },
            Evaluation {
                action: "kms:Decrypt".into(),
                decision: Decision::ImplicitDeny
            },
        ]
    );
    assert_eq!(account.fargate_vcpu_quota().await.unwrap(), 6.0);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (_, simulation) = &seen[0];
    let decoded = simulation.replace("%3A", ":").replace("%2F", "/");
    for part in [
        "Action=SimulatePrincipalPolicy",
        "Version=2010-05-08",
        &format!("PolicySourceArn={role}"),
        "ActionNames.member.1=secretsmanager:GetSecretValue",
        "ActionNames.member.2=kms:Decrypt",
        &format!("ResourceArns.member.1={secret}"),
    ] {
        assert!(decoded.contains(part), "{part} not in {decoded}");
    }
    let (head, quota) = &seen[1];
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amz-target: servicequotasv20190624.getservicequota"),
        "{head}"
    );
    let body: serde_json::Value = serde_json::from_str(quota).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"ServiceCode": "fargate", "QuotaCode": "L-3032A538"})
    );
}
