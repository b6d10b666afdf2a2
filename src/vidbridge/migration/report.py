"""How ``migrate`` shows its findings: a Rich table for people, Markdown for a pull request."""

from __future__ import annotations

from typing import Any

from .scan import FileScan


def summary(reports: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for report in reports:
        counts[report["verdict"]] = counts.get(report["verdict"], 0) + 1
    return counts


def not_rewritten(scan: FileScan) -> str | None:
    """Why --fix leaves a file importing the client alone (None: it does not)."""
    if not scan.client_imports or scan.videos_only:
        return None
    if scan.other_uses:
        uses = ", ".join(f"{text} (line {line})" for line, text in scan.other_uses[:3])
        return f"not rewritten, the client also serves {uses}"
    if scan.handed_on:
        calls = ", ".join(f"{text} (line {line})" for line, text in scan.handed_on[:3])
        return (f"not rewritten, the client is handed to code defined elsewhere: {calls}, "
                "which may use it for more than videos; swap the import by hand if not")
    if scan.unserved:
        calls = ", ".join(f"{text} (line {line})" for line, text in scan.unserved[:3])
        return f"not rewritten, vidbridge.compat.openai does not serve {calls}"
    if scan.used_by:
        users = ", ".join(scan.used_by[:3]) + (" ..." if len(scan.used_by) > 3 else "")
        return (f"not rewritten, its client is used from {users} (their calls are listed "
                "there); swap the import by hand if it serves only videos")
    return ("not rewritten, no video call uses the client here (it may serve more elsewhere); "
            "swap the import by hand if it serves only videos")


def module_built(scan: FileScan) -> list[str]:
    """The ``openai.OpenAI()`` clients of a file and its ``openai.videos`` calls (the
    module's own client), which --fix leaves on the official API."""
    return [f"{scan.path}:{line}: {text} is the openai module's own client, which --fix does "
            "not rewrite; build one from vidbridge.compat.openai" if text.endswith(".videos")
            else f"{scan.path}:{line}: {text}() is built through the module, which --fix does "
            "not rewrite; build it from vidbridge.compat.openai"
            for line, text in scan.module_clients]


def imports_note(files: list[FileScan]) -> list[str]:
    """Which files --fix would rewrite, and which it leaves because the client does more."""
    lines = []
    for scan in files:
        if scan.videos_only:
            lines.append(f"{scan.path}: uses the openai client only for videos; "
                         "--fix swaps its import for vidbridge.compat.openai")
        elif (why := not_rewritten(scan)) is not None:
            lines.append(f"{scan.path}: {why}")
        lines += module_built(scan)
        if scan.error:
            lines.append(f"{scan.path}: {scan.error}")
    return lines


def table(reports: list[dict[str, Any]]) -> Any:
    """One heading line per site, its reasons indented under it: readable at 80 columns,
    where a four-column table would wrap every reason into a narrow column."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    colours = {"ok": "green", "ok with adjustments": "yellow", "needs a change": "magenta",
               "no candidate": "red"}
    parts: list[Any] = []
    for report in reports:
        head = Text(report["verdict"], style=colours.get(report["verdict"], ""))
        head.append(f"  {report['file']}:{report['line']}  ", style="bold")
        head.append(report["call"])
        parts.append(head)
        parts += [Padding(Text(reason), (0, 0, 0, 4), expand=False)
                  for reason in report["reasons"]]
    return Group(*parts)


def markdown(reports: list[dict[str, Any]], files: list[FileScan]) -> str:
    counts = summary(reports)
    plural = "" if len(reports) == 1 else "s"
    out = ["## Leaving Sora: what `vidbridge migrate` found", "",
           f"{len(reports)} call site{plural}: "
           + ", ".join(f"{n} {verdict}" for verdict, n in counts.items()), "",
           "| where | call | verdict | why |", "|---|---|---|---|"]
    for report in reports:
        why = "<br>".join(reason.replace("|", "\\|") for reason in report["reasons"])
        out.append(f"| `{report['file']}:{report['line']}` | `{report['call']}` | "
                   f"{report['verdict']} | {why} |")
    costed = [r for r in reports if r["candidates"]]
    if costed:
        out += ["", "### Candidates per create", ""]
        for report in costed:
            out.append(f"- `{report['file']}:{report['line']}` "
                       f"{report['arguments'].get('model', 'sora-2')}:")
            for c in report["candidates"]:
                cost = (f"${c['estimated_cost_usd']:.2f}" if c["estimated_cost_usd"] is not None
                        else "-")
                changes = ", ".join(f"{a['field']} {a['asked']}→{a['given']}"
                                    for a in c["adjustments"])
                out.append(f"  - {c['model']}: " + (f"serves, {changes or 'as asked'}, "
                                                    f"est. {cost}" if c["serves"]
                                                    else f"cannot: {c['reason']}"))
    notes = imports_note(files)
    if notes:
        out += ["", "### Imports", ""] + [f"- {line}" for line in notes]
    return "\n".join(out) + "\n"
