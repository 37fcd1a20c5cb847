"""The profile: plain, frozen data that is the only artefact crossing from production to staging.

Every field is documented in ``docs/profile.md``; this module is its executable form. The classes
are pydantic dataclasses so that reading a file validates it and reports the exact path of any
error (``tables.orders.columns.amount.stats.null_fraction: ...``) without hand-written checks,
while the rest of the code sees ordinary frozen dataclasses.

Conventions:
- Values (most-common values, quantiles, min/max) are JSON scalars. Temporal values are ISO-8601
  strings, decimals are numbers; :mod:`paritygen.profile.values` converts them to floats and back.
- Frequencies and fractions are shares in [0, 1]. ``most_common`` frequencies are shares of the
  *non-NULL* rows; ``null_fraction`` is a share of all rows.
- Quantile lists are equi-depth: ``quantiles[i]`` is the value at rank ``i / (len - 1)``.
"""

from __future__ import annotations

from dataclasses import field
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic.dataclasses import dataclass

from paritygen.profile import key_syntax

FORMAT = "paritygen/1"
"""Spec version written into every profile; readers refuse any other."""

Scalar = bool | int | float | str
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[int, Field(ge=0)]

LogicalType = Literal[
    "integer",  # any integer width; ``sql_type`` keeps the original (SMALLINT, BIGINT, ...)
    "float",  # binary floating point
    "decimal",  # exact numeric with ``precision`` / ``scale``
    "boolean",
    "string",  # bounded text (VARCHAR(n), CHAR(n)); ``length`` holds n when known
    "text",  # unbounded text (TEXT, CLOB)
    "date",
    "datetime",  # timestamp; ``timezone`` says whether it carries a zone
    "time",
    "uuid",
    "json",
    "binary",
    "enum",  # ``enum_values`` holds the allowed labels
]

Method = Literal["exact", "sample", "catalog"]
"""How a figure was obtained: by a full scan, from a sample, or from the catalog's estimate."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


@dataclass(config=_STRICT)
class ValueFrequency:
    """One most-common value and its share of the non-NULL rows."""

    value: Scalar
    frequency: Fraction


@dataclass(config=_STRICT)
class LengthStats:
    """Distribution of string lengths in characters (bytes for binary, JSON text for json)."""

    min: NonNegative
    max: NonNegative
    mean: Annotated[float, Field(ge=0.0)]
    quantiles: tuple[float, ...] = ()
    """Equi-depth quantiles of the length (about 21 points)."""


@dataclass(config=_STRICT)
class ShapeStats:
    """Character-class pattern of short codes, e.g. ``AA-9999`` (A letter, 9 digit, a lower)."""

    pattern: str
    share: Fraction
    """Share of non-NULL values that match the pattern exactly."""
    prefix: str | None = None
    """Characters every value of the pattern starts with (``Customer#`` of
    ``Customer#000000042``): generated codes keep them. Never for PII columns."""


@dataclass(config=_STRICT)
class ColumnStats:
    """What was measured about one column. PII columns keep only shape statistics."""

    null_fraction: Fraction
    distinct_count: NonNegative
    """Distinct non-NULL values (exact, or estimated from the sample: see ``method``)."""
    method: Method = "exact"
    sampled_rows: NonNegative | None = None
    """Rows the statistics were computed from, when a sample was used."""
    most_common: tuple[ValueFrequency, ...] = ()
    """Values seen at least k times (``Profile.settings.min_group_size``); never for PII."""
    quantiles: tuple[Scalar, ...] = ()
    """Equi-depth histogram edges (about 101) for numeric, decimal and temporal columns."""
    min: Scalar | None = None
    """Smallest value; absent for PII columns."""
    max: Scalar | None = None
    length: LengthStats | None = None
    shape: ShapeStats | None = None
    max_scale: NonNegative | None = None
    """Largest number of decimal places seen (decimal and float columns)."""
    max_integer_digits: NonNegative | None = None
    """Largest number of digits before the decimal point seen."""
    true_fraction: Fraction | None = None
    """Share of non-NULL values that are true (boolean columns)."""
    words: tuple[ValueFrequency, ...] = ()
    """Words of a text column seen in at least k rows of at least k persons, with the share of
    rows holding each (generated text is made of them); never for PII."""
    follows: tuple[str, ...] = ()
    """Columns of the same row this value is built from (an e-mail from the row's given and
    family name columns, ``MARY.SMITH@...``): a relation, never a value."""
    mapping: tuple[tuple[Scalar, Scalar], ...] = ()
    """With ``follows`` naming one categorical column A: the (A value, this value) pairs that
    production ties together (a city's country), each held by at least k persons."""
    letter_case: Literal["upper", "lower", "title"] | None = None
    """How the values are written, when at least 90 % agree (kept for PII too: a shape)."""


@dataclass(config=_STRICT)
class Column:
    """One column: its type in portable and original form, its constraints and statistics."""

    name: str
    logical_type: LogicalType
    sql_type: str
    """The type as the source database spells it, e.g. ``varchar(255)``, ``bigint unsigned``."""
    nullable: bool = True
    default: str | None = None
    """Server default as SQL text, when one is declared."""
    autoincrement: bool = False
    """Filled by the database (identity, serial, AUTO_INCREMENT)."""
    length: NonNegative | None = None
    precision: NonNegative | None = None
    scale: NonNegative | None = None
    unsigned: bool = False
    timezone: bool = False
    enum_values: tuple[str, ...] | None = None
    """Allowed labels of an ENUM (logical type ``enum``), or the members of a MySQL SET
    (logical type ``string``: a value is a comma-separated combination of members, ``''``
    the empty set), see :attr:`member_set`."""
    enum_name: str | None = None
    """PostgreSQL enum type name, when the column uses a named enum type."""
    semantic: str | None = None
    """Semantic tag (email, phone, first_name, street, iban, card_number, free_text, ...)."""
    pii: bool = False
    """True when values identify a person; such columns keep no raw value in the profile."""
    stats: ColumnStats | None = None
    generated: str | None = None
    """Expression of a generated (computed) column as the source spells it (PostgreSQL
    ``GENERATED ALWAYS AS (...) STORED``, MariaDB ``AS (...) VIRTUAL``): the target computes
    it, so generate never writes it. None for an ordinary column."""
    generated_stored: bool = False
    """The generated column is stored (persisted) rather than computed when read."""
    value_kind: str | None = None
    """The literal form a database-specific type takes when its logical type alone would not
    make values the database accepts: ``array``, ``interval``, ``money``, ``inet``, ``cidr``,
    ``macaddr``, ``macaddr8``, ``bit``, ``varbit``, ``xml``, ``tsvector``, ``hstore``, ``range``,
    ``point``, ``line``, ``lseg``, ``box``, ``path``, ``polygon``, ``circle``, ``geometry``.
    Generators make values of that form; the writers keep the source type within its family and
    pick the closest type elsewhere. None for the portable types."""

    @property
    def member_set(self) -> bool:
        """A MySQL SET: values are combinations of :attr:`enum_values` (``'a,c'``), drawn as
        production's combinations at their shares, never as free text."""
        return self.logical_type == "string" and bool(self.enum_values)


@dataclass(config=_STRICT)
class FanoutStats:
    """Children per parent for one foreign key, zeros included: the skew that shapes load."""

    parent_rows: NonNegative
    """Rows in the referenced table."""
    child_rows: NonNegative
    """Child rows whose FK is fully non-NULL."""
    null_fraction: Fraction
    """Share of child rows with a NULL in any FK column."""
    childless_fraction: Fraction
    """Share of parents with no child at all."""
    max: NonNegative
    mean: Annotated[float, Field(ge=0.0)]
    quantiles: tuple[float, ...] = ()
    """Equi-depth quantiles (about 101) of children per parent over all parents, zeros included;
    empty when the parent table has no rows (the file then leaves the field out)."""
    top_share: Fraction = 0.0
    """Share of the children held by the heaviest 1 % of parents."""
    position_weights: tuple[float, ...] = ()
    """Share of children per parent-key position bucket (parents ordered by key, about 20 equal
    buckets): *which* parents are heavy, e.g. recent dates or the newest products."""
    method: Method = "exact"


@dataclass(config=_STRICT)
class KeyCondition:
    """``when COLUMN = VALUE``: a virtual FK that holds only on the rows whose *column* equals
    *equals* (a polymorphic association: ``commentable_type = 'Post'``). Data, never SQL: the
    value is bound as a parameter wherever a query needs it."""

    column: str
    equals: Scalar


@dataclass(config=_STRICT)
class ForeignKey:
    """A foreign key; columns and referred columns pair up by position."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    on_delete: str | None = None
    on_update: str | None = None
    fanout: FanoutStats | None = None
    virtual: bool = False
    """Not declared in the database: it comes from ``rules`` (declared by the user, or
    inferred by ``--infer-keys`` and kept there). Measured, generated and verified like a
    declared FK; staging gets no constraint for it unless ``--create-virtual-fks``."""
    condition: KeyCondition | None = None
    """Virtual FKs only: the FK holds where this condition does (polymorphic columns)."""


@dataclass(config=_STRICT)
class UniqueConstraint:
    """A unique constraint or unique index (``index=True``)."""

    columns: tuple[str, ...]
    name: str | None = None
    index: bool = False


@dataclass(config=_STRICT)
class Index:
    """A non-unique index (unique ones are :class:`UniqueConstraint`, except unique indexes on
    expressions or with a predicate: see ``unique``)."""

    columns: tuple[str, ...] = ()
    """The plain column elements, in order (none for an index on expressions only)."""
    name: str | None = None
    kind: str | None = None
    """Index method when not the default B-tree: ``gin``, ``gist``, ``brin``, ``hash``,
    ``spgist`` (PostgreSQL), ``fulltext``, ``spatial`` (MariaDB / MySQL). Kept within the
    family; elsewhere the index is a B-tree or left out, with a note."""
    expressions: tuple[str, ...] = ()
    """Every element of an index that has an expression among them, as the source spells it
    (``lower(email)``, ``(n * 2)``, or a column's name); empty for an index of columns only,
    whose ``columns`` then say it all (``columns`` holds the plain column elements). Parsed as
    data through :mod:`paritygen.writers.expressions` and kept within the family only."""
    where: str | None = None
    """The predicate of a partial index (``deleted_at IS NULL``), parsed the same way; a
    target without partial indexes gets the whole index (non-unique) or none (unique)."""
    unique: bool | None = None
    """True for a unique index on expressions or with a predicate: not a unique constraint of
    its columns, so the generator does not make them unique; built after the load, and left
    out with a note when the generated rows do not satisfy it."""


@dataclass(config=_STRICT)
class CheckConstraint:
    """A CHECK constraint as the source reflects it (SQL text)."""

    sqltext: str
    name: str | None = None


@dataclass(config=_STRICT)
class Relation:
    """A relationship that holds in (nearly) every production row, as a share: never a value.

    - ``order``: ``columns = (a, b)``, the share of rows with ``a <= b`` (both non-NULL): a
      return after its rental, ``updated_at >= created_at``;
    - ``fk_order``: ``columns = (c,)`` of this table, ``ref_columns = (p,)`` of the parent reached
      through the FK ``via``: the share of rows with ``c >= p`` (a payment after its rental);
    - ``diamond``: ``columns`` an FK of this table, ``via`` another FK of it to ``ref_table``
      whose FK ``ref_columns`` leads to the same ancestor: the share of rows where both paths
      reach the same ancestor row (a payment's customer is its rental's customer);
    - ``sum`` / ``product``: ``columns = (c, a, b)``, the share of rows with ``c = a + b`` or
      ``c = a * b`` (to the column's precision): an order's total, an extended price.
    """

    kind: Literal["order", "fk_order", "diamond", "sum", "product"]
    columns: tuple[str, ...]
    share: Fraction
    """Share of the rows (every column involved non-NULL) where the relation holds."""
    via: tuple[str, ...] = ()
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()


@dataclass(config=_STRICT)
class Table:
    """One table: schema, volume and the statistics of each column."""

    name: str
    columns: dict[str, Column]
    """Columns by name, in the table's order (the key repeats ``Column.name``)."""
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    row_count: NonNegative = 0
    row_count_method: Method = "exact"
    data_bytes: NonNegative | None = None
    """Heap / data size as the database reports it (None on SQLite)."""
    index_bytes: NonNegative | None = None
    sample_method: str | None = None
    """How column statistics were sampled (``TABLESAMPLE SYSTEM``, ``RAND()``), None if full."""
    sampled_rows: NonNegative | None = None
    comment: str | None = None
    reference_rows: tuple[tuple[Scalar | None, ...], ...] | None = None
    """A reference (lookup) table's rows verbatim, columns in table order, sorted by primary
    key: a small table with no personal column and no FK to a table that is not itself kept
    (``Settings.reference_rows``). Generate writes exactly these rows. Values are JSON scalars:
    decimals as exact text (``"12.3400"``), temporal values ISO-8601 (UTC), binary as hex."""
    virtual_primary_key: bool = False
    """``primary_key`` comes from ``rules`` (production declares none): generated unique,
    created in staging only with ``--create-virtual-fks``."""
    relations: tuple[Relation, ...] = ()
    """Relationships between columns of a row and along FKs that hold in (nearly) every row
    (:mod:`paritygen.profile.relations`): orderings, FK diamonds, arithmetic identities."""


@dataclass(config=_STRICT)
class ColumnRule:
    """User override for one column; survives re-profiling."""

    generator: str | None = None
    """Name of a registered generator to use instead of the inferred one."""
    values: tuple[Scalar, ...] | None = None
    """Fixed list of values to draw from (uniformly unless ``weights`` is given)."""
    weights: tuple[float, ...] | None = None
    semantic: str | None = None
    pii: bool | None = None
    params: dict[str, Scalar] = field(default_factory=dict)
    """Parameters of the generator, or of the masker (``mask``: ``{domain: keep}``)."""
    mode: Literal["keep", "mask", "null", "constant", "generate"] | None = None
    """What ``paritygen mask`` writes for the column: the production value (keep), a keyed
    pseudonym (mask, the default for PII), NULL, ``value`` (constant) or a synthetic value from
    the profile (generate). None: mask when the column is PII, else keep."""
    masker: str | None = None
    """Name of a registered masker (``email``, ``iban``...) instead of the one its tag implies."""
    value: Scalar | None = None
    """The value written by ``mode: constant``."""


@dataclass(config=_STRICT)
class Evidence:
    """Why ``--infer-keys`` proposed a key: what the source's values showed."""

    match_share: Fraction
    """Foreign key: share of the checked non-NULL child values found in the parent column.
    Primary key: share of distinct values among the checked rows (1.0: unique)."""
    rows_checked: NonNegative
    """Child (or table) rows whose values were checked."""
    sampled: bool = False
    """The rows checked were a sample of a larger table."""
    rule: str | None = None
    """The naming rule that suggested it (``X_id -> X.id``, ``shared suffix custkey``, ...)."""


@dataclass(config=_STRICT)
class VirtualPrimaryKey:
    """A primary key production never declared (``rules.tables.T.primary_key``)."""

    columns: tuple[str, ...]
    inferred: Evidence | None = None
    """Set when ``--infer-keys`` proposed it; delete the key to refuse it."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"columns": key_syntax.parse_columns(data)}
        if isinstance(data, list | tuple):
            return {"columns": data}
        return data


@dataclass(config=_STRICT)
class VirtualForeignKey:
    """A foreign key production never declared (``rules.tables.T.foreign_keys``).

    Written as a mapping, or as the shorthand
    ``commentable_id -> posts.id when commentable_type = 'Post'`` (parsed as data)."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    when: KeyCondition | None = None
    inferred: Evidence | None = None
    """Set when ``--infer-keys`` proposed it; delete the entry to refuse it."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return key_syntax.parse_foreign_key(data)
        return data

    def spec(self) -> str:
        """The shorthand spelling, for messages and notes."""
        return key_syntax.format_foreign_key(
            self.columns, self.ref_table, self.ref_columns,
            (self.when.column, self.when.equals) if self.when else None,
        )  # fmt: skip


@dataclass(config=_STRICT)
class TableRule:
    """User override for one table."""

    mode: Literal["generate", "mask", "skip", "empty"] = "generate"
    """generate: synthetic rows; mask: production's rows copied with PII masked (``paritygen
    mask``); skip: left out; empty: created with no rows (``paritygen mask``)."""
    row_count: NonNegative | None = None
    """Pinned row count, used at every scale (lookup tables)."""
    fixed: bool = False
    """Keep the profiled row count at every ``--scale``."""
    lookup: bool | None = None
    """True: a lookup table (keeps its rows and values at every ``--scale`` unless
    ``--scale-lookups``); False: scales even when detected as one; None: detected
    (:mod:`paritygen.profile.volume`)."""
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    primary_key: VirtualPrimaryKey | None = None
    """A virtual primary key (the table declares none)."""
    foreign_keys: tuple[VirtualForeignKey, ...] = ()
    """Virtual foreign keys of this (child) table."""


@dataclass(config=_STRICT)
class Rules:
    """The ``rules:`` section: user overrides that survive re-profiling."""

    tables: dict[str, TableRule] = field(default_factory=dict)


@dataclass(config=_STRICT)
class Settings:
    """How the profile was taken."""

    min_group_size: Annotated[int, Field(ge=1)] = 5
    sample_rows: Annotated[int, Field(ge=1)] = 1_000_000
    estimate_rows: bool = False
    reference_rows: NonNegative = 1_000
    """Tables of at most this many rows with no personal data are kept verbatim
    (``Table.reference_rows``); 0 keeps none."""


@dataclass(config=_STRICT)
class Source:
    """Where and when the profile was captured (never the URL: it may hold a password)."""

    dialect: str
    server_version: str | None = None
    database: str | None = None
    schema: str | None = None
    captured_at: str | None = None
    """ISO-8601 UTC timestamp."""
    paritygen_version: str | None = None
    duration_seconds: float | None = None
    identity: str | None = None
    """The source as its server names it (cluster id + database, MariaDB instance + schema,
    SQLite file path; :mod:`paritygen.profile.identity`): a write whose target has the same
    identity is refused, whatever the flags. No password, nor anything from the URL."""


@dataclass(config=_STRICT)
class Profile:
    """A whole profile: ``format: paritygen/1``."""

    format: Literal["paritygen/1"]
    source: Source
    tables: dict[str, Table]
    settings: Settings = field(default_factory=Settings)
    rules: Rules = field(default_factory=Rules)
    not_carried: tuple[str, ...] = ()
    """Schema objects of the source the profile does not carry (``view v_sales``, ``trigger
    trg on orders``, ``function f``, ``rule r on t``, ``inheritance child -> parent``,
    ``expression index i on t``): staging lacks them unless ``generate --schema-from`` builds
    the source's schema. Named on stderr when profiling and in the report."""

    def table(self, name: str) -> Table:
        """The table called *name*; KeyError names the tables that exist."""
        try:
            return self.tables[name]
        except KeyError:
            known = ", ".join(self.tables)
            raise KeyError(f"no table {name!r} in profile (has: {known})") from None

    def table_rule(self, name: str) -> TableRule:
        """The user's rule for table *name*, or the default rule."""
        return self.rules.tables.get(name) or TableRule()
