"""The data contract (`dataset:` of a workload environment): the file, its columns, the label and how bad
values are handled. Imported through `ml.config.schema` as well.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ml.config.base import StrictModel


class ColumnSpec(StrictModel):
    """One column of the data set: its role, type, allowed values and what to do with bad values."""

    name: str = Field(min_length=1)
    role: Literal["feature", "label", "excluded"]
    type: Literal["categorical", "numeric"]
    description: str = ""
    values: list[int] | None = Field(default=None, description="allowed integer codes (categorical only)")
    min: float | None = Field(default=None, description="smallest allowed value (numeric only)")
    max: float | None = Field(default=None, description="largest allowed value (numeric only)")
    on_missing: Literal["impute", "drop", "fail", "ignore"] = "fail"
    on_invalid: Literal["drop", "fail", "ignore"] = "fail"

    @model_validator(mode="after")
    def _check_consistent(self) -> ColumnSpec:
        if self.type == "categorical" and not self.values:
            raise ValueError(f"column {self.name!r}: a categorical column needs 'values' (its allowed codes)")
        if self.type == "numeric" and self.values is not None:
            raise ValueError(f"column {self.name!r}: 'values' is for categorical columns; use min/max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"column {self.name!r}: min ({self.min}) is greater than max ({self.max})")
        if self.role != "excluded" and "ignore" in (self.on_missing, self.on_invalid):
            raise ValueError(f"column {self.name!r}: 'ignore' is only allowed for excluded columns")
        if self.role == "label" and self.on_missing == "impute":
            raise ValueError(f"column {self.name!r}: a label cannot be imputed; use drop or fail")
        return self

    def is_valid_value(self, value: float) -> bool:
        """Whether a present (non-missing) value lies in the column's declared domain."""
        if self.type == "categorical":
            return float(value).is_integer() and int(value) in set(self.values or ())
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class DatasetSpec(StrictModel):
    """The data contract: which file, which columns, which label, and how bad values are handled."""

    name: str
    source: str = Field(description="path of the raw file, relative to the repository root")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    header: bool = Field(description="whether the raw file's first line names the columns")
    missing_marker: str = "?"
    id_column: str = "record_id"
    columns: list[ColumnSpec] = Field(min_length=2)

    @model_validator(mode="after")
    def _check_roles(self) -> DatasetSpec:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate column names: {duplicates}")
        if self.id_column in names:
            raise ValueError(f"id_column {self.id_column!r} clashes with a data column of the same name")
        labels = [c for c in self.columns if c.role == "label"]
        if len(labels) != 1:
            raise ValueError(f"exactly one column must have role 'label', found {len(labels)}")
        if labels[0].type != "categorical" or sorted(labels[0].values or []) != [0, 1]:
            raise ValueError(f"label {labels[0].name!r} must be categorical with values [0, 1]")
        if not self.features:
            raise ValueError("at least one column must have role 'feature'")
        return self

    @property
    def label(self) -> ColumnSpec:
        return next(c for c in self.columns if c.role == "label")

    @property
    def features(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.role == "feature"]

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.features]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)
