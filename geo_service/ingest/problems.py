"""What went wrong with a file or one of its features, and the errors that carry it."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Action = Literal["rejected", "repaired", "warning"]

#: How many rejected problems an ``IngestError`` message lists before summarising the rest.
MESSAGE_LIMIT = 50


@dataclass(frozen=True)
class Problem:
    """One finding about a file or a feature in it.

    ``feature`` is empty for a finding about the whole file; ``field`` is None when the finding is
    about the feature as a whole (its geometry is reported under the field ``geometry``).
    """

    file: str
    feature: str
    field: str | None
    reason: str
    action: Action

    def __str__(self) -> str:
        where = self.file
        if self.feature:
            where += f" feature {self.feature}"
        if self.field:
            where += f" field '{self.field}'"
        return f"{where}: {self.action}: {self.reason}"


def what_happened(problem: Problem) -> str:
    """The feature's fate in one word for reports: rejected, repaired, skipped or warning
    (a warning whose reason starts with "skipped" dropped the feature without failing the load)."""
    if problem.action == "warning" and problem.reason.startswith("skipped"):
        return "skipped"
    return problem.action


class IngestError(Exception):
    """A file could not be ingested; ``problems`` says why.

    Without a ``message`` the text counts the rejected features and lists their problems.
    """

    def __init__(self, message: str | None = None, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(message if message is not None else summarise(self.problems))


class SourceError(IngestError):
    """The file as a whole cannot be read as asked (missing, format, layer, field, encoding)."""

    def __init__(self, file: str, reason: str, field: str | None = None) -> None:
        problem = Problem(file, "", field, reason, "rejected")
        super().__init__(str(problem), [problem])


class CRSError(SourceError):
    """The file's coordinate reference system is missing or cannot be understood."""


def summarise(problems: Iterable[Problem]) -> str:
    """Count the rejected features and list their problems (the first ``MESSAGE_LIMIT``)."""
    rejected = [p for p in problems if p.action == "rejected"]
    features = {(p.file, p.feature) for p in rejected}
    files = sorted({p.file for p in rejected})
    noun = "feature" if len(features) == 1 else "features"
    head = f"{len(features)} {noun} rejected"
    if files:
        head += f" in {', '.join(files)}"
    lines = [head + ":" if rejected else head]
    lines += [f"  {p}" for p in rejected[:MESSAGE_LIMIT]]
    if len(rejected) > MESSAGE_LIMIT:
        lines.append(f"  ... and {len(rejected) - MESSAGE_LIMIT} more")
    return "\n".join(lines)


@dataclass
class Reporter:
    """Collects the problems of one file, keyed by feature index, in file order."""

    file: str
    labels: Mapping[Hashable, str] = field(default_factory=dict)
    rejected: set[Hashable] = field(default_factory=set)
    _found: list[tuple[int, int, Problem]] = field(default_factory=list)
    _order: dict[Hashable, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._order = {key: i for i, key in enumerate(self.labels)}

    def add(self, index: Hashable | None, field_name: str | None, reason: str,
            action: Action) -> None:
        """Record a finding; ``index`` None means the whole file."""
        label = "" if index is None else self.labels.get(index, f"#{index}")
        position = -1 if index is None else self._order.get(index, len(self._order))
        self._found.append((position, len(self._found),
                            Problem(self.file, label, field_name, reason, action)))
        if action == "rejected" and index is not None:
            self.rejected.add(index)

    def reject(self, index: Hashable, field_name: str | None, reason: str) -> None:
        """The feature is rejected."""
        self.add(index, field_name, reason, "rejected")

    def repaired(self, index: Hashable, field_name: str | None, reason: str) -> None:
        """The feature was repaired and kept."""
        self.add(index, field_name, reason, "repaired")

    def warn(self, index: Hashable | None, field_name: str | None, reason: str) -> None:
        """Something worth knowing; nothing was dropped."""
        self.add(index, field_name, reason, "warning")

    @property
    def problems(self) -> list[Problem]:
        """All findings, file-level first, then by feature position."""
        return [problem for _, _, problem in sorted(self._found, key=lambda f: f[:2])]
