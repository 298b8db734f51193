"""The error a bad input raises: one clear message naming dataset, file, row, field and problem."""

from __future__ import annotations


class DataError(ValueError):
    """Bad input data. ``str()`` gives one line a data steward can act on."""

    def __init__(self, problem: str, *, dataset: str | None = None, file: str | None = None,
                 row: int | None = None, field: str | None = None) -> None:
        self.problem = problem
        self.dataset = dataset
        self.file = file
        self.row = row
        self.field = field
        super().__init__(self.message())

    def message(self) -> str:
        parts = []
        if self.dataset:
            parts.append(f"dataset {self.dataset}")
        if self.file:
            parts.append(f"file {self.file}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field}")
        where = ", ".join(parts)
        return f"{where}: {self.problem}" if where else self.problem
