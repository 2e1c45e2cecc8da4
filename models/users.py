"""Users and their API tokens."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    CUSTOMER = "customer"


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=150, unique=True)
    email = fields.CharField(max_length=254, default="", db_index=True)
    name = fields.CharField(max_length=200, default="")
    role = fields.CharEnumField(Role, max_length=16, default=Role.CUSTOMER, db_index=True)
    is_active = fields.BooleanField(default=True)
    is_premium = fields.BooleanField(default=False)
    slack_id = fields.CharField(max_length=64, null=True, unique=True)
    password_hash = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"

    @property
    def is_staff(self) -> bool:
        """Agents and admins are staff ("helpers")."""
        return self.role in (Role.ADMIN, Role.AGENT)


class ApiToken(Model):
    """An API token `tg_<key_id>_<secret>`, of which only sha256(secret) is stored."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="tokens", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=100, default="")
    key_id = fields.CharField(max_length=16, unique=True)
    digest = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class RevokedSession(Model):
    """A login JWT (its `jti`) signed out before it expires (the row may go once it has)."""

    jti = fields.CharField(max_length=32, primary_key=True)
    user_id = fields.IntField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "revoked_sessions"
