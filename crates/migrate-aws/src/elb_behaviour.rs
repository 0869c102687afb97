//! `LoadBalancerBehaviourPort` on Elastic Load Balancing v2 and WAFv2: listener rules and
//! actions, certificates, attributes and the web ACL association.
//!
//! Rules read with `DescribeRules`, certificates with `DescribeListenerCertificates` (the only
//! call that lists the SNI certificates: `DescribeListeners` gives the default one alone,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeListenerCertificates.html>),
//! the web ACL with `GetWebACLForResource`
//! (<https://docs.aws.amazon.com/waf/latest/APIReference/API_GetWebACLForResource.html>).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, AuthenticateCognitoActionConditionalBehaviorEnum,
    AuthenticateCognitoActionConfig, Certificate, FixedResponseActionConfig, ForwardActionConfig,
    HostHeaderConditionConfig, HttpHeaderConditionConfig, HttpRequestMethodConditionConfig,
    LoadBalancerAttribute, PathPatternConditionConfig, ProtocolEnum, QueryStringConditionConfig,
    QueryStringKeyValuePair, RedirectActionConfig, RedirectActionStatusCodeEnum,
    RuleCondition as SdkCondition, SourceIpConditionConfig, TargetGroupAttribute,
    TargetGroupStickinessConfig, TargetGroupTuple,
};
use migrate_engine::ports::{
    CloudError, CloudResult, ErrorKind, ExistingRule, HealthCheck, ListenerBehaviour, ListenerRule,
    LoadBalancerBehaviour, LoadBalancerBehaviourPort, RuleAction, RuleCondition, Tags,
    WeightedTargetGroup,
};

use crate::elb::tags;
use crate::errors::{missing, sdk_error};

pub struct ElbBehaviour {
    elb: aws_sdk_elasticloadbalancingv2::Client,
    waf: aws_sdk_wafv2::Client,
}

impl ElbBehaviour {
    pub fn new(elb: aws_sdk_elasticloadbalancingv2::Client, waf: aws_sdk_wafv2::Client) -> Self {
        Self { elb, waf }
    }
}

fn action_of(action: &Action) -> RuleAction {
    let kind = action
        .r#type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    match action.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let mut target_groups: Vec<WeightedTargetGroup> = action
                .forward_config()
                .map(|f| {
                    f.target_groups()
                        .iter()
                        .filter_map(|t| {
                            Some(WeightedTargetGroup {
                                arn: t.target_group_arn()?.to_string(),
                                weight: t.weight(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if target_groups.is_empty() {
                if let Some(arn) = action.target_group_arn() {
                    target_groups.push(WeightedTargetGroup {
                        arn: arn.to_string(),
                        weight: None,
                    });
                }
            }
            // A forward to one group reads back with that group in `ForwardConfig` too, weight
            // 1; it is written back in its simple form, so the weight is dropped.
            if target_groups.len() == 1 {
                target_groups[0].weight = None;
            }
            RuleAction::Forward {
                target_groups,
                stickiness_secs: action
                    .forward_config()
                    .and_then(|f| f.target_group_stickiness_config())
                    .filter(|s| s.enabled() == Some(true))
                    .and_then(|s| s.duration_seconds()),
            }
        }
        Some(ActionTypeEnum::Redirect) => match action.redirect_config() {
            Some(r) => RuleAction::Redirect {
                protocol: r.protocol().map(str::to_string),
                port: r.port().map(str::to_string),
                host: r.host().map(str::to_string),
                path: r.path().map(str::to_string),
                query: r.query().map(str::to_string),
                status_code: r
                    .status_code()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "HTTP_301".into()),
            },
            None => RuleAction::Unknown { kind },
        },
        Some(ActionTypeEnum::FixedResponse) => match action.fixed_response_config() {
            Some(f) => RuleAction::FixedResponse {
                status_code: f.status_code().unwrap_or("200").to_string(),
                content_type: f.content_type().map(str::to_string),
                message_body: f.message_body().map(str::to_string),
            },
            None => RuleAction::Unknown { kind },
        },
        Some(ActionTypeEnum::AuthenticateCognito) => match action.authenticate_cognito_config() {
            Some(c) => RuleAction::AuthenticateCognito {
                user_pool_arn: c.user_pool_arn().unwrap_or_default().to_string(),
                user_pool_client_id: c.user_pool_client_id().unwrap_or_default().to_string(),
                user_pool_domain: c.user_pool_domain().unwrap_or_default().to_string(),
                session_cookie_name: c.session_cookie_name().map(str::to_string),
                scope: c.scope().map(str::to_string),
                session_timeout: c.session_timeout(),
                on_unauthenticated_request: c
                    .on_unauthenticated_request()
                    .map(|b| b.as_str().to_string()),
                extra_params: c
                    .authentication_request_extra_params()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            },
            None => RuleAction::Unknown { kind },
        },
        // The client secret is never returned: the action is read for what names it only.
        Some(ActionTypeEnum::AuthenticateOidc) => RuleAction::AuthenticateOidc {
            issuer: action
                .authenticate_oidc_config()
                .and_then(|c| c.issuer())
                .unwrap_or_default()
                .to_string(),
            client_id: action
                .authenticate_oidc_config()
                .and_then(|c| c.client_id())
                .unwrap_or_default()
                .to_string(),
        },
        _ => RuleAction::Unknown { kind },
    }
}

/// The actions in their `Order`, the order ELB runs them in.
fn actions_of(actions: &[Action]) -> Vec<RuleAction> {
    let mut ordered: Vec<&Action> = actions.iter().collect();
    ordered.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    ordered.into_iter().map(action_of).collect()
}

fn sdk_action(action: &RuleAction, order: i32) -> Action {
    let builder = Action::builder().order(order);
    match action {
        RuleAction::Forward {
            target_groups,
            stickiness_secs,
        } => {
            if let ([only], None) = (target_groups.as_slice(), stickiness_secs) {
                return builder
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&only.arn)
                    .build();
            }
            let mut config = ForwardActionConfig::builder();
            for group in target_groups {
                config = config.target_groups(
                    TargetGroupTuple::builder()
                        .target_group_arn(&group.arn)
                        .set_weight(group.weight)
                        .build(),
                );
            }
            if let Some(secs) = stickiness_secs {
                config = config.target_group_stickiness_config(
                    TargetGroupStickinessConfig::builder()
                        .enabled(true)
                        .duration_seconds(*secs)
                        .build(),
                );
            }
            builder
                .r#type(ActionTypeEnum::Forward)
                .forward_config(config.build())
                .build()
        }
        RuleAction::Redirect {
            protocol,
            port,
            host,
            path,
            query,
            status_code,
        } => builder
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(protocol.clone())
                    .set_port(port.clone())
                    .set_host(host.clone())
                    .set_path(path.clone())
                    .set_query(query.clone())
                    .status_code(RedirectActionStatusCodeEnum::from(status_code.as_str()))
                    .build(),
            )
            .build(),
        RuleAction::FixedResponse {
            status_code,
            content_type,
            message_body,
        } => builder
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(status_code)
                    .set_content_type(content_type.clone())
                    .set_message_body(message_body.clone())
                    .build(),
            )
            .build(),
        RuleAction::AuthenticateCognito {
            user_pool_arn,
            user_pool_client_id,
            user_pool_domain,
            session_cookie_name,
            scope,
            session_timeout,
            on_unauthenticated_request,
            extra_params,
        } => builder
            .r#type(ActionTypeEnum::AuthenticateCognito)
            .authenticate_cognito_config(
                AuthenticateCognitoActionConfig::builder()
                    .user_pool_arn(user_pool_arn)
                    .user_pool_client_id(user_pool_client_id)
                    .user_pool_domain(user_pool_domain)
                    .set_session_cookie_name(session_cookie_name.clone())
                    .set_scope(scope.clone())
                    .set_session_timeout(*session_timeout)
                    .set_on_unauthenticated_request(
                        on_unauthenticated_request
                            .as_deref()
                            .map(AuthenticateCognitoActionConditionalBehaviorEnum::from),
                    )
                    .set_authentication_request_extra_params(
                        (!extra_params.is_empty())
                            .then(|| extra_params.clone().into_iter().collect()),
                    )
                    .build(),
            )
            .build(),
        // The plan refuses these before any call (`copy_listeners`); sending the type alone
        // lets ELB refuse it too, rather than sending something else.
        RuleAction::AuthenticateOidc { .. } => {
            builder.r#type(ActionTypeEnum::AuthenticateOidc).build()
        }
        RuleAction::Unknown { kind } => builder.r#type(ActionTypeEnum::from(kind.as_str())).build(),
    }
}

fn sdk_actions(actions: &[RuleAction]) -> Vec<Action> {
    actions
        .iter()
        .zip(1..)
        .map(|(a, order)| sdk_action(a, order))
        .collect()
}

fn condition_of(c: &SdkCondition) -> RuleCondition {
    let field = c.field().unwrap_or_default().to_string();
    let (http_header_name, values) = match field.as_str() {
        "host-header" => (None, c.host_header_config().map(|h| h.values().to_vec())),
        "path-pattern" => (None, c.path_pattern_config().map(|p| p.values().to_vec())),
        "http-header" => (
            c.http_header_config()
                .and_then(|h| h.http_header_name())
                .map(str::to_string),
            c.http_header_config().map(|h| h.values().to_vec()),
        ),
        "http-request-method" => (
            None,
            c.http_request_method_config().map(|m| m.values().to_vec()),
        ),
        "query-string" => (
            None,
            c.query_string_config().map(|q| {
                q.values()
                    .iter()
                    .map(|kv| match kv.key() {
                        Some(key) => format!("{key}={}", kv.value().unwrap_or_default()),
                        None => kv.value().unwrap_or_default().to_string(),
                    })
                    .collect()
            }),
        ),
        "source-ip" => (None, c.source_ip_config().map(|s| s.values().to_vec())),
        _ => (None, None),
    };
    RuleCondition {
        field,
        http_header_name,
        values: values
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| c.values().to_vec()),
    }
}

fn sdk_condition(c: &RuleCondition) -> SdkCondition {
    let values = c.values.clone();
    let builder = SdkCondition::builder().field(&c.field);
    match c.field.as_str() {
        "host-header" => builder.host_header_config(
            HostHeaderConditionConfig::builder()
                .set_values(Some(values))
                .build(),
        ),
        "path-pattern" => builder.path_pattern_config(
            PathPatternConditionConfig::builder()
                .set_values(Some(values))
                .build(),
        ),
        "http-header" => builder.http_header_config(
            HttpHeaderConditionConfig::builder()
                .set_http_header_name(c.http_header_name.clone())
                .set_values(Some(values))
                .build(),
        ),
        "http-request-method" => builder.http_request_method_config(
            HttpRequestMethodConditionConfig::builder()
                .set_values(Some(values))
                .build(),
        ),
        "query-string" => builder.query_string_config(
            QueryStringConditionConfig::builder()
                .set_values(Some(
                    values
                        .iter()
                        .map(|v| match v.split_once('=') {
                            Some((k, v)) => {
                                QueryStringKeyValuePair::builder().key(k).value(v).build()
                            }
                            None => QueryStringKeyValuePair::builder().value(v).build(),
                        })
                        .collect(),
                ))
                .build(),
        ),
        "source-ip" => builder.source_ip_config(
            SourceIpConditionConfig::builder()
                .set_values(Some(values))
                .build(),
        ),
        _ => builder.set_values(Some(values)),
    }
    .build()
}

fn rule_of(rule: &aws_sdk_elasticloadbalancingv2::types::Rule) -> Option<ExistingRule> {
    if rule.is_default() == Some(true) {
        return None;
    }
    let priority = rule.priority()?.parse::<u32>().ok()?;
    let mut actions = actions_of(rule.actions());
    // Regex conditions and transforms are not in the model: an unknown action makes the plan
    // name the rule instead of copying it without them.
    if !rule.transforms().is_empty() {
        actions.push(RuleAction::Unknown {
            kind: "transform".into(),
        });
    }
    if rule
        .conditions()
        .iter()
        .any(|c| !c.regex_values().is_empty())
    {
        actions.push(RuleAction::Unknown {
            kind: "regex condition".into(),
        });
    }
    Some(ExistingRule {
        arn: rule.rule_arn()?.to_string(),
        rule: ListenerRule {
            priority,
            conditions: rule.conditions().iter().map(condition_of).collect(),
            actions,
        },
    })
}

impl ElbBehaviour {
    async fn certificates(&self, listener_arn: &str) -> CloudResult<(Option<String>, Vec<String>)> {
        let op = "elasticloadbalancing:DescribeListenerCertificates";
        let mut pages = self
            .elb
            .describe_listener_certificates()
            .listener_arn(listener_arn)
            .into_paginator()
            .send();
        let (mut default, mut sni) = (None, Vec::new());
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, op, listener_arn))?;
            for certificate in page.certificates() {
                let Some(arn) = certificate.certificate_arn() else {
                    continue;
                };
                if certificate.is_default() == Some(true) {
                    default = Some(arn.to_string());
                } else if !sni.iter().any(|s| s == arn) {
                    sni.push(arn.to_string());
                }
            }
        }
        Ok((default, sni))
    }

    async fn web_acl(&self, resource_arn: &str) -> CloudResult<Option<String>> {
        let op = "wafv2:GetWebACLForResource";
        match self
            .waf
            .get_web_acl_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
        {
            Ok(out) => Ok(out.web_acl().map(|acl| acl.arn().to_string())),
            Err(e) => {
                let err = sdk_error(&e, op, resource_arn);
                // WAF answers "nonexistent item" for a resource without an association.
                if err.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

#[async_trait]
impl LoadBalancerBehaviourPort for ElbBehaviour {
    async fn read_behaviour(&self, load_balancer_arn: &str) -> CloudResult<LoadBalancerBehaviour> {
        let op = "elasticloadbalancing:DescribeLoadBalancers";
        let out = self
            .elb
            .describe_load_balancers()
            .load_balancer_arns(load_balancer_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, load_balancer_arn))?;
        let lb = out
            .load_balancers()
            .first()
            .ok_or_else(|| CloudError::not_found(op, load_balancer_arn))?;
        let internal = lb.scheme().map(|s| s.as_str()) == Some("internal");
        let ip_address_type = lb
            .ip_address_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(migrate_engine::ports::ipv4);

        let op = "elasticloadbalancing:DescribeLoadBalancerAttributes";
        let attributes: BTreeMap<String, String> = self
            .elb
            .describe_load_balancer_attributes()
            .load_balancer_arn(load_balancer_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, load_balancer_arn))?
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect();

        let op = "elasticloadbalancing:DescribeListeners";
        let mut pages = self
            .elb
            .describe_listeners()
            .load_balancer_arn(load_balancer_arn)
            .into_paginator()
            .send();
        let mut listeners = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error(&e, op, load_balancer_arn))?;
            for l in page.listeners() {
                let arn = l
                    .listener_arn()
                    .ok_or_else(|| missing(op, load_balancer_arn, "ListenerArn"))?;
                let protocol = l
                    .protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                let (default_certificate, sni_certificates) =
                    if l.protocol() == Some(&ProtocolEnum::Https) {
                        let (default, sni) = self.certificates(arn).await?;
                        let default = default.or_else(|| {
                            l.certificates()
                                .first()
                                .and_then(|c| c.certificate_arn())
                                .map(str::to_string)
                        });
                        (default, sni)
                    } else {
                        (None, Vec::new())
                    };
                listeners.push(ListenerBehaviour {
                    port: l
                        .port()
                        .and_then(|p| u16::try_from(p).ok())
                        .ok_or_else(|| missing(op, arn, "a valid Port"))?,
                    protocol,
                    ssl_policy: l.ssl_policy().map(str::to_string),
                    default_certificate,
                    sni_certificates,
                    default_actions: actions_of(l.default_actions()),
                    rules: self.rules(arn).await?.into_iter().map(|r| r.rule).collect(),
                });
            }
        }
        listeners.sort_by_key(|l| l.port);
        Ok(LoadBalancerBehaviour {
            internal,
            ip_address_type,
            attributes,
            listeners,
            web_acl_arn: self.web_acl(load_balancer_arn).await?,
            target_group: None,
        })
    }

    async fn target_group_health_check(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Option<HealthCheck>> {
        let op = "elasticloadbalancing:DescribeTargetGroups";
        let out = self
            .elb
            .describe_target_groups()
            .target_group_arns(target_group_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, target_group_arn))?;
        let Some(tg) = out
            .target_groups()
            .iter()
            .find(|t| t.target_group_arn() == Some(target_group_arn))
        else {
            return Err(CloudError::not_found(op, target_group_arn));
        };
        // A health check with no path is not HTTP (a TCP check of a non-HTTP group): there is
        // nothing an HTTP target group could copy.
        let Some(path) = tg.health_check_path() else {
            return Ok(None);
        };
        let number = |value: Option<i32>, default: u32| {
            value.and_then(|v| u32::try_from(v).ok()).unwrap_or(default)
        };
        Ok(Some(HealthCheck {
            path: path.to_string(),
            matcher: tg
                .matcher()
                .and_then(|m| m.http_code())
                .unwrap_or("200")
                .to_string(),
            interval_secs: number(tg.health_check_interval_seconds(), 30),
            timeout_secs: number(tg.health_check_timeout_seconds(), 5),
            healthy_threshold: number(tg.healthy_threshold_count(), 5),
            unhealthy_threshold: number(tg.unhealthy_threshold_count(), 2),
        }))
    }

    async fn target_group_attributes(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<BTreeMap<String, String>> {
        let op = "elasticloadbalancing:DescribeTargetGroupAttributes";
        Ok(self
            .elb
            .describe_target_group_attributes()
            .target_group_arn(target_group_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, target_group_arn))?
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect())
    }

    async fn create_listener_like(
        &self,
        load_balancer_arn: &str,
        listener: &ListenerBehaviour,
        tags_to_set: &Tags,
    ) -> CloudResult<String> {
        let op = "elasticloadbalancing:CreateListener";
        let resource = format!("listener {} on {load_balancer_arn}", listener.name());
        let out = self
            .elb
            .create_listener()
            .load_balancer_arn(load_balancer_arn)
            .port(i32::from(listener.port))
            .protocol(ProtocolEnum::from(listener.protocol.as_str()))
            .set_ssl_policy(listener.ssl_policy.clone())
            .set_certificates(
                listener
                    .default_certificate
                    .as_ref()
                    .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()]),
            )
            .set_default_actions(Some(sdk_actions(&listener.default_actions)))
            .set_tags(tags(tags_to_set))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, &resource))?;
        out.listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .map(str::to_string)
            .ok_or_else(|| missing(op, &resource, "ListenerArn"))
    }

    async fn modify_listener(
        &self,
        listener_arn: &str,
        listener: &ListenerBehaviour,
    ) -> CloudResult<()> {
        let op = "elasticloadbalancing:ModifyListener";
        self.elb
            .modify_listener()
            .listener_arn(listener_arn)
            .port(i32::from(listener.port))
            .protocol(ProtocolEnum::from(listener.protocol.as_str()))
            .set_ssl_policy(listener.ssl_policy.clone())
            .set_certificates(
                listener
                    .default_certificate
                    .as_ref()
                    .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()]),
            )
            .set_default_actions(Some(sdk_actions(&listener.default_actions)))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, listener_arn))?;
        Ok(())
    }

    async fn add_listener_certificates(
        &self,
        listener_arn: &str,
        certificate_arns: &[String],
    ) -> CloudResult<()> {
        let op = "elasticloadbalancing:AddListenerCertificates";
        self.elb
            .add_listener_certificates()
            .listener_arn(listener_arn)
            .set_certificates(Some(
                certificate_arns
                    .iter()
                    .map(|arn| Certificate::builder().certificate_arn(arn).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, listener_arn))?;
        Ok(())
    }

    async fn rules(&self, listener_arn: &str) -> CloudResult<Vec<ExistingRule>> {
        let op = "elasticloadbalancing:DescribeRules";
        let mut rules = Vec::new();
        let mut marker: Option<String> = None;
        // DescribeRules has a marker but no paginator in the SDK.
        loop {
            let out = self
                .elb
                .describe_rules()
                .listener_arn(listener_arn)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| sdk_error(&e, op, listener_arn))?;
            rules.extend(out.rules().iter().filter_map(rule_of));
            match out.next_marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => break,
            }
        }
        rules.sort_by_key(|r| r.rule.priority);
        Ok(rules)
    }

    async fn create_rule(
        &self,
        listener_arn: &str,
        rule: &ListenerRule,
        tags_to_set: &Tags,
    ) -> CloudResult<String> {
        let op = "elasticloadbalancing:CreateRule";
        let resource = format!("rule {} on {listener_arn}", rule.priority);
        let priority = i32::try_from(rule.priority).map_err(|_| {
            CloudError::new(
                ErrorKind::InvalidRequest,
                op,
                &resource,
                "priority out of range",
            )
        })?;
        let out = self
            .elb
            .create_rule()
            .listener_arn(listener_arn)
            .priority(priority)
            .set_conditions(Some(rule.conditions.iter().map(sdk_condition).collect()))
            .set_actions(Some(sdk_actions(&rule.actions)))
            .set_tags(tags(tags_to_set))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, &resource))?;
        out.rules()
            .first()
            .and_then(|r| r.rule_arn())
            .map(str::to_string)
            .ok_or_else(|| missing(op, &resource, "RuleArn"))
    }

    async fn delete_rule(&self, rule_arn: &str) -> CloudResult<()> {
        let op = "elasticloadbalancing:DeleteRule";
        self.elb
            .delete_rule()
            .rule_arn(rule_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, rule_arn))?;
        Ok(())
    }

    async fn listener_default_actions(&self, listener_arn: &str) -> CloudResult<Vec<RuleAction>> {
        let op = "elasticloadbalancing:DescribeListeners";
        let out = self
            .elb
            .describe_listeners()
            .listener_arns(listener_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, listener_arn))?;
        let listener = out.listeners().first().ok_or_else(|| {
            CloudError::new(ErrorKind::NotFound, op, listener_arn, "ListenerNotFound")
        })?;
        Ok(actions_of(listener.default_actions()))
    }

    async fn set_listener_default_actions(
        &self,
        listener_arn: &str,
        actions: &[RuleAction],
    ) -> CloudResult<()> {
        // Only DefaultActions: ModifyListener keeps every property it is not given (port,
        // protocol, certificates, SSL policy).
        let op = "elasticloadbalancing:ModifyListener";
        self.elb
            .modify_listener()
            .listener_arn(listener_arn)
            .set_default_actions(Some(sdk_actions(actions)))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, listener_arn))?;
        Ok(())
    }

    async fn set_rule_actions(&self, rule_arn: &str, actions: &[RuleAction]) -> CloudResult<()> {
        // Only Actions: ModifyRule keeps the conditions it is not given.
        let op = "elasticloadbalancing:ModifyRule";
        self.elb
            .modify_rule()
            .rule_arn(rule_arn)
            .set_actions(Some(sdk_actions(actions)))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, rule_arn))?;
        Ok(())
    }

    async fn set_load_balancer_attributes(
        &self,
        load_balancer_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let op = "elasticloadbalancing:ModifyLoadBalancerAttributes";
        self.elb
            .modify_load_balancer_attributes()
            .load_balancer_arn(load_balancer_arn)
            .set_attributes(Some(
                attributes
                    .iter()
                    .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, load_balancer_arn))?;
        Ok(())
    }

    async fn set_target_group_attributes(
        &self,
        target_group_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> CloudResult<()> {
        let op = "elasticloadbalancing:ModifyTargetGroupAttributes";
        self.elb
            .modify_target_group_attributes()
            .target_group_arn(target_group_arn)
            .set_attributes(Some(
                attributes
                    .iter()
                    .map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, target_group_arn))?;
        Ok(())
    }

    async fn associate_web_acl(&self, web_acl_arn: &str, resource_arn: &str) -> CloudResult<()> {
        let op = "wafv2:AssociateWebACL";
        self.waf
            .associate_web_acl()
            .web_acl_arn(web_acl_arn)
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, resource_arn))?;
        Ok(())
    }

    async fn disassociate_web_acl(&self, resource_arn: &str) -> CloudResult<()> {
        // DisassociateWebACL succeeds on a resource without an association; look first so a
        // compensation can tell.
        if self.web_acl(resource_arn).await?.is_none() {
            return Err(CloudError::not_found(
                "wafv2:DisassociateWebACL",
                resource_arn,
            ));
        }
        let op = "wafv2:DisassociateWebACL";
        self.waf
            .disassociate_web_acl()
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(|e| sdk_error(&e, op, resource_arn))?;
        Ok(())
    }
}
