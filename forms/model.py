"""Form versions as pydantic models: a definition file is valid only if it passes these.

Unknown keys are refused (a typo in a YAML file must fail, not be ignored). Checks that need
the whole version (unique keys, expressions reading earlier fields only, percent operands,
indicator types) sit on `FormVersion`, so each error names the field it is about.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from forms import logic
from forms.indicators import FIELD_TYPE_FOR, KNOWN
from forms.texts import LocalText

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Expression = Annotated[Any, AfterValidator(logic.check)]
Status = Literal["draft", "published", "retired"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict):
    key: Key
    label: LocalText
    exclusive: bool = False
    """A choice such as "none of these", which may not be ticked together with another."""


class Bounds(_Strict):
    """The box a geopoint must fall in: by default one around Vietnam's mainland and islands."""

    lat_min: float = 6.0
    lat_max: float = 23.5
    lon_min: float = 102.0
    lon_max: float = 117.5


class _FieldBase(_Strict):
    key: Key
    label: LocalText
    hint: LocalText | None = None
    required: bool = False
    relevant: Expression = None
    constraint: Expression = None
    constraint_message: LocalText | None = None
    indicator: str | None = None
    renamed_from: list[Key] = []

    @model_validator(mode="after")
    def _constraint_has_message(self) -> _FieldBase:
        if (self.constraint is None) != (self.constraint_message is None):
            raise ValueError(f"field {self.key!r}: `constraint` and `constraint_message` go together")
        return self


class _Range(_FieldBase):
    if TYPE_CHECKING:  # declared by each subclass with its own number type
        min: float | None
        max: float | None

    @model_validator(mode="after")
    def _min_below_max(self) -> _Range:
        low, high = self.min, self.max
        if low is not None and high is not None and low > high:
            raise ValueError(f"field {self.key!r}: min {low} is above max {high}")
        return self


class _Choices(_FieldBase):
    choices: list[Choice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_choices(self) -> _Choices:
        keys = [choice.key for choice in self.choices]
        doubles = sorted({key for key in keys if keys.count(key) > 1})
        if doubles:
            raise ValueError(f"field {self.key!r}: choice keys used twice: {doubles}")
        return self


class _Shown(_FieldBase):
    """A field nobody types: it cannot be required or constrained."""

    if TYPE_CHECKING:  # declared by each subclass as its literal
        type: str

    @model_validator(mode="after")
    def _not_answered(self) -> _Shown:
        if self.required or self.constraint is not None:
            raise ValueError(f"field {self.key!r}: a {self.type} field is not answered, "
                             "so it cannot be required or have a constraint")
        return self


class IntegerField(_Range):
    type: Literal["integer"]
    min: int | None = None
    max: int | None = None


class DecimalField(_Range):
    type: Literal["decimal"]
    min: float | None = None
    max: float | None = None


class PercentField(_Shown):
    """100 × numerator / denominator of two earlier integer fields, computed, never typed."""

    type: Literal["percent"]
    numerator: Key
    denominator: Key


class YesNoField(_FieldBase):
    type: Literal["yes_no"]


class SelectOneField(_Choices):
    type: Literal["select_one"]


class SelectManyField(_Choices):
    type: Literal["select_many"]


class TextField(_FieldBase):
    type: Literal["text"]
    max_length: int = Field(500, ge=1, le=5000)


class DateField(_FieldBase):
    type: Literal["date"]


class GeopointField(_FieldBase):
    """`{"lat", "lon", "accuracy"?}` in degrees and metres, from the phone's GPS or typed."""

    type: Literal["geopoint"]
    bounds: Bounds = Bounds()


class NoteField(_Shown):
    type: Literal["note"]


class PhotoField(_FieldBase):
    """A reference (file name or id) to a photo stored elsewhere; never the picture itself."""

    type: Literal["photo"]
    max_length: int = Field(200, ge=1, le=200)


FormField = Annotated[
    IntegerField | DecimalField | PercentField | YesNoField | SelectOneField | SelectManyField | TextField
    | DateField | GeopointField | NoteField | PhotoField,
    Field(discriminator="type"),
]


class Group(_Strict):
    """One screen on a phone."""

    key: Key
    title: LocalText
    fields: list[FormField] = Field(min_length=1)


class Derived(_Strict):
    """A value computed from this version's answers, so that answers to different versions compare."""

    key: Key
    label: LocalText
    expression: Expression


class FormVersion(_Strict):
    form_id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
    version: int = Field(ge=1)
    status: Status
    title: LocalText
    description: LocalText
    groups: list[Group] = Field(min_length=1)
    derived: list[Derived] = []

    @cached_property
    def fields(self) -> list[FormField]:
        """Every field, in the order of the form (computed once: a version is frozen, and every
        submission is checked against it)."""
        return [field for group in self.groups for field in group.fields]

    @cached_property
    def field_map(self) -> dict[str, FormField]:
        return {field.key: field for field in self.fields}

    def to_client_json(self) -> dict[str, Any]:
        """The whole definition as the page receives it (validated there by `static/validate.js`)."""
        return self.model_dump(mode="json", exclude_none=True)

    @model_validator(mode="after")
    def _check_fields(self) -> FormVersion:
        errors: list[str] = []
        group_keys = [group.key for group in self.groups]
        if len(set(group_keys)) != len(group_keys):
            errors.append(f"group keys used twice: {sorted({k for k in group_keys if group_keys.count(k) > 1})}")
        earlier: dict[str, FormField] = {}
        for field in self.fields:
            errors += [f"field {field.key!r}: {problem}" for problem in _field_problems(field, earlier)]
            earlier[field.key] = field
        for derived in self.derived:
            if derived.key in earlier:
                errors.append(f"derived {derived.key!r}: a field has the same key")
            unknown = sorted(logic.variables(derived.expression) - set(earlier))
            if unknown:
                errors.append(f"derived {derived.key!r}: expression reads unknown fields {unknown}")
        derived_keys = [derived.key for derived in self.derived]
        if len(set(derived_keys)) != len(derived_keys):
            errors.append("derived keys used twice")
        if errors:
            raise ValueError("; ".join(errors))
        return self


def _field_problems(field: FormField, earlier: dict[str, FormField]) -> list[str]:
    """What is wrong with one field, given the fields before it."""
    problems = []
    if field.key in earlier:
        problems.append("key used twice")
    for name, allowed in (("relevant", earlier), ("constraint", {**earlier, field.key: field})):
        for key in sorted(logic.variables(getattr(field, name))):
            if key not in allowed:
                problems.append(f"{name} reads {key!r}, which is not an earlier field")
            elif allowed[key].type == "note":
                problems.append(f"{name} reads {key!r}, a note, which has no answer")
    if isinstance(field, PercentField):
        for name in ("numerator", "denominator"):
            operand = earlier.get(getattr(field, name))
            if operand is None or operand.type != "integer":
                problems.append(f"{name} {getattr(field, name)!r} is not an earlier integer field")
    if field.indicator is not None:
        kind = KNOWN.get(field.indicator)
        if kind is None:
            problems.append(f"indicator {field.indicator!r} is not in the data dictionary")
        elif field.type != FIELD_TYPE_FOR[kind]:
            problems.append(f"indicator {field.indicator!r} is a {kind}: it needs a {FIELD_TYPE_FOR[kind]} field")
    if field.key in field.renamed_from:
        problems.append("renamed_from names the field itself")
    return problems
