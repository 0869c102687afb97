#!/usr/bin/env python3
"""Seeds one moto account with four applications of four kinds and distractors, for the tests of
`migrate discover` and `migrate init`.

Applications: the ECS-on-EC2 shop, the Auto Scaling group catalog and the Elastic Beanstalk
portal exactly as `seed_demo.py --kind …` seeds them (each in its own VPC), plus `legacy`: two
plain EC2 instances registered in a target group without an Auto Scaling group (the OpsWorks
report's shape). Data stores: an RDS MySQL instance the shop reaches, an ElastiCache Redis
cluster the catalog reaches, an Aurora cluster the portal reaches. Distractors, which discovery
must not report as applications or as reached data stores: an ALB with no listener, a private
zone whose record points elsewhere, an RDS instance and an EFS file system whose security group
admits no one of the old sides.

Writes OUT/ids.json: the Beanstalk environment under "beanstalk" (as seed_demo.py does, for
scripts/beanstalk_standin.py) and every other id under its kind.

Usage: seed_discover.py --endpoint-url http://127.0.0.1:PORT --out DIR
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed_demo  # noqa: E402
from seed_demo import client, security_group  # noqa: E402


def seed_legacy(endpoint, vpc, subnets):
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    r53 = client("route53", endpoint)
    ids = {}
    ids["alb_sg"] = security_group(ec2, vpc, "legacy-alb", "legacy ALB")
    ids["instances_sg"] = security_group(ec2, vpc, "legacy-web", "legacy instances")
    alb = elb.create_load_balancer(Name="legacy-alb", Subnets=subnets, SecurityGroups=[ids["alb_sg"]],
                                   Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    tg = elb.create_target_group(Name="legacy-web", Protocol="HTTP", Port=8000, VpcId=vpc,
                                 TargetType="instance", HealthCheckPath="/ping")["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    instances = ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="t3.small",
                                  SubnetId=subnets[0], SecurityGroupIds=[ids["instances_sg"]])["Instances"]
    ids["instances"] = [i["InstanceId"] for i in instances]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                         Targets=[{"Id": i, "Port": 8000} for i in ids["instances"]])
    zone = r53.create_hosted_zone(Name="legacy.example.org", CallerReference="discover-legacy")["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "www.legacy.example.org.", "Type": "A",
            "AliasTarget": {"HostedZoneId": alb["CanonicalHostedZoneId"], "DNSName": alb["DNSName"],
                            "EvaluateTargetHealth": False}}},
    ]})
    return ids


def seed_data_stores(endpoint, shop, catalog, portal):
    rds = client("rds", endpoint)
    cache = client("elasticache", endpoint)
    ec2 = client("ec2", endpoint)
    efs = client("efs", endpoint)
    rds.create_db_instance(DBInstanceIdentifier="shop-db", Engine="mysql", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                           VpcSecurityGroupIds=[shop["rds_sg"]], Port=3306)
    cache.create_cache_cluster(CacheClusterId="catalog-cache", Engine="redis", CacheNodeType="cache.t3.micro",
                               NumCacheNodes=1, SecurityGroupIds=[catalog["redis_sg"]])
    rds.create_db_cluster(DBClusterIdentifier="portal-aurora", Engine="aurora-mysql", MasterUsername="admin",
                          MasterUserPassword="not-a-secret-1", VpcSecurityGroupIds=[portal["rds_sg"]],
                          Port=3306)
    # Distractors: stores whose security group admits none of the old sides.
    lonely = security_group(ec2, shop["vpc"], "reports-db", "reports database: from the office only")
    ec2.authorize_security_group_ingress(
        GroupId=lonely,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                        "IpRanges": [{"CidrIp": "192.0.2.0/24"}]}],
    )
    rds.create_db_instance(DBInstanceIdentifier="reports-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                           VpcSecurityGroupIds=[lonely], Port=5432)
    fs = efs.create_file_system(CreationToken="archive")["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs, SubnetId=shop["subnet_a"], SecurityGroups=[lonely])
    return {"lonely_sg": lonely, "file_system": fs}


def seed_distractors(endpoint, vpc, subnets):
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    r53 = client("route53", endpoint)
    group = security_group(ec2, vpc, "unused-alb", "an ALB nothing uses")
    elb.create_load_balancer(Name="unused-alb", Subnets=subnets, SecurityGroups=[group],
                             Scheme="internal", Type="application")
    zone = r53.create_hosted_zone(Name="internal.example", CallerReference="discover-private",
                                  VPC={"VPCRegion": seed_demo.REGION, "VPCId": vpc},
                                  HostedZoneConfig={"PrivateZone": True})["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "db.internal.example.", "Type": "CNAME", "TTL": 300,
            "ResourceRecords": [{"Value": "reports-db.abc.rds.amazonaws.com"}]}},
    ]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not args.endpoint_url.startswith(("http://127.", "http://localhost")):
        sys.exit("seed_discover: refusing an endpoint that is not on loopback")
    shop = seed_demo.seed(args.endpoint_url, 2, 1)
    catalog = seed_demo.seed_asg(args.endpoint_url)
    portal = seed_demo.seed_beanstalk(args.endpoint_url)
    subnets = [shop["subnet_a"], shop["subnet_c"]]
    legacy = seed_legacy(args.endpoint_url, shop["vpc"], subnets)
    stores = seed_data_stores(args.endpoint_url, shop, catalog, portal)
    seed_distractors(args.endpoint_url, shop["vpc"], subnets)
    ids = {"beanstalk": portal.pop("beanstalk"), "ecs-ec2": shop, "asg": catalog, "portal": portal,
           "ec2": legacy, "stores": stores}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "ids.json"), "w", encoding="utf-8") as f:
        json.dump(ids, f, indent=2, sort_keys=True)
    print(json.dumps(ids, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
