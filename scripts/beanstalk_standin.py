#!/usr/bin/env python3
"""Plays Elastic Beanstalk in front of a moto server, for the beanstalk demo and wire test.

moto (5.2.5) implements no UpdateEnvironment, DescribeEnvironmentResources or
DescribeConfigurationSettings, and its environments own no Auto Scaling group. This server listens
on loopback and answers the Elastic Beanstalk requests itself (recognised by the service name in
the SigV4 credential scope) from the environments in ids.json, which seed_demo.py --kind beanstalk
writes; every other request goes to moto unchanged, so `migrate --endpoint-url` points here.

It behaves as Elastic Beanstalk does where the migration depends on it:
- UpdateEnvironment takes `aws:autoscaling:asg` MinSize/MaxSize (MinSize at least 1, as EB's
  option reference says), answers at once with the environment `Updating`, applies the settings to
  the environment's Auto Scaling group in moto, and is `Ready` again a moment later. Every update
  re-applies the environment's settings to the group, undoing a change made on the group directly.
  https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-autoscalingasg
- An update while the environment is not `Ready` is refused (InvalidParameterValue), as EB refuses
  an operation during another one.
- TerminateEnvironment scales the group to zero and marks the environment `Terminated`.

Usage: beanstalk_standin.py --moto http://127.0.0.1:PORT --ids DIR/ids.json [--port P]
It prints `listening on http://127.0.0.1:P` when ready.
"""

import argparse
import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import boto3

NAMESPACE = "http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/"
SERVICE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/aws4_request")
# How long an update keeps the environment `Updating`.
UPDATE_SECONDS = 1.0


class Beanstalk:
    def __init__(self, moto, environments):
        self.moto = moto
        self.lock = threading.Lock()
        self.environments = {}
        for env in environments:
            env = dict(env)
            env.setdefault("status", "Ready")
            self.environments[env["name"]] = env

    def autoscaling(self, region):
        return boto3.client("autoscaling", region_name=region, endpoint_url=self.moto,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def find(self, params):
        name = params.get("EnvironmentName")
        env_id = params.get("EnvironmentId")
        for env in self.environments.values():
            if env["name"] == name or env["id"] == env_id:
                return env
        raise Problem("InvalidParameterValue", f"No Environment found for EnvironmentName = '{name or env_id}'.")

    def apply_capacity(self, env, region):
        """What EB does on every update: its settings become the group's, whatever the group had."""
        asg = env["options"].get("aws:autoscaling:asg", {})
        low, high = int(asg.get("MinSize", "1")), int(asg.get("MaxSize", "4"))
        client = self.autoscaling(region)
        group = client.describe_auto_scaling_groups(AutoScalingGroupNames=[env["auto_scaling_group"]])
        current = group["AutoScalingGroups"][0]["DesiredCapacity"] if group["AutoScalingGroups"] else low
        client.update_auto_scaling_group(
            AutoScalingGroupName=env["auto_scaling_group"], MinSize=low, MaxSize=high,
            DesiredCapacity=min(max(current, low), high))

    def handle(self, action, params, region):
        with self.lock:
            if action == "DescribeEnvironments":
                names = member_list(params, "EnvironmentNames")
                envs = [e for e in self.environments.values() if not names or e["name"] in names]
                if params.get("IncludeDeleted") == "false":
                    envs = [e for e in envs if e["status"] != "Terminated"]
                return "<Environments>" + "".join(f"<member>{environment_xml(e)}</member>" for e in envs) + "</Environments>"
            if action == "DescribeEnvironmentResources":
                env = self.find(params)
                return ("<EnvironmentResources>"
                        f"<EnvironmentName>{escape(env['name'])}</EnvironmentName>"
                        f"<AutoScalingGroups><member><Name>{escape(env['auto_scaling_group'])}</Name></member></AutoScalingGroups>"
                        f"<LoadBalancers><member><Name>{escape(env['load_balancer'])}</Name></member></LoadBalancers>"
                        "<Instances/><LaunchConfigurations/><LaunchTemplates/><Triggers/><Queues/>"
                        "</EnvironmentResources>")
            if action == "DescribeConfigurationSettings":
                env = self.find(params)
                options = "".join(
                    f"<member><Namespace>{escape(ns)}</Namespace><OptionName>{escape(name)}</OptionName>"
                    f"<Value>{escape(value)}</Value></member>"
                    for ns, values in sorted(env["options"].items()) for name, value in sorted(values.items()))
                return ("<ConfigurationSettings><member>"
                        f"<ApplicationName>{escape(env['application'])}</ApplicationName>"
                        f"<EnvironmentName>{escape(env['name'])}</EnvironmentName>"
                        f"<DeploymentStatus>deployed</DeploymentStatus><OptionSettings>{options}</OptionSettings>"
                        "</member></ConfigurationSettings>")
            if action == "UpdateEnvironment":
                env = self.find(params)
                if env["status"] != "Ready":
                    raise Problem("InvalidParameterValue",
                                  f"Environment named {env['name']} is in an invalid state for this operation. "
                                  f"Must be Ready.")
                settings = option_settings(params)
                for ns, name, value in settings:
                    if ns == "aws:autoscaling:asg" and name in ("MinSize", "MaxSize"):
                        if not value.isdigit() or not 1 <= int(value) <= 10000:
                            raise Problem("ConfigurationValidationException",
                                          f"Configuration validation exception: Invalid option value: '{value}' "
                                          f"(Namespace: 'aws:autoscaling:asg', OptionName: '{name}'): "
                                          "Value is less than minimum allowed value: 1")
                for ns, name, value in settings:
                    env["options"].setdefault(ns, {})[name] = value
                env["status"] = "Updating"
                self.apply_capacity(env, region)
                threading.Timer(UPDATE_SECONDS, self.ready, args=(env["name"],)).start()
                return environment_xml(env)
            if action == "TerminateEnvironment":
                env = self.find(params)
                client = self.autoscaling(region)
                client.update_auto_scaling_group(AutoScalingGroupName=env["auto_scaling_group"],
                                                 MinSize=0, MaxSize=0, DesiredCapacity=0)
                env["status"] = "Terminated"
                return environment_xml(env)
        raise Problem("InvalidAction", f"the stand-in does not implement {action}")

    def ready(self, name):
        with self.lock:
            env = self.environments.get(name)
            if env and env["status"] == "Updating":
                env["status"] = "Ready"


class Problem(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def member_list(params, prefix):
    pattern = re.compile(rf"^{re.escape(prefix)}\.member\.(\d+)$")
    found = sorted((int(m.group(1)), v) for k, v in params.items() if (m := pattern.match(k)))
    return [v for _, v in found]


def option_settings(params):
    pattern = re.compile(r"^OptionSettings\.member\.(\d+)\.(Namespace|OptionName|Value)$")
    members = {}
    for key, value in params.items():
        if m := pattern.match(key):
            members.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [(m.get("Namespace", ""), m.get("OptionName", ""), m.get("Value", "")) for _, m in sorted(members.items())]


def environment_xml(env):
    health = "Green" if env["status"] == "Ready" else "Grey"
    return (f"<EnvironmentName>{escape(env['name'])}</EnvironmentName>"
            f"<EnvironmentId>{escape(env['id'])}</EnvironmentId>"
            f"<ApplicationName>{escape(env['application'])}</ApplicationName>"
            f"<CNAME>{escape(env['cname'])}</CNAME>"
            f"<Status>{env['status']}</Status><Health>{health}</Health>"
            "<Tier><Name>WebServer</Name><Type>Standard</Type><Version>1.0</Version></Tier>")


def make_handler(beanstalk, moto):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = SERVICE.search(self.headers.get("Authorization", ""))
            if scope and scope.group(2) == "elasticbeanstalk":
                return self.answer_beanstalk(body, scope.group(1))
            request = urllib.request.Request(moto + self.path, data=body if body else None, method=self.command)
            for key, value in self.headers.items():
                if key.lower() not in ("host", "content-length", "connection"):
                    request.add_header(key, value)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    self.send(response.status, response.headers, response.read())
            except urllib.error.HTTPError as e:
                self.send(e.code, e.headers, e.read())

        def answer_beanstalk(self, body, region):
            params = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            action = params.get("Action", "")
            request_id = str(uuid.uuid4())
            try:
                result = beanstalk.handle(action, params, region)
                xml = (f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{result}</{action}Result>'
                       f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")
                status = 200
            except Problem as p:
                xml = (f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>{p.code}</Code>'
                       f"<Message>{escape(p.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
                status = 400
            self.send(status, {"Content-Type": "text/xml"}, xml.encode("utf-8"))

        def send(self, status, headers, data):
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = relay

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto", required=True, help="the moto server every other request goes to")
    parser.add_argument("--ids", required=True, help="ids.json written by seed_demo.py --kind beanstalk")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if not args.moto.startswith(("http://127.", "http://localhost")):
        sys.exit("beanstalk_standin: refusing a moto endpoint that is not on loopback")
    with open(args.ids, encoding="utf-8") as f:
        environments = json.load(f).get("beanstalk", {}).get("environments", [])
    if not environments:
        sys.exit(f"beanstalk_standin: {args.ids} describes no Beanstalk environment")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(Beanstalk(args.moto, environments), args.moto))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
