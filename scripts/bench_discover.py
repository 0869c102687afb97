#!/usr/bin/env python3
"""`make bench-discover`: times `migrate discover` against a moto account of 200 ECS services,
50 load balancers and first 50, then 500 Auto Scaling groups, and prints the wall time, the API
requests the inventory made and the applications found, so that the growth from 50 to 500 groups
can be read off.

moto answers on loopback without AWS's latency or rate limits: the figures bound what the tool
itself costs (its request count and its concurrency), not a real account's wall time.

Usage: bench_discover.py --migrate PATH/TO/migrate [--moto-server PATH]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

import boto3

REGION = "eu-west-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(name, endpoint):
    return boto3.client(name, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def seed_base(endpoint, services, balancers):
    ec2 = client("ec2", endpoint)
    elb = client("elbv2", endpoint)
    ecs = client("ecs", endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=REGION + az)["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    target_groups = []
    for i in range(balancers):
        lb = elb.create_load_balancer(Name=f"bench-{i}", Subnets=subnets, Type="application")["LoadBalancers"][0]
        tg = elb.create_target_group(Name=f"bench-{i}", Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        target_groups.append(tg)
    ecs.register_task_definition(family="bench", containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 256, "portMappings": [{"containerPort": 80}]}])
    per_cluster = 20
    for c in range(services // per_cluster):
        ecs.create_cluster(clusterName=f"bench-{c}")
        for s in range(per_cluster):
            n = c * per_cluster + s
            extra = {}
            if n < len(target_groups):
                extra["loadBalancers"] = [{"targetGroupArn": target_groups[n], "containerName": "web",
                                           "containerPort": 80}]
            ecs.create_service(cluster=f"bench-{c}", serviceName=f"svc-{n}", taskDefinition="bench",
                               desiredCount=0, launchType="EC2", **extra)
    return subnets, target_groups


def seed_groups(endpoint, subnets, target_groups, start, stop):
    ec2 = client("ec2", endpoint)
    asg = client("autoscaling", endpoint)
    if start == 0:
        ec2.create_launch_template(LaunchTemplateName="bench",
                                   LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    for i in range(start, stop):
        extra = {}
        if i < len(target_groups):
            extra["TargetGroupARNs"] = [target_groups[i]]
        asg.create_auto_scaling_group(AutoScalingGroupName=f"bench-{i}", LaunchTemplate={"LaunchTemplateName": "bench"},
                                      MinSize=0, MaxSize=2, DesiredCapacity=0,
                                      VPCZoneIdentifier=",".join(subnets), **extra)


def discover(migrate, endpoint):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    env.pop("AWS_PROFILE", None)
    started = time.monotonic()
    out = subprocess.run([migrate, "--no-progress", "-q", "--endpoint-url", endpoint, "--region", REGION,
                          "discover", "--json"], env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"bench_discover: discover failed:\n{out.stderr}")
    found = json.loads(out.stdout)
    return elapsed, found["inventory"]["api_calls"], len(found["applications"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrate", required=True)
    parser.add_argument("--moto-server", default=os.environ.get("MOTO_SERVER_BIN", "moto_server"))
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([args.moto_server, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        subnets, target_groups = seed_base(endpoint, services=200, balancers=50)
        print("account: 200 ECS services, 50 load balancers; discover --json against moto (debug build)")
        done = 0
        for groups in (50, 500):
            seed_groups(endpoint, subnets, target_groups, done, groups)
            done = groups
            runs = [discover(args.migrate, endpoint) for _ in range(3)]
            best = min(r[0] for r in runs)
            median = sorted(r[0] for r in runs)[1]
            print(f"{groups:4} ASGs: median {median:5.2f} s, best {best:5.2f} s of 3 runs; "
                  f"{runs[0][1]} API requests; {runs[0][2]} applications")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
