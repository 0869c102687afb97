#!/usr/bin/env bash
# `make demo`: a full migration against moto server on this machine. DEMO picks the source:
# `ecs-ec2` (the default: seed 001, playbooks/demo.yaml), `asg` (playbooks/asg.yaml),
# `beanstalk` (playbooks/beanstalk.yaml) or `ec2` (plain instances, playbooks/ec2.yaml).
#
# Starts moto on a free loopback port, seeds the topology, writes the playbook with
# the emulator's ids, runs `migrate plan`, `migrate apply` (with progress) and `migrate status`,
# and stops everything it started on exit. For `beanstalk`, scripts/beanstalk_standin.py plays
# Elastic Beanstalk in front of moto (moto has no UpdateEnvironment) and the migration talks to it. Needs: the virtualenv (`make venv`) and the `migrate`
# binary (`make build`); the Makefile passes their paths as VENV and MIGRATE.
#
# moto runs no containers, so the demo stands in for what AWS would do itself: moto reports two
# running tasks per service (MOTO_ECS_SERVICE_RUNNING=2, and the playbook asks for two of each),
# a helper registers two task IPs in the new target group as ECS would, and a small HTTP server
# on loopback answers the health probe that would go through the new ALB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$HOME/.cache/migrate/venv}"
MIGRATE="${MIGRATE:-${CARGO_TARGET_DIR:-$HOME/.cache/migrate/target}/debug/migrate}"
PY="$VENV/bin/python"
REGION=ap-northeast-1
DEMO="${DEMO:-ecs-ec2}"
# Each kind's playbook, migration name and web container port.
case "$DEMO" in
  ecs-ec2) PLAYBOOK=demo.yaml NAME=shop APP_PORT_IN_TASK=80 SEED_FLAGS=(--web-desired 2 --worker-desired 2 --set desired_count=2) ;;
  asg) PLAYBOOK=asg.yaml NAME=catalog APP_PORT_IN_TASK=8080 SEED_FLAGS=() ;;
  beanstalk) PLAYBOOK=beanstalk.yaml NAME=portal APP_PORT_IN_TASK=80 SEED_FLAGS=() ;;
  ec2) PLAYBOOK=ec2.yaml NAME=ledger APP_PORT_IN_TASK=8000 SEED_FLAGS=() ;;
  *) echo "demo: DEMO must be ecs-ec2, asg, beanstalk or ec2, not $DEMO" >&2; exit 2 ;;
esac

[[ -x "$VENV/bin/moto_server" ]] || { echo "demo: no moto server in $VENV: run \`make venv\`" >&2; exit 1; }
[[ -x "$MIGRATE" ]] || { echo "demo: no migrate binary at $MIGRATE: run \`make build\`" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/migrate-demo.XXXXXX")"
PIDS=()
cleanup() {
  # Only the processes this script started, by their ids.
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

MOTO_PORT="$(free_port)"
MOTO_ECS_SERVICE_RUNNING=2 "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
ENDPOINT="http://127.0.0.1:$MOTO_PORT"
for _ in $(seq 1 300); do
  if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('$ENDPOINT/moto-api/data.json', timeout=1)" 2>/dev/null; then break; fi
  sleep 0.2
done

# The application behind the new ALB, as far as the probe is concerned.
mkdir -p "$WORK/app" && echo ok >"$WORK/app/healthz"
APP_PORT="$(free_port)"
"$PY" -m http.server "$APP_PORT" --bind 127.0.0.1 --directory "$WORK/app" >"$WORK/app.log" 2>&1 &
PIDS+=($!)

echo "== seeding the $DEMO topology into moto at $ENDPOINT"
"$PY" "$ROOT/scripts/seed_demo.py" --kind "$DEMO" --endpoint-url "$ENDPOINT" --playbook "$ROOT/playbooks/$PLAYBOOK" \
  --out "$WORK/playbook" "${SEED_FLAGS[@]}" --set min_wait=30s --set zero_traffic_window=1m --set watch=30s

if [[ "$DEMO" == beanstalk ]]; then
  # Elastic Beanstalk's API in front of moto; the migration's every request goes through it.
  "$PY" "$ROOT/scripts/beanstalk_standin.py" --moto "$ENDPOINT" --ids "$WORK/playbook/ids.json" >"$WORK/standin.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q '^listening on ' "$WORK/standin.log" 2>/dev/null && break; sleep 0.1; done
  ENDPOINT="$(sed -n 's/^listening on //p' "$WORK/standin.log")"
  [[ -n "$ENDPOINT" ]] || { echo "demo: the Beanstalk stand-in did not start" >&2; cat "$WORK/standin.log" >&2; exit 1; }
fi

"$PY" "$ROOT/scripts/seed_demo.py" act-as-ecs --endpoint-url "$ENDPOINT" --target-group-prefix "$NAME-tg-" \
  --port "$APP_PORT_IN_TASK" &
PIDS+=($!)

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION="$REGION"
FLAGS=(--endpoint-url "$ENDPOINT" --region "$REGION" --probe-url "http://127.0.0.1:$APP_PORT")
cd "$WORK/playbook"

echo "== migrate plan"
"$MIGRATE" "${FLAGS[@]}" plan "$PLAYBOOK"
echo "== migrate plan --format markdown (what exists now, as read from the emulator)"
"$MIGRATE" "${FLAGS[@]}" plan "$PLAYBOOK" --format markdown -o review.md
sed -n '/^## What exists now/,/^## Changes/p' review.md | sed '$d'
echo "== migrate apply"
"$MIGRATE" "${FLAGS[@]}" apply
echo "== migrate status"
"$MIGRATE" "${FLAGS[@]}" status
echo "== migrate cleanup --plan"
# What clean-up of the old side would delete, each resource with its id. The soak period (7 days
# by default, cleanup.soak in the playbook) is not over, so it says when clean-up may run, and a
# plain `migrate cleanup shop` would refuse to delete anything until then.
"$MIGRATE" "${FLAGS[@]}" cleanup "$NAME" --plan
