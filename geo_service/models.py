"""Tables of the service (SQLAlchemy 2 + GeoAlchemy2), stored in EPSG:4326.

Every geometry column has a GiST index (GeoAlchemy2 adds one) and a CHECK that it is valid;
every vocabulary column has a CHECK listing its allowed values, so bad rows stay out even when
written by hand in SQL. Metric work is done elsewhere, in a projected CRS.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from geo_service.vocab import (
    AssetStatus,
    BuildingKind,
    HazardCategory,
    HazardStatus,
    Level,
    LightMount,
    Lit,
    Severity,
    StreetClass,
)

SRID = 4326

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """CHECK that a text column holds one of a vocabulary's values (NULL allowed)."""
    allowed = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_allowed")


def valid(column: str = "geom") -> CheckConstraint:
    """CHECK that a geometry is valid and not empty."""
    return CheckConstraint(f"ST_IsValid({column}) AND NOT ST_IsEmpty({column})",
                           name=f"{column}_valid")


def geometry(kind: str) -> Any:
    """A 4326 geometry column type of the given kind."""
    return Geometry(kind, srid=SRID, spatial_index=True)


class Subdistrict(Base):
    """A subdistrict (街道): the level above its communities."""

    __tablename__ = "subdistricts"
    __table_args__ = (valid("outline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    outline: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False),
                                         nullable=True)


class Community(Base):
    """A community (社区): its outline (the union of its grids, or the hull of its data), the
    time zone its dates are read in and the metric CRS its lengths and areas are computed in.

    Every grid, street, building, light, camera, hazard and plan belongs to one community
    (``community_id``); grid numbers and source ids are unique within a community.
    """

    __tablename__ = "communities"
    __table_args__ = (
        valid("outline"),
        CheckConstraint("metric_epsg IS NULL OR metric_epsg > 0", name="metric_epsg_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(100))
    admin_code: Mapped[str | None] = mapped_column(String(20))
    subdistrict_id: Mapped[int | None] = mapped_column(
        ForeignKey("subdistricts.id", ondelete="SET NULL"))
    time_zone: Mapped[str] = mapped_column(String(64), server_default="Asia/Shanghai")
    metric_epsg: Mapped[int | None] = mapped_column(Integer)
    outline: Mapped[Any] = mapped_column(geometry("MULTIPOLYGON"), nullable=True)


def community_column() -> Mapped[int | None]:
    """The owning community (filled from the grid or place by a trigger when not given)."""
    return mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)


class Grid(Base):
    """A management grid (网格)."""

    __tablename__ = "grids"
    __table_args__ = (valid(), CheckConstraint("number > 0", name="number_positive"),
                      UniqueConstraint("community_id", "number",
                                       name="uq_grids_community_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(100))
    zone: Mapped[str | None] = mapped_column(String(100))
    party_group: Mapped[str | None] = mapped_column(String(100))
    staff: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(255))
    geom: Mapped[Any] = mapped_column(geometry("MULTIPOLYGON"))


class Building(Base):
    """A building footprint, with its building leader (personal data)."""

    __tablename__ = "buildings"
    __table_args__ = (
        valid(),
        one_of("kind", BuildingKind),
        CheckConstraint("floors IS NULL OR floors >= 0", name="floors_nonnegative"),
        CheckConstraint("households IS NULL OR households >= 0", name="households_nonnegative"),
        UniqueConstraint("community_id", "source_id", name="uq_buildings_community_source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    source_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    floors: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32), server_default=BuildingKind.OTHER.value)
    compound: Mapped[str | None] = mapped_column(String(100))
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_phone: Mapped[str | None] = mapped_column(String(50))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(255))
    geom: Mapped[Any] = mapped_column(geometry("MULTIPOLYGON"))


class StreetNode(Base):
    """A node of the street graph: an intersection or a dead end."""

    __tablename__ = "street_nodes"
    __table_args__ = (valid(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    geom: Mapped[Any] = mapped_column(geometry("POINT"))


class Street(Base):
    """A street segment between two nodes of the routable network."""

    __tablename__ = "streets"
    __table_args__ = (
        valid(),
        one_of("street_class", StreetClass),
        one_of("lit", Lit),
        CheckConstraint("length_m >= 0", name="length_nonnegative"),
        CheckConstraint("width_m IS NULL OR width_m > 0", name="width_positive"),
        UniqueConstraint("community_id", "source_id", "part",
                         name="uq_streets_community_source_part",
                         deferrable=True, initially="DEFERRED"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    source_id: Mapped[str] = mapped_column(String(100))
    part: Mapped[int] = mapped_column(Integer, server_default="0")
    name: Mapped[str | None] = mapped_column(String(200))
    street_class: Mapped[str] = mapped_column(String(32))
    width_m: Mapped[float | None] = mapped_column(Float)
    lit: Mapped[str] = mapped_column(String(16), server_default=Lit.UNKNOWN.value)
    #: The level the street lies on: 0 on the ground, above for bridges, below for tunnels
    #: (OSM ``layer``, else ``bridge`` 1 / ``tunnel`` -1). Streets of different levels are
    #: never joined where they cross.
    level: Mapped[int] = mapped_column(Integer, server_default="0")
    length_m: Mapped[float] = mapped_column(Float)
    source: Mapped[int] = mapped_column(ForeignKey("street_nodes.id"), index=True)
    target: Mapped[int] = mapped_column(ForeignKey("street_nodes.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    source_file: Mapped[str | None] = mapped_column(String(255))
    geom: Mapped[Any] = mapped_column(geometry("LINESTRING"))


class Light(Base):
    """A streetlight or wall lamp."""

    __tablename__ = "lights"
    __table_args__ = (
        valid(),
        one_of("status", AssetStatus),
        one_of("mount", LightMount),
        CheckConstraint("height_m IS NULL OR height_m > 0", name="height_positive"),
        CheckConstraint("intensity_cd IS NULL OR intensity_cd >= 0", name="intensity_nonneg"),
        CheckConstraint("power_w IS NULL OR power_w >= 0", name="power_nonnegative"),
        UniqueConstraint("community_id", "source_id", name="uq_lights_community_source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    source_id: Mapped[str] = mapped_column(String(100))
    height_m: Mapped[float | None] = mapped_column(Float)
    intensity_cd: Mapped[float | None] = mapped_column(Float)
    power_w: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), server_default=AssetStatus.WORKING.value)
    mount: Mapped[str | None] = mapped_column(String(16))
    installed_on: Mapped[date | None] = mapped_column(Date)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(255))
    geom: Mapped[Any] = mapped_column(geometry("POINT"))


class Camera(Base):
    """A surveillance camera; no heading means a dome seeing all round."""

    __tablename__ = "cameras"
    __table_args__ = (
        valid(),
        one_of("status", AssetStatus),
        CheckConstraint("heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg <= 360)",
                        name="heading_range"),
        CheckConstraint("fov_deg IS NULL OR (fov_deg > 0 AND fov_deg <= 360)", name="fov_range"),
        CheckConstraint("range_m IS NULL OR range_m > 0", name="range_positive"),
        UniqueConstraint("community_id", "source_id", name="uq_cameras_community_source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    source_id: Mapped[str] = mapped_column(String(100))
    heading_deg: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float | None] = mapped_column(Float)
    range_m: Mapped[float | None] = mapped_column(Float)
    lens_mm: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), server_default=AssetStatus.WORKING.value)
    installed_on: Mapped[date | None] = mapped_column(Date)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(255))
    geom: Mapped[Any] = mapped_column(geometry("POINT"))


class Hazard(Base):
    """A reported problem going round the closed loop."""

    __tablename__ = "hazards"
    __table_args__ = (
        valid(),
        one_of("category", HazardCategory),
        one_of("severity", Severity),
        one_of("status", HazardStatus),
        one_of("level", Level),
        CheckConstraint(
            "GeometryType(geom) IN ('POINT','LINESTRING','POLYGON','MULTIPOINT',"
            "'MULTILINESTRING','MULTIPOLYGON')",
            name="geom_kind",
        ),
        # a retry key is unique per client (migration 0008)
        UniqueConstraint("idempotency_client", "idempotency_key",
                         name="uq_hazards_idempotency_client_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    source_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    idempotency_client: Mapped[str] = mapped_column(String(200), server_default="")
    idempotency_digest: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the body
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16), server_default=Severity.MEDIUM.value)
    status: Mapped[str] = mapped_column(String(16), server_default=HazardStatus.REPORTED.value)
    level: Mapped[str] = mapped_column(String(16), server_default=Level.BUILDING.value)
    assignee: Mapped[str | None] = mapped_column(String(100))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"))
    light_id: Mapped[int | None] = mapped_column(ForeignKey("lights.id", ondelete="SET NULL"))
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id", ondelete="SET NULL"))
    reporter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True))
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_contact: Mapped[str | None] = mapped_column(String(100))
    photo: Mapped[str | None] = mapped_column(String(255))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    source: Mapped[str | None] = mapped_column(String(255))
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=True))

    events: Mapped[list[HazardEvent]] = relationship(
        back_populates="hazard", order_by="HazardEvent.at, HazardEvent.id")


class HazardEvent(Base):
    """One change in a hazard's life; append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "hazard_events"
    __table_args__ = (
        one_of("from_status", HazardStatus, "from_status_allowed"),
        one_of("to_status", HazardStatus, "to_status_allowed"),
        one_of("from_level", Level, "from_level_allowed"),
        one_of("to_level", Level, "to_level_allowed"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction_range"),
        Index("ix_hazard_events_hazard_at", "hazard_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_level: Mapped[str | None] = mapped_column(String(16))
    to_level: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    hazard: Mapped[Hazard] = relationship(back_populates="events")


LAYER_MODELS: dict[str, type[Base]] = {
    "grids": Grid,
    "buildings": Building,
    "streets": Street,
    "lights": Light,
    "cameras": Camera,
    "hazards": Hazard,
}


# -- patrol log --------------------------------------------------------------------------------
class PatrolMember(Base):
    """A member of the patrol team (``phone`` is personal data); retired members are inactive."""

    __tablename__ = "patrol_members"
    __table_args__ = (CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(server_default="true")


class PatrolTrack(Base):
    """A GPS track a member walked, as uploaded (raw, not matched)."""

    __tablename__ = "patrol_tracks"
    __table_args__ = (
        valid(),
        CheckConstraint("point_count >= 2", name="point_count_min"),
        CheckConstraint("ended_at >= started_at", name="times_ordered"),
        CheckConstraint("walked_m >= 0 AND covered_m >= 0", name="lengths_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrol_members.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timed: Mapped[bool] = mapped_column(server_default="true")
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    source_file: Mapped[str] = mapped_column(String(255))
    point_count: Mapped[int] = mapped_column(Integer)
    walked_m: Mapped[float] = mapped_column(Float, server_default="0")
    covered_m: Mapped[float] = mapped_column(Float, server_default="0")
    geom: Mapped[Any] = mapped_column(geometry("LINESTRING"))

    walks: Mapped[list[PatrolWalk]] = relationship(
        back_populates="track", order_by="PatrolWalk.walked_at, PatrolWalk.id",
        passive_deletes=True)


class PatrolWalk(Base):
    """A stretch of one street walked on a track; the matched geometry outlives the street."""

    __tablename__ = "patrol_walks"
    __table_args__ = (
        valid(),
        CheckConstraint("walked_m >= 0", name="walked_nonnegative"),
        CheckConstraint("end_m >= start_m", name="stretch_ordered"),
        Index("ix_patrol_walks_street_walked", "street_id", "walked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(
        ForeignKey("patrol_tracks.id", ondelete="CASCADE"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id", ondelete="SET NULL"))
    walked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    walked_m: Mapped[float] = mapped_column(Float)
    start_m: Mapped[float] = mapped_column(Float)
    end_m: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(geometry("LINESTRING"))

    track: Mapped[PatrolTrack] = relationship(back_populates="walks")


# -- accounts and audit ------------------------------------------------------------------------
class Role(StrEnum):
    """What a signed-in user may do (the public needs no account)."""

    RESIDENT = "resident"
    BUILDING_LEADER = "building_leader"
    GRID_WORKER = "grid_worker"
    PATROL = "patrol"
    COMMUNITY_ADMIN = "community_admin"
    SUBDISTRICT = "subdistrict"


class User(Base):
    """A person who signs in; ``password_hash`` is a slow salted hash, never the password."""

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", Role),
        CheckConstraint("length(trim(username)) > 0", name="username_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class UserGrid(Base):
    """A grid a grid worker (or patrol member) is responsible for."""

    __tablename__ = "user_grids"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"),
                                         primary_key=True)


class UserBuilding(Base):
    """A building a building leader looks after."""

    __tablename__ = "user_buildings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"),
                                             primary_key=True)


class ApiToken(Base):
    """A token for an integration, acting as its user; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who changed what and when: every hazard change and every layer edit (append-only)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                         index=True)
    actor: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(Text)


# -- patrol route plans --------------------------------------------------------------------------
PLAN_KINDS = ("cover", "points", "week")
STOP_KINDS = ("hazard", "light")


class PatrolPlan(Base):
    """A computed set of patrol routes (``geo-service route``, ``POST /api/routes``)."""

    __tablename__ = "patrol_plans"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in PLAN_KINDS)})",
                        name="kind_allowed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = community_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), index=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)

    routes: Mapped[list[PatrolRoute]] = relationship(
        back_populates="plan", order_by="PatrolRoute.route_order", passive_deletes=True)


class PatrolRoute(Base):
    """One team's (or one shift's) closed walk of a plan; ``params`` holds the turn-by-turn
    directions and the street ids it serves, ``day``/``shift`` place it in a week plan."""

    __tablename__ = "patrol_routes"
    __table_args__ = (
        valid(),
        UniqueConstraint("plan_id", "route_order"),
        CheckConstraint("team >= 1 AND route_order >= 1", name="numbers_positive"),
        CheckConstraint("length_m >= 0 AND minutes >= 0 AND repeated_m >= 0",
                        name="lengths_nonnegative"),
        CheckConstraint("day IS NULL OR day BETWEEN 0 AND 6", name="day_of_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("patrol_plans.id", ondelete="CASCADE"),
                                         index=True)
    team: Mapped[int] = mapped_column(Integer)
    route_order: Mapped[int] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)
    shift: Mapped[int | None] = mapped_column(Integer)
    length_m: Mapped[float] = mapped_column(Float)
    minutes: Mapped[float] = mapped_column(Float)
    repeated_m: Mapped[float] = mapped_column(Float, server_default="0")
    lower_bound_m: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    geom: Mapped[Any] = mapped_column(Geometry("LINESTRING", srid=SRID, spatial_index=True,
                                               nullable=True), nullable=True)

    plan: Mapped[PatrolPlan] = relationship(back_populates="routes")


class PatrolRouteStop(Base):
    """A numbered stop of a route: an open hazard or a broken light on the way."""

    __tablename__ = "patrol_route_stops"
    __table_args__ = (
        valid(),
        UniqueConstraint("route_id", "stop"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in STOP_KINDS)})",
                        name="kind_allowed"),
        CheckConstraint("stop >= 1", name="stop_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id", ondelete="CASCADE"),
                                          index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("patrol_plans.id", ondelete="CASCADE"),
                                         index=True)
    stop: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="SET NULL"))
    light_id: Mapped[int | None] = mapped_column(ForeignKey("lights.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    after_m: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(geometry("POINT"))
