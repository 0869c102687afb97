#!/usr/bin/env python3
"""Seeds an AWS emulator (moto server) with a source topology and writes its playbook.

`--kind ecs-ec2` (the default) seeds the topology the canonical field report starts from: an ALB
and target group in front of an ECS-on-EC2 cluster (an nginx + php-fpm service with links and
bridge networking, and a queue-worker service), the cluster's container instances in an Auto
Scaling group built from a launch template, security groups for Redis and RDS, and a Route53 zone
whose FQDN is an A alias of the old ALB. `--kind asg` seeds plain instances in an Auto Scaling
group behind a dual-stack ALB with an HTTP-to-HTTPS redirect and a host rule (playbooks/asg.yaml);
`--kind beanstalk` seeds an Elastic Beanstalk environment's resources (playbooks/beanstalk.yaml),
and the environment itself goes to ids.json for scripts/beanstalk_standin.py; `--kind ec2` seeds
two plain instances registered in an ALB's target group without an Auto Scaling group
(playbooks/ec2.yaml).

Usage: seed_demo.py [--kind KIND] --endpoint-url http://127.0.0.1:PORT --playbook playbooks/demo.yaml --out DIR

It writes DIR/ids.json (every id it created) and DIR/<playbook's file name>: the playbook with the
emulator's ids in place of the placeholder ones, next to a copy of the task definitions it refers
to. It talks to the given endpoint only, with dummy credentials, so it cannot touch a real account.
"""

import argparse
import json
import os
import re
import shutil
import sys

import boto3

REGION = "ap-northeast-1"

PLACEHOLDERS = {
    "vpc": "vpc-0a1b2c3d4e5f60718",
    "subnet_a": "subnet-0a1b2c3d4e5f60001",
    "subnet_c": "subnet-0a1b2c3d4e5f60002",
}
# The data stores' groups of the container and Auto Scaling kinds, and what playbooks/ec2.yaml
# names in their place: its database's group and the two instances.
KIND_PLACEHOLDERS = {
    "ec2": {
        "database_sg": "sg-0a1b2c3d4e5f6cccc",
        "instance_1": "i-0a1b2c3d4e5f60001",
        "instance_2": "i-0a1b2c3d4e5f60002",
    },
}
DEFAULT_KIND_PLACEHOLDERS = {
    "redis_sg": "sg-0a1b2c3d4e5f6aaaa",
    "rds_sg": "sg-0a1b2c3d4e5f6bbbb",
}


def client(name, endpoint):
    return boto3.client(
        name,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def seed_account(endpoint):
    """What every kind shares: the VPC and its two subnets, the route out and the endpoints the
    preflight looks for, and the roles."""
    ec2 = client("ec2", endpoint)
    ids = {}

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids["vpc"] = vpc
    for key, az, cidr in (("subnet_a", "a", "10.0.0.0/24"), ("subnet_c", "c", "10.0.1.0/24")):
        ids[key] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=REGION + az)["Subnet"]["SubnetId"]
    subnets = [ids["subnet_a"], ids["subnet_c"]]

    # What the preflight checks: the subnets are public (the VPC's main route table sends
    # 0.0.0.0/0 to an internet gateway) for the internet-facing load balancer, and the tasks, which
    # get no public IP, reach ECR, CloudWatch Logs, S3 and Secrets Manager through VPC endpoints;
    # the execution role the playbook names exists, and so does ECS's service-linked role.
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    main_table = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager"):
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.{service}",
                                VpcEndpointType="Interface", SubnetIds=subnets, PrivateDnsEnabled=True)
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3",
                            VpcEndpointType="Gateway", RouteTableIds=[main_table])
    iam = client("iam", endpoint)
    # Several kinds may be seeded into one account (scripts/seed_discover.py): the roles are the
    # account's, made once.
    if any(r["RoleName"] == "ecsTaskExecutionRole" for r in iam.list_roles()["Roles"]):
        return ids
    iam.create_role(
        RoleName="ecsTaskExecutionRole",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }),
    )
    # As CreateServiceLinkedRole names it on AWS (moto 5.2.5 would name it AWSServiceRoleForecs).
    iam.create_role(
        RoleName="AWSServiceRoleForECS",
        Path="/aws-service-role/ecs.amazonaws.com/",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }),
    )

    return ids


def security_group(ec2, vpc, name, description):
    return ec2.create_security_group(VpcId=vpc, GroupName=name, Description=description)["GroupId"]


def seed(endpoint, web_desired, worker_desired):
    """The seed-001 topology: ECS-on-EC2 behind an ALB (the default demo)."""
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    asg = client("autoscaling", endpoint)
    ecs = client("ecs", endpoint)
    r53 = client("route53", endpoint)
    ids = seed_account(endpoint)
    vpc = ids["vpc"]
    subnets = [ids["subnet_a"], ids["subnet_c"]]

    def group(name, description):
        return security_group(ec2, vpc, name, description)

    ids["old_alb_sg"] = group("shop-old-alb", "old ALB: HTTP from anywhere")
    ec2.authorize_security_group_ingress(
        GroupId=ids["old_alb_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ids["instances_sg"] = group("shop-ecs-instances", "container instances: from the old ALB")
    ec2.authorize_security_group_ingress(
        GroupId=ids["instances_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 32768, "ToPort": 65535,
                        "UserIdGroupPairs": [{"GroupId": ids["old_alb_sg"]}]}],
    )
    ids["redis_sg"] = group("shop-redis", "ElastiCache Redis (sessions)")
    ids["rds_sg"] = group("shop-rds", "RDS MySQL")
    for store, port in (("redis_sg", 6379), ("rds_sg", 3306)):
        ec2.authorize_security_group_ingress(
            GroupId=ids[store],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                            "UserIdGroupPairs": [{"GroupId": ids["instances_sg"]}]}],
        )

    # The old load balancer, its target group (instance targets, as ECS-on-EC2 with bridge
    # networking uses) and an HTTP listener.
    alb = elb.create_load_balancer(Name="shop-old-alb", Subnets=subnets, SecurityGroups=[ids["old_alb_sg"]],
                                   Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    ids["old_alb_arn"] = alb["LoadBalancerArn"]
    ids["old_alb_dns"] = alb["DNSName"]
    ids["old_alb_zone"] = alb["CanonicalHostedZoneId"]
    tg = elb.create_target_group(Name="shop-old-web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
                                 HealthCheckPath="/healthz", Matcher={"HttpCode": "200,302"})["TargetGroups"][0]
    ids["old_tg_arn"] = tg["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=ids["old_alb_arn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["old_tg_arn"]}])

    # The old load balancer reports HealthyHostCount for its target group every minute, which is
    # how the drain knows that CloudWatch has published a window (moto publishes no ELB metric
    # itself): one data point a minute from ten minutes ago to three hours ahead, as AWS would
    # publish them while the demo runs.
    publish_healthy_host_count(client("cloudwatch", endpoint), ids["old_alb_arn"], ids["old_tg_arn"])
    old_alarms(client("cloudwatch", endpoint), ids["old_alb_arn"], "shop-ecs-instances")

    # The container instances: an Auto Scaling group from a launch template, attached to the old
    # target group.
    # It tags the volumes it creates, which is how `migrate cleanup` ties a volume left behind to
    # the group (Auto Scaling itself never tags volumes).
    volume_tags = [{"Key": "Name", "Value": "shop-ecs-instances-data"}]
    ids["launch_template"] = ec2.create_launch_template(
        LaunchTemplateName="shop-ecs-instances",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "m5.large",
                            "SecurityGroupIds": [ids["instances_sg"]],
                            "TagSpecifications": [{"ResourceType": "volume", "Tags": volume_tags}]},
    )["LaunchTemplate"]["LaunchTemplateId"]
    # Data volumes that terminated instances left `available` (DeleteOnTermination false), and
    # one volume of someone else's in the same zone, which clean-up must keep.
    for key in ("old_volume_1", "old_volume_2"):
        ids[key] = ec2.create_volume(
            AvailabilityZone=REGION + "a", Size=20,
            TagSpecifications=[{"ResourceType": "volume", "Tags": volume_tags}])["VolumeId"]
    ids["other_volume"] = ec2.create_volume(
        AvailabilityZone=REGION + "a", Size=20,
        TagSpecifications=[{"ResourceType": "volume",
                            "Tags": [{"Key": "Name", "Value": "reports-scratch"}]}])["VolumeId"]
    asg.create_auto_scaling_group(
        AutoScalingGroupName="shop-ecs-instances",
        LaunchTemplate={"LaunchTemplateName": "shop-ecs-instances"},
        MinSize=2, MaxSize=4, DesiredCapacity=2,
        VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[ids["old_tg_arn"]],
    )
    ids["asg"] = "shop-ecs-instances"
    # The old side scales out on CPU; the new web service takes its target over.
    asg.put_scaling_policy(
        AutoScalingGroupName="shop-ecs-instances",
        PolicyName="shop-ecs-instances-cpu",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 55.0,
        },
    )
    instances = [i["InstanceId"] for i in
                 asg.describe_auto_scaling_groups(AutoScalingGroupNames=["shop-ecs-instances"])
                 ["AutoScalingGroups"][0]["Instances"]]

    # The ECS-on-EC2 cluster: nginx + php-fpm linked in bridge mode, and a queue worker.
    ecs.create_cluster(clusterName="shop-ec2")
    for instance in instances:
        document = json.dumps({"instanceId": instance, "region": REGION, "accountId": "123456789012"})
        ecs.register_container_instance(cluster="shop-ec2", instanceIdentityDocument=document)
    log = lambda group: {"logDriver": "awslogs",  # noqa: E731
                         "options": {"awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": "ec2"}}
    web_td = ecs.register_task_definition(
        family="shop-web-ec2",
        networkMode="bridge",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {"name": "nginx", "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop-nginx:1.3.9",
             "memory": 256, "essential": True, "links": ["php-fpm"],
             "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
             "logConfiguration": log("/ecs/shop-ec2/nginx")},
            {"name": "php-fpm", "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop-php:2.8.1",
             "memory": 768, "essential": True, "logConfiguration": log("/ecs/shop-ec2/php-fpm")},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    worker_td = ecs.register_task_definition(
        family="shop-worker-ec2",
        networkMode="bridge",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {"name": "worker", "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop-php:2.8.1",
             "memory": 512, "essential": True, "command": ["php", "artisan", "queue:work"],
             "logConfiguration": log("/ecs/shop-ec2/worker")},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="shop-ec2", serviceName="shop-web", taskDefinition=web_td,
                       desiredCount=web_desired, launchType="EC2",
                       loadBalancers=[{"targetGroupArn": ids["old_tg_arn"], "containerName": "nginx",
                                       "containerPort": 80}])
    ecs.create_service(cluster="shop-ec2", serviceName="shop-worker", taskDefinition=worker_td,
                       desiredCount=worker_desired, launchType="EC2")
    ids["cluster"] = "shop-ec2"

    # The public zone and the FQDN users reach, an alias of the old ALB.
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="migrate-demo-seed")["HostedZone"]["Id"]
    ids["zone"] = zone.split("/")[-1]
    r53.change_resource_record_sets(
        HostedZoneId=ids["zone"],
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "shop.example.com.", "Type": "A",
            "AliasTarget": {"HostedZoneId": ids["old_alb_zone"], "DNSName": ids["old_alb_dns"],
                            "EvaluateTargetHealth": False}}}]},
    )
    return ids


def data_store_groups(ec2, vpc, ids, prefix, admitted, ports):
    """The data stores' security groups, each admitting the old side's instances on its port."""
    for key, name, port in (("redis_sg", "redis", ports[0]), ("rds_sg", "db", ports[1])):
        ids[key] = security_group(ec2, vpc, f"{prefix}-{name}", f"{prefix} {name}")
        ec2.authorize_security_group_ingress(
            GroupId=ids[key],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                            "UserIdGroupPairs": [{"GroupId": admitted}]}],
        )


def alias(ids, name, record_type, lb_key):
    return {"Action": "UPSERT", "ResourceRecordSet": {
        "Name": name, "Type": record_type,
        "AliasTarget": {"HostedZoneId": ids[lb_key + "_zone"], "DNSName": "dualstack." + ids[lb_key + "_dns"],
                        "EvaluateTargetHealth": False}}}


def seed_asg(endpoint):
    """An Auto Scaling group of plain instances (app on 8080) behind a dual-stack ALB that redirects
    HTTP to HTTPS and routes api.example.com by a host rule; catalog.example.com is an A and an AAAA
    alias of it, and a scheduled action raises the group every morning."""
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    asg = client("autoscaling", endpoint)
    acm = client("acm", endpoint)
    r53 = client("route53", endpoint)
    ids = seed_account(endpoint)
    vpc, subnets = ids["vpc"], [ids["subnet_a"], ids["subnet_c"]]

    ids["old_alb_sg"] = security_group(ec2, vpc, "catalog-old-alb", "old ALB: HTTP and HTTPS from anywhere")
    for port in (80, 443):
        ec2.authorize_security_group_ingress(
            GroupId=ids["old_alb_sg"],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                            "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        )
    ids["instances_sg"] = security_group(ec2, vpc, "catalog-web", "instances: 8080 from the old ALB")
    ec2.authorize_security_group_ingress(
        GroupId=ids["instances_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                        "UserIdGroupPairs": [{"GroupId": ids["old_alb_sg"]}]}],
    )
    data_store_groups(ec2, vpc, ids, "catalog", ids["instances_sg"], (6379, 5432))

    alb = elb.create_load_balancer(Name="catalog-old-alb", Subnets=subnets, SecurityGroups=[ids["old_alb_sg"]],
                                   Scheme="internet-facing", Type="application",
                                   IpAddressType="dualstack")["LoadBalancers"][0]
    ids["old_alb_arn"], ids["old_alb_dns"], ids["old_alb_zone"] = (
        alb["LoadBalancerArn"], alb["DNSName"], alb["CanonicalHostedZoneId"])
    tg = elb.create_target_group(Name="catalog-old-web", Protocol="HTTP", Port=8080, VpcId=vpc,
                                 TargetType="instance", HealthCheckPath="/healthz",
                                 Matcher={"HttpCode": "200"})["TargetGroups"][0]
    ids["old_tg_arn"] = tg["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=ids["old_tg_arn"], Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"},
        {"Key": "stickiness.type", "Value": "lb_cookie"},
        {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "3600"},
    ])
    ids["certificate"] = acm.request_certificate(DomainName="catalog.example.com")["CertificateArn"]
    ids["api_certificate"] = acm.request_certificate(DomainName="api.example.com")["CertificateArn"]
    ids["old_http_listener"] = elb.create_listener(
        LoadBalancerArn=ids["old_alb_arn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": {
            "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}],
    )["Listeners"][0]["ListenerArn"]
    ids["old_https_listener"] = elb.create_listener(
        LoadBalancerArn=ids["old_alb_arn"], Protocol="HTTPS", Port=443,
        Certificates=[{"CertificateArn": ids["certificate"]}],
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["old_tg_arn"]}],
    )["Listeners"][0]["ListenerArn"]
    elb.add_listener_certificates(ListenerArn=ids["old_https_listener"],
                                  Certificates=[{"CertificateArn": ids["api_certificate"]}])
    elb.create_rule(ListenerArn=ids["old_https_listener"], Priority=10,
                    Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}}],
                    Actions=[{"Type": "forward", "TargetGroupArn": ids["old_tg_arn"]}])

    ids["launch_template"] = ec2.create_launch_template(
        LaunchTemplateName="catalog-web",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.large",
                            "SecurityGroupIds": [ids["instances_sg"]]},
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(
        AutoScalingGroupName="catalog-web", LaunchTemplate={"LaunchTemplateName": "catalog-web"},
        MinSize=2, MaxSize=6, DesiredCapacity=2, VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[ids["old_tg_arn"]],
    )
    ids["asg"] = "catalog-web"
    # What would raise the group again after a plain scale-to-zero.
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName="catalog-web", ScheduledActionName="catalog-morning",
        Recurrence="0 8 * * *", MinSize=2, MaxSize=6, DesiredCapacity=4)
    asg.put_scaling_policy(
        AutoScalingGroupName="catalog-web", PolicyName="catalog-web-cpu", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50.0,
        },
    )

    zone = r53.create_hosted_zone(Name="example.com", CallerReference="migrate-demo-asg")["HostedZone"]["Id"]
    ids["zone"] = zone.split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=ids["zone"], ChangeBatch={"Changes": [
        alias(ids, "catalog.example.com.", "A", "old_alb"),
        alias(ids, "catalog.example.com.", "AAAA", "old_alb"),
    ]})
    # As in seed(): the drain needs HealthyHostCount to know a window was published.
    publish_healthy_host_count(client("cloudwatch", endpoint), ids["old_alb_arn"], ids["old_tg_arn"])
    return ids


def seed_ec2(endpoint):
    """Two plain instances a team launched by hand (no Auto Scaling group), the ledger app on port
    8000, registered in the target group of an ALB that ledger.example.com aliases; a database
    admits them on 5432. One alarm watches an instance's CPU (clean-up deletes it)."""
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    r53 = client("route53", endpoint)
    ids = seed_account(endpoint)
    vpc, subnets = ids["vpc"], [ids["subnet_a"], ids["subnet_c"]]

    ids["old_alb_sg"] = security_group(ec2, vpc, "ledger-old-alb", "old ALB: HTTP from anywhere")
    ec2.authorize_security_group_ingress(
        GroupId=ids["old_alb_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ids["instances_sg"] = security_group(ec2, vpc, "ledger-web", "instances: 8000 from the old ALB")
    ec2.authorize_security_group_ingress(
        GroupId=ids["instances_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000,
                        "UserIdGroupPairs": [{"GroupId": ids["old_alb_sg"]}]}],
    )
    ids["database_sg"] = security_group(ec2, vpc, "ledger-database", "ledger database")
    ec2.authorize_security_group_ingress(
        GroupId=ids["database_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                        "UserIdGroupPairs": [{"GroupId": ids["instances_sg"]}]}],
    )

    alb = elb.create_load_balancer(Name="ledger-old-alb", Subnets=subnets, SecurityGroups=[ids["old_alb_sg"]],
                                   Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    ids["old_alb_arn"], ids["old_alb_dns"], ids["old_alb_zone"] = (
        alb["LoadBalancerArn"], alb["DNSName"], alb["CanonicalHostedZoneId"])
    tg = elb.create_target_group(Name="ledger-old-web", Protocol="HTTP", Port=8000, VpcId=vpc,
                                 TargetType="instance", HealthCheckPath="/healthz",
                                 Matcher={"HttpCode": "200"})["TargetGroups"][0]
    ids["old_tg_arn"] = tg["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=ids["old_alb_arn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["old_tg_arn"]}])
    instances = ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="t3.medium",
                                  SubnetId=subnets[0], SecurityGroupIds=[ids["instances_sg"]])["Instances"]
    ids["instance_1"], ids["instance_2"] = sorted(i["InstanceId"] for i in instances)
    elb.register_targets(TargetGroupArn=ids["old_tg_arn"],
                         Targets=[{"Id": ids[k], "Port": 8000} for k in ("instance_1", "instance_2")])

    zone = r53.create_hosted_zone(Name="example.com", CallerReference="migrate-demo-ec2")["HostedZone"]["Id"]
    ids["zone"] = zone.split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=ids["zone"], ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "ledger.example.com.", "Type": "A",
            "AliasTarget": {"HostedZoneId": ids["old_alb_zone"], "DNSName": ids["old_alb_dns"],
                            "EvaluateTargetHealth": False}}},
    ]})
    cloudwatch = client("cloudwatch", endpoint)
    cloudwatch.put_metric_alarm(
        AlarmName="ledger-web-1-cpu", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
        Period=300, EvaluationPeriods=2, Threshold=90.0, ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "InstanceId", "Value": ids["instance_1"]}])
    # As in seed(): the drain needs HealthyHostCount to know a window was published.
    publish_healthy_host_count(cloudwatch, ids["old_alb_arn"], ids["old_tg_arn"])
    return ids


BEANSTALK_ENVIRONMENT = "portal-prod"


def seed_beanstalk(endpoint):
    """An Elastic Beanstalk environment's resources as EB creates them (its Auto Scaling group
    tagged with the environment's name, its ALB, target group and security groups), and
    portal.example.com, a CNAME of the environment's elasticbeanstalk.com name. The environment
    itself is described in ids["beanstalk"], which scripts/beanstalk_standin.py serves: moto has
    no UpdateEnvironment."""
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    asg = client("autoscaling", endpoint)
    r53 = client("route53", endpoint)
    ids = seed_account(endpoint)
    vpc, subnets = ids["vpc"], [ids["subnet_a"], ids["subnet_c"]]
    stack = "awseb-e-p7ab3xk2mq-stack"

    ids["old_alb_sg"] = security_group(ec2, vpc, f"{stack}-AWSEBLoadBalancerSecurityGroup-1XJ9Q",
                                       "Elastic Beanstalk created security group for the load balancer")
    ec2.authorize_security_group_ingress(
        GroupId=ids["old_alb_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    # As Elastic Beanstalk makes it, the load balancer's group sends only to port 80.
    ec2.authorize_security_group_egress(
        GroupId=ids["old_alb_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.revoke_security_group_egress(
        GroupId=ids["old_alb_sg"],
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ids["instances_sg"] = security_group(ec2, vpc, f"{stack}-AWSEBSecurityGroup-8KQ2M",
                                         "Elastic Beanstalk created security group for the instances")
    ec2.authorize_security_group_ingress(
        GroupId=ids["instances_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                        "UserIdGroupPairs": [{"GroupId": ids["old_alb_sg"]}]}],
    )
    data_store_groups(ec2, vpc, ids, "portal", ids["instances_sg"], (6379, 3306))

    alb = elb.create_load_balancer(Name="awseb-AWSEB-1KX7QZ3", Subnets=subnets, SecurityGroups=[ids["old_alb_sg"]],
                                   Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    ids["old_alb_arn"], ids["old_alb_dns"], ids["old_alb_zone"] = (
        alb["LoadBalancerArn"], alb["DNSName"], alb["CanonicalHostedZoneId"])
    ids["old_tg_arn"] = elb.create_target_group(
        Name="awseb-AWSEB-Q4M2HN8", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
        HealthCheckPath="/healthz", Matcher={"HttpCode": "200,302"})["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=ids["old_alb_arn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["old_tg_arn"]}])

    group = f"{stack}-AWSEBAutoScalingGroup-5ZP1L"
    ec2.create_launch_template(
        LaunchTemplateName=f"{stack}-AWSEBEC2LaunchTemplate-3JV0",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.medium",
                            "SecurityGroupIds": [ids["instances_sg"]]})
    asg.create_auto_scaling_group(
        AutoScalingGroupName=group, LaunchTemplate={"LaunchTemplateName": f"{stack}-AWSEBEC2LaunchTemplate-3JV0"},
        MinSize=2, MaxSize=4, DesiredCapacity=2, VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[ids["old_tg_arn"]],
        Tags=[{"Key": "elasticbeanstalk:environment-name", "Value": BEANSTALK_ENVIRONMENT,
               "PropagateAtLaunch": True, "ResourceId": group, "ResourceType": "auto-scaling-group"}],
    )
    ids["asg"] = group
    cname = f"{BEANSTALK_ENVIRONMENT}.{REGION}.elasticbeanstalk.com"
    ids["beanstalk"] = {
        "environments": [{
            "name": BEANSTALK_ENVIRONMENT, "id": "e-p7ab3xk2mq", "application": "portal", "cname": cname,
            "auto_scaling_group": group, "load_balancer": ids["old_alb_arn"],
            "options": {"aws:autoscaling:asg": {"MinSize": "2", "MaxSize": "4"}},
        }],
    }

    zone = r53.create_hosted_zone(Name="example.com", CallerReference="migrate-demo-beanstalk")["HostedZone"]["Id"]
    ids["zone"] = zone.split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=ids["zone"], ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "portal.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": cname}]}},
    ]})
    # As in seed(): the drain needs HealthyHostCount to know a window was published.
    publish_healthy_host_count(client("cloudwatch", endpoint), ids["old_alb_arn"], ids["old_tg_arn"])
    return ids


def write_playbook(playbook, out, ids, overrides, kind):
    text = open(playbook, encoding="utf-8").read()
    placeholders = {**PLACEHOLDERS, **KIND_PLACEHOLDERS.get(kind, DEFAULT_KIND_PLACEHOLDERS)}
    for key, placeholder in placeholders.items():
        if placeholder not in text:
            sys.exit(f"seed_demo: {playbook} no longer contains the placeholder {placeholder}")
        text = text.replace(placeholder, ids[key])
    for pattern, value in overrides:
        text, n = re.subn(pattern, value, text, flags=re.MULTILINE)
        if n == 0:
            sys.exit(f"seed_demo: {playbook} has nothing matching {pattern!r}")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, os.path.basename(playbook)), "w", encoding="utf-8") as f:
        f.write(text)
    source_dir = os.path.join(os.path.dirname(os.path.abspath(playbook)), "taskdefs")
    if os.path.isdir(source_dir):
        shutil.copytree(source_dir, os.path.join(out, "taskdefs"), dirs_exist_ok=True)


def old_alarms(cloudwatch, lb_arn, group):
    """Alarms the team left on the old side (which clean-up deletes), one a target tracking policy
    made (which goes with its policy) and one on something else (which stays)."""
    lb = lb_arn.split(":loadbalancer/", 1)[1]
    def alarm(name, namespace, metric, dimensions, description=None):
        extra = {"AlarmDescription": description} if description else {}
        cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace=namespace, MetricName=metric, Statistic="Sum", Period=60,
            EvaluationPeriods=3, Threshold=10.0, ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions], **extra)
    alarm("shop-old-alb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", [("LoadBalancer", lb)])
    alarm("shop-ecs-instances-cpu-high", "AWS/EC2", "CPUUtilization", [("AutoScalingGroupName", group)])
    alarm(f"TargetTracking-{group}-AlarmHigh-5f1c", "AWS/EC2", "CPUUtilization",
          [("AutoScalingGroupName", group)],
          "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy arn:aws:autoscaling:policy/cpu50.")
    alarm("billing-estimated-charges", "AWS/Billing", "EstimatedCharges", [("Currency", "USD")])


def publish_healthy_host_count(cloudwatch, lb_arn, tg_arn, before_minutes=10, after_minutes=180):
    """Puts one HealthyHostCount data point a minute for the target group behind the load balancer."""
    import datetime

    dimensions = [{"Name": "LoadBalancer", "Value": lb_arn.split(":loadbalancer/", 1)[1]},
                  {"Name": "TargetGroup", "Value": tg_arn.rsplit(":", 1)[1]}]
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    minutes = [now + datetime.timedelta(minutes=m) for m in range(-before_minutes, after_minutes)]
    for first in range(0, len(minutes), 20):  # PutMetricData takes at most 1000 values; keep requests small
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "HealthyHostCount", "Dimensions": dimensions, "Timestamp": at, "Value": 2.0}
            for at in minutes[first:first + 20]])


def act_as_ecs(endpoint, prefix, port, timeout):
    """Registers two task IPs in the first target group whose name starts with `prefix`.

    moto's ECS starts no task and registers no target; on AWS, ECS registers the IPs of a
    Fargate service's tasks itself. The demo runs this in the background to stand in for that.
    """
    import time

    elb = client("elbv2", endpoint)
    deadline = time.time() + timeout
    while time.time() < deadline:
        for tg in elb.describe_target_groups()["TargetGroups"]:
            if tg["TargetGroupName"].startswith(prefix):
                elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                                     Targets=[{"Id": "10.0.0.21", "Port": port}, {"Id": "10.0.1.22", "Port": port}])
                print(f"acting as ECS: registered 2 task IPs in {tg['TargetGroupName']}")
                return
        time.sleep(0.5)
    sys.exit(f"seed_demo: no target group named {prefix}* appeared")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "act-as-ecs":
        parser = argparse.ArgumentParser(description=act_as_ecs.__doc__.splitlines()[0])
        parser.add_argument("command")
        parser.add_argument("--endpoint-url", required=True)
        parser.add_argument("--target-group-prefix", required=True)
        parser.add_argument("--port", type=int, default=80, help="the web container's port")
        parser.add_argument("--timeout", type=float, default=600)
        args = parser.parse_args()
        act_as_ecs(args.endpoint_url, args.target_group_prefix, args.port, args.timeout)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--playbook", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--kind", choices=("ecs-ec2", "asg", "beanstalk", "ec2"), default="ecs-ec2",
                        help="the source topology: seed-001's ECS-on-EC2 (default), an ASG, Beanstalk, "
                             "or plain EC2 instances")
    parser.add_argument("--web-desired", type=int, default=2)
    parser.add_argument("--worker-desired", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="replace the value of a top-level-indented playbook key, e.g. min_wait=10s")
    args = parser.parse_args()
    if not args.endpoint_url.startswith(("http://127.", "http://localhost")):
        sys.exit("seed_demo: refusing an endpoint that is not on loopback")
    if args.kind == "asg":
        ids = seed_asg(args.endpoint_url)
    elif args.kind == "beanstalk":
        ids = seed_beanstalk(args.endpoint_url)
    elif args.kind == "ec2":
        ids = seed_ec2(args.endpoint_url)
    else:
        ids = seed(args.endpoint_url, args.web_desired, args.worker_desired)
    overrides = []
    for item in args.set:
        key, _, value = item.partition("=")
        overrides.append((rf"^(\s*{re.escape(key)}:)\s*\S+.*$", rf"\g<1> {value}"))
    write_playbook(args.playbook, args.out, ids, overrides, args.kind)
    with open(os.path.join(args.out, "ids.json"), "w", encoding="utf-8") as f:
        json.dump(ids, f, indent=2, sort_keys=True)
    for key in sorted(ids):
        if isinstance(ids[key], str):
            print(f"{key:16} {ids[key]}")


if __name__ == "__main__":
    main()
