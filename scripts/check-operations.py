"""Checks the operations side of a SAM-expanded template (JSON): every function has an
`Errors` and a `Throttles` alarm, the scheduler has one for not running, the webhook refusals
metric the functions emit has an alarm, every alarm notifies, and the dashboard body is JSON
that names only metrics the code emits (the top-level `pub const ...: &str = "...";` of the telemetry module; dimension names are
in its `dimension` module).

Usage: check-operations.py EXPANDED_TEMPLATE.json shared/core/src/telemetry.rs
"""

import json
import re
import sys

NAMESPACE_CONST = "NAMESPACE"


def emitted_names(telemetry_rs):
    consts = dict(re.findall(r'^pub const (\w+): &str = "([^"]+)";', open(telemetry_rs).read(), re.M))
    namespace = consts.pop(NAMESPACE_CONST)
    return namespace, set(consts.values())


def ref(value):
    return value.get("Ref") if isinstance(value, dict) else None


def main(expanded_path, telemetry_rs):
    resources = json.load(open(expanded_path))["Resources"]
    namespace, names = emitted_names(telemetry_rs)
    problems = []
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    alarms = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}

    def alarms_on(ns, metric, dimension, target):
        return [
            n for n, a in alarms.items()
            if a.get("Namespace") == ns and a.get("MetricName") == metric
            and any(d["Name"] == dimension and ref(d["Value"]) == target for d in a.get("Dimensions", []))
        ]

    if len(functions) < 4:
        problems.append(f"expected the 4 functions, found {functions}")
    for fn in functions:
        for metric in ("Errors", "Throttles"):
            if not alarms_on("AWS/Lambda", metric, "FunctionName", fn):
                problems.append(f"no {metric} alarm on {fn}")
    if not [
        n for n in alarms_on("AWS/Lambda", "Invocations", "FunctionName", "SchedulerFunction")
        if alarms[n].get("ComparisonOperator") == "LessThanThreshold"
        and alarms[n].get("TreatMissingData") == "breaching"
    ]:
        problems.append("no alarm on the scheduler not being invoked")
    refusal = alarms_on(namespace, "WebhookRefusals", "Function", "WebhookFunction")
    if not refusal:
        problems.append(f"no alarm on {namespace}/WebhookRefusals of the webhook function")
    for n in refusal:
        # EMF documents carry exactly the dimensions of the recorder: Function (plus labels).
        if [d["Name"] for d in alarms[n]["Dimensions"]] != ["Function"]:
            problems.append(f"{n}: the refusal total has the Function dimension only")
    for n, a in alarms.items():
        if not a.get("AlarmActions"):
            problems.append(f"{n} notifies nobody")
        if a.get("Namespace") == namespace and a.get("MetricName") not in names:
            problems.append(f"{n}: {a.get('MetricName')} is not a metric the code emits")

    dashboards = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    if len(dashboards) != 1:
        problems.append(f"expected one dashboard, found {len(dashboards)}")
    for dashboard in dashboards:
        body = dashboard["DashboardBody"]
        if not isinstance(body, dict) or "Fn::Sub" not in body:
            problems.append("the dashboard body is not a !Sub (it names the stack's resources)")
            continue
        text = body["Fn::Sub"]
        for placeholder in set(re.findall(r"\$\{([^}]+)\}", text)):
            target = placeholder.split(".")[0]
            if not target.startswith("AWS::") and target not in resources:
                problems.append(f"dashboard names unknown resource {placeholder}")
        try:
            widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))["widgets"]
        except (ValueError, KeyError) as e:
            problems.append(f"dashboard body is not JSON with widgets: {e}")
            continue
        shown = set()
        for widget in widgets:
            for row in widget["properties"].get("metrics", []):
                expression = row[0].get("expression", "") if isinstance(row[0], dict) else ""
                for ns, metric in re.findall(r"\{(\w+),[^}]*\} MetricName=\"(\w+)\"", expression):
                    if ns != namespace or metric not in names:
                        problems.append(f"dashboard searches {ns}/{metric}, which the code does not emit")
                    shown.add(metric)
        missing = names - shown
        if missing:
            problems.append(f"dashboard does not show {sorted(missing)}")

    for p in problems:
        print(f"operations: {p}")
    if problems:
        sys.exit(1)
    print(f"operations OK: {len(alarms)} alarms, {len(dashboards)} dashboard, metrics {sorted(names)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
