"""A customer table as users have it, made into what the churn model fits on.

- **Features**: a pandas frame or a 2-D numpy array (columns then named ``x0``, ``x1``, ...). Numbers
  are used as they are (missing values allowed); booleans as 0/1; text and categorical columns are
  one-hot encoded inside the model: each of the ``MAX_CATEGORIES`` most frequent values of the
  training rows gets a column ``name=value``, the rarer ones share ``name=(other)``, and a missing
  value sets none. The model remembers the encoding and applies it to the rows it predicts; a value
  it never saw counts as ``(other)``.
- **Labels**: 0/1 numbers, booleans, or two distinct values with the positive one (churned) named by
  ``positive_label``.

What cannot be used is refused with `ChurnInputError`, naming the column and what to do: dates (give a
number such as days since), text with a distinct value on most rows (an identifier, not a feature),
labels with missing values or more than two values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_CATEGORIES = 20
# A text column with more distinct values than MAX_CATEGORIES and than this share of its rows is an id.
IDENTIFIER_SHARE = 0.5
OTHER = "(other)"


class ChurnInputError(ValueError):
    """Features or labels the churn model cannot use, with what to do about it."""


@dataclass(frozen=True)
class Encoding:
    """How input columns become the model's numeric features (learned from the training rows)."""

    columns: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    def names(self) -> list[str]:
        """The model's feature names: numeric columns as they are, each kept category and the rest."""
        names = []
        for column in self.columns:
            if column in self.categories:
                names += [f"{column}={value}" for value in self.categories[column]] + [f"{column}={OTHER}"]
            else:
                names.append(column)
        return names

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """``features`` (the input columns) as the model's numeric features, in `names` order."""
        missing = [c for c in self.columns if c not in features.columns]
        if missing:
            raise KeyError(f"features lack the model's columns {missing}")
        parts = {}
        for column in self.columns:
            values = features[column]
            if column not in self.categories:
                parts[column] = _numeric(values, column)
                continue
            text = values.astype("object").map(lambda v: None if pd.isna(v) else str(v))
            kept = self.categories[column]
            for value in kept:
                parts[f"{column}={value}"] = (text == value).astype("float64")
            present = text.notna() & ~text.isin(kept)
            parts[f"{column}={OTHER}"] = present.astype("float64")
        return pd.DataFrame(parts, index=features.index)[self.names()]


def as_frame(features) -> pd.DataFrame:
    """A frame of features from a frame or a 2-D array; column names as text."""
    if isinstance(features, pd.DataFrame):
        return features.rename(columns=str)
    if isinstance(features, np.ndarray):
        if features.ndim != 2:
            raise ChurnInputError(f"features must be a table (2-D array), got {features.ndim} dimension(s)")
        return pd.DataFrame(features, columns=[f"x{i}" for i in range(features.shape[1])])
    raise ChurnInputError(f"features must be a pandas DataFrame or a 2-D numpy array, not {type(features)}")


def as_series(values, index: pd.Index, name: str) -> pd.Series | None:
    """``values`` (a Series, an array or a list) aligned with the features' rows."""
    if values is None:
        return None
    if isinstance(values, pd.Series):
        if not values.index.equals(index):
            raise ChurnInputError(f"{name} must have the same index as features")
        return values
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != len(index):
        raise ChurnInputError(
            f"{name} must have one value per row of features ({len(index)}), got {array.shape}"
        )
    return pd.Series(array, index=index, name=name)


def learn_encoding(features: pd.DataFrame) -> Encoding:
    """The encoding of ``features``' columns; refuses dates and identifiers, naming the column."""
    categories = {}
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_timedelta64_dtype(values):
            raise ChurnInputError(
                f"feature {column!r} holds dates or durations: give a number instead (e.g. days since "
                "the date)"
            )
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            continue
        present = values.dropna().astype(str)
        distinct = present.nunique()
        if distinct > MAX_CATEGORIES and distinct > IDENTIFIER_SHARE * len(present):
            raise ChurnInputError(
                f"feature {column!r} has {distinct} distinct text values in {len(present)} rows: it looks "
                "like an identifier, not a feature. Drop it, or group its values into a few categories."
            )
        counts = present.value_counts()
        ordered = sorted(counts.index, key=lambda value: (-counts[value], value))
        categories[str(column)] = tuple(ordered[:MAX_CATEGORIES])
    return Encoding(columns=tuple(str(c) for c in features.columns), categories=categories)


def binary_label(label: pd.Series, positive_label=None) -> np.ndarray:
    """The label as 0/1 (1 = churned): from 0/1 numbers, booleans, or two values with ``positive_label``
    naming the churned one."""
    if label.isna().any():
        raise ChurnInputError(
            f"label has {int(label.isna().sum())} missing values: label every row or drop it"
        )
    values = list(pd.unique(label))
    if positive_label is not None:
        if positive_label not in values:
            raise ChurnInputError(
                f"positive_label {positive_label!r} is not a value of label (values: {values[:5]})"
            )
        if len(values) > 2:
            raise ChurnInputError(f"label has {len(values)} distinct values {values[:5]}: it must have two")
        return (label == positive_label).to_numpy(dtype="int64")
    if pd.api.types.is_bool_dtype(label):
        return label.to_numpy(dtype="int64")
    if pd.api.types.is_numeric_dtype(label) and set(values) <= {0, 1}:
        return label.to_numpy(dtype="int64")
    if len(values) == 2:
        raise ChurnInputError(
            f"label has the values {values[0]!r} and {values[1]!r}: name the one that means churned with "
            "positive_label"
        )
    raise ChurnInputError(
        f"label must be 0/1, booleans or two values with positive_label; it has {len(values)} distinct "
        f"values {values[:5]}"
    )


def _numeric(values: pd.Series, column: str) -> pd.Series:
    try:
        return values.astype("float64")
    except (TypeError, ValueError) as error:
        raise ChurnInputError(f"feature {column!r} is not numeric in these rows: {error}") from error
