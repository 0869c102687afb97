//! The plan's deterministic names, looked up so that a name the plan lacks is an error that
//! stops the step, never a panic: a hand-edited or inconsistent state must not crash a run
//! halfway through.

use migrate_plan::ResourceNames;

use crate::error::StepError;

/// The ECS service name the plan gives the playbook service `service`.
pub fn service<'n>(names: &'n ResourceNames, service: &str) -> Result<&'n str, StepError> {
    names
        .services
        .get(service)
        .map(String::as_str)
        .ok_or_else(|| missing("an ECS service name", service))
}

/// The task definition family the plan gives the playbook service `service`.
pub fn family<'n>(names: &'n ResourceNames, service: &str) -> Result<&'n str, StepError> {
    names
        .families
        .get(service)
        .map(String::as_str)
        .ok_or_else(|| missing("a task definition family", service))
}

fn missing(what: &str, service: &str) -> StepError {
    StepError::precondition(format!(
        "the plan names no {what} for the service {service}; the state is inconsistent \
         (was it edited by hand?)"
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn names() -> ResourceNames {
        ResourceNames {
            cluster: "shop".into(),
            service_security_group: "sg".into(),
            load_balancer_security_group: "lb-sg".into(),
            target_group: "tg".into(),
            bridge_target_group: String::new(),
            load_balancer: "lb".into(),
            families: BTreeMap::from([("web".into(), "shop-web-fargate".into())]),
            services: BTreeMap::from([("web".into(), "shop-web".into())]),
            alarm_prefix: "shop".into(),
        }
    }

    #[test]
    fn a_known_service_has_its_names() {
        assert_eq!(service(&names(), "web").ok(), Some("shop-web"));
        assert_eq!(family(&names(), "web").ok(), Some("shop-web-fargate"));
    }

    #[test]
    fn a_service_the_plan_does_not_name_is_an_error_not_a_panic() {
        let error = service(&names(), "worker").expect_err("worker is not named");
        assert!(
            error.to_string().contains("worker") && error.to_string().contains("inconsistent"),
            "{error}"
        );
        assert!(family(&names(), "worker").is_err());
    }
}
