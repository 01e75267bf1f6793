"""
moto_server whose ECS tasks run to an end, as on Fargate.

moto 5 gives a task one container (the first definition's), exit code 0 whatever happens, no
stop reason and no log lines. This launcher patches moto's ECS backend in this process only,
then runs moto's own server, so one-off tasks (RunTask) can be tested through the real SDK:

- a task has one container per container definition of its task definition;
- it steps through moto's own lifecycle (RUNNING ... STOPPED), one step per DescribeTasks;
- each container may carry a script in the environment variable MOTO_TASK (from the task
  definition or a container override), JSON: {"exitCode": 3, "logs": ["line", ...],
  "stoppedReason": "...", "stopCode": "...", "reason": "..."}; without one it exits 0;
  an "exitCode" of null is a container that never ran (a pull failure: no exit code at all);
- log lines go to CloudWatch Logs (moto's backend, same process) where the container's awslogs
  configuration says (group, stream prefix/container/task id), one line per DescribeTasks, the
  rest when the task stops; StopTask ends it with the caller's reason (stop code UserInitiated,
  exit code 143); a container whose awslogs group does not exist stops the task as
  Fargate does, with ResourceInitializationError and no exit code.

Everything else is moto as installed.
"""
import json
import sys
import time

from moto.ecs import models as ecs_models
from moto.logs.models import logs_backends
from moto.server import main

_original_init = ecs_models.Task.__init__
_original_status = ecs_models.ManagedState.status


def _environment(definition, overrides):
    values = {item.get("name"): item.get("value") for item in definition.get("environment") or []}
    for override in (overrides or {}).get("containerOverrides") or []:
        if override.get("name") == definition.get("name"):
            for item in override.get("environment") or []:
                values[item.get("name")] = item.get("value")
    return values


class ScriptedContainer:
    def __init__(self, task, task_definition, definition):
        self.container_arn = f"{task.cluster_arn.replace(':cluster/', ':container/')}/{task.id}/{definition.get('name')}"
        self.task_arn = task.task_arn
        self.name = definition.get("name")
        self.image = definition.get("image")
        self.last_status = "PENDING"
        self.lastStatus = "PENDING"
        self.network_interfaces = []
        self.health_status = "UNKNOWN"
        self.cpu = str(definition.get("cpu") or 0)
        self.memory = str(definition.get("memory") or "")
        self.essential = definition.get("essential", True)
        try:
            self.script = json.loads(_environment(definition, task.overrides).get("MOTO_TASK") or "{}")
        except ValueError:
            self.script = {"exitCode": 1, "logs": ["MOTO_TASK is not JSON"]}
        self.pending_logs = list(self.script.get("logs") or [])
        options = ((definition.get("logConfiguration") or {}).get("options") or {}) if (definition.get("logConfiguration") or {}).get("logDriver") == "awslogs" else {}
        self.log_group = options.get("awslogs-group")
        self.log_stream = f"{options.get('awslogs-stream-prefix')}/{self.name}/{task.id}" if options.get("awslogs-stream-prefix") else None
        self.exitCode = None
        self.exit_code = None
        self.reason = None


def _logs(task):
    return logs_backends[task._account_id][task.region_name]


def _write(task, container, lines):
    if not lines or not container.log_group or not container.log_stream:
        return
    logs = _logs(task)
    group = logs.groups.get(container.log_group)
    if group is None:
        return
    if container.log_stream not in group.streams:
        logs.create_log_stream(container.log_group, container.log_stream)
    now = int(time.time() * 1000)
    logs.put_log_events(container.log_group, container.log_stream, [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)])


def _task_init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    task_definition = kwargs.get("task_definition") if "task_definition" in kwargs else args[1]
    self.containers = [ScriptedContainer(self, task_definition, definition) for definition in task_definition.container_definitions]
    self.scripted = True
    self.finished = False
    self.stop_code = None
    self.stopCode = None


def _missing_group(task):
    groups = _logs(task).groups
    return next((c.log_group for c in task.containers if c.log_group and c.log_group not in groups), None)


def _finish(task):
    task.finished = True
    if task.stopped_reason:
        # StopTask: the containers get SIGTERM (exit code 143), the reason is the caller's.
        for container in task.containers:
            container.last_status = container.lastStatus = "STOPPED"
            container.exitCode = container.exit_code = 143
        task.stop_code = task.stopCode = "UserInitiated"
        return
    missing = _missing_group(task)
    reasons = []
    for container in task.containers:
        container.last_status = container.lastStatus = "STOPPED"
        if missing is not None:
            continue
        _write(task, container, container.pending_logs)
        container.pending_logs = []
        code = container.script.get("exitCode", 0)
        container.exitCode = container.exit_code = code
        if container.script.get("reason"):
            container.reason = container.script["reason"]
        if container.script.get("stoppedReason"):
            reasons.append((container.script["stoppedReason"], container.script.get("stopCode")))
    if missing is not None:
        task.stopped_reason = (
            "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
            f"failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. ({missing})"
        )
        task.stop_code = task.stopCode = "TaskFailedToStart"
    elif reasons:
        task.stopped_reason, code = reasons[0]
        task.stop_code = task.stopCode = code or "TaskFailedToStart"
    else:
        task.stopped_reason = "Essential container in task exited"
        task.stop_code = task.stopCode = "EssentialContainerExited"
    task.desired_status = "STOPPED"


def _status(self):
    value = _original_status.fget(self)
    if getattr(self, "scripted", False) and not self.finished:
        if value == "STOPPED":
            _finish(self)
        elif _missing_group(self) is None:
            for container in self.containers:
                container.last_status = container.lastStatus = "RUNNING"
                _write(self, container, container.pending_logs[:1])
                container.pending_logs = container.pending_logs[1:]
    return value


_original_describe = ecs_models.EC2ContainerServiceBackend.describe_tasks


def _describe_tasks(self, *args, **kwargs):
    tasks = _original_describe(self, *args, **kwargs)
    # Step each task before the answer is written, so that its containers agree with its status.
    for task in tasks:
        task.last_status
    return tasks


ecs_models.Task.__init__ = _task_init
ecs_models.EC2ContainerServiceBackend.describe_tasks = _describe_tasks
ecs_models.ManagedState.status = property(_status, _original_status.fset)

if __name__ == "__main__":
    main(sys.argv[1:])
