//! The load balancer behaviour port over the wire, against moto server: an old ALB with an
//! HTTP→HTTPS redirect on port 80, an HTTPS listener (a default and an SNI certificate, an SSL
//! policy) with a host-header rule, an idle timeout, a sticky target group and a WAF web ACL is
//! read through
//! the adapter; the copy (`migrate_plan::behaviour::copy_listeners`) is written to a new ALB
//! through the adapter and checked with plain SDK describe calls; the rules are deleted again.
//!
//! The certificates are IAM server certificates: moto accepts a listener certificate from ACM
//! or IAM, and the workspace has no ACM client. This tests the adapter's calls, not the
//! `copy-load-balancer-behaviour` step, which the simulator's tests drive.

// Test code: unwrap, expect and panic make a broken assumption fail loudly, which is what it wants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, HostHeaderConditionConfig, LoadBalancerAttribute,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    RuleCondition as SdkCondition, TargetGroupAttribute,
};
use migrate_engine::ports::*;
use migrate_plan::behaviour::{copy_listeners, served_target_group, TargetGroupBehaviour};

async fn server_certificate(iam: &aws_sdk_iam::Client, name: &str) -> String {
    iam.upload_server_certificate()
        .server_certificate_name(name)
        .certificate_body("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        .private_key("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
        .send()
        .await
        .unwrap()
        .server_certificate_metadata()
        .unwrap()
        .arn()
        .to_string()
}

async fn target_group(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    vpc: &str,
    name: &str,
) -> String {
    elb.create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string()
}

async fn load_balancer(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
    subnets: &[String],
) -> String {
    elb.create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_front_end_is_read_and_copied_to_a_new_load_balancer() {
    let w = common::start().await;
    let port = &w.conn.cloud.load_balancer_behaviour;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&w.sdk);
    let iam = aws_sdk_iam::Client::new(&w.sdk);
    let (vpc, subnets) = common::vpc(&w.sdk).await;
    let default_cert = server_certificate(&iam, "shop").await;
    let sni_cert = server_certificate(&iam, "shop-www").await;

    // The old side, made with the SDK.
    let old_lb = load_balancer(&elb, "shop-old", &subnets).await;
    let old_tg = target_group(&elb, &vpc, "shop-old-tg").await;
    elb.modify_target_group_attributes()
        .target_group_arn(&old_tg)
        .attributes(
            TargetGroupAttribute::builder()
                .key("stickiness.enabled")
                .value("true")
                .build(),
        )
        .attributes(
            TargetGroupAttribute::builder()
                .key("stickiness.type")
                .value("lb_cookie")
                .build(),
        )
        .send()
        .await
        .unwrap();
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(&old_lb)
        .attributes(
            LoadBalancerAttribute::builder()
                .key("idle_timeout.timeout_seconds")
                .value("120")
                .build(),
        )
        .send()
        .await
        .unwrap();
    elb.create_listener()
        .load_balancer_arn(&old_lb)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .status_code(RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let https = elb
        .create_listener()
        .load_balancer_arn(&old_lb)
        .protocol(ProtocolEnum::Https)
        .port(443)
        .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06")
        .certificates(
            Certificate::builder()
                .certificate_arn(&default_cert)
                .build(),
        )
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&old_tg)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_string();
    elb.add_listener_certificates()
        .listener_arn(&https)
        .certificates(Certificate::builder().certificate_arn(&sni_cert).build())
        .send()
        .await
        .unwrap();
    elb.create_rule()
        .listener_arn(&https)
        .priority(10)
        .conditions(
            SdkCondition::builder()
                .field("host-header")
                .host_header_config(
                    HostHeaderConditionConfig::builder()
                        .values("www.shop.example.com")
                        .build(),
                )
                .build(),
        )
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&old_tg)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // A WAF web ACL on the old load balancer.
    let waf = aws_sdk_wafv2::Client::new(&w.sdk);
    let acl = waf
        .create_web_acl()
        .name("shop-acl")
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .default_action(
            aws_sdk_wafv2::types::DefaultAction::builder()
                .allow(aws_sdk_wafv2::types::AllowAction::builder().build())
                .build(),
        )
        .visibility_config(
            aws_sdk_wafv2::types::VisibilityConfig::builder()
                .sampled_requests_enabled(false)
                .cloud_watch_metrics_enabled(false)
                .metric_name("shop-acl")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .summary()
        .and_then(|s| s.arn())
        .unwrap()
        .to_string();
    waf.associate_web_acl()
        .web_acl_arn(&acl)
        .resource_arn(&old_lb)
        .send()
        .await
        .unwrap();

    // Read through the adapter.
    let mut old = port.read_behaviour(&old_lb).await.unwrap();
    assert_eq!(old.web_acl_arn.as_deref(), Some(acl.as_str()));
    assert!(!old.internal);
    assert_eq!(old.ip_address_type, "ipv4");
    assert_eq!(
        old.attributes
            .get("idle_timeout.timeout_seconds")
            .map(String::as_str),
        Some("120")
    );
    assert_eq!(old.listeners.len(), 2, "{:#?}", old.listeners);
    let http = &old.listeners[0];
    assert_eq!((http.port, http.protocol.as_str()), (80, "HTTP"));
    assert!(
        matches!(&http.default_actions[..], [RuleAction::Redirect { protocol: Some(p), status_code, .. }] if p == "HTTPS" && status_code == "HTTP_301"),
        "{:?}",
        http.default_actions
    );
    let secure = &old.listeners[1];
    assert_eq!(
        secure.ssl_policy.as_deref(),
        Some("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    assert_eq!(
        secure.default_certificate.as_deref(),
        Some(default_cert.as_str())
    );
    assert!(secure.sni_certificates.contains(&sni_cert), "{secure:?}");
    assert_eq!(secure.rules.len(), 1, "{:?}", secure.rules);
    assert_eq!(secure.rules[0].priority, 10);
    assert_eq!(secure.rules[0].conditions[0].field, "host-header");
    assert_eq!(
        secure.rules[0].conditions[0].values,
        vec!["www.shop.example.com".to_string()]
    );
    assert_eq!(
        served_target_group(&old.listeners).as_deref(),
        Some(old_tg.as_str())
    );
    let attributes = port.target_group_attributes(&old_tg).await.unwrap();
    assert_eq!(
        attributes.get("stickiness.enabled").map(String::as_str),
        Some("true")
    );
    old.target_group = Some(TargetGroupBehaviour {
        arn: old_tg.clone(),
        attributes,
        health_check: port.target_group_health_check(&old_tg).await.unwrap(),
    });

    // Copy it to a new load balancer through the adapter.
    let new_lb = load_balancer(&elb, "shop-new", &subnets).await;
    let new_tg = target_group(&elb, &vpc, "shop-new-tg").await;
    let copy = copy_listeners(&old, &[], &new_tg).unwrap();
    let tags = common::tags("copy-load-balancer-behaviour");
    let mut created_rules = Vec::new();
    for listener in &copy {
        let arn = port
            .create_listener_like(&new_lb, listener, &tags)
            .await
            .unwrap();
        if !listener.sni_certificates.is_empty() {
            port.add_listener_certificates(&arn, &listener.sni_certificates)
                .await
                .unwrap();
        }
        for rule in &listener.rules {
            created_rules.push(port.create_rule(&arn, rule, &tags).await.unwrap());
        }
    }
    port.set_load_balancer_attributes(&new_lb, &old.attributes)
        .await
        .unwrap();
    port.set_target_group_attributes(&new_tg, &old.target_group.as_ref().unwrap().attributes)
        .await
        .unwrap();

    port.associate_web_acl(&acl, &new_lb).await.unwrap();

    // Checked with plain SDK calls.
    let associated = waf
        .get_web_acl_for_resource()
        .resource_arn(&new_lb)
        .send()
        .await
        .unwrap();
    assert_eq!(associated.web_acl().map(|a| a.arn()), Some(acl.as_str()));
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&new_lb)
        .send()
        .await
        .unwrap();
    let mut listeners = listeners.listeners().to_vec();
    listeners.sort_by_key(|l| l.port());
    assert_eq!(listeners.len(), 2);
    let redirect = listeners[0].default_actions()[0]
        .redirect_config()
        .expect("a redirect on 80");
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));
    assert_eq!(listeners[1].protocol(), Some(&ProtocolEnum::Https));
    assert_eq!(
        listeners[1].ssl_policy(),
        Some("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    let forwards_to = |a: &Action| {
        a.target_group_arn().map(str::to_string).or_else(|| {
            a.forward_config()
                .and_then(|f| f.target_groups().first())
                .and_then(|t| t.target_group_arn())
                .map(str::to_string)
        })
    };
    assert_eq!(
        forwards_to(&listeners[1].default_actions()[0]).as_deref(),
        Some(new_tg.as_str())
    );
    let certificates = elb
        .describe_listener_certificates()
        .listener_arn(listeners[1].listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = certificates
        .certificates()
        .iter()
        .filter_map(|c| c.certificate_arn())
        .collect();
    assert!(arns.contains(&sni_cert.as_str()), "{arns:?}");
    assert!(arns.contains(&default_cert.as_str()), "{arns:?}");
    let rules = elb
        .describe_rules()
        .listener_arn(listeners[1].listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    let rule = rules
        .rules()
        .iter()
        .find(|r| r.priority() == Some("10"))
        .expect("the host rule at priority 10");
    assert_eq!(
        rule.conditions()[0]
            .host_header_config()
            .map(|h| h.values().to_vec()),
        Some(vec!["www.shop.example.com".to_string()])
    );
    assert_eq!(
        forwards_to(&rule.actions()[0]).as_deref(),
        Some(new_tg.as_str())
    );
    let lb_attributes = elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(&new_lb)
        .send()
        .await
        .unwrap();
    assert!(lb_attributes
        .attributes()
        .iter()
        .any(|a| a.key() == Some("idle_timeout.timeout_seconds") && a.value() == Some("120")));
    let tg_attributes = elb
        .describe_target_group_attributes()
        .target_group_arn(&new_tg)
        .send()
        .await
        .unwrap();
    assert!(tg_attributes
        .attributes()
        .iter()
        .any(|a| a.key() == Some("stickiness.enabled") && a.value() == Some("true")));

    // The compensation's calls: rules deleted; deleting one again is done (AWS answers
    // `RuleNotFound`, which the compensation ignores; moto answers success).
    for rule in &created_rules {
        port.delete_rule(rule).await.unwrap();
        match port.delete_rule(rule).await {
            Ok(()) => {}
            Err(e) => assert_eq!(e.kind, ErrorKind::NotFound, "{e}"),
        }
    }
    port.disassociate_web_acl(&new_lb).await.unwrap();
    let again = port.disassociate_web_acl(&new_lb).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::NotFound, "{again}");
    let left = port
        .rules(listeners[1].listener_arn().unwrap())
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
