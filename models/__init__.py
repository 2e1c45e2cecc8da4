"""Tortoise models: field definitions, indexes and tiny derived properties only."""

from models.attachments import Attachment
from models.comments import Comment
from models.events import Event
from models.queues import Queue, QueueMember
from models.tickets import CLOSED_STATUSES, Status, Ticket, TicketContact, TicketTag
from models.users import ApiToken, RevokedSession, Role, User
from models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "CLOSED_STATUSES",
    "ApiToken",
    "Attachment",
    "Comment",
    "Event",
    "Queue",
    "QueueMember",
    "RevokedSession",
    "Role",
    "Status",
    "Ticket",
    "TicketContact",
    "TicketTag",
    "User",
    "Webhook",
    "WebhookDelivery",
]
