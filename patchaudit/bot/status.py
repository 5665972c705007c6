"""``patchaudit bot status``: backlog, last run, answers and errors, read from the state file."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from patchaudit.bot import publicinbox
from patchaudit.bot.assembly import group_mail, outside_parents
from patchaudit.bot.config import BotConfig
from patchaudit.bot.log import timestamp
from patchaudit.bot.state import SCHEMA_VERSION, State


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect(config: BotConfig, state: State, now: float) -> dict[str, Any]:
    """Everything status shows, as plain values (``--json`` prints this)."""
    waiting = state.waiting_messages()
    groups = group_mail(waiting, state.series_of_messages(outside_parents(waiting)))
    runs = state.runs(1)
    last: dict[str, Any] | None = None
    if runs:
        last = dict(runs[0])
        last["running"] = last["finished"] is None and _alive(int(last["pid"]))
        last["killed"] = last["finished"] is None and not last["running"]
    deliveries = state.delivery_counts()
    sources = []
    for entry in config.lists:
        if entry.archive is not None:
            key = f"public-inbox:{entry.archive.resolve()}"
            cursors = state.cursors(key)
            epochs = [
                {"epoch": number, "read_to": cursors.get(str(number), ""),
                 "head": publicinbox.head(path) or ""}
                for number, path in publicinbox.epochs(entry.archive)
            ]
            sources.append({"list": entry.name, "kind": "public-inbox", "path": str(entry.archive),
                            "epochs": epochs})
        if entry.maildir is not None:
            sources.append({"list": entry.name, "kind": "maildir", "path": str(entry.maildir)})
    return {
        "config": str(config.path),
        "state": str(config.state),
        "schema": SCHEMA_VERSION,
        "last_run": last,
        "messages": state.message_counts(),
        "series": state.series_counts(),
        "waiting": {
            "series": len(groups),
            "oldest": min((g.first_arrival for g in groups), default=None),
        },
        "deliveries": {f"{channel} {st}": count for (channel, st), count in sorted(deliveries.items())},
        "sources": sources,
        "events": state.event_counts(),
        "recent_events": [
            {"at": at, "level": level, "what": what, "series": series, "detail": detail}
            for at, level, what, series, detail in state.events(10)
        ],
        "now": now,
    }


def _counts(table: dict[str, int]) -> str:
    total = sum(table.values())
    parts = ", ".join(f"{name} {count}" for name, count in sorted(table.items()))
    return f"{total}" + (f" ({parts})" if parts else "")


def format_status(info: dict[str, Any]) -> str:
    lines = [f"configuration: {info['config']}",
             f"state: {info['state']} (schema {info['schema']})"]
    run = info["last_run"]
    if run is None:
        lines.append("last run: none yet")
    else:
        if run["running"]:
            how = f"running, last heartbeat {info['now'] - run['heartbeat']:.0f} s ago"
        elif run["killed"]:
            how = f"ended without stopping (killed?) after {timestamp(run['heartbeat'])}"
        else:
            how = f"finished {timestamp(run['finished'])}"
        lines.append(f"last run: #{run['id']} {run['mode']}, pid {run['pid']}, started "
                     f"{timestamp(run['started'])}, {how}")
        lines.append(f"  mail read {run['messages']}, series created {run['series']}, "
                     f"answers delivered {run['deliveries']}, peak memory {run['rss_kb'] // 1024} MiB")
    lines.append(f"mail: {_counts(info['messages'])}")
    lines.append(f"series: {_counts(info['series'])}")
    waiting = info["waiting"]
    oldest = f", the oldest since {timestamp(waiting['oldest'])}" if waiting["oldest"] else ""
    lines.append(f"backlog: {waiting['series']} series waiting for more mail{oldest}; "
                 f"{info['series'].get('queued', 0)} queued for a check; "
                 f"{sum(n for k, n in info['deliveries'].items() if k.split()[1] in ('intent', 'sending'))}"
                 " answers to deliver")
    lines.append(f"answers: {_counts(info['deliveries'])}")
    for source in info["sources"]:
        lines.append(f"source: list {source['list']}, {source['kind']} {source['path']}")
        for epoch in source.get("epochs", []):
            behind = "up to date" if epoch["read_to"] == epoch["head"] else "behind"
            lines.append(f"  epoch {epoch['epoch']}: read to {epoch['read_to'][:12] or '(nothing)'}, "
                         f"head {epoch['head'][:12] or '(empty)'}, {behind}")
    lines.append(f"errors and warnings: {_counts(info['events'])}")
    for event in info["recent_events"]:
        series = f" series {event['series']}" if event["series"] else ""
        lines.append(f"  {timestamp(event['at'])} {event['level']} {event['what']}{series}: "
                     f"{' '.join(event['detail'].split())}")
    return "\n".join(lines) + "\n"


def status(config: BotConfig, *, as_json: bool) -> str:
    state = State(config.state)
    try:
        info = collect(config, state, time.time())
    finally:
        state.close()
    return json.dumps(info, indent=2) + "\n" if as_json else format_status(info)
